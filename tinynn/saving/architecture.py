"""What a model is made of, as JSON: recorded in model files, compared, and rebuilt.

A saved model records its layers in order: each layer's class, its parameters'
shapes and, for a built-in layer, its options (``Dropout``'s ratio, ``Affine``'s
bias, ...); then its loss layer, and for the book's networks the arguments they
were built with. Loading into a model compares the two records and refuses, naming
the first difference, a model of another architecture; loading without a model
rebuilds it from the record: a book network from its arguments, its layers then given
their recorded options (a Dropout's ratio changed after construction comes back as
saved), and a plain :class:`~tinynn.Sequential` of the recorded layers when the
arguments do not give them. The record keeps the model's dtype (``"dtype": "float32"``):
a float32 model comes back float32; a file written before dtypes were recorded holds a
float64 model. What this module needs to know about each built-in
layer lives here, in a table keyed by the layer's exact class (:data:`FORMATS`),
not in the layers, as the estimators keep their own rules.

Book section
------------
4.5 (keeping the parameters the learning algorithm found), 6.3-6.4 (layers with options)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..base import Layer, LossLayer
from ..layers import Affine, Convolution, Pooling, Relu, Sigmoid, SoftmaxWithLoss
from ..layers.batch_normalization import BatchNormalization
from ..layers.dropout import Dropout
from ..models import (
    DeepConvNet,
    MultiLayerNet,
    MultiLayerNetExtend,
    Sequential,
    SimpleConvNet,
    SimpleNet,
    TwoLayerNet,
)
from .registry import layer_options, registered_class, registered_name

__all__ = [
    "FORMATS",
    "LayerFormat",
    "difference",
    "dtype_difference",
    "rebuild",
    "record",
    "saved_dtype",
]

Shapes = Mapping[str, tuple[int, ...]]


@dataclass(frozen=True)
class LayerFormat:
    """How a built-in layer is recorded and rebuilt.

    Attributes
    ----------
    options : callable
        ``options(layer) -> dict``: the layer's hyperparameters, as JSON values.
    build : callable
        ``build(options, shapes, dtype) -> layer``: a layer with those options and
        parameters of those shapes and that dtype (their values are loaded afterwards).

    Book section
    ------------
    4.5 (saving a network)
    """

    options: Callable[[Any], dict[str, Any]]
    build: Callable[[Mapping[str, Any], Shapes, np.dtype[Any]], Any]


def _no_options(layer: object) -> dict[str, Any]:
    return {}


#: The built-in layers by exact class (a subclass records as a layer of its own).
FORMATS: dict[type, LayerFormat] = {
    Affine: LayerFormat(
        lambda layer: {"bias": "b" in layer.params},
        lambda o, s, d: Affine(
            np.zeros(s["W"]), np.zeros(s["b"]) if o["bias"] else None, dtype=d
        ),
    ),
    Sigmoid: LayerFormat(_no_options, lambda o, s, d: Sigmoid()),
    Relu: LayerFormat(_no_options, lambda o, s, d: Relu()),
    Dropout: LayerFormat(
        lambda layer: {"dropout_ratio": layer.dropout_ratio},
        lambda o, s, d: Dropout(float(o["dropout_ratio"])),
    ),
    BatchNormalization: LayerFormat(
        lambda layer: {"momentum": layer.momentum},
        lambda o, s, d: BatchNormalization(
            np.ones(s["gamma"]), np.zeros(s["beta"]), float(o["momentum"]), dtype=d
        ),
    ),
    Convolution: LayerFormat(
        lambda layer: {"stride": layer.stride, "pad": layer.pad},
        lambda o, s, d: Convolution(
            np.zeros(s["W"]), np.zeros(s["b"]), o["stride"], o["pad"], dtype=d
        ),
    ),
    Pooling: LayerFormat(
        lambda layer: {key: getattr(layer, key) for key in ("pool_h", "pool_w", "stride", "pad")},
        lambda o, s, d: Pooling(o["pool_h"], o["pool_w"], o["stride"], o["pad"]),
    ),
    SoftmaxWithLoss: LayerFormat(
        lambda layer: {"delta": layer.delta}, lambda o, s, d: SoftmaxWithLoss(float(o["delta"]))
    ),
}

#: The book's networks: the constructor arguments that rebuild each (with ``rng=0``).
ARGUMENTS: dict[type, tuple[str, ...]] = {
    TwoLayerNet: ("input_size", "hidden_size", "output_size"),
    SimpleConvNet: ("input_dim", "conv_param", "hidden_size", "output_size"),
    DeepConvNet: ("input_dim", "conv_param_1", "conv_param_2", "conv_param_3", "conv_param_4",
                  "conv_param_5", "conv_param_6", "hidden_size", "output_size", "dropout_ratio"),
    MultiLayerNet: ("input_size", "hidden_size_list", "output_size", "activation",
                    "weight_decay_lambda"),
    MultiLayerNetExtend: ("input_size", "hidden_size_list", "output_size", "activation",
                          "weight_decay_lambda", "use_dropout", "dropout_ratio", "use_batchnorm"),
}


def _layer(layer: object) -> dict[str, Any]:
    params = getattr(layer, "params", {}) or {}
    fmt = FORMATS.get(type(layer))
    out: dict[str, Any] = {
        "class": type(layer).__name__,
        "params": {key: list(np.shape(value)) for key, value in params.items()},
        "options": None if fmt is None else fmt.options(layer),
    }
    name = None if fmt is not None else registered_name(type(layer))
    if name is not None:  # a layer of your own, registered: rebuilt as cls(**options)
        out["registered"], out["options"] = name, layer_options(layer)
    return out


def record(model: object) -> dict[str, Any]:
    """The JSON record of ``model``: its class and, for a stack of layers, the layers.

    A model that is not a stack of layers (no ``layers`` and ``loss_layer``) records
    its class only; its parameters are still checked by name and shape on loading.
    """
    out: dict[str, Any] = {"class": type(model).__name__, "layers": None}
    dtype = getattr(model, "dtype", None)
    if dtype is not None:  # a model of your own without one records none
        out["dtype"] = np.dtype(dtype).name
    layers, loss = getattr(model, "layers", None), getattr(model, "loss_layer", None)
    if layers is None or loss is None:
        return out
    out["layers"] = [_layer(layer) for layer in layers]
    out["loss"] = _layer(loss)
    out["weight_decay_lambda"] = float(getattr(model, "weight_decay_lambda", 0.0))
    names = ARGUMENTS.get(type(model))
    if names is not None:
        out["arguments"] = {name: getattr(model, name) for name in names}
    return out


def saved_dtype(saved: Mapping[str, Any]) -> np.dtype[Any]:
    """The dtype of a recorded model: float64 for a file written before dtypes were recorded;
    ``ValueError`` for one that is not float32 or float64."""
    name = saved.get("dtype", "float64")
    if name not in ("float32", "float64"):
        raise ValueError(f"the model record has dtype {name!r}, expected 'float32' or 'float64'")
    return np.dtype(np.float32 if name == "float32" else np.float64)


def dtype_difference(saved: Mapping[str, Any], model: Mapping[str, Any]) -> str | None:
    """How the dtypes of two records (file, model) differ, or ``None`` (a model that records
    no dtype differs from nothing here)."""
    if "dtype" not in model:
        return None
    file, mine = saved_dtype(saved).name, str(model["dtype"])
    if file == mine:
        return None
    return (
        f"the file holds a {file} model, the model is {mine}: build it with "
        f"dtype=np.{file} (the command line: --dtype {file})"
    )


def _describe(i: int, rec: Mapping[str, Any]) -> str:
    return f"layers[{i}] ({rec.get('class')})"


def difference(saved: Mapping[str, Any], model: Mapping[str, Any]) -> str | None:
    """The first difference between two records (file, model), or ``None``.

    Layers are compared in order by class, parameter names and shapes, and options
    (when both records know them); then the loss layer's class. A record without
    layers (a model of your own that is not a stack) differs from nothing here.
    """
    a, b = saved.get("layers"), model.get("layers")
    if a is None or b is None:
        return None
    if len(a) != len(b):
        kinds = (", ".join(str(r.get("class")) for r in rs) for rs in (a, b))
        return f"the file has {len(a)} layers ({next(kinds)}), the model {len(b)} ({next(kinds)})"
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        if x.get("class") != y.get("class"):
            return f"layers[{i}] is {x.get('class')} in the file, {y.get('class')} in the model"
        px, py = x.get("params", {}), y.get("params", {})
        if sorted(px) != sorted(py):
            return (f"{_describe(i, x)} has parameters {sorted(px)} in the file, {sorted(py)} "
                    "in the model")  # fmt: skip
        for key in px:
            if list(px[key]) != list(py[key]):
                return (f"{_describe(i, x)}: {key} has shape {tuple(px[key])} in the file, "
                        f"{tuple(py[key])} in the model")  # fmt: skip
        ox, oy = x.get("options"), y.get("options")
        if ox is not None and oy is not None and ox != oy:
            key = next(k for k in sorted(set(ox) | set(oy)) if ox.get(k) != oy.get(k))
            return (f"{_describe(i, x)}: {key} is {ox.get(key)!r} in the file, {oy.get(key)!r} "
                    "in the model")  # fmt: skip
    lx, ly = saved.get("loss") or {}, model.get("loss") or {}
    if lx.get("class") != ly.get("class"):
        return f"the loss layer is {lx.get('class')} in the file, {ly.get('class')} in the model"
    return None


class _Unregistered(LookupError):
    """A layer class the file names that this process cannot build; args: the message."""


def _build(rec: Mapping[str, Any], where: str, dtype: np.dtype[Any]) -> Any:
    name, options = rec.get("registered"), rec.get("options")
    if name is not None:
        return _build_registered(str(name), options, where, dtype)
    fmt = next((f for cls, f in FORMATS.items() if cls.__name__ == rec.get("class")), None)
    if fmt is None or options is None:
        raise _Unregistered(
            f"{where} is {rec.get('class')!r}, a layer of your own that was not registered when "
            "the file was saved, so the file does not say how to build it: register its class "
            "with @tinynn.register_layer where it is defined and save the model again, or "
            "build the model yourself and call load_model(path, model=net)"
        )
    shapes = {key: tuple(int(n) for n in shape) for key, shape in rec["params"].items()}
    return fmt.build(options, shapes, dtype)


def _build_registered(name: str, options: Any, where: str, dtype: np.dtype[Any]) -> Any:
    cls = registered_class(name)
    if cls is None:
        raise _Unregistered(
            f"{where} is the layer {name!r}, registered with tinynn.register_layer when the "
            "file was saved but not in this process: import the module that defines and "
            "registers it, then load the file (tinynn never imports a module because a file "
            "names it)"
        )
    if not isinstance(options, dict):
        raise ValueError(f"{where} ({name}) has options {options!r:.80}, expected a dict")
    given = dict(options)
    if "dtype" not in given and _takes_dtype(cls):
        given["dtype"] = dtype  # the model's dtype, which the file records for the model
    try:
        layer = cls(**given)
    except Exception as exc:
        raise ValueError(
            f"{where} could not be rebuilt as {cls.__name__}(**{options!r:.200}): {exc!r}"
        ) from exc
    params = getattr(layer, "params", {})
    other = sorted({str(a.dtype) for a in params.values() if np.asarray(a).dtype != dtype})
    if other:
        raise ValueError(
            f"{where} ({cls.__name__}) was rebuilt with parameters of dtype {', '.join(other)}, "
            f"but the model is {dtype.name}: give {cls.__name__}.__init__ a dtype parameter "
            "(load_model passes the model's dtype to it), or build the model yourself and call "
            "load_model(path, model=net)"
        )
    return layer


def _takes_dtype(cls: type) -> bool:
    """Whether ``cls(...)`` takes a ``dtype`` keyword argument."""
    try:
        parameters = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return False
    return "dtype" in parameters


def rebuild(saved: Mapping[str, Any], source: str) -> Sequential:
    """A model of the recorded architecture (parameters and state still to be loaded).

    Raises
    ------
    ValueError
        If the record names a layer that is not built in (a layer of your own):
        build the model yourself and load into it.
    """
    layers = saved.get("layers")
    cls = saved.get("class")
    try:
        dtype = saved_dtype(saved)
    except ValueError as exc:
        raise ValueError(f"{source}: {exc}") from None
    if layers is None:
        raise ValueError(
            f"{source} holds a {cls!r} model that is not a stack of layers, which cannot be "
            "rebuilt from the file: build the model and call load_model(path, model=net)"
        )
    try:
        built: list[Layer] = [_build(rec, f"layers[{i}]", dtype) for i, rec in enumerate(layers)]
        loss: LossLayer = _build(saved["loss"], "its loss layer", dtype)
    except _Unregistered as exc:
        raise ValueError(f"{source} holds a {cls!r} model whose {exc.args[0]}") from None
    except ValueError as exc:
        if str(exc).startswith(("layers[", "its loss layer")):
            raise ValueError(f"{source}: {exc}") from exc
        raise ValueError(f"{source} has a model record that cannot be rebuilt: {exc!r}") from exc
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{source} has a model record that cannot be rebuilt: {exc!r}") from exc
    book = {c.__name__: c for c in ARGUMENTS}
    if cls in book and isinstance(saved.get("arguments"), dict):
        net: Sequential = book[cls](**saved["arguments"], rng=0, dtype=dtype)
        net.loss_layer = loss
        if len(net.layers) == len(built):
            for layer, made in zip(net.layers, built, strict=True):
                _take_options(layer, made)
        if difference(saved, record(net)) is None:
            return net
        # the arguments do not give the recorded layers: the file's layers are the model
    if cls == "SimpleNet":
        return SimpleNet(built[0].params["W"], delta=getattr(loss, "delta", 0.0), dtype=dtype)
    lam = float(saved.get("weight_decay_lambda", 0))
    return Sequential(built, loss, weight_decay_lambda=lam, dtype=dtype)


def _take_options(layer: object, made: object) -> None:
    """Give ``layer`` the options of ``made`` (built, and so checked, from the file's record):
    an option changed after construction (a Dropout's ratio) is saved in the layer's record
    and comes back, not the constructor's value."""
    fmt = FORMATS.get(type(layer))
    if fmt is None or type(made) is not type(layer):
        return
    for key, value in fmt.options(made).items():
        if value != fmt.options(layer).get(key) and hasattr(made, key):
            setattr(layer, key, getattr(made, key))
