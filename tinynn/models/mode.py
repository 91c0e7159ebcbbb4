"""Training and evaluation: what changes while a network learns, and what is held fixed.

Some layers behave differently while the network learns. The book's way is an argument,
``forward(x, train_flg=True)``: :class:`~tinynn.Dropout` drops units only in training, and
:class:`~tinynn.BatchNormalization` normalises with the batch's statistics in training and
with its running ones in evaluation. A :class:`~tinynn.Sequential` gives ``train_flg`` to
every layer whose ``forward`` takes it (read once, from the signature; by keyword where it
is keyword-only; a flag of another name, which tinynn would never set, is refused when the
network is made), and decides its value in one place, :class:`Mode`:

* evaluation (``train_flg=False``) is the default, and always the mode of ``predict`` and
  ``accuracy``;
* training (``train_flg=True``) holds within :meth:`Mode.step`, which the gradient and every
  estimator enter (:meth:`tinynn.Sequential.training`).

One gradient estimate may run the network forward many times: the book's numerical
gradient twice per weight, SPSA twice per direction, a gradient check once per estimator.
Within one step every forward pass must see the same network, or the estimate is of no
function at all (the book's ``MultiLayerNetExtend.numerical_gradient`` draws a new dropout
mask at every evaluation). So a step holds the state of the layers that have one (those
with ``state_dict``, :class:`~tinynn.Stateful`): before every forward pass but the first
it restores their state as the step found it, so a Dropout draws the same mask from the
same generator state, and when the step ends it leaves them as the first pass did, so
BatchNormalization's running statistics move once per step, by the unperturbed batch.

Book section
------------
6.3.1 (Batch Normalization's ``train_flg``), 6.4.3 (Dropout's ``train_flg``)
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from ..base import Layer, Stateful
from ..typing import FloatArray

__all__ = ["Mode", "mode_flag", "takes_train_flg"]


def takes_train_flg(layer: object) -> bool:
    """Whether ``layer.forward`` takes the book's ``train_flg`` argument."""
    return mode_flag(layer) is not None


def mode_flag(layer: object, where: str = "the layer") -> str | None:
    """How ``layer.forward`` takes the book's ``train_flg``: ``'positional'``, ``'keyword'``
    (keyword-only) or ``None`` (it has no mode).

    Raises
    ------
    TypeError
        If ``forward`` needs an argument tinynn cannot give (beyond the input), or takes a
        flag of another name with a ``True``/``False`` default (``training=``, ``train=``):
        tinynn would never set it, and the layer would run in one mode only.
    """
    try:
        parameters = list(inspect.signature(layer.forward).parameters.values())  # type: ignore[attr-defined]
    except (TypeError, ValueError):  # no signature to read: call it plainly
        return None
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    flag = None
    for parameter in parameters[1:]:  # the first is the input
        if parameter.kind in kinds:
            continue
        if parameter.name == "train_flg":
            keyword = parameter.kind is inspect.Parameter.KEYWORD_ONLY
            flag = "keyword" if keyword else "positional"
        elif parameter.default is inspect.Parameter.empty:
            raise TypeError(
                f"{where}: forward needs the argument {parameter.name!r}, which tinynn cannot "
                "give: a layer's forward takes the input, and optionally the book's train_flg"
            )
        elif isinstance(parameter.default, bool):
            raise TypeError(
                f"{where}: forward takes the flag {parameter.name!r}, which tinynn never sets: "
                "a network tells its layers whether they train through the book's train_flg "
                f"(forward(x, train_flg=True)); rename {parameter.name!r} to train_flg (or, if "
                "it is a setting, move it to the layer's constructor)"
            )
    return flag


class Mode:
    """A network's mode (training or evaluation) and the layer state held within a step.

    Parameters
    ----------
    layers : sequence of Layer
        The network's layers, in order.

    Book section
    ------------
    6.3.1, 6.4.3 (``train_flg``)
    """

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = list(layers)
        self.flags = [
            mode_flag(layer, f"layers[{i}] ({type(layer).__name__})")
            for i, layer in enumerate(self.layers)
        ]
        self.stateful: list[tuple[int, Stateful]] = [
            (i, layer) for i, layer in enumerate(self.layers) if isinstance(layer, Stateful)
        ]
        self.depth = 0  # > 0: within a step, training
        self._start: list[dict[str, Any]] | None = None  # the states the step found
        self._first: list[dict[str, Any]] | None = None  # the states after its first pass

    @property
    def training(self) -> bool:
        """Whether a training step is under way."""
        return self.depth > 0

    def step(self) -> Mode:
        """A context in which the network trains and its layers' state is held (see above).

        Steps nest: an inner one (the Backprop gradient inside a gradient check) belongs
        to the outer one.
        """
        return self

    def __enter__(self) -> None:
        self.depth += 1

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.depth -= 1
        if self.depth == 0:
            first, self._start, self._first = self._first, None, None
            if first is not None:  # as the first (unperturbed) forward pass left them
                self._restore(first)

    def forward(self, x: FloatArray, train_flg: bool) -> list[FloatArray]:
        """``x`` and each layer's output, every layer that takes it given ``train_flg``."""
        held = train_flg and self.depth > 0 and bool(self.stateful)
        if held:
            if self._start is None:
                self._start = self._states()
            else:
                self._restore(self._start)
        acts = [x]
        for layer, flag in zip(self.layers, self.flags, strict=True):
            if flag is None:
                acts.append(layer.forward(acts[-1]))
            elif flag == "positional":
                acts.append(layer.forward(acts[-1], train_flg))  # type: ignore[call-arg]
            else:
                acts.append(layer.forward(acts[-1], train_flg=train_flg))  # type: ignore[call-arg]
        if held and self._first is None:
            self._first = self._states()
        return acts

    def convert(self) -> None:
        """Reload every layer's state into itself: in its parameters' dtype, once they were
        converted (:meth:`tinynn.Sequential.astype`)."""
        self._restore(self._states())

    def follow(self, other: Mode) -> None:
        """Take the layers' state of ``other`` (the mode of this network's copy, made within
        this step and run since) and what its step holds, as if this network had run."""
        self._restore(other._states())
        if self._start is None:
            self._start = other._start
        if self._first is None:
            self._first = other._first

    def _states(self) -> list[dict[str, Any]]:
        return [layer.state_dict() for _, layer in self.stateful]

    def _restore(self, states: list[dict[str, Any]]) -> None:
        for (_, layer), state in zip(self.stateful, states, strict=True):
            layer.load_state_dict(state)

    def state_dict(self) -> dict[str, Any]:
        """The state of every layer that has one, by its position: ``{"3": {...}}``."""
        return {str(i): layer.state_dict() for i, layer in self.stateful}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore :meth:`state_dict`; a state that does not fit changes no layer.

        Raises
        ------
        ValueError
            If the positions differ from this network's stateful layers, or a layer
            refuses its state (every layer is then as it was).
        """
        if not isinstance(state, Mapping):
            raise ValueError(f"a network's layer state is a dict, got {type(state).__name__}")
        want = {str(i): type(layer).__name__ for i, layer in self.stateful}
        if set(state) != set(want):
            got = sorted(state, key=str)
            raise ValueError(
                f"the state is for the layers at positions {got}, but this network's layers "
                f"with state are {want}"
            )
        before = self._states()
        try:
            for i, layer in self.stateful:
                try:
                    layer.load_state_dict(state[str(i)])
                except ValueError as exc:  # which layer refused: the message names it
                    raise ValueError(f"layers[{i}] ({type(layer).__name__}): {exc}") from exc
        except BaseException:
            self._restore(before)
            raise
