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
import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..typing import ArrayLike, FloatArray
from ..utils.validation import as_real_array, check_finite

__all__ = ["preprocess_digit", "read_digit"]

#: Side of MNIST's images, of the box the digit is scaled into, and where its centre of
#: mass lands (row and column index; measured on the training set: 13.99 and 14.00).
SIZE, BOX, CENTRE = 28, 20, 14.0
#: Ink below this fraction of the full stroke is treated as paper noise (JPEG, shadows).
NOISE = 0.1
#: Longer side of the working copy: larger pictures are first shrunk by averaging blocks
#: of pixels (which also averages the camera's noise); the digit keeps 20+ pixels of height
#: unless it fills less than a tenth of the picture.
WORK = 256
#: Ink counts as a digit when it stands this many paper-noise deviations above the paper
#: (and at least 10% of the paper's level).
SIGNIFICANT = 6.0
#: The largest picture :func:`read_digit` decodes, in pixels (Pillow's own default limit
#: against decompression bombs, about 9459 x 9459).
MAX_PIXELS = 89_478_485


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


def _working_copy(a: NDArray[Any], scale: float) -> FloatArray:
    """``a / scale`` as float64, shrunk by averaging ``f x f`` blocks so that its longer side
    is at most :data:`WORK` pixels (the last ``f - 1`` rows or columns at most, which would
    make blocks of fewer pixels and more noise, are left out); never a full-size copy."""
    f = -(-max(a.shape) // WORK)
    if f == 1:
        return a.astype(np.float64) / scale
    h, w = a.shape[0] // f, a.shape[1] // f
    blocks = a[: h * f, : w * f].reshape(h, f, w, f).sum(axis=(1, 3), dtype=np.float64)
    small: FloatArray = blocks / (f * f * scale)
    return small


def _paper_surface(a: FloatArray) -> tuple[FloatArray, float]:
    """The paper's brightness as a cubic surface (lighting gradient times vignetting), and the
    paper's noise (a robust standard deviation).

    The paper surrounds the digit: its level starts as the median of a frame along the
    edges. Then, again and again, a surface of one degree more (up to 3) is fitted by least
    squares to the pixels within 2.5 noise deviations of the last one, so that the ink, on
    whichever side of the paper it lies, drops out before the surface can bend towards it.
    """
    h, w = a.shape
    v, u = np.meshgrid(np.linspace(-1, 1, h), np.linspace(-1, 1, w), indexing="ij")
    terms = [u**i * v ** (d - i) for d in range(4) for i in range(d + 1)]  # by degree
    design = np.stack(terms, axis=-1).reshape(-1, len(terms))
    y = a.reshape(-1)
    frame = np.zeros((h, w), dtype=bool)
    m, n = max(1, h // 10), max(1, w // 10)
    frame[:m], frame[-m:], frame[:, :n], frame[:, -n:] = True, True, True, True
    fit = np.full_like(y, np.median(y[frame.reshape(-1)]))
    keep = frame.reshape(-1)
    noise = 0.0
    for degree in (None, 1, 2, 3, 3, 3, 3, 3):
        if degree is not None:
            chosen = design[keep, : (degree + 1) * (degree + 2) // 2]  # the normal equations
            coef = np.linalg.lstsq(chosen.T @ chosen, chosen.T @ y[keep], rcond=None)[0]
            fit = design[:, : len(coef)] @ coef
        residual = y - fit
        noise = 1.4826 * float(np.median(np.abs(residual[keep])))
        new = np.abs(residual) <= max(2.5 * noise, 1e-9)
        if degree == 3 and np.array_equal(new, keep):
            break
        keep = new
    return fit.reshape(h, w), noise


def _specks(mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The pixels of ``mask`` with fewer than two of their eight neighbours in ``mask``: lone
    pixels and pairs, which are noise (a stroke has neighbours along it and across it)."""
    padded = np.pad(mask, 1).astype(np.int8)
    h, w = mask.shape
    neighbours = sum(
        padded[1 + dr : h + 1 + dr, 1 + dc : w + 1 + dc]
        for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc
    )  # fmt: skip
    specks: NDArray[np.bool_] = mask & (neighbours < 2)
    return specks


def _ink(gray: FloatArray, invert: bool | None) -> FloatArray:
    """How much ink covers each pixel, 0 (paper) to 1 (the strongest stroke), after the
    paper's uneven light is divided out; raises ``ValueError`` if nothing stands out."""
    surface, noise = _paper_surface(gray)
    if invert is None:  # which side of the paper holds the ink: the darker or the lighter
        residual = gray - surface
        dark = np.clip(-residual - 3 * noise, 0, None).sum()
        light = np.clip(residual - 3 * noise, 0, None).sum()
        invert = bool(dark > light)
    if invert:  # dark ink on light paper: the paper's light divided out, as scanners do
        away = surface - gray
        signal = away / np.maximum(surface, 1e-3)
    else:  # light ink on dark paper: the paper's glow subtracted
        away = gray - surface
        signal = away
    # ink stands out of the paper's noise (per pixel, in grey levels) and is not a speck
    inked = away > 4 * noise
    inked &= ~_specks(inked)
    # the strength of the strokes: the 20th strongest pixel (one hot pixel is not a stroke)
    count = min(20, max(1, gray.size // 100))
    strong = np.sort(signal[inked & (away > SIGNIFICANT * noise)])
    peak = float(strong[-count]) if strong.size >= count else 0.0
    if peak < 0.1:
        raise ValueError(
            f"the image holds no digit: fewer than {count} pixels are "
            f"{'darker' if invert else 'lighter'} than the paper by 10% of its level and by "
            f"{SIGNIFICANT:g} times its noise ({noise:.3f} on a 0-1 scale): a blank page, a "
            "uniform or a noisy image, or a digit too faint to tell from the paper"
        )
    ink = np.clip(signal / peak, 0.0, 1.0)
    ink[~inked | (signal < NOISE * peak)] = 0.0
    return ink


def preprocess_digit(image: ArrayLike, *, invert: bool | None = None) -> FloatArray:
    """A grey image of one digit as an MNIST image: 28x28, light digit on black, in [0, 1].

    A photo first gets what a document scanner does (steps 1-2), then the steps MNIST's
    makers took:

    1. **Paper**: the paper's brightness is estimated everywhere, lighting gradient and
       vignetting included, as a cubic surface fitted robustly to the paper (first the
       median of a frame along the edges, then surfaces of rising degree fitted to the
       pixels that are not ink). The ink lies on the side of the paper where pixels stand
       out most: dark ink means light paper (inverted, so that the digit is light).
    2. **Ink**: for dark ink, one minus the picture divided by the paper (so a stroke in
       the shade counts as much as one in the light); for light ink, the picture minus
       the paper. The strongest ink becomes 1; pixels within 4 deviations of the paper's
       noise, below 0.1 of the strongest ink, or specks (fewer than two inked
       neighbours) become 0.
    3. **Crop** to the digit's bounding box.
    4. **Scale** so that the longer side is 20 pixels, keeping the aspect
       ratio, by averaging areas (anti-aliasing, so edges get grey levels);
       then the brightest pixel is set back to 1.
    5. **Centre**: place it in a black 28x28 image so that its centre of mass

       .. math::
           \\bar r = \\frac{\\sum_{r,c} r\\, p_{rc}}{\\sum_{r,c} p_{rc}}, \\quad
           \\bar c = \\frac{\\sum_{r,c} c\\, p_{rc}}{\\sum_{r,c} p_{rc}}

       falls on pixel (14, 14), to the nearest pixel, as in MNIST.

    Pictures larger than 256 pixels are first shrunk by averaging square blocks. Shading
    that a smooth surface cannot follow (the sharp edge of a shadow) is not evened out.

    Parameters
    ----------
    image : array_like, shape (height, width)
        Grey levels: integers 0-255 (``uint8``, as Pillow gives them) or floats in [0, 1].
    invert : bool, optional
        Whether the paper is light (dark ink on white). By default it is
        guessed (step 1).

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
        values, or holds no digit: nothing stands out from the paper by 10% of its
        level and 6 times its noise (a blank page, a uniform or pure-noise image).

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

    The same bar photographed under light that falls from 100% on the left to 30% on the
    right comes out the same:

    >>> light = np.linspace(1.0, 0.3, 60)[None, :]
    >>> photo = np.round(paper * light).astype(np.uint8)
    >>> bool(np.abs(preprocess_digit(photo) - digit).max() < 1e-6)
    True
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
        gray = _working_copy(a, 1.0 if a.dtype == np.bool_ else 255.0)
    else:
        check_finite(a, "image")
        if a.min() < 0.0 or a.max() > 1.0:
            raise ValueError(
                f"float grey levels must be in [0, 1], got {a.min():g} to {a.max():g}"
            )
        gray = _working_copy(a, 1.0)
    ink = _ink(gray, invert)
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


#: What Pillow raises, besides ``UnidentifiedImageError``, for a file cut short or corrupt.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, zlib.error)


def _declared_size(path: Path) -> tuple[int, int] | None:
    """The width and height a picture's header declares, read by Pillow's format plugins
    without the size check of ``Image.open`` and without decoding; ``None`` if none can."""
    from PIL import Image

    Image.init()
    with open(path, "rb") as f:
        prefix = f.read(16)
        for factory, accept in Image.OPEN.values():
            if accept is not None and not accept(prefix):
                continue
            try:
                f.seek(0)
                size: tuple[int, int] = factory(f, os.fspath(path)).size
            except Exception:  # not this format (or a broken header): the next plugin
                continue
            return size
    return None


def _too_large(path: Path, size: tuple[int, int] | None) -> ValueError:
    declared = f"{size[0]}x{size[1]} pixels ({size[0] * size[1]:,})" if size else "more pixels"
    return ValueError(
        f"{path} declares {declared}, more than the {MAX_PIXELS:,} this reader decodes "
        "(a guard against decompression bombs); scale the picture down first"
    )


def read_digit(path: str | os.PathLike[str], *, invert: bool | None = None) -> FloatArray:
    """Read a picture of one handwritten digit (PNG, JPEG, ...) as an MNIST image.

    The file is read with Pillow (the ``plot`` extra), turned upright by its
    EXIF orientation (phone photos), put on white paper where transparent,
    converted to grey, then passed to :func:`preprocess_digit`. A picture whose
    header declares more than 89,478,485 pixels (``tinynn.datasets.handwriting.MAX_PIXELS``,
    Pillow's own limit; a 20000x20000 "decompression bomb" declares 400,000,000)
    is refused before anything is decoded.

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
    IsADirectoryError
        If ``path`` is a folder.
    ValueError
        If the file is not an image Pillow can read, is truncated or corrupt, declares
        more than ``MAX_PIXELS`` pixels, or holds no digit.

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
    file = Path(path)
    if file.is_dir():
        raise IsADirectoryError(f"{file} is a folder, expected an image file")
    try:
        with warnings.catch_warnings():
            # the size is checked here, against MAX_PIXELS, before anything is decoded
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as opened:
                width, height = opened.size
                if width * height > MAX_PIXELS:
                    raise _TooLarge(str(_too_large(file, (width, height))))
                picture: Any = ImageOps.exif_transpose(opened)
                if "A" in picture.getbands() or "transparency" in picture.info:
                    rgba = picture.convert("RGBA")
                    paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                    picture = Image.alpha_composite(paper, rgba)
                gray: NDArray[Any] = np.asarray(picture.convert("L"))
    except (FileNotFoundError, PermissionError):
        raise
    except _TooLarge as exc:
        raise ValueError(str(exc)) from None
    except Image.DecompressionBombError as exc:  # past twice the limit: Pillow refused first
        raise _too_large(file, _declared_size(file)) from exc
    except UnidentifiedImageError as exc:
        raise ValueError(f"{file} is not an image file Pillow can read") from exc
    except _DECODE_ERRORS as exc:
        raise ValueError(
            f"{file} could not be decoded: it is truncated or corrupt ({type(exc).__name__}: "
            f"{exc})"
        ) from exc
    return preprocess_digit(gray, invert=invert)


class _TooLarge(ValueError):
    """A picture declaring more than MAX_PIXELS pixels (raised inside read_digit's try)."""
