"""Initial weights: the book's ``weight_init_std``, and what each choice does to activations.

Book section
------------
6.2 (initial weight values)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, TypeAlias

import numpy as np

from .functions import relu, sigmoid
from .typing import FloatArray
from .utils.validation import as_generator, check_positive, check_positive_int

__all__ = ["WeightInit", "hidden_activations", "weight_scale"]

#: A standard deviation, or the name of a rule: ``'relu'``/``'he'``, ``'sigmoid'``/``'xavier'``.
WeightInit: TypeAlias = float | str

_RULES = {"relu": 2.0, "he": 2.0, "sigmoid": 1.0, "xavier": 1.0}


def weight_scale(weight_init_std: WeightInit, fan_in: int) -> float:
    """The standard deviation of a layer's initial weights, as the book's networks choose it.

    Parameters
    ----------
    weight_init_std : float or str
        A number is the standard deviation itself. ``'relu'`` or ``'he'`` gives He's
        :math:`\\sqrt{2/n}`, ``'sigmoid'`` or ``'xavier'`` gives Xavier's
        :math:`\\sqrt{1/n}` (case does not matter), where :math:`n` is ``fan_in``.
    fan_in : int
        The number of inputs of each unit (the previous layer's size).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        For another name, or a number that is not finite and > 0.

    Book section
    ------------
    6.2.2 (Xavier), 6.2.3 (He), as in ``common/multi_layer_net.py``

    Examples
    --------
    >>> weight_scale(0.01, 784), weight_scale("he", 50), weight_scale("Xavier", 100)
    (0.01, 0.2, 0.1)
    """
    check_positive_int(fan_in, "fan_in")
    if isinstance(weight_init_std, str):
        factor = _RULES.get(weight_init_std.lower())
        if factor is None:
            raise ValueError(
                f"weight_init_std must be a number or one of 'relu', 'he', 'sigmoid', "
                f"'xavier', got {weight_init_std!r}"
            )
        return math.sqrt(factor / fan_in)
    check_positive(weight_init_std, "weight_init_std")
    return float(weight_init_std)


_ACTIVATIONS: dict[str, Callable[[FloatArray], FloatArray]] = {
    "sigmoid": sigmoid,
    "relu": relu,
    "tanh": np.tanh,
}


def hidden_activations(
    activation: Literal["sigmoid", "relu", "tanh"],
    weight_init_std: WeightInit,
    *,
    rng: np.random.Generator | int,
    samples: int = 1000,
    node_num: int = 100,
    layers: int = 5,
) -> list[FloatArray]:
    """The activations of each hidden layer of the book's experiment (figures 6-10 to 6-14).

    ``samples`` Gaussian inputs of ``node_num`` values go through ``layers`` layers of
    ``node_num`` units, without bias, each with weights drawn from a Gaussian of the
    standard deviation that ``weight_init_std`` gives (see :func:`weight_scale`), as
    ``ch06/weight_init_activation_histogram.py`` does.

    Parameters
    ----------
    activation : {'sigmoid', 'relu', 'tanh'}
    weight_init_std : float or str
    rng : numpy.random.Generator or int
        The source of the inputs (drawn first) and the weights.
    samples, node_num, layers : int

    Returns
    -------
    list of ndarray
        ``layers`` arrays of shape ``(samples, node_num)``.

    Book section
    ------------
    6.2.1 (figures 6-10, 6-11), 6.2.2 (figures 6-12, 6-13), 6.2.3 (figure 6-14)

    Examples
    --------
    >>> acts = hidden_activations("sigmoid", 1.0, rng=0)
    >>> len(acts), acts[0].shape
    (5, (1000, 100))
    >>> near_0_or_1 = [float(np.mean((a < 0.1) | (a > 0.9))) for a in acts]
    >>> min(near_0_or_1) > 0.5   # figure 6-10: most activations at 0 or 1
    True
    """
    f = _ACTIVATIONS.get(activation)
    if f is None:
        raise ValueError(f"activation must be 'sigmoid', 'relu' or 'tanh', got {activation!r}")
    for value, name in ((samples, "samples"), (node_num, "node_num"), (layers, "layers")):
        check_positive_int(value, name)
    scale = weight_scale(weight_init_std, node_num)
    gen = as_generator(rng)
    x = gen.standard_normal((samples, node_num))
    out: list[FloatArray] = []
    for _ in range(layers):
        w = gen.standard_normal((node_num, node_num)) * scale
        x = f(x @ w)
        out.append(x)
    return out
