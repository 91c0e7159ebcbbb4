"""Layers of your own, registered so that :func:`~tinynn.load_model` can rebuild them.

A model file records each layer's class and options. The built-in layers are known by
their exact class (:data:`tinynn.saving.architecture.FORMATS`); a layer of your own is
known only once you register it, explicitly, with :func:`register_layer` (as Keras's
``register_keras_serializable``). tinynn never imports a module because a file names
it: a file is data, and importing what it names would run whatever code it points to.
So, in a new process, import the module that defines and registers your layer, then
load the file.

Book section
------------
4.5 (keeping a trained network, here one with layers of your own)
"""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

import numpy as np

__all__ = ["layer_options", "register_layer", "registered_class", "registered_name"]

R = TypeVar("R", bound=type)  # the class registered (named as the estimators name theirs)

_BY_NAME: dict[str, type] = {}
_BY_CLASS: dict[type, str] = {}


@overload
def register_layer(cls: R, /) -> R: ...
@overload
def register_layer(*, name: str | None = None) -> Callable[[R], R]: ...
def register_layer(cls: R | None = None, /, *, name: str | None = None) -> R | Callable[[R], R]:
    """Register a layer class of your own so that :func:`~tinynn.load_model` rebuilds it.

    Use it as a decorator, ``@tinynn.register_layer`` (or
    ``@tinynn.register_layer(name="mypackage.Scale")``) on the class, where it is defined.

    Parameters
    ----------
    cls : type
        The layer class (``forward``, ``backward``, and ``params``/``grads``), or a loss
        layer class.
    name : str, optional
        The name recorded in files; defaults to ``module.QualifiedName`` of the class.
        Give one to keep old files loading after you move the class to another module.

    Returns
    -------
    type
        ``cls`` itself.

    Raises
    ------
    TypeError
        If ``cls`` is not a class with ``forward`` and ``backward``, is a built-in
        layer (recorded already), or its ``__init__`` cannot be called with keywords
        (positional-only parameters; ``*args`` or ``**kwargs`` without a ``config()``).
    ValueError
        If another class is registered under ``name``.

    Notes
    -----
    What a file records of a registered layer are its *options*, the keyword
    arguments that rebuild it, as plain JSON: ``layer.config()`` if the class defines
    one, else every parameter of its ``__init__`` read from the attribute of the same
    name (``def __init__(self, units, init=1.0)`` records ``layer.units`` and
    ``layer.init``). Loading calls ``cls(**options)``, then loads the parameters (by
    name and shape) and, for a layer with ``state_dict``, its state. A file naming a
    class that is not registered in the loading process is refused, saying how to
    register it; a file is never a reason to import a module.

    Book section
    ------------
    4.5 (keeping a trained network, here one with layers of your own)

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import tinynn as nn
    >>> @nn.register_layer
    ... class Scale:
    ...     def __init__(self, units: int, init: float = 1.0) -> None:
    ...         self.units, self.init = units, init
    ...         self.params = {"s": np.full(units, init)}
    ...         self.grads = {}
    ...     def forward(self, x):
    ...         self.x = x
    ...         return x * self.params["s"]
    ...     def backward(self, dout):
    ...         self.grads["s"] = np.sum(dout * self.x, axis=0)
    ...         return dout * self.params["s"]
    >>> net = nn.Sequential([nn.Affine.random(4, 3, rng=0), Scale(3, init=2.0)])
    >>> layer_options(net.layers[1])
    {'units': 3, 'init': 2.0}
    >>> with tempfile.TemporaryDirectory() as d:
    ...     again = nn.load_model(nn.save_model(net, Path(d, "net.npz")))
    >>> type(again.layers[1]).__name__, again.layers[1].init
    ('Scale', 2.0)
    """

    def register(c: R) -> R:
        _check_class(c)
        key = f"{c.__module__}.{c.__qualname__}" if name is None else name
        if not isinstance(key, str) or not key:
            raise TypeError(f"name must be a non-empty str, got {key!r}")
        old = _BY_NAME.get(key)
        if old is not None and old is not c and not _same_definition(old, c):
            raise ValueError(
                f"{key!r} is registered already, for {old.__module__}.{old.__qualname__}: "
                f"give {c.__name__} another name (register_layer(name=...))"
            )
        if old is not None:
            _BY_CLASS.pop(old, None)
        _BY_CLASS.pop(c, None)
        _BY_NAME[key], _BY_CLASS[c] = c, key
        return c

    if cls is not None:
        return register(cls)
    return register


def _same_definition(a: type, b: type) -> bool:
    """Two class objects of one definition (its module imported again, e.g. reloaded)."""
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def _check_class(cls: object) -> None:
    if not isinstance(cls, type):
        raise TypeError(f"register_layer takes a layer class, got {cls!r}")
    what = cls.__name__
    if cls.__module__.split(".")[:2] == ["tinynn", "layers"]:
        raise TypeError(f"{what} is a built-in layer: files record it already")
    missing = [m for m in ("forward", "backward") if not callable(getattr(cls, m, None))]
    if missing:
        raise TypeError(f"{what} is not a layer: it has no {' or '.join(missing)} method")
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        return  # no signature to read: config() or the attributes decide at saving
    kinds = {p.kind for p in signature.parameters.values()}
    if inspect.Parameter.POSITIONAL_ONLY in kinds:
        raise TypeError(
            f"{what}.__init__ has positional-only parameters, but a loaded layer is rebuilt "
            f"as {what}(**options): make them ordinary parameters"
        )
    variadic = {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD} & kinds
    if variadic and not callable(getattr(cls, "config", None)):
        raise TypeError(
            f"{what}.__init__ takes *args or **kwargs, whose values cannot be read back from "
            f"the layer: define {what}.config() returning the keyword arguments (plain JSON) "
            f"that rebuild it as {what}(**options)"
        )


def registered_name(cls: type) -> str | None:
    """The name under which ``cls`` is registered, or ``None``."""
    return _BY_CLASS.get(cls)


def registered_class(name: str) -> type | None:
    """The class registered under ``name`` in this process, or ``None``."""
    return _BY_NAME.get(name)


def layer_options(layer: object) -> dict[str, Any]:
    """The options of a layer of a registered class, as plain JSON (see :func:`register_layer`).

    Raises
    ------
    TypeError
        If ``config()`` does not return a dict of plain JSON, an ``__init__`` parameter
        has no attribute of its name, or a value is not plain JSON (an array, a
        generator): define ``config()``.
    """
    cls = type(layer)
    what = cls.__name__
    config = getattr(layer, "config", None)
    if callable(config):
        options = config()
        source = f"{what}.config()"
        if not isinstance(options, Mapping):
            raise TypeError(f"{source} must return a dict of plain JSON, got {options!r:.80}")
    else:
        options, source = {}, f"{what}'s __init__ parameters"
        for name in inspect.signature(cls).parameters:
            if name == "dtype":  # the model's, recorded with the model and given back to it
                continue
            if not hasattr(layer, name):
                raise TypeError(
                    f"{what} is registered for load_model, which records its __init__ "
                    f"parameters read from the attributes of the same name, but the layer has "
                    f"no attribute {name!r}: keep it as self.{name}, or define {what}.config() "
                    "returning the keyword arguments that rebuild the layer"
                )
            options[name] = getattr(layer, name)
    return {str(key): _plain(value, f"{source}[{key!r}]", what) for key, value in options.items()}


def _plain(value: Any, where: str, what: str) -> Any:
    """``value`` as plain JSON (NumPy scalars as numbers), else ``TypeError`` naming it."""
    if isinstance(value, np.generic) and not isinstance(value, (np.void, np.object_)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"{where} is {value!r}; a file records finite numbers only")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        kind = type(value).__name__
        raise TypeError(
            f"{where} is a {kind}, not plain JSON (numbers, strings, bools, None, lists and "
            f"dicts of them), so a file cannot record it: define {what}.config() returning "
            "the keyword arguments that rebuild the layer (its parameters and its state_dict "
            "are saved and loaded after, by name)"
        ) from None
    if isinstance(value, (tuple, list, dict)):
        return json.loads(json.dumps(value))  # tuples as lists: what the file gives back
    return value
