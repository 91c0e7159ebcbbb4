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

from ._npz import read_archive, write_archive
from ._validation import check_finite
from .base import Layer, Model
from .layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from .models import Sequential, SimpleNet, TwoLayerNet

__all__ = ["load_model", "save_model"]

PARAMS = "params/"
_ACTIVATIONS: dict[str, type[Sigmoid] | type[Relu]] = {"Sigmoid": Sigmoid, "Relu": Relu}


def _describe_layer(layer: Layer) -> dict[str, Any] | None:
    if type(layer) is Affine:
        return {"type": "Affine", "bias": "b" in layer.params}
    if type(layer) in (Sigmoid, Relu):
        return {"type": type(layer).__name__}
    return None


def describe_model(model: Model) -> dict[str, Any]:
    """The JSON description of ``model``: its class and, if built-in, how to rebuild it."""
    description: dict[str, Any] = {"class": type(model).__name__, "rebuild": None}
    if not isinstance(model, Sequential) or type(model) not in (Sequential, SimpleNet, TwoLayerNet):
        return description
    layers = [_describe_layer(layer) for layer in model.layers]
    loss = model.loss_layer
    if any(d is None for d in layers) or type(loss) is not SoftmaxWithLoss:
        return description
    description["rebuild"] = {
        "layers": layers,
        "loss": {"type": "SoftmaxWithLoss", "delta": loss.delta},
    }
    return description


def _rebuild(
    description: Mapping[str, Any], params: Mapping[str, NDArray[Any]], file: Path
) -> Sequential:
    """A model of the saved architecture, with zero parameters of the saved shapes."""
    recipe = description.get("rebuild")
    if not isinstance(recipe, dict):
        raise ValueError(
            f"{file} holds a {description.get('class')!r} model with layers of your own, which "
            "cannot be rebuilt from the file: build the model and call load_model(path, model=net)"
        )
    try:
        delta = float(recipe["loss"]["delta"])
        layers: list[Layer] = []
        index = 0
        for spec in recipe["layers"]:
            if spec["type"] == "Affine":
                index += 1
                name = "W" if description["class"] == "SimpleNet" else f"W{index}"
                n_in, n_out = params[name].shape
                layers.append(
                    Affine(np.zeros((n_in, n_out)), np.zeros(n_out) if spec["bias"] else None)
                )
            else:
                layers.append(_ACTIVATIONS[spec["type"]]())
        loss = SoftmaxWithLoss(delta)
        if description["class"] == "SimpleNet":
            return SimpleNet(layers[0].params["W"], delta=delta)
        if description["class"] == "TwoLayerNet":
            n_in, hidden = params["W1"].shape
            net = TwoLayerNet(n_in, hidden, params["W2"].shape[1], rng=0)
            net.loss_layer = loss
            return net
        return Sequential(layers, loss)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{file} has a model description that cannot be rebuilt: {exc!r}") from exc


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
    The file holds one array per parameter (``params/W1``, ...) and a JSON
    description as a ``uint8`` array, with a format version; no pickle.

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
    arrays = {PARAMS + name: np.asarray(value) for name, value in model.params.items()}
    meta = {"kind": "model", "model": describe_model(model)}
    return write_archive(path, meta, arrays)


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
        with layers of your own; its parameter names and shapes must match.

    Returns
    -------
    Sequential or Model
        Without ``model``, a new :class:`~tinynn.TwoLayerNet`,
        :class:`~tinynn.SimpleNet` or :class:`~tinynn.Sequential`; otherwise
        ``model`` itself.

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
    ValueError: ... does not fit the model: W1 has shape (4, 3) in the file, (4, 6) in the model
    """
    file = Path(path)
    if model is not None and not isinstance(model, Model):
        raise TypeError(f"model is a {type(model).__name__}, which lacks the Model methods")
    meta, arrays = read_archive(file, ("model", "checkpoint"))
    params = {name[len(PARAMS) :]: a for name, a in arrays.items() if name.startswith(PARAMS)}
    description = meta.get("model")
    if not isinstance(description, dict):
        raise ValueError(f"{file} has no model description")
    target = _rebuild(description, params, file) if model is None else model
    assign_params(target.params, params, str(file))
    return target
