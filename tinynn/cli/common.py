"""What the subcommands share: the error type, option types, data, runs and figures."""

from __future__ import annotations

import argparse
import io
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ..utils.atomic import write_bytes_atomic
from .values import positive_float as positive_float
from .values import whole_number

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..models import Sequential

#: The file names inside a run folder.
MODEL, HISTORY, OPTIONS, TRAINING_FIGURE, RESULTS, CHECKPOINT = (
    "model.npz",
    "history.csv",
    "options.json",
    "training.png",
    "results.json",
    "checkpoint.npz",
)


class CliError(Exception):
    """An expected failure, told to the user in one line (exit status 1, no traceback)."""


#: The argparse types of the subcommands' options (shared with the book's run).
positive_int, nonnegative_int = whole_number(1), whole_number(0)


def add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data-dir",
        metavar="DIR",
        default=None,
        help="folder holding mnist/ or the four MNIST files (default: $TINYNN_DATA, the "
        "user cache, else download)",
    )
    p.add_argument("--no-download", action="store_true", help="never download MNIST")


def load_data(args: argparse.Namespace, *, one_hot: bool = True) -> tuple[Any, Any]:
    """MNIST as ``load_mnist(normalize=True)`` gives it, or a :class:`CliError` that says why."""
    from ..datasets import DatasetNotFoundError, load_mnist

    try:
        return load_mnist(
            normalize=True,
            flatten=True,
            one_hot_label=one_hot,
            root=args.data_dir,
            download=not args.no_download,
        )
    except DatasetNotFoundError as exc:  # what to do, in the command line's terms
        raise CliError(exc.describe("command line")) from exc
    except (OSError, ValueError) as exc:  # DownloadError, ChecksumError
        raise CliError(
            f"could not load MNIST: {exc}\n(set --data-dir or TINYNN_DATA to a folder holding "
            "mnist/ with the four IDX files)"
        ) from exc


def run_model_path(run: str) -> Path:
    """The model file of ``RUN``: a run folder (``RUN/model.npz``) or a ``.npz`` file."""
    path = Path(run)
    if path.is_dir():
        path = path / MODEL
        if not path.is_file():
            raise CliError(f"{run} has no {MODEL}: is it a run folder of tinynn train?")
    elif not path.is_file():
        raise CliError(f"no run folder or model file {run!r}")
    return path


def load_run_model(run: str) -> tuple[Sequential, Path]:
    """The model saved in ``RUN``, and the folder where its outputs go."""
    from ..saving.model_file import load_model

    path = run_model_path(run)
    try:
        model = load_model(path)
    except (OSError, ValueError, KeyError) as exc:
        raise CliError(f"could not load the model in {path}: {exc}") from exc
    return model, path.parent


def model_input(model: Sequential, x: NDArray[Any]) -> NDArray[Any]:
    """MNIST images (flat, ``(N, 784)``) in the shape ``model`` takes: ``(N, 1, 28, 28)`` for a
    convolutional network (its ``input_shape``), ``(N, 784)`` for the others."""
    shape, features = model.input_shape, int(np.prod(x.shape[1:]))
    if shape is not None:
        if int(np.prod(shape)) != features:
            dims = "x".join(map(str, shape))
            raise CliError(f"the model takes images of shape {dims}, not MNIST's 1x28x28")
        return x.reshape(len(x), *shape)
    if model.input_size not in (None, features):
        raise CliError(
            f"the model expects {model.input_size} inputs, not MNIST's {features} (28x28 images)"
        )
    return x.reshape(len(x), -1)


def probabilities(model: Sequential, x: NDArray[Any]) -> NDArray[np.float64]:
    """The model's class probabilities for a batch (its ``predict`` ends in softmax)."""
    return np.asarray(model.predict(x), dtype=np.float64)


def write_json(path: Path, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, sort_keys=False) + "\n"
    write_bytes_atomic(path, text.encode("utf-8"))


def new_figure(size: tuple[float, float]) -> Figure | None:
    """A matplotlib ``Figure``, or ``None`` (and a note) when the plot extra is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        print('figures skipped: they need matplotlib: pip install "tinynn[plot]"', flush=True)
        return None
    return Figure(figsize=size, layout="constrained")


def save_figure(fig: Figure, path: Path, *, dpi: int = 100) -> None:
    """Write ``fig`` as a PNG atomically."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    write_bytes_atomic(path, buffer.getvalue())


def display(path: Path) -> str:
    """``path`` relative to the current folder when inside it (shorter to read and copy)."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if relative.startswith("..") else relative
