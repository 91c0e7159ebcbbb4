"""What defines an IDX data set: its four files, their checksums, its folder and its mirrors.

MNIST and Fashion-MNIST are two instances of :class:`DatasetSpec`; a spec built by hand
(for instance over small generated files, as the tests do) loads the same way through
:func:`tinynn.datasets.load_idx_dataset`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .download import check_url

__all__ = ["FASHION_MNIST", "MNIST", "DatasetSpec", "IDXFile"]

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class IDXFile:
    """One IDX file of a data set: its name without ``.gz`` and the SHA-256 of its content.

    Parameters
    ----------
    name : str
        File name without the ``.gz`` suffix, e.g. ``"train-images-idx3-ubyte"``; on disk it
        may be ``name`` (uncompressed) or ``name + ".gz"``; mirrors serve ``name + ".gz"``.
    sha256 : str
        SHA-256 (64 lowercase hex digits) of the decompressed IDX content.

    Book section
    ------------
    3.6.1 (MNIST dataset; ``key_file`` in the book's ``dataset/mnist.py``)

    Examples
    --------
    >>> IDXFile("t10k-labels-idx1-ubyte", "ab" * 32).name
    't10k-labels-idx1-ubyte'
    """

    name: str
    sha256: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or "/" in self.name:
            raise ValueError(f"IDXFile name must be a plain file name, got {self.name!r}")
        if not isinstance(self.sha256, str) or not _HEX64.fullmatch(self.sha256):
            raise ValueError(
                f"IDXFile sha256 for {self.name} must be 64 lowercase hex digits, "
                f"got {self.sha256!r}"
            )


@dataclass(frozen=True)
class DatasetSpec:
    """An IDX data set with a training and a test split, as MNIST is laid out.

    Parameters
    ----------
    name : str
        Human-readable name used in messages, e.g. ``"MNIST"``.
    folder : str
        Sub-folder name under ``TINYNN_DATA``, ``root`` and the user cache, e.g. ``"mnist"``.
    train_images, train_labels, test_images, test_labels : IDXFile
        The four files (images with 3 dimensions, labels with 1).
    mirrors : tuple of str
        Base URLs (ending in ``/``) tried in order; a file's URL is ``mirror + name + ".gz"``.
    system_dirs : tuple of str
        Extra read-only folders searched after the user cache (e.g. a Debian package's).
    num_classes : int
        Number of label values, the width of one-hot labels.

    Book section
    ------------
    3.6.1 (MNIST dataset; the book's ``url_base`` and ``key_file``)

    Examples
    --------
    >>> MNIST.folder, MNIST.train_images.name, MNIST.num_classes
    ('mnist', 'train-images-idx3-ubyte', 10)
    >>> [f.name for f in FASHION_MNIST.files][-1]
    't10k-labels-idx1-ubyte'
    """

    name: str
    folder: str
    train_images: IDXFile
    train_labels: IDXFile
    test_images: IDXFile
    test_labels: IDXFile
    mirrors: tuple[str, ...] = ()
    system_dirs: tuple[str, ...] = ()
    num_classes: int = 10

    def __post_init__(self) -> None:
        if not self.folder or "/" in self.folder or self.folder in (".", ".."):
            raise ValueError(f"DatasetSpec folder must be a plain folder name, got {self.folder!r}")
        for url in self.mirrors:
            check_url(url)
        if (
            isinstance(self.num_classes, bool)
            or not isinstance(self.num_classes, int)
            or not 1 <= self.num_classes <= 256
        ):
            raise ValueError(f"num_classes must be an int in [1, 256], got {self.num_classes!r}")

    @property
    def files(self) -> tuple[IDXFile, IDXFile, IDXFile, IDXFile]:
        """The four files in the order train images, train labels, test images, test labels."""
        return (self.train_images, self.train_labels, self.test_images, self.test_labels)


#: MNIST (Yann LeCun, Corinna Cortes, Christopher J.C. Burges; CC BY-SA 3.0).
MNIST = DatasetSpec(
    name="MNIST",
    folder="mnist",
    train_images=IDXFile(
        "train-images-idx3-ubyte",
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    ),
    train_labels=IDXFile(
        "train-labels-idx1-ubyte",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    ),
    test_images=IDXFile(
        "t10k-images-idx3-ubyte",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    ),
    test_labels=IDXFile(
        "t10k-labels-idx1-ubyte",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ),
    mirrors=(
        # The mirror the book's repository (oreilly-japan/deep-learning-from-scratch) uses.
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        # TensorFlow's copy of the same four files.
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
)

#: Fashion-MNIST (Zalando Research; MIT licence). Same format and file names as MNIST.
FASHION_MNIST = DatasetSpec(
    name="Fashion-MNIST",
    folder="fashion-mnist",
    train_images=IDXFile(
        "train-images-idx3-ubyte",
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    train_labels=IDXFile(
        "train-labels-idx1-ubyte",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    test_images=IDXFile(
        "t10k-images-idx3-ubyte",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    test_labels=IDXFile(
        "t10k-labels-idx1-ubyte",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
    mirrors=(
        # Zalando's repository, over HTTPS.
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        # The copy Keras downloads.
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        # Zalando's S3 website (HTTP only; content is verified by SHA-256 all the same).
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
)
