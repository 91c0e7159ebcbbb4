"""The optimizers' update rules (book 6.1): by hand, against the book's code, on f(x, y).

State and resuming are in ``test_optimizer_state.py``, all-or-nothing updates in
``test_optimizer_errors.py``, MNIST in ``test_mnist_optimizers.py``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes
from numpy.typing import NDArray

from tinynn import SGD, AdaGrad, Adam, Momentum, Nesterov, Optimizer, RMSprop, Stateful
from tinynn.optimizers import check_update

from . import book_reference as book

EPS = 1e-7
W0 = [1.0, -2.0]
G1 = [0.5, -1.0]
G2 = [-0.3, 2.0]


def two_steps(opt: Optimizer) -> np.ndarray:
    params = {"W": np.array(W0)}
    opt.update(params, {"W": np.array(G1)})
    opt.update(params, {"W": np.array(G2)})
    return params["W"]


# Each expected value below is worked out from the rule in the book, entry by entry:
# W0 = (1, -2), then the gradients g1 = (0.5, -1) and g2 = (-0.3, 2).
HAND: dict[str, tuple[Optimizer, list[float]]] = {
    # W <- W - 0.1 g
    "SGD": (SGD(lr=0.1), [1 - 0.05 + 0.03, -2 + 0.1 - 0.2]),
    # v1 = -0.1 g1 = (-0.05, 0.1); v2 = 0.9 v1 - 0.1 g2 = (-0.015, -0.11); W2 = W0 + v1 + v2
    "Momentum": (Momentum(lr=0.1, momentum=0.9), [0.935, -2.01]),
    # same v; W <- W + 0.81 v - 0.19 g:
    # W1 = (1 - 0.0405 - 0.095, -2 + 0.081 + 0.19) = (0.8645, -1.729)
    # W2 = (0.8645 - 0.01215 + 0.057, -1.729 - 0.0891 - 0.38)
    "Nesterov": (Nesterov(lr=0.1, momentum=0.9), [0.90935, -2.1981]),
    # h1 = (0.25, 1), h2 = (0.34, 5); W <- W - 0.1 g / (sqrt(h) + eps)
    "AdaGrad": (
        AdaGrad(lr=0.1),
        [
            1 - 0.05 / (0.5 + EPS) + 0.03 / (math.sqrt(0.34) + EPS),
            -2 + 0.1 / (1 + EPS) - 0.2 / (math.sqrt(5) + EPS),
        ],
    ),
    # rho = 0.9: h1 = 0.1 g1^2 = (0.025, 0.1); h2 = 0.9 h1 + 0.1 g2^2 = (0.0315, 0.49)
    "RMSprop": (
        RMSprop(lr=0.1, decay_rate=0.9),
        [
            1 - 0.05 / (math.sqrt(0.025) + EPS) + 0.03 / (math.sqrt(0.0315) + EPS),
            -2 + 0.1 / (math.sqrt(0.1) + EPS) - 0.2 / (0.7 + EPS),
        ],
    ),
    # t=1: m = 0.1 g1 = (0.05, -0.1), v = 0.001 g1^2 = (0.00025, 0.001),
    #      lr_1 = 0.1 sqrt(0.001) / 0.1
    # t=2: m = 0.9 m + 0.1 g2 = (0.015, 0.11), v = 0.999 v + 0.001 g2^2 = (0.00033975, 0.004999),
    #      lr_2 = 0.1 sqrt(1 - 0.999^2) / (1 - 0.9^2) = 0.1 sqrt(0.001999) / 0.19
    "Adam": (
        Adam(lr=0.1),
        [
            1
            - math.sqrt(0.001) * 0.05 / (math.sqrt(0.00025) + EPS)
            - 0.1 * math.sqrt(0.001999) / 0.19 * 0.015 / (math.sqrt(0.00033975) + EPS),
            -2
            + math.sqrt(0.001) * 0.1 / (math.sqrt(0.001) + EPS)
            - 0.1 * math.sqrt(0.001999) / 0.19 * 0.11 / (math.sqrt(0.004999) + EPS),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_two_steps_worked_out_by_hand(name: str) -> None:
    opt, expected = HAND[name]
    np.testing.assert_allclose(two_steps(dataclasses.replace(opt)), expected, rtol=1e-12)


def test_the_state_after_two_steps_by_hand() -> None:
    opt = Momentum(lr=0.1)
    two_steps(opt)
    np.testing.assert_allclose(opt.state_dict()["v"]["W"], [-0.015, -0.11], rtol=1e-12)
    adam = Adam(lr=0.1)
    two_steps(adam)
    state = adam.state_dict()
    assert state["t"] == 2
    np.testing.assert_allclose(state["m"]["W"], [0.015, 0.11], rtol=1e-12)
    np.testing.assert_allclose(state["v"]["W"], [0.00033975, 0.004999], rtol=1e-12)


PAIRS: list[tuple[Callable[..., Any], Callable[..., Any], dict[str, float]]] = [
    (SGD, book.BookSGD, {"lr": 0.1}),
    (Momentum, book.BookMomentum, {"lr": 0.05, "momentum": 0.8}),
    (Nesterov, book.BookNesterov, {"lr": 0.05, "momentum": 0.8}),
    (AdaGrad, book.BookAdaGrad, {"lr": 0.1}),
    (RMSprop, book.BookRMSprop, {"lr": 0.01, "decay_rate": 0.9}),
    (Adam, book.BookAdam, {"lr": 0.01, "beta1": 0.8, "beta2": 0.99}),
]


@pytest.mark.parametrize(
    ("ours", "theirs", "hyper"), PAIRS, ids=lambda v: getattr(v, "__name__", "")
)
def test_bit_for_bit_the_books_code(
    ours: Callable[..., Any], theirs: Callable[..., Any], hyper: dict[str, float]
) -> None:
    rng = np.random.default_rng(7)
    shapes = {"W1": (4, 3), "b1": (3,), "W2": (3, 2)}
    mine = {k: rng.standard_normal(s) for k, s in shapes.items()}
    ref = {k: v.copy() for k, v in mine.items()}
    a, b = ours(**hyper), theirs(**hyper)
    for _ in range(25):
        grads = {k: rng.standard_normal(s) * 10.0 ** rng.integers(-3, 2) for k, s in shapes.items()}
        a.update(mine, grads)
        b.update(ref, {k: g.copy() for k, g in grads.items()})
    for k in shapes:
        np.testing.assert_array_equal(mine[k], ref[k])


def test_the_books_defaults() -> None:
    assert SGD().lr == 0.01
    assert (Momentum().lr, Momentum().momentum) == (0.01, 0.9)
    assert (Nesterov().lr, Nesterov().momentum) == (0.01, 0.9)
    assert (AdaGrad().lr, AdaGrad().eps) == (0.01, 1e-7)
    assert (RMSprop().lr, RMSprop().decay_rate, RMSprop().eps) == (0.01, 0.99, 1e-7)
    assert (Adam().lr, Adam().beta1, Adam().beta2, Adam().eps) == (0.001, 0.9, 0.999, 1e-7)


ALL = [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam]


@pytest.mark.parametrize("cls", ALL)
def test_fits_the_protocols_and_is_frozen(cls: Callable[..., Any]) -> None:
    opt = cls()
    assert isinstance(opt, Optimizer) and isinstance(opt, Stateful)
    with pytest.raises(dataclasses.FrozenInstanceError):
        opt.lr = 1.0
    assert "state" not in repr(opt) and repr(opt).startswith(f"{cls.__name__}(lr=")


def test_updates_in_place_and_leaves_the_params_dict_alone() -> None:
    for cls in ALL:
        W = np.array([[1.0, 2.0], [3.0, 4.0]])
        params = {"W": W}
        cls().update(params, {"W": np.ones((2, 2))})
        assert params["W"] is W and np.all(W < [[1.0, 2.0], [3.0, 4.0]]), cls


BAD_HYPER = [
    (SGD, "lr", 0.0), (SGD, "lr", float("nan")),
    (Momentum, "lr", -1.0), (Momentum, "momentum", 1.0), (Momentum, "momentum", -0.1),
    (Nesterov, "momentum", float("nan")), (Nesterov, "lr", float("inf")),
    (AdaGrad, "lr", 0.0), (AdaGrad, "eps", 0.0),
    (RMSprop, "decay_rate", 1.0), (RMSprop, "decay_rate", -0.5), (RMSprop, "eps", -1e-7),
    (Adam, "beta1", 1.0), (Adam, "beta2", 1.5), (Adam, "lr", -0.001), (Adam, "eps", float("inf")),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "name", "value"), BAD_HYPER)
def test_bad_hyperparameters_are_refused_at_construction(
    cls: Callable[..., Any], name: str, value: float
) -> None:
    with pytest.raises(ValueError, match=name):
        cls(**{name: value})


@pytest.mark.parametrize("cls", ALL)
@pytest.mark.parametrize("value", ["0.1", None, True, [0.1]])
def test_hyperparameters_of_the_wrong_type(cls: Callable[..., Any], value: object) -> None:
    with pytest.raises(TypeError, match="lr must be"):
        cls(lr=value)


def f(x: float, y: float) -> float:
    """The book's function of section 6.1.3: f(x, y) = x^2 / 20 + y^2."""
    return x**2 / 20.0 + y**2


def descend(opt: Optimizer, steps: int) -> np.ndarray:
    """The path from (-7, 2), as the book's ``optimizer_compare_naive.py`` walks it."""
    params = {"x": np.array(-7.0), "y": np.array(2.0)}
    path = [(-7.0, 2.0)]
    for _ in range(steps):
        x, y = float(params["x"]), float(params["y"])
        opt.update(params, {"x": np.array(x / 10.0), "y": np.array(2.0 * y)})
        path.append((float(params["x"]), float(params["y"])))
    return np.array(path)


# the book's learning rates for figure 6-8 (SGD 0.95, Momentum 0.1, AdaGrad 1.5, Adam 0.3);
# Nesterov as Momentum, RMSprop as Adam
PATHS = [SGD(lr=0.95), Momentum(lr=0.1), Nesterov(lr=0.1), AdaGrad(lr=1.5), RMSprop(lr=0.3),
         Adam(lr=0.3)]  # fmt: skip


@pytest.mark.parametrize("opt", PATHS, ids=lambda v: type(v).__name__)
def test_walks_from_minus_7_2_to_the_minimum(opt: Optimizer) -> None:
    path = descend(dataclasses.replace(opt), 30)  # type: ignore[type-var]
    values = [f(x, y) for x, y in path]
    assert values[0] == pytest.approx(49 / 20 + 4)
    assert values[-1] < 0.15  # the book's 30 steps: from 6.45 to within 0.15 of f(0, 0) = 0
    assert np.hypot(*path[-1]) < 1.0  # from a distance of 7.3
    longer = descend(dataclasses.replace(opt), 200)  # type: ignore[type-var]
    assert f(*longer[-1]) < 1e-6  # and 200 steps get there
    assert np.hypot(*longer[-1]) < 1e-3


def test_check_update_is_exported_and_changes_nothing() -> None:
    params = {"W": np.ones(2)}
    check_update(params, {"W": np.zeros(2)})
    np.testing.assert_array_equal(params["W"], 1.0)


@given(
    pair=st.sampled_from(PAIRS),
    lr=st.floats(1e-4, 1.0),
    decay=st.floats(0.0, 0.999),
    shape=array_shapes(min_dims=0, max_dims=3, max_side=4),
    seed=st.integers(0, 2**32 - 1),
)
def test_bit_for_bit_the_books_code_for_any_hyperparameters(
    pair: tuple[Callable[..., Any], Callable[..., Any], dict[str, float]],
    lr: float, decay: float, shape: tuple[int, ...], seed: int,
) -> None:  # fmt: skip
    ours, theirs, hyper = pair
    names = {"momentum", "decay_rate", "beta1", "beta2"} & set(hyper)
    hyper = {"lr": lr, **{name: decay for name in names}}
    rng = np.random.default_rng(seed)
    mine = {"W": np.asarray(rng.standard_normal(shape))}
    ref = {"W": mine["W"].copy()}
    a, b = ours(**hyper), theirs(**hyper)
    for _ in range(5):
        g = np.asarray(rng.standard_normal(shape) * 10.0 ** rng.integers(-4, 3))
        a.update(mine, {"W": g})
        b.update(ref, {"W": g.copy()})
    np.testing.assert_array_equal(mine["W"], ref["W"])


# -- Nesterov: the book's variant, and how it differs from Bengio et al.'s rule -----------------
Vec = NDArray[np.float64]


def _bengio_nag(w: Vec, v: Vec, g: Vec, lr: float, alpha: float) -> tuple[Vec, Vec]:
    """Bengio et al. (2012), eq. 7: the step uses the old velocity."""
    return w + alpha**2 * v - (1 + alpha) * lr * g, alpha * v - lr * g


def _pytorch_nag(w: Vec, buf: Vec, g: Vec, lr: float, alpha: float) -> tuple[Vec, Vec]:
    """torch.optim.SGD(momentum=alpha, nesterov=True) as its documentation writes it."""
    buf = alpha * buf + g
    return w - lr * (g + alpha * buf), buf


def _valley_paths(lr: float = 0.1, alpha: float = 0.9, steps: int = 30) -> tuple[Vec, Vec, Vec]:
    """30 steps on f(x, y) = x**2/20 + y**2 from (-7, 2): tinynn's, Bengio's, PyTorch's rule."""
    ours = Nesterov(lr=lr, momentum=alpha)
    p = {"x": np.array(-7.0), "y": np.array(2.0)}
    w_b, v_b = np.array([-7.0, 2.0]), np.zeros(2)
    w_t, buf = w_b.copy(), np.zeros(2)
    a, b, c = [], [], []
    for _ in range(steps):
        ours.update(p, {"x": p["x"] / 10.0, "y": 2.0 * p["y"]})
        a.append([float(p["x"]), float(p["y"])])
        w_b, v_b = _bengio_nag(w_b, v_b, np.array([w_b[0] / 10.0, 2.0 * w_b[1]]), lr, alpha)
        b.append(w_b)
        w_t, buf = _pytorch_nag(w_t, buf, np.array([w_t[0] / 10.0, 2.0 * w_t[1]]), lr, alpha)
        c.append(w_t)
    return np.array(a), np.array(b), np.array(c)


def test_nesterov_is_the_books_variant_and_differs_from_bengio_by_what_the_docs_say() -> None:
    ours, bengio, pytorch = _valley_paths()
    np.testing.assert_allclose(pytorch, bengio, atol=1e-12)  # one rule, written two ways
    # the figures stated in Nesterov's docstring and on the optimizers page
    np.testing.assert_allclose(ours[-1], [0.5264, 0.0002], atol=5e-5)
    np.testing.assert_allclose(bengio[-1], [0.6896, -0.0007], atol=5e-5)
    difference = np.abs(ours - bengio)
    assert difference.max() == pytest.approx(0.3706, abs=5e-5)
    assert np.unravel_index(difference.argmax(), difference.shape) == (5, 1)  # y, step 6
    # the book's step in closed form: alpha**3 v_old - (1 + alpha + alpha**2) lr g
    rng = np.random.default_rng(0)
    lr, alpha = 0.05, 0.8
    opt = Nesterov(lr=lr, momentum=alpha)
    w = rng.standard_normal(5)
    params = {"W": w.copy()}
    opt.update(params, {"W": rng.standard_normal(5)})  # some velocity
    v_old, before, g = opt.state_dict()["v"]["W"], params["W"].copy(), rng.standard_normal(5)
    opt.update(params, {"W": g})
    np.testing.assert_allclose(
        params["W"] - before, alpha**3 * v_old - (1 + alpha + alpha**2) * lr * g, atol=1e-14
    )
    bengio_step, _ = _bengio_nag(before, v_old, g, lr, alpha)
    assert not np.allclose(params["W"], bengio_step)
