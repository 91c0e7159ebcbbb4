"""All or nothing (issue 8): a bad update raises before any parameter or state changes.

Every optimizer, every kind of bad input: params that are not a mapping or hold
integer, read-only or non-array values; grads that are not a mapping, miss or
add a key, or hold a list, strings, objects, booleans, complex numbers, another
shape, NaN or infinity. The bad entry is always the *last* parameter, so an
optimizer that updated as it validated would already have changed the others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from tinynn import Optimizer
from tinynn.optimizers import check_update

from ._optimizer_cases import FACTORIES, same_state

Case = tuple[Any, Any, type[Exception], str]


def _last(d: dict[str, Any]) -> str:
    return list(d)[-1]


def _with(d: dict[str, Any], key: str, value: object) -> dict[str, Any]:
    return {**d, key: value}


def _nan(g: np.ndarray, value: float) -> np.ndarray:
    g = g.copy()
    g.flat[g.size // 2] = value
    return g


def _readonly(p: np.ndarray) -> np.ndarray:
    p = p.copy()
    p.flags.writeable = False
    return p


#: kind -> (params, grads) -> (bad params, bad grads, exception, message pattern)
BAD: dict[str, Callable[[dict[str, Any], dict[str, Any]], Case]] = {
    "grads None": lambda p, g: (p, None, TypeError, "grads must be a mapping"),
    "grads list": lambda p, g: (p, list(g.values()), TypeError, "grads must be a mapping"),
    "grads array": lambda p, g: (p, np.ones(3), TypeError, "grads must be a mapping"),
    "grads tuple of pairs": lambda p, g: (p, tuple(g.items()), TypeError, "got tuple"),
    "params list": lambda p, g: (list(p.values()), g, TypeError, "params must be a mapping"),
    "missing key": lambda p, g: (p, {k: v for k, v in g.items() if k != _last(g)}, ValueError,
                                 "missing"),
    "extra key": lambda p, g: (p, _with(g, "zz_extra", np.ones(1)), ValueError, "unexpected"),
    "grad list": lambda p, g: (p, _with(g, _last(g), g[_last(g)].tolist()), TypeError,
                               "real numbers"),
    "grad float": lambda p, g: (p, _with(g, _last(g), 0.5), TypeError, "real numbers"),
    "grad strings": lambda p, g: (p, _with(g, _last(g), np.full(g[_last(g)].shape, "1.0")),
                                  TypeError, "dtype <U3"),
    "grad objects": lambda p, g: (p, _with(g, _last(g), g[_last(g)].astype(object)), TypeError,
                                  "dtype object"),
    "grad complex": lambda p, g: (p, _with(g, _last(g), g[_last(g)] + 1j), TypeError,
                                  "dtype complex128"),
    "grad bool": lambda p, g: (p, _with(g, _last(g), g[_last(g)] > 0), TypeError, "dtype bool"),
    "grad shape": lambda p, g: (p, _with(g, _last(g), g[_last(g)][..., None]), ValueError,
                                "has shape"),
    "grad NaN": lambda p, g: (p, _with(g, _last(g), _nan(g[_last(g)], np.nan)), ValueError,
                              "NaN or infinity"),
    "grad inf": lambda p, g: (p, _with(g, _last(g), _nan(g[_last(g)], -np.inf)), ValueError,
                              "NaN or infinity"),
    "param int": lambda p, g: (_with(p, _last(p), p[_last(p)].astype(np.int64)), g, TypeError,
                               "floating-point ndarray"),
    "param float": lambda p, g: (_with(p, _last(p), 1.0), g, TypeError, "floating-point ndarray"),
    "param list": lambda p, g: (_with(p, _last(p), p[_last(p)].tolist()), g, TypeError,
                                "floating-point ndarray"),
    "param read-only": lambda p, g: (_with(p, _last(p), _readonly(p[_last(p)])), g, ValueError,
                                     "read-only"),
}  # fmt: skip


def assert_all_or_nothing(
    opt: Any, params: dict[str, np.ndarray], grads: dict[str, np.ndarray], kind: str
) -> None:
    bad_params, bad_grads, exc, pattern = BAD[kind](params, grads)
    before = {k: v.copy() for k, v in params.items()}
    state = opt.state_dict()
    with pytest.raises(exc, match=pattern):
        opt.update(bad_params, bad_grads)
    for key, value in before.items():
        np.testing.assert_array_equal(params[key], value, err_msg=f"{kind}: {key} changed")
    assert same_state(opt.state_dict(), state), f"{kind}: the optimizer's state changed"
    # and a good update still works afterwards, from where it was
    opt.update(params, grads)


def problem(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    shapes = {"W1": (3, 2), "b1": (2,), "W2": (2, 2)}
    return (
        {k: rng.standard_normal(s) for k, s in shapes.items()},
        {k: rng.standard_normal(s) for k, s in shapes.items()},
    )


@pytest.mark.parametrize("warmup", [0, 2])
@pytest.mark.parametrize("kind", sorted(BAD))
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_bad_input_changes_nothing(name: str, kind: str, warmup: int) -> None:
    rng = np.random.default_rng(0)
    params, grads = problem(rng)
    opt = FACTORIES[name]()
    for _ in range(warmup):  # with state already there, and before it is created
        opt.update(params, grads)
    assert_all_or_nothing(opt, params, grads, kind)


names = st.sampled_from(["W1", "b1", "W2", "b2", "gamma", "beta"])
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


@given(
    name=st.sampled_from(sorted(FACTORIES)),
    kind=st.sampled_from(sorted(BAD)),
    layout=st.dictionaries(names, shapes, min_size=1, max_size=4),
    warmup=st.integers(0, 3),
    seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-8, 1.0, 1e6]),
    float32=st.booleans(),
)
def test_random_bad_inputs_change_nothing(
    name: str, kind: str, layout: dict[str, tuple[int, ...]], warmup: int, seed: int,
    scale: float, float32: bool,
) -> None:  # fmt: skip
    rng = np.random.default_rng(seed)
    dtype = np.float32 if float32 else np.float64
    params = {k: np.asarray(rng.standard_normal(s), dtype=dtype) for k, s in layout.items()}
    grads = {k: np.asarray(scale * rng.standard_normal(s)) for k, s in layout.items()}
    opt = FACTORIES[name]()
    for _ in range(warmup):
        opt.update(params, grads)
    assert_all_or_nothing(opt, params, grads, kind)


@pytest.mark.parametrize("name", ["Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"])
def test_params_of_another_model_are_refused_before_anything_changes(name: str) -> None:
    rng = np.random.default_rng(1)
    params, grads = problem(rng)
    opt = FACTORIES[name]()
    opt.update(params, grads)
    state = opt.state_dict()
    other = {**params, "W2": np.zeros((2, 3))}  # W1 and b1 would be updated first
    before = {k: v.copy() for k, v in other.items()}
    for bad_params, bad_grads in [
        (other, {**grads, "W2": np.ones((2, 3))}),  # another shape
        ({"W1": params["W1"], "c": np.zeros(2)}, {"W1": grads["W1"], "c": np.ones(2)}),  # names
    ]:
        with pytest.raises(ValueError, match=f"{name}'s state is for parameters"):
            opt.update(bad_params, bad_grads)
    for key, value in before.items():
        np.testing.assert_array_equal(other[key], value)
    assert same_state(opt.state_dict(), state)


def test_check_update_messages_name_what_was_passed() -> None:
    params = {"W": np.zeros((2, 2))}
    with pytest.raises(TypeError, match=r"grads must be a mapping \(a dict\) with the keys of "
                                        r"params, \['W'\], got list"):  # fmt: skip
        check_update(params, [np.zeros((2, 2))])
    with pytest.raises(TypeError, match=r"params\['W'\] must be a floating-point ndarray .* "
                                        r"dtype int64"):  # fmt: skip
        check_update({"W": np.zeros(2, dtype=np.int64)}, {"W": np.zeros(2)})
    with pytest.raises(TypeError, match=r"grads\['W'\] must be a NumPy array of real numbers "
                                        r"\(int or float\), got list"):  # fmt: skip
        check_update(params, {"W": [[0.0, 0.0], [0.0, 0.0]]})


def test_integer_and_float32_gradients_are_accepted() -> None:
    for make in FACTORIES.values():
        opt: Optimizer = make()
        a = {"W": np.array([1.0, 2.0])}
        b = {"W": np.array([1.0, 2.0])}
        opt.update(a, {"W": np.array([3, -4])})
        make().update(b, {"W": np.array([3.0, -4.0])})
        np.testing.assert_array_equal(a["W"], b["W"])
        c = {"W": np.array([1.0, 2.0], dtype=np.float32)}
        make().update(c, {"W": np.array([3.0, -4.0], dtype=np.float32)})
        assert c["W"].dtype == np.float32 and np.all(c["W"] != [1.0, 2.0])
