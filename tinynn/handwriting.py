"""Your own handwritten digit, brought to the conventions of MNIST.

MNIST's digits were made from scanned black-and-white handwriting: "size
normalized to fit in a 20x20 pixel box while preserving their aspect ratio"
(with anti-aliasing, hence the grey levels) and "centered in a 28x28 image by
computing the center of mass of the pixels" (LeCun, Cortes and Burges, the
MNIST page). The digits are light on a dark background. A network trained on
MNIST only knows digits that look like that, so a photo or a drawing must be
brought there first: :func:`preprocess_digit` does it with NumPy alone;
:func:`read_digit` reads a PNG or JPEG file with Pillow and then does the same.

Book section
------------
3.6.1 (the MNIST dataset: 28x28 grey images, values 0 to 1 with ``normalize=True``)
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._validation import as_real_array, check_finite
from .typing import ArrayLike, FloatArray

__all__ = ["preprocess_digit", "read_digit"]

#: Side of MNIST's images, of the box the digit is scaled into, and where its centre of
#: mass lands (row and column index; measured on the training set: 13.99 and 14.00).
SIZE, BOX, CENTRE = 28, 20, 14.0
#: Ink below this fraction of the full stroke is treated as paper noise (JPEG, shadows).
NOISE = 0.1


def _area_weights(n_in: int, n_out: int) -> FloatArray:
    """``(n_out, n_in)`` weights of area resampling: the share of each input pixel in each
    output pixel (rows sum to 1), so ``W @ v`` averages what each output pixel covers."""
    scale = n_in / n_out
    lo = np.arange(n_out)[:, None] * scale
    i = np.arange(n_in)[None, :]
    overlap = np.minimum(i + 1, lo + scale) - np.maximum(i, lo)
    weights: FloatArray = np.clip(overlap, 0.0, None) / scale
    return weights


def _resize_area(image: FloatArray, shape: tuple[int, int]) -> FloatArray:
    """``image`` resampled to ``shape`` by averaging areas (anti-aliased, as MNIST's)."""
    rows = _area_weights(image.shape[0], shape[0])
    cols = _area_weights(image.shape[1], shape[1])
    return rows @ image @ cols.T


def _centre_of_mass(image: FloatArray) -> tuple[float, float]:
    total = float(image.sum())
    r = float(image.sum(axis=1) @ np.arange(image.shape[0])) / total
    c = float(image.sum(axis=0) @ np.arange(image.shape[1])) / total
    return r, c


def preprocess_digit(image: ArrayLike, *, invert: bool | None = None) -> FloatArray:
    """A grey image of one digit as an MNIST image: 28x28, light digit on black, in [0, 1].

    The steps MNIST's makers took, in order:

    1. **Background**: the median of the border pixels is the paper. A light
       paper (median above 0.5) is inverted, so the digit is light on dark.
    2. **Contrast**: the paper becomes 0 and the darkest ink 1; ink below
       0.1 of that is paper noise and becomes 0.
    3. **Crop** to the digit's bounding box.
    4. **Scale** so that the longer side is 20 pixels, keeping the aspect
       ratio, by averaging areas (anti-aliasing, so edges get grey levels);
       then the brightest pixel is set back to 1.
    5. **Centre**: place it in a black 28x28 image so that its centre of mass

       .. math::
           \\bar r = \\frac{\\sum_{r,c} r\\, p_{rc}}{\\sum_{r,c} p_{rc}}, \\quad
           \\bar c = \\frac{\\sum_{r,c} c\\, p_{rc}}{\\sum_{r,c} p_{rc}}

       falls on pixel (14, 14), to the nearest pixel, as in MNIST.

    Parameters
    ----------
    image : array_like, shape (height, width)
        Grey levels: integers 0-255 (``uint8``, as Pillow gives them) or floats in [0, 1].
    invert : bool, optional
        Whether the paper is light (dark ink on white). By default it is
        guessed from the border (step 1).

    Returns
    -------
    ndarray of float64, shape (28, 28)
        As ``load_mnist(normalize=True, flatten=False)`` gives one image
        (without its channel axis); ``.reshape(784)`` feeds it to a network
        trained on flattened MNIST.

    Raises
    ------
    TypeError
        If ``image`` is not an array of real numbers.
    ValueError
        If it is not 2-D (at least 2x2), holds floats outside [0, 1] or non-finite
        values, or is blank (no ink darker than the paper).

    Book section
    ------------
    3.6.1 (the MNIST dataset)

    Examples
    --------
    A thick dark bar on white paper becomes a light bar, 20 pixels tall, centred:

    >>> paper = np.full((100, 60), 255, dtype=np.uint8)
    >>> paper[10:90, 25:35] = 0
    >>> digit = preprocess_digit(paper)
    >>> digit.shape, float(digit.max()), float(digit[0, 0])
    ((28, 28), 1.0, 0.0)
    >>> rows = np.flatnonzero(digit.max(axis=1))
    >>> int(rows[0]), int(rows[-1])
    (4, 23)
    """
    a = as_real_array(image, "image")
    if a.ndim != 2 or min(a.shape) < 2:
        raise ValueError(
            f"image must be a 2-D grey image of at least 2x2 pixels, got shape {a.shape} "
            "(convert colour images to grey first, e.g. with Pillow's .convert('L'))"
        )
    if np.issubdtype(a.dtype, np.integer) or a.dtype == np.bool_:
        if a.dtype != np.bool_ and (a.min() < 0 or a.max() > 255):
            raise ValueError(f"integer grey levels must be 0-255, got {a.min()} to {a.max()}")
        gray = a.astype(np.float64) / (1.0 if a.dtype == np.bool_ else 255.0)
    else:
        check_finite(a, "image")
        gray = a.astype(np.float64)
        if gray.min() < 0.0 or gray.max() > 1.0:
            raise ValueError(
                f"float grey levels must be in [0, 1], got {gray.min():g} to {gray.max():g}"
            )
    border = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    paper = float(np.median(border))
    if invert is None:
        invert = paper > 0.5
    if invert:
        gray, paper = 1.0 - gray, 1.0 - paper
    peak = float(gray.max())
    if peak - paper < 0.1:
        raise ValueError(
            "the image looks blank: no ink differs from the paper by more than 10% "
            f"(paper {paper:.2f}, strongest ink {peak:.2f} on a 0-1 scale after inversion)"
        )
    ink = np.clip((gray - paper) / (peak - paper), 0.0, 1.0)
    ink[ink < NOISE] = 0.0
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    h, w = ink.shape
    scale = BOX / max(h, w)
    small = _resize_area(ink, (max(1, round(h * scale)), max(1, round(w * scale))))
    small /= small.max()
    r, c = _centre_of_mass(small)
    top, left = round(CENTRE - r), round(CENTRE - c)
    out = np.zeros((SIZE, SIZE), dtype=np.float64)
    # paste with clipping (only a very lopsided digit reaches past the edge)
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + small.shape[0], SIZE), min(left + small.shape[1], SIZE)
    out[r0:r1, c0:c1] = small[r0 - top : r1 - top, c0 - left : c1 - left]
    return out


def read_digit(path: str | os.PathLike[str], *, invert: bool | None = None) -> FloatArray:
    """Read a picture of one handwritten digit (PNG, JPEG, ...) as an MNIST image.

    The file is read with Pillow (the ``plot`` extra), turned upright by its
    EXIF orientation (phone photos), put on white paper where transparent,
    converted to grey, then passed to :func:`preprocess_digit`.

    Parameters
    ----------
    path : str or path-like
        An image file Pillow reads.
    invert : bool, optional
        See :func:`preprocess_digit`.

    Returns
    -------
    ndarray of float64, shape (28, 28)
        Light digit on black, values in [0, 1], centred as MNIST's.

    Raises
    ------
    ImportError
        If Pillow is not installed (``pip install "tinynn[plot]"``).
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is not an image Pillow can read, or the image is blank.

    Book section
    ------------
    3.6.1 (the MNIST dataset)

    Examples
    --------
    >>> from PIL import Image, ImageDraw
    >>> import tempfile, pathlib
    >>> picture = Image.new("L", (120, 160), color=255)           # white paper
    >>> ImageDraw.Draw(picture).line([(30, 20), (90, 20), (50, 140)], fill=0, width=14)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = pathlib.Path(folder) / "seven.png"
    ...     picture.save(file)
    ...     digit = read_digit(file)
    >>> digit.shape, float(digit[0, 0]), float(digit.max())
    ((28, 28), 0.0, 1.0)
    """
    try:
        from PIL import Image, ImageOps, UnidentifiedImageError
    except ImportError as exc:
        raise ImportError('reading image files needs Pillow: pip install "tinynn[plot]"') from exc
    try:
        with Image.open(path) as opened:
            picture: Any = ImageOps.exif_transpose(opened)
            if "A" in picture.getbands() or "transparency" in picture.info:
                rgba = picture.convert("RGBA")
                paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                picture = Image.alpha_composite(paper, rgba)
            gray: NDArray[Any] = np.asarray(picture.convert("L"))
    except UnidentifiedImageError as exc:
        raise ValueError(f"{os.fspath(path)} is not an image file Pillow can read") from exc
    return preprocess_digit(gray, invert=invert)
