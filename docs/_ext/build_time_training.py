"""The short training run whose figures the documentation shows.

The pages call :func:`short_run` from matplotlib's plot directive; it runs the
example ``examples/train_neuralnet.py`` once per documentation build (the result
is cached for the other pages) and returns what the run recorded.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from types import SimpleNamespace

import numpy as np

#: The command-line options of the build-time run (the book's run is 10000 iterations
#: on all 60000 training images; this one takes a few seconds).
OPTIONS = ["--iters", "2000", "--train-size", "10000", "--seed", "0"]

#: Where the gallery's run of ``train_neuralnet.py`` (the same :data:`OPTIONS`, see
#: ``gallery_helpers.py``) saves its history, so that the build trains once, not twice.
SHARED_HISTORY = Path(tempfile.mkdtemp(prefix="tinynn-docs-")) / "history.npz"


@functools.cache
def short_run() -> SimpleNamespace:
    """Run ``examples/train_neuralnet.py`` with :data:`OPTIONS`; return its history.

    The gallery runs the same command first (sphinx-gallery works before the pages
    are read) and leaves its history in :data:`SHARED_HISTORY`; it is reused.

    The result has the book's lists ``train_loss_list``, ``train_acc_list`` and
    ``test_acc_list``, which is what :func:`tinynn.plot.loss_curve_figure` and
    :func:`tinynn.plot.accuracy_figure` draw.
    """
    if SHARED_HISTORY.is_file():
        with np.load(SHARED_HISTORY, allow_pickle=False) as data:
            return SimpleNamespace(**{key: data[key].tolist() for key in data.files})
    import train_neuralnet  # examples/train_neuralnet.py (conf.py puts examples/ on the path)

    with tempfile.TemporaryDirectory() as tmp:
        saved = Path(tmp) / "history.npz"
        status = train_neuralnet.main([*OPTIONS, "--no-plot", "--save-history", str(saved)])
        if status != 0:
            raise RuntimeError(
                "the documentation's training run could not load MNIST: set TINYNN_DATA to a "
                "folder holding mnist/ with the four IDX files, or allow the download"
            )
        with np.load(saved, allow_pickle=False) as data:
            return SimpleNamespace(**{key: data[key].tolist() for key in data.files})
