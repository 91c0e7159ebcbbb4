"""Every rule of every estimator's table, against its reference, on a small network.

The cases come from the tables themselves (``NumericalDiff.rules`` and ``loss_rules``,
``ComplexStep.rules`` and ``loss_rules``): a rule registered for a layer of tinynn is
tested here without being listed. Each runs on a small network containing its layer:
NumericalDiff's structured path against the book's loop (within 1e-9), the complex step
against backpropagation (to rounding); and each passes its estimator's ``check_rule`` against
its layer by a wide margin. A new layer needs one example network below; the
test says so until it has one. (Rules that tests register for their own layers are tested
where they are registered: ``test_rule_registration.py``.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinynn import (
    Affine,
    Backprop,
    BatchNormalization,
    ComplexStep,
    Convolution,
    Dropout,
    NumericalDiff,
    Pooling,
    Relu,
    Sequential,
    Sigmoid,
    SoftmaxWithLoss,
)
from tinynn.estimators.rule_check import RULE_TOLERANCE
from tinynn.typing import FloatArray, Params


#: A small network around each layer class: ``(layers, features per sample)``. The layer
#: sits between two affine layers, so its rule both receives a change (``propagate``) and,
#: if it has parameters, makes one (``perturb``), and a later rule carries what it makes.
def _between_affine(layer: Any) -> Callable[[np.random.Generator], tuple[list[Any], int]]:
    def build(r: np.random.Generator) -> tuple[list[Any], int]:
        return [Affine.random(5, 4, rng=r, weight_init_std=1.0), layer(r),
                Affine.random(4, 3, rng=r, weight_init_std=1.0, bias=False)], 5  # fmt: skip

    return build


def _convnet(
    first: Callable[[np.random.Generator], Any],
    middle: Callable[[np.random.Generator], Any],
    flat: int,
    sample: tuple[int, int, int] = (2, 6, 6),
) -> Callable[[np.random.Generator], tuple[list[Any], tuple[int, int, int]]]:
    """A small convolutional network: ``first`` makes an image-shaped change that ``middle``
    (the layer under test) carries, and an affine layer of ``flat`` inputs after it."""

    def build(r: np.random.Generator) -> tuple[list[Any], tuple[int, int, int]]:
        return [first(r), middle(r), Affine.random(flat, 3, rng=r, weight_init_std=1.0)], sample

    return build


def _conv(fn: int, c: int, f: int, stride: int = 1, pad: int = 0) -> Callable[..., Convolution]:
    def make(r: np.random.Generator) -> Convolution:
        return Convolution(r.standard_normal((fn, c, f, f)), r.standard_normal(fn), stride, pad)

    return make


LAYER_EXAMPLES: dict[type, Callable[[np.random.Generator], tuple[list[Any], Any]]] = {
    Affine: _between_affine(lambda r: Affine(r.standard_normal((4, 4)), r.standard_normal(4))),
    Sigmoid: _between_affine(lambda r: Sigmoid()),
    Relu: _between_affine(lambda r: Relu()),
    Dropout: _between_affine(lambda r: Dropout(0.5, rng=r)),
    BatchNormalization: _between_affine(
        lambda r: BatchNormalization(r.random(4) + 0.5, r.standard_normal(4))
    ),
    # (2, 7, 7) -> (3, 7, 7) -> (2, 4, 4): a padded convolution, then one with stride 2
    Convolution: _convnet(_conv(3, 2, 3, pad=1), _conv(2, 3, 3, stride=2, pad=1), 32, (2, 7, 7)),
    Pooling: _convnet(_conv(3, 2, 3, pad=1), lambda r: Pooling(2, 2, stride=2), 27),
}
#: A loss layer of each loss class (differentiated exactly by its ``backward``: delta 0).
LOSS_EXAMPLES: dict[type, Callable[[], Any]] = {SoftmaxWithLoss: lambda: SoftmaxWithLoss(0.0)}


def _tinynn(table: Any) -> list[type]:
    """The classes of tinynn in a table (a test's own registrations are tested by it)."""
    return sorted((c for c in table if c.__module__.startswith("tinynn.")), key=str)


CASES = [
    (estimator, kind, cls)
    for estimator in (NumericalDiff, ComplexStep)
    for kind, table in (("layer", estimator.rules), ("loss", estimator.loss_rules))
    for cls in _tinynn(table)
]


def _network(kind: str, cls: type, rng: np.random.Generator) -> tuple[Sequential, Any]:
    examples = LAYER_EXAMPLES if kind == "layer" else LOSS_EXAMPLES
    if cls not in examples:
        pytest.fail(f"{cls.__name__} has a rule but no example network: add one to "
                    f"{'LAYER' if kind == 'layer' else 'LOSS'}_EXAMPLES in {__name__}")  # fmt: skip
    if kind == "loss":
        return Sequential([Affine.random(5, 3, rng=rng, weight_init_std=1.0)],
                          LOSS_EXAMPLES[cls]()), 5  # fmt: skip
    layers, features = LAYER_EXAMPLES[cls](rng)
    return Sequential(layers, SoftmaxWithLoss(0.0)), features


def _batch(rng: np.random.Generator, features: int | tuple[int, ...], sparse: bool) -> FloatArray:
    """Six samples of ``features`` values (or of that shape, for images)."""
    x = rng.standard_normal((6, *np.atleast_1d(features)))
    if sparse:  # mostly 0, as MNIST: the sparse changes
        x[rng.random(x.shape) < 0.75] = 0.0
    return x


def _targets(rng: np.random.Generator, classes: int, kind: str) -> Any:
    labels = rng.integers(0, classes, 6)
    return labels if kind == "class" else rng.dirichlet(np.ones(classes), 6)


def _max_diff(a: Params, b: Params) -> float:
    assert sorted(a) == sorted(b)
    return max(float(np.max(np.abs(a[k] - b[k]))) for k in a)


def test_the_tables_hold_the_built_in_rules() -> None:
    """The cases below are not empty: the tables have what tinynn registers."""
    assert {Affine, Sigmoid, Relu, Convolution, Pooling} <= set(NumericalDiff.rules)
    assert {SoftmaxWithLoss} <= set(NumericalDiff.loss_rules)
    assert {Affine, Sigmoid} <= set(ComplexStep.rules) and Relu not in ComplexStep.rules
    assert {SoftmaxWithLoss} <= set(ComplexStep.loss_rules)
    assert len(CASES) >= 9


@pytest.mark.parametrize(("sparse", "targets"), [(True, "class"), (False, "soft")])
@pytest.mark.parametrize(
    ("estimator", "kind", "cls"), CASES, ids=[f"{e.__name__}-{k}-{c.__name__}" for e, k, c in CASES]
)
def test_every_rule_gives_its_references_numbers(
    estimator: type, kind: str, cls: type, sparse: bool, targets: str
) -> None:
    rng = np.random.default_rng(0)
    net, features = _network(kind, cls, rng)
    for layer in net.layers:  # biases away from 0, so that every term shows
        if "b" in layer.params:
            layer.params["b"][:] = rng.standard_normal(layer.params["b"].shape)
    x = _batch(rng, features, sparse)
    t = _targets(rng, int(net.forward(x).shape[1]), targets)
    if estimator is NumericalDiff:
        assert NumericalDiff().fallback_reason(net) is None  # the rules are what is used
        with net.training():  # one step: both see the same dropout masks
            fast = NumericalDiff(method="structured").gradient(net, x, t)
            loop = NumericalDiff(method="loop").gradient(net, x, t)
        assert _max_diff(fast, loop) <= 1e-9
    else:
        with net.training():
            exact = Backprop().gradient(net, x, t)
            complex_step = ComplexStep().gradient(net, x, t)
        for name, g in exact.items():
            tolerance = 1e-13 * float(np.max(np.abs(g))) + 1e-14
            assert float(np.max(np.abs(complex_step[name] - g))) <= tolerance, name


@pytest.mark.parametrize(("sparse", "targets"), [(True, "class"), (False, "soft")])
@pytest.mark.parametrize(
    ("estimator", "kind", "cls"), CASES, ids=[f"{e.__name__}-{k}-{c.__name__}" for e, k, c in CASES]
)
def test_every_rule_passes_the_public_check_by_a_wide_margin(
    estimator: Any, kind: str, cls: type, sparse: bool, targets: str
) -> None:
    """``check_rule`` on the layer's own input in its example network: float64 rounding,
    far below the tolerance (a rule 1% off is far above it: tests/test_rule_checks.py)."""
    rng = np.random.default_rng(1)
    net, features = _network(kind, cls, rng)
    x = _batch(rng, features, sparse)
    t = _targets(rng, int(net.forward(x).shape[1]), targets)
    with net.training():  # the training network, as the estimators see it
        acts = net.activations(x)
    if kind == "loss":
        worst = estimator.check_rule(net.loss_layer, acts[-1], t)
    else:
        i = next(i for i, layer in enumerate(net.layers) if type(layer) is cls and i > 0)
        worst = estimator.check_rule(net.layers[i], acts[i])
    assert 0.0 <= worst <= 1e-4 * RULE_TOLERANCE


#: Convolutional networks of every geometry the rules handle: ``(layers, sample shape)``.
#: Strides and pads, overlapping and tiling pooling windows (2x2 and 3x3), a padded pooling,
#: a convolution after a convolution (a changed channel, and a dense change, reach it),
#: Dropout and Sigmoid on images, a channel change flattened by an affine layer.
def _geometries() -> dict[str, Callable[[np.random.Generator], tuple[list[Any], Any]]]:
    def net(*layers: Callable[[np.random.Generator], Any], flat: int, sample: tuple[int, ...]
            ) -> Callable[[np.random.Generator], tuple[list[Any], Any]]:  # fmt: skip
        def build(r: np.random.Generator) -> tuple[list[Any], Any]:
            return [make(r) for make in layers] + [
                Affine.random(flat, 3, rng=r, weight_init_std=1.0)
            ], sample

        return build

    return {
        "book": net(_conv(3, 1, 3), lambda r: Relu(), lambda r: Pooling(2, 2, stride=2),
                    flat=12, sample=(1, 6, 6)),
        "pad-1": net(_conv(2, 2, 3, pad=1), lambda r: Relu(), lambda r: Pooling(2, 2, 2),
                     flat=18, sample=(2, 6, 6)),
        "stride-2-pad-1": net(_conv(2, 1, 3, stride=2, pad=1), lambda r: Sigmoid(),
                              lambda r: Pooling(3, 3, stride=1), flat=8, sample=(1, 7, 7)),
        "conv-conv-padded-pool": net(_conv(3, 2, 3), _conv(2, 3, 3, pad=1), lambda r: Relu(),
                                     lambda r: Pooling(2, 2, stride=2, pad=1), flat=18,
                                     sample=(2, 6, 6)),
        "dropout-tiles-3": net(_conv(2, 1, 2), lambda r: Dropout(0.5, rng=r),
                               lambda r: Pooling(3, 3, stride=3), flat=8, sample=(1, 7, 7)),
        "rectangular-pool": net(_conv(2, 1, 3), lambda r: Pooling(2, 3, stride=1, pad=1),
                                flat=2 * 7 * 6, sample=(1, 8, 8)),
    }  # fmt: skip


GEOMETRIES = _geometries()


@pytest.mark.parametrize(("sparse", "targets"), [(True, "class"), (False, "soft")])
@pytest.mark.parametrize("geometry", sorted(GEOMETRIES))
def test_convolution_and_pooling_rules_give_the_loops_numbers(
    geometry: str, sparse: bool, targets: str
) -> None:
    rng = np.random.default_rng(1)
    layers, sample = GEOMETRIES[geometry](rng)
    net = Sequential(layers, SoftmaxWithLoss(0.0))
    x = _batch(rng, sample, sparse)
    t = _targets(rng, 3, targets)
    assert NumericalDiff().fallback_reason(net) is None
    with net.training():
        fast = NumericalDiff(method="structured").gradient(net, x, t)
        loop = NumericalDiff(method="loop").gradient(net, x, t)
    assert _max_diff(fast, loop) <= 1e-9
