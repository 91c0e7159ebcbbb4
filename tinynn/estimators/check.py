"""Gradient checking: one estimator against another, per parameter.

Book section
------------
5.7.3 (gradient check)
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from ..base import GradientEstimator, Model
from ..typing import ArrayLike
from ..utils.validation import describe_value
from .backprop import Backprop
from .model import training
from .numerical import NumericalDiff

__all__ = ["GradientCheck", "GradientDifference", "gradient_check"]


class GradientDifference(NamedTuple):
    """How far two gradient estimates of one parameter are apart.

    Book section
    ------------
    5.7.3 (gradient check)
    """

    max_abs: float
    """Largest absolute difference of any entry."""
    max_rel: float
    """Largest ``|a - b| / max(|a| + |b|, 1e-8)`` of any entry."""
    mean_abs: float
    """Mean absolute difference (what the book prints)."""


class GradientCheck(dict[str, GradientDifference]):
    """What :func:`gradient_check` returns: the dict of differences by parameter name.

    It is the dict it always was (``check["W1"].max_rel``, ``check.items()``,
    ``isinstance(check, dict)``, ``json.dumps``); printed, it is a table, and in a Jupyter
    notebook an HTML table, with the largest relative difference named first.

    Parameters
    ----------
    differences : mapping of str to GradientDifference
        One entry per parameter, in the model's order.

    Raises
    ------
    TypeError
        If ``differences`` is not a mapping of names to :class:`GradientDifference`.

    Book section
    ------------
    5.7.3 (gradient check: the difference per parameter, as the book prints it)

    Examples
    --------
    >>> check = GradientCheck({"W1": GradientDifference(2e-10, 3e-8, 4e-11),
    ...                        "b1": GradientDifference(1e-10, 5e-9, 2e-11)})
    >>> check["W1"].max_rel, sorted(check)
    (3e-08, ['W1', 'b1'])
    >>> check
    GradientCheck: 2 parameters, largest relative difference 3e-08 (W1)
      parameter  max_abs  max_rel  mean_abs
      W1         2e-10    3e-08    4e-11
      b1         1e-10    5e-09    2e-11
    """

    def __init__(self, differences: Mapping[str, GradientDifference]) -> None:
        if not isinstance(differences, Mapping):
            raise TypeError(
                "differences must be a dict of GradientDifference by parameter name, "
                f"got {describe_value(differences)}"
            )
        for name, d in differences.items():
            if not isinstance(name, str) or not isinstance(d, GradientDifference):
                raise TypeError(
                    "differences must map parameter names (str) to GradientDifference, "
                    f"got {name!r}: {describe_value(d)}"
                )
        super().__init__(differences)

    def _headline(self) -> tuple[str, str]:
        """(``"2 parameters"``, ``"largest relative difference 3e-08 (W1)"``)."""
        count = f"{len(self)} parameter{'s' * (len(self) != 1)}"
        if not self:
            return count, ""
        worst = max(self, key=lambda k: self[k].max_rel)
        return count, f"largest relative difference {self[worst].max_rel:.3g} ({worst})"

    def __repr__(self) -> str:
        count, worst = self._headline()
        cells = [("parameter", *GradientDifference._fields)] + [
            (name, *(f"{v:.3g}" for v in d)) for name, d in self.items()
        ]
        widths = [max(len(c[k]) for c in cells) for k in range(4)]
        lines = [f"{type(self).__name__}: {count}" + (f", {worst}" if worst else "")]
        lines += ["  " + "  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True))
                  for cell in cells]  # fmt: skip
        return "\n".join(line.rstrip() for line in lines)

    def _repr_html_(self) -> str:
        """The differences as an HTML table, which a Jupyter notebook shows."""
        count, worst = self._headline()
        head = "".join(f"<th>{k}</th>" for k in ("parameter", *GradientDifference._fields))
        body = "".join(
            f"<tr><td><code>{html.escape(name)}</code></td>"
            + "".join(f"<td style='text-align:right'>{v:.3g}</td>" for v in d) + "</tr>"
            for name, d in self.items()
        )  # fmt: skip
        title = f"{count}, {html.escape(worst)}" if worst else count
        return (f"<p><b>{type(self).__name__}</b>: {title}</p>"
                f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")  # fmt: skip


def gradient_check(
    model: Model,
    x: ArrayLike,
    t: ArrayLike,
    *,
    estimate: GradientEstimator | None = None,
    reference: GradientEstimator | None = None,
) -> GradientCheck:
    """Compare two gradient estimators on one mini-batch, per parameter.

    Parameters
    ----------
    model : Model
    x, t : array_like
        A (small) mini-batch.
    estimate : GradientEstimator, optional
        The estimator under test; :class:`Backprop` by default.
    reference : GradientEstimator, optional
        The trusted one; :class:`NumericalDiff` by default.

    Returns
    -------
    GradientCheck
        One :class:`GradientDifference` per parameter name, a dict (printed or shown in a
        notebook, a table).

    Raises
    ------
    TypeError
        If ``model.params`` or an estimator's result is not a dict of arrays by name
        (a list of arrays, say).
    ValueError
        If the two estimators return different keys or shapes, or non-finite values.

    Notes
    -----
    Expect a relative difference of about 1e-7 with the default losses, not
    less: backpropagation differentiates the cross-entropy without its
    ``delta = 1e-7``, the numerical gradient differentiates the loss as
    computed. Build the loss with ``SoftmaxWithLoss(delta=0.0)`` to see the
    two agree to about 1e-10.

    Book section
    ------------
    5.7.3 (gradient check: backpropagation against the numerical gradient)

    Examples
    --------
    >>> from tinynn import TwoLayerNet
    >>> rng = np.random.default_rng(0)
    >>> net = TwoLayerNet(4, 5, 3, rng=rng)
    >>> diff = gradient_check(net, rng.random((2, 4)), np.array([0, 2]))
    >>> all(d.max_rel < 1e-6 for d in diff.values())
    True
    >>> sorted(diff)
    ['W1', 'W2', 'b1', 'b2']
    """
    if not isinstance(model.params, Mapping):
        raise TypeError(
            "model.params must be a dict of parameter arrays by name (as the book's "
            f"params['W1']), got {describe_value(model.params)}"
        )
    with training(model):  # one training step: both see the same dropout masks
        a = _gradient("estimate", Backprop() if estimate is None else estimate, model, x, t)
        b = _gradient("reference", NumericalDiff() if reference is None else reference, model, x, t)
    if set(a) != set(b) or set(a) != set(model.params):
        raise ValueError(
            f"estimators returned different parameter names: {sorted(a)} vs {sorted(b)} "
            f"(the model has {sorted(model.params)})"
        )
    out: dict[str, GradientDifference] = {}
    for name in model.params:
        ga, gb = np.asarray(a[name], dtype=np.float64), np.asarray(b[name], dtype=np.float64)
        if ga.shape != gb.shape:
            raise ValueError(f"gradient {name!r} has shape {ga.shape} vs {gb.shape}")
        if not (np.all(np.isfinite(ga)) and np.all(np.isfinite(gb))):
            raise ValueError(f"gradient {name!r} holds NaN or infinity")
        diff = np.abs(ga - gb)
        rel = diff / np.maximum(np.abs(ga) + np.abs(gb), 1e-8)
        out[name] = GradientDifference(
            float(diff.max(initial=0.0)), float(rel.max(initial=0.0)), float(np.mean(diff))
        )
    return GradientCheck(out)


def _gradient(
    role: str, estimator: GradientEstimator, model: Model, x: ArrayLike, t: ArrayLike
) -> Mapping[str, Any]:
    """``estimator.gradient(model, x, t)``, or a ``TypeError`` if it is not a dict by name."""
    grads: object = estimator.gradient(model, x, t)
    if not isinstance(grads, Mapping):
        raise TypeError(
            f"the {role} {type(estimator).__name__}().gradient(model, x, t) returned "
            f"{describe_value(grads)}; a gradient estimator must return a dict of arrays "
            f"keyed as model.params ({', '.join(map(repr, model.params))})"
        )
    return grads
