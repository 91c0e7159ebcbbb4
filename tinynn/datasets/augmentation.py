"""Data augmentation: small random shifts and rotations of the training images.

Section 8.1.3 of the book: a deeper network learns more from the same 60,000 images when
they are moved a little each time it sees them, by a few pixels or a few degrees, which
changes the pixels and not the digit. :func:`shift_rotate` moves a batch of images by
given amounts (bilinear sampling at the inverse-mapped coordinates, NumPy only, the
whole batch at once); :class:`Augmentation` draws the amounts for each mini-batch from a
seeded generator, whose state a checkpoint keeps (it is :class:`~tinynn.Stateful`), so
that a resumed run draws what the uninterrupted run draws. The trainer applies it to
each training mini-batch (``Trainer(..., augment=Augmentation(shift=2, rotate=10))``);
the test images are never changed.

Book section
------------
8.1.3 (data augmentation: shifts and rotations of the training images)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..utils.generators import check_generator_state, generator_state
from ..utils.validation import as_generator

__all__ = ["Augmentation", "shift_rotate"]

#: Coordinates this close to a whole number are taken as whole, so that a whole shift, or a
#: rotation by a multiple of 90 degrees, moves the pixels exactly (cos 90 is 6e-17 in floats).
SNAP = 1e-9


def _images(x: object, what: str) -> NDArray[Any]:
    """``x`` as a batch of float images ``(N, H, W)`` or ``(N, C, H, W)``, else an error."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{what} must be a NumPy array of images, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{what} must hold floating-point pixels, got dtype {x.dtype}")
    if x.ndim not in (3, 4) or x.size == 0:
        raise ValueError(
            f"{what} must be a non-empty batch of images of shape (N, H, W) or (N, C, H, W), "
            f"got shape {x.shape} (flat rows of pixels: reshape them to images first)"
        )
    return x


def _per_image(values: ArrayLike, n: int, what: str) -> NDArray[np.float64]:
    array = np.broadcast_to(np.asarray(values, dtype=np.float64), (n,)) if np.ndim(values) == 0 \
        else np.asarray(values, dtype=np.float64)  # fmt: skip
    if array.shape != (n,) or not np.all(np.isfinite(array)):
        raise ValueError(f"{what} must be one finite number or one per image ({n}), got {values!r}")
    return array


def shift_rotate(
    images: NDArray[Any], dy: ArrayLike, dx: ArrayLike, degrees: ArrayLike = 0.0
) -> NDArray[Any]:
    """Each image rotated by ``degrees`` about its centre, then moved down ``dy`` and right ``dx``.

    Parameters
    ----------
    images : ndarray, shape (N, H, W) or (N, C, H, W)
        Floating-point pixels; the result has their shape and dtype.
    dy, dx : float or array of N
        The shift in pixels (down and right), one for all images or one per image.
    degrees : float or array of N
        Counter-clockwise as the image is shown (rows downwards): 90 turns a square image
        as ``np.rot90`` does.

    Returns
    -------
    ndarray
        A new array: each output pixel is the input sampled (bilinearly) where the inverse
        of the move takes it; pixels that come from outside the image are 0, MNIST's
        background. Whole shifts and quarter turns move the pixels exactly.

    Raises
    ------
    TypeError, ValueError
        For images that are not a float array of 3 or 4 dimensions, or amounts that are
        not finite or not one per image.

    Book section
    ------------
    8.1.3 (data augmentation: shifting and rotating the input images)

    Examples
    --------
    >>> x = np.arange(9.0).reshape(1, 3, 3)
    >>> shift_rotate(x, 1, 0)[0]
    array([[0., 0., 0.],
           [0., 1., 2.],
           [3., 4., 5.]])
    >>> bool(np.array_equal(shift_rotate(x, 0, 0, 90)[0], np.rot90(x[0])))
    True
    """
    x = _images(images, "images")
    n, (h, w) = len(x), x.shape[-2:]
    dy_, dx_, angle = (_per_image(v, n, name) for v, name in ((dy, "dy"), (dx, "dx"),
                                                               (degrees, "degrees")))  # fmt: skip
    theta = np.deg2rad(angle)[:, None, None]
    cos, sin = np.cos(theta), np.sin(theta)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)
    y = rows[None] - dy_[:, None, None] - cy  # undo the shift, about the centre
    xc = cols[None] - dx_[:, None, None] - cx
    src_y = sin * xc + cos * y + cy  # undo the rotation
    src_x = cos * xc - sin * y + cx
    src_y, src_x = (np.where(np.abs(s - np.round(s)) < SNAP, np.round(s), s)
                    for s in (src_y, src_x))  # fmt: skip
    y0, x0 = np.floor(src_y), np.floor(src_x)
    fy, fx = src_y - y0, src_x - x0
    flat = x.reshape(n, -1, h * w)
    out = np.zeros((n, flat.shape[1], h * w), dtype=np.float64)
    for oy, ox, weight in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                           (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):  # fmt: skip
        yy, xx = y0 + oy, x0 + ox
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w) & (weight > 0)
        index = (np.clip(yy, 0, h - 1) * w + np.clip(xx, 0, w - 1)).astype(np.intp)
        index = index.reshape(n, 1, h * w)
        gathered = np.take_along_axis(flat, np.broadcast_to(index, flat.shape), axis=2)
        out += np.where(inside.reshape(n, 1, h * w), weight.reshape(n, 1, h * w), 0.0) * gathered
    return out.reshape(x.shape).astype(x.dtype, copy=False)


class Augmentation:
    """Random shifts and rotations of each training mini-batch, from a seeded generator.

    For each image of a batch, a shift of ``-shift`` to ``shift`` whole pixels down and
    right (each of the ``2 * shift + 1`` equally likely) and a rotation of an angle drawn
    uniformly in ``[-rotate, rotate]`` degrees, applied by :func:`shift_rotate`.

    Parameters
    ----------
    shift : int, default 2
        The largest shift in pixels, in each direction (0: none).
    rotate : float, default 10.0
        The largest rotation in degrees, either way, at most 180 (0: none).
    rng : numpy.random.Generator or int, optional
        Where the amounts come from. Its state is this part's state
        (:meth:`state_dict`), kept in a checkpoint: a resumed run draws the same amounts.

    Raises
    ------
    TypeError, ValueError
        For a shift that is not a whole number >= 0, a rotation that is not a finite
        number in [0, 180], or (when called) images it cannot move (see
        :func:`shift_rotate`) or shifts as large as the image.

    Book section
    ------------
    8.1.3 (data augmentation)

    Examples
    --------
    >>> augment = Augmentation(shift=2, rotate=10, rng=0)
    >>> batch = np.zeros((5, 1, 28, 28))
    >>> augment(batch).shape
    (5, 1, 28, 28)
    >>> Augmentation(shift=-1)
    Traceback (most recent call last):
    ...
    ValueError: shift must be a whole number of pixels >= 0, got -1
    """

    def __init__(
        self, shift: int = 2, rotate: float = 10.0, *, rng: np.random.Generator | int | None = None
    ) -> None:
        if isinstance(shift, bool) or not isinstance(shift, (int, np.integer)) or shift < 0:
            raise ValueError(f"shift must be a whole number of pixels >= 0, got {shift!r}")
        if isinstance(rotate, bool) or not isinstance(rotate, (int, float, np.integer,
                                                               np.floating)):  # fmt: skip
            raise TypeError(f"rotate must be a number of degrees, got {type(rotate).__name__}")
        if not (math.isfinite(rotate) and 0 <= rotate <= 180):
            raise ValueError(f"rotate must be a number of degrees in [0, 180], got {rotate!r}")
        self.shift, self.rotate = int(shift), float(rotate)
        self.rng = as_generator(rng)

    def __repr__(self) -> str:
        return f"Augmentation(shift={self.shift}, rotate={self.rotate:g})"

    def __call__(self, x: NDArray[Any]) -> NDArray[Any]:
        """The images ``x`` (``(N, H, W)`` or ``(N, C, H, W)``), each moved by random amounts.

        The amounts are drawn (shifts, then angles) only once ``x`` has been checked: a
        call that fails leaves the generator as it was.
        """
        images = _images(x, "the images to augment")
        side = min(images.shape[-2:])
        if self.shift >= side:
            raise ValueError(
                f"Augmentation(shift={self.shift}) would move {side}-pixel images out of view: "
                f"give a shift below {side}"
            )
        n = len(images)
        shifts = self.rng.integers(-self.shift, self.shift + 1, size=(2, n))
        angles = self.rng.uniform(-self.rotate, self.rotate, size=n)
        return shift_rotate(images, shifts[0], shifts[1], angles)

    def state_dict(self) -> dict[str, Any]:
        """The generator's state (plain data), as a checkpoint keeps it."""
        return {"rng": generator_state(self.rng)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`; checked first, so a bad state changes nothing."""
        if not isinstance(state, Mapping) or set(state) != {"rng"}:
            raise ValueError(f"an Augmentation's state is {{'rng': ...}}, got {state!r}")
        check_generator_state(self.rng, state["rng"], "Augmentation")
        self.rng.bit_generator.state = dict(state["rng"])
