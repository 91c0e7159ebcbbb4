"""Saving a trained model to one ``.npz`` file, and loading it back.

Book section
------------
4.5 (keeping the parameters the learning algorithm found)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from ..base import Model, Stateful
from ..models import Sequential
from ..utils.validation import check_finite
from .architecture import difference, rebuild, record
from .archive import flatten_state, read_archive, unflatten_state, write_archive

__all__ = ["load_model", "model_contents", "save_model"]

PARAMS = "params/"
STATE = "model_state"


def describe_model(model: Model) -> dict[str, Any]:
    """The JSON record of ``model`` in files (:func:`tinynn.saving.architecture.record`)."""
    return record(model)


def check_params(
    target: Mapping[str, NDArray[Any]], saved: Mapping[str, NDArray[Any]], source: str
) -> None:
    """Raise ``ValueError`` unless ``saved`` has ``target``'s names and shapes, as finite floats."""
    if set(target) != set(saved):
        missing, extra = sorted(set(target) - set(saved)), sorted(set(saved) - set(target))
        raise ValueError(
            f"{source} does not fit the model: the model has parameters {sorted(target)}, the "
            f"file {sorted(saved)} (missing from the file {missing}, not in the model {extra})"
        )
    for name, value in saved.items():
        if value.shape != target[name].shape:
            raise ValueError(
                f"{source} does not fit the model: {name} has shape {value.shape} in the file, "
                f"{target[name].shape} in the model"
            )
        if not np.issubdtype(value.dtype, np.floating):
            raise ValueError(f"{source}: {name} has dtype {value.dtype}, expected a float array")
        check_finite(value, f"{source}: {name}")


def assign_params(
    target: Mapping[str, NDArray[Any]], saved: Mapping[str, NDArray[Any]], source: str
) -> None:
    """Copy ``saved`` into the arrays of ``target`` in place, after :func:`check_params`.

    Nothing is changed unless every array fits.
    """
    check_params(target, saved, source)
    for name, value in saved.items():
        np.copyto(target[name], value)


def model_contents(model: Model) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a file keeps of ``model``: its metadata (the architecture record, the layers'
    state) and its arrays (the parameters under ``params/``, the state's arrays).

    The same for model files and checkpoints, so that :func:`load_model` reads both alike.
    """
    arrays: dict[str, Any] = {PARAMS + k: np.asarray(v) for k, v in model.params.items()}
    meta: dict[str, Any] = {"model": describe_model(model)}
    if isinstance(model, Stateful):  # the layers' state: running statistics, generators
        meta[STATE] = flatten_state(model.state_dict(), STATE, arrays)
    return meta, arrays


def save_model(model: Model, path: str | os.PathLike[str]) -> Path:
    """Write ``model``'s parameters, and how to rebuild it, to one ``.npz`` file.

    Parameters
    ----------
    model : Model
        Any model; :class:`~tinynn.TwoLayerNet`, :class:`~tinynn.SimpleNet`
        and a :class:`~tinynn.Sequential` of built-in layers can later be
        rebuilt from the file alone.
    path : str or path-like
        Where to write (conventionally ending in ``.npz``). The write is
        atomic: a temporary file is written, fsync-ed and renamed.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    TypeError
        If ``model`` has no ``params``.

    Notes
    -----
    The file holds one array per parameter (``params/W1``, ...), the state of the
    layers that have one (BatchNormalization's running statistics, Dropout's
    generator: ``model.state_dict()``), and a JSON record of the architecture (each
    layer's class, parameter shapes and options, see :func:`tinynn.saving.architecture.record`),
    with a format version; no pickle.

    Book section
    ------------
    4.5 (keeping the parameters the learning algorithm found)

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from tinynn import TwoLayerNet, load_model
    >>> net = TwoLayerNet(4, 3, 2, rng=0)
    >>> x = np.random.default_rng(1).random((5, 4))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_model(net, Path(d, "net.npz"))
    ...     again = load_model(path)
    >>> type(again).__name__, bool(np.array_equal(again.predict(x), net.predict(x)))
    ('TwoLayerNet', True)
    """
    if not isinstance(model, Model):
        raise TypeError(f"model is a {type(model).__name__}, which lacks the Model methods")
    meta, arrays = model_contents(model)
    return write_archive(path, {"kind": "model", **meta}, arrays)


@overload
def load_model(path: str | os.PathLike[str]) -> Sequential: ...
@overload
def load_model(path: str | os.PathLike[str], model: Model) -> Model: ...
def load_model(path: str | os.PathLike[str], model: Model | None = None) -> Model:
    """Load a model saved by :func:`save_model` (or the model inside a checkpoint).

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`save_model` or by :class:`~tinynn.Checkpoint`.
    model : Model, optional
        A model to load the parameters into (in place). Needed for models
        with layers of your own; its parameter names and shapes must match. Its
        dtype is kept: a float64 file loaded into a float32 model is rounded.

    Returns
    -------
    Sequential or Model
        Without ``model``, a new :class:`~tinynn.TwoLayerNet`,
        :class:`~tinynn.SimpleNet` or :class:`~tinynn.Sequential` of the saved dtype (a
        float32 model comes back float32; a file written before tinynn recorded dtypes,
        float64); otherwise ``model`` itself.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a tinynn model, is corrupt or truncated, comes from
        a newer format version, cannot be rebuilt (user layers: pass
        ``model=``), or its parameters do not fit ``model``. Nothing is
        changed in ``model`` then.

    Book section
    ------------
    4.5 (keeping the parameters the learning algorithm found)

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from tinynn import TwoLayerNet
    >>> with tempfile.TemporaryDirectory() as d:
    ...     path = save_model(TwoLayerNet(4, 3, 2, rng=0), Path(d, "net.npz"))
    ...     mine = load_model(path, model=TwoLayerNet(4, 3, 2, rng=5))
    ...     load_model(path, model=TwoLayerNet(4, 6, 2, rng=5))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ... does not fit the model: layers[0] (Affine): W has shape (4, 3) in the file, ...
    """
    file = Path(path)
    if model is not None and not isinstance(model, Model):
        raise TypeError(f"model is a {type(model).__name__}, which lacks the Model methods")
    meta, arrays = read_archive(file, ("model", "checkpoint"))
    if meta.get("format_version", 0) < 2:
        raise ValueError(
            f"{file} was written by an earlier tinynn (format version "
            f"{meta.get('format_version')}), which recorded no architecture: save it again "
            "with this tinynn, or train again"
        )
    params = {name[len(PARAMS) :]: a for name, a in arrays.items() if name.startswith(PARAMS)}
    saved = meta.get("model")
    if not isinstance(saved, dict):
        raise ValueError(f"{file} has no model record")
    state = unflatten_state(meta[STATE], arrays) if STATE in meta else None
    if model is None:
        target: Model = rebuild(saved, str(file))
    else:
        target = model
        why = difference(saved, describe_model(model))
        if why is not None:
            raise ValueError(f"{file} does not fit the model: {why}")
    if state is not None and not isinstance(target, Stateful):
        raise ValueError(
            f"{file} holds the state of layers ({', '.join(sorted(state))}), but the model "
            "has no load_state_dict to take it"
        )
    check_params(target.params, params, str(file))  # everything checked: now change
    before = {k: v.copy() for k, v in target.params.items()}
    try:
        assign_params(target.params, params, str(file))
        if state is not None and isinstance(target, Stateful):
            target.load_state_dict(state)
    except BaseException as exc:
        assign_params(target.params, before, str(file))  # a state that did not fit
        if isinstance(exc, ValueError):
            raise ValueError(f"{file}: {exc}") from exc
        raise
    return target
