"""A network at a glance: its layers, the shape each one outputs, and its parameters.

``repr(net)`` names the layers as the code builds them; ``net.summary()`` is the table a
learner reads (after Keras's ``summary()`` and torchinfo), and a notebook shows it as an
HTML table when the network is evaluated in a cell.

Book section
------------
4.5.1, 7.5, 8.1 (the shapes of each layer's output, and the parameters of each layer)
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np

__all__ = ["Row", "Summarized", "rows", "shown"]


def shown(layer: object) -> str:
    """``repr(layer)``, or for a class without its own ``__repr__`` its name and parameter
    shapes: ``Tanh()``, ``MyAffine(W: 4x5, b: 5)``, not ``<module.MyAffine object at 0x...>``."""
    if type(layer).__repr__ is not object.__repr__:
        return repr(layer)
    params = getattr(layer, "params", {})
    shapes = ", ".join(f"{k}: {'x'.join(map(str, np.shape(v)))}" for k, v in params.items())
    return f"{type(layer).__name__}({shapes})"


class Row(NamedTuple):
    """One line of a summary: the layer, the shape of its output, its parameters."""

    position: str
    layer: str
    output: str
    params: int


class _Network(Protocol):
    @property
    def layers(self) -> Sequence[Any]: ...

    @property
    def loss_layer(self) -> Any: ...

    input_shape: tuple[int, ...] | None
    input_size: int | None

    def activations(self, x: Any, *, train_flg: bool | None = None) -> list[Any]: ...


def rows(net: _Network) -> list[Row]:
    """The summary's rows: one per layer, then the loss layer.

    The output shapes come from one evaluation-mode forward pass of a zero sample
    (``N`` stands for the batch); where the network does not fix its input (no first
    affine layer, no ``input_shape``), they are ``?``.
    """
    shape = net.input_shape or ((net.input_size,) if net.input_size else None)
    outputs: list[str] = ["?"] * len(net.layers)
    if shape is not None:
        with np.errstate(all="ignore"):
            acts = net.activations(np.zeros((1, *shape)), train_flg=False)
        outputs = [f"(N, {', '.join(map(str, a.shape[1:]))})" for a in acts[1:]]
    out = [
        Row(str(i), shown(layer), outputs[i],
            sum(int(np.size(p)) for p in getattr(layer, "params", {}).values()))
        for i, layer in enumerate(net.layers)
    ]  # fmt: skip
    out.append(Row("loss", shown(net.loss_layer), "1 value", 0))
    return out


class Summarized:
    """What a network shows: ``repr`` (its layers), ``summary()`` (the table), and the table
    in HTML for a notebook (``_repr_html_``).

    Book section
    ------------
    4.5.1 (a network as a composition of layers)
    """

    def __repr__(self) -> str:
        net: Any = self
        inner = ", ".join(shown(layer) for layer in net.layers)
        return f"{type(self).__name__}([{inner}], loss={shown(net.loss_layer)})"

    def summary(self) -> str:
        """The network as a table: each layer, the shape of its output, its parameters.

        Book section
        ------------
        4.5.1, 7.5, 8.1 (each layer's output shape and parameters)

        Examples
        --------
        >>> from tinynn import TwoLayerNet
        >>> print(TwoLayerNet(784, 50, 10, rng=0).summary())
        TwoLayerNet: 39,760 parameters
          #     layer                         output   parameters
          0     Affine(784 -> 50)             (N, 50)  39,250
          1     Sigmoid()                     (N, 50)  0
          2     Affine(50 -> 10)              (N, 10)  510
          loss  SoftmaxWithLoss(delta=1e-07)  1 value  0
        """
        table = rows(self)  # type: ignore[arg-type]
        total = sum(row.params for row in table)
        head = ("#", "layer", "output", "parameters")
        cells = [head] + [(r.position, _cut(r.layer), r.output, f"{r.params:,}") for r in table]
        widths = [max(len(c[k]) for c in cells) for k in range(4)]
        lines = [f"{type(self).__name__}: {total:,} parameters"]
        for cell in cells:
            lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)))
        return "\n".join(line.rstrip() for line in lines)

    def _repr_html_(self) -> str:
        """The summary as an HTML table, which a Jupyter notebook shows for the network."""
        table = rows(self)  # type: ignore[arg-type]
        total = sum(row.params for row in table)
        body = "".join(
            f"<tr><td>{r.position}</td><td><code>{html.escape(r.layer)}</code></td>"
            f"<td>{html.escape(r.output)}</td><td style='text-align:right'>{r.params:,}</td></tr>"
            for r in table
        )
        return (
            f"<p><b>{html.escape(type(self).__name__)}</b>: {total:,} parameters</p>"
            "<table><thead><tr><th>#</th><th>layer</th><th>output</th><th>parameters</th>"
            f"</tr></thead><tbody>{body}</tbody></table>"
        )


def _cut(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."

