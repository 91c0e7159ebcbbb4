"""From four IDX contents to the book's ``(x_train, t_train), (x_test, t_test)``.

Parsing checks each file's format and that images and labels agree; shaping applies the
book's ``normalize``, ``flatten`` and ``one_hot_label`` options.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from .idx import IDXFormatError, parse_idx
from .npz_cache import Arrays
from .spec import DatasetSpec

__all__ = ["parse_splits", "shape_split"]


def parse_splits(spec: DatasetSpec, contents: list[bytes]) -> Arrays:
    """Parse the four IDX contents of ``spec`` and check that they form consistent splits.

    Raises
    ------
    IDXFormatError
        If a file is malformed or has the wrong number of dimensions (naming it), if a split
        has more images than labels or the reverse (naming both files), or if a label is not
        below ``spec.num_classes``.

    Book section
    ------------
    3.6.1 (MNIST dataset; ``_convert_numpy`` in the book's ``dataset/mnist.py``)
    """
    arrays = [
        parse_idx(c, ndim=3 if i % 2 == 0 else 1, source=f.name)
        for i, (f, c) in enumerate(zip(spec.files, contents, strict=True))
    ]
    for x, t, fx, ft in (
        (arrays[0], arrays[1], spec.train_images, spec.train_labels),
        (arrays[2], arrays[3], spec.test_images, spec.test_labels),
    ):
        if len(x) != len(t):
            raise IDXFormatError(
                f"{spec.name}: {fx.name} holds {len(x)} images but {ft.name} "
                f"holds {len(t)} labels; the counts must match"
            )
        if t.size and int(t.max()) >= spec.num_classes:
            raise IDXFormatError(
                f"{spec.name}: {ft.name} has label {int(t.max())}, expected "
                f"labels in [0, {spec.num_classes - 1}]"
            )
    return arrays[0], arrays[1], arrays[2], arrays[3]


def shape_split(
    x: NDArray[np.uint8],
    t: NDArray[np.uint8],
    normalize: bool,
    flatten: bool,
    one_hot_label: bool,
    num_classes: int,
) -> tuple[NDArray[Any], NDArray[Any]]:
    """Apply the book's options to one split of uint8 images ``x`` and labels ``t``.

    ``normalize``: ``x / 255`` as float32; ``flatten``: shape (N, H*W), else (N, 1, H, W);
    ``one_hot_label``: float64 rows of ``num_classes`` with a single 1, else ``t`` unchanged.

    Book section
    ------------
    3.6.1 (MNIST dataset; the option handling of ``load_mnist`` in ``dataset/mnist.py``)

    Examples
    --------
    >>> import numpy as np
    >>> x, t = shape_split(np.full((1, 2, 2), 255, np.uint8), np.array([2], np.uint8),
    ...                    normalize=True, flatten=False, one_hot_label=True, num_classes=3)
    >>> x.tolist(), x.dtype, t.tolist()
    ([[[[1.0, 1.0], [1.0, 1.0]]]], dtype('float32'), [[0.0, 0.0, 1.0]])
    """
    xs: NDArray[Any] = x.astype(np.float32) / np.float32(255.0) if normalize else x
    xs = xs.reshape(len(x), -1) if flatten else xs.reshape(len(x), 1, *x.shape[1:])
    ts: NDArray[Any] = t
    if one_hot_label:
        ts = np.zeros((t.size, num_classes))
        ts[np.arange(t.size), t] = 1.0
    return xs, ts
