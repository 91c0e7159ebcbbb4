"""Optimizer state (``Stateful``): lazy, plain data, copied both ways, checked on loading,
and resuming from a saved state continues exactly as if never interrupted.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn import (
    SGD,
    AdaGrad,
    Adam,
    Backprop,
    Momentum,
    Nesterov,
    RMSprop,
    Stateful,
    TwoLayerNet,
)

from ._optimizer_cases import FACTORIES, same_state

SLOTS = {"SGD": (), "Momentum": ("v",), "Nesterov": ("v",), "AdaGrad": ("h",),
         "RMSprop": ("h",), "Adam": ("m", "v")}  # fmt: skip


def plain(value: Any) -> bool:
    """Only what an .npz can hold without pickle: arrays, numbers, str, dicts of them."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and "/" not in k and plain(v) for k, v in value.items())
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf"
    return isinstance(value, (int, float, bool, str))


def flatten(state: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"m": {"W1": a}}`` -> ``{"m/W1": a}``: the keys have no '/', so this inverts."""
    out: dict[str, Any] = {}
    for key, value in state.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}/"))
            out.setdefault(f"{prefix}{key}/", np.zeros(0))  # marks an empty dict
        else:
            out[prefix + key] = value
    return out


def unflatten(flat: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for key, value in flat.items():
        *path, last = key.split("/")
        node = state
        for part in path:
            node = node.setdefault(part, {})
        if last:
            node[last] = value
    return state


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_state_is_created_lazily_per_parameter(name: str) -> None:
    opt = FACTORIES[name]()
    fresh = opt.state_dict()
    assert fresh["optimizer"] == name
    assert all(fresh[slot] == {} for slot in SLOTS[name])
    assert fresh["t"] == 0 and set(fresh) == {"optimizer", "t", *SLOTS[name]}
    params = {"W": np.zeros((2, 3)), "b": np.zeros(3, dtype=np.float32)}
    opt.update(params, {"W": np.ones((2, 3)), "b": np.ones(3, dtype=np.float32)})
    state = opt.state_dict()
    assert plain(state)
    for slot in SLOTS[name]:
        assert sorted(state[slot]) == ["W", "b"]
        assert state[slot]["W"].shape == (2, 3) and state[slot]["W"].dtype == np.float64
        assert state[slot]["b"].shape == (3,) and state[slot]["b"].dtype == np.float32
    assert state["t"] == 1  # every optimizer counts its updates (a schedule's step)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_state_dict_and_load_copy(name: str) -> None:
    opt = FACTORIES[name]()
    params = {"W": np.ones(3)}
    opt.update(params, {"W": np.array([1.0, -2.0, 3.0])})
    saved = opt.state_dict()
    reference = opt.state_dict()
    for slot in SLOTS[name]:  # changing what was returned does not change the optimizer
        saved[slot]["W"] += 100.0
    assert same_state(opt.state_dict(), reference)
    kept = copy.deepcopy(reference)
    opt.update(params, {"W": np.ones(3)})  # updating does not change what was returned
    assert same_state(reference, kept)
    assert not same_state(opt.state_dict(), kept)  # although the state moved (t, at least)
    other = FACTORIES[name]()
    other.load_state_dict(reference)
    for slot in SLOTS[name]:  # changing the loaded arrays does not change the optimizer
        reference[slot]["W"][...] = 7.0
        assert not np.any(other.state_dict()[slot]["W"] == 7.0)


def trajectory(
    name: str, steps: int, resume_at: int | None, tmp_path: Path
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Train a small net with full-batch Backprop; optionally save, reload and go on."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((20, 4))
    t = rng.integers(0, 3, 20)
    net = TwoLayerNet(4, 5, 3, weight_init_std=0.5, rng=4)
    opt = FACTORIES[name]()
    for step in range(steps):
        if step == resume_at:  # a new process would do this: npz out, fresh optimizer, npz in
            path = tmp_path / f"{name}.npz"
            np.savez(path, **flatten(opt.state_dict()))
            with np.load(path, allow_pickle=False) as data:
                loaded = unflatten({k: data[k] for k in data.files})
            opt = FACTORIES[name]()
            opt.load_state_dict(loaded)
        opt.update(net.params, Backprop().gradient(net, x, t))
    return {k: v.copy() for k, v in net.params.items()}, opt.state_dict()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_save_load_and_continue_is_bit_for_bit(name: str, tmp_path: Path) -> None:
    straight, state = trajectory(name, 12, None, tmp_path)
    resumed, state_resumed = trajectory(name, 12, 5, tmp_path)
    for key in straight:
        np.testing.assert_array_equal(resumed[key], straight[key])
    assert same_state(state_resumed, state)
    assert int(state.get("t", 12)) == 12


def test_a_state_from_npz_loads_with_0d_arrays_for_numbers_and_names(tmp_path: Path) -> None:
    opt = Adam()
    opt.update({"W": np.ones(2)}, {"W": np.ones(2)})
    state = {**opt.state_dict(), "t": np.array(1), "optimizer": np.array("Adam")}
    other = Adam()
    other.load_state_dict(state)
    assert other.state_dict()["t"] == 1 and other.state_dict()["optimizer"] == "Adam"


def adam_state() -> dict[str, Any]:
    return {"optimizer": "Adam", "t": 2, "m": {"W": np.ones(2)}, "v": {"W": np.ones(2)}}


BAD_STATES: list[tuple[Any, Any, type[Exception], str]] = [
    (Adam, [("optimizer", "Adam")], TypeError, "state must be a mapping"),
    (Adam, {**adam_state(), "optimizer": "Momentum"}, ValueError, "state of Momentum, not of Adam"),
    (Nesterov, {"optimizer": "Momentum", "v": {}}, ValueError, "of Momentum, not of Nesterov"),
    (Adam, {k: v for k, v in adam_state().items() if k != "optimizer"}, ValueError,
     "unknown optimizer"),
    (Adam, {k: v for k, v in adam_state().items() if k != "t"}, ValueError, "has the keys"),
    (Adam, {**adam_state(), "lr": 0.1}, ValueError, "has the keys"),
    (Adam, {**adam_state(), "optimizer": 3}, TypeError, "optimizer"),
    (Adam, {**adam_state(), "t": 2.0}, TypeError, r"state\['t'\] must be int"),
    (Adam, {**adam_state(), "t": True}, TypeError, r"state\['t'\] must be int"),
    (Adam, {**adam_state(), "t": -1}, ValueError, "does not fit"),
    (Adam, {**adam_state(), "t": 0}, ValueError, "does not fit"),
    (Adam, {**adam_state(), "m": {}, "v": {}}, ValueError, "does not fit"),
    (Adam, {**adam_state(), "m": [np.ones(2)]}, TypeError, r"state\['m'\] must be a mapping"),
    (Adam, {**adam_state(), "m": {"W": [1.0, 1.0]}}, TypeError, "floating-point ndarray"),
    (Adam, {**adam_state(), "m": {"W": np.ones(2, dtype=int)}}, TypeError, "floating-point"),
    (Adam, {**adam_state(), "m": {"W": np.array([1.0, np.nan])}}, ValueError, "NaN or infinity"),
    (Adam, {**adam_state(), "v": {"W": np.array([1.0, -1.0])}}, ValueError, "must be >= 0"),
    (Adam, {**adam_state(), "v": {"b": np.ones(2)}}, ValueError, "equal names and shapes"),
    (Adam, {**adam_state(), "v": {"W": np.ones(3)}}, ValueError, "equal names and shapes"),
    (Adam, {**adam_state(), "m": {"a/b": np.ones(2)}, "v": {"a/b": np.ones(2)}}, ValueError,
     "without '/'"),
    (AdaGrad, {"optimizer": "AdaGrad", "h": {"W": -np.ones(2)}, "t": 1}, ValueError,
     "must be >= 0"),
    (RMSprop, {"optimizer": "RMSprop", "h": {"W": np.ones(2)}}, ValueError, "has the keys"),
    (RMSprop, {"optimizer": "RMSprop", "h": {"W": np.ones(2)}, "t": 1, "s": {}}, ValueError,
     "has the keys"),
    (Momentum, {"optimizer": "Momentum", "v": {"W": np.array([np.inf, 0.0])}, "t": 1},
     ValueError, "NaN or infinity"),
    (SGD, {"optimizer": "SGD", "t": -1}, ValueError, "does not fit"),
]  # fmt: skip


@pytest.mark.parametrize(("cls", "state", "exc", "pattern"), BAD_STATES)
def test_a_state_that_does_not_fit_is_refused_and_changes_nothing(
    cls: Any, state: Any, exc: type[Exception], pattern: str
) -> None:
    opt = cls(lr=0.1)
    params = {"W": np.ones(2)}
    opt.update(params, {"W": np.ones(2)})
    before = opt.state_dict()
    with pytest.raises(exc, match=pattern):
        opt.load_state_dict(state)
    assert same_state(opt.state_dict(), before)


@pytest.mark.parametrize("cls", [Momentum, Nesterov, AdaGrad, RMSprop, Adam])
def test_a_state_of_other_parameters(cls: Any) -> None:
    source = cls(lr=0.1)
    source.update({"W": np.ones((2, 2)), "b": np.ones(2)}, {"W": np.ones((2, 2)), "b": np.ones(2)})
    state = source.state_dict()
    used = cls(lr=0.1)  # an optimizer that already has state refuses it when loading
    used.update({"W": np.ones(3)}, {"W": np.ones(3)})
    with pytest.raises(ValueError, match=r"this state is for parameters \{'W': \(2, 2\)"):
        used.load_state_dict(state)
    fresh = cls(lr=0.1)  # a fresh one cannot know: it refuses at the first update, unchanged
    fresh.load_state_dict(state)
    params = {"W": np.ones((2, 2)), "c": np.ones(2)}
    with pytest.raises(ValueError, match="state is for parameters"):
        fresh.update(params, {"W": np.ones((2, 2)), "c": np.ones(2)})
    np.testing.assert_array_equal(params["W"], 1.0)
    assert same_state(fresh.state_dict(), state)
    fresh.load_state_dict(cls(lr=0.1).state_dict())  # an empty state resets it
    fresh.update(params, {"W": np.ones((2, 2)), "c": np.ones(2)})


def test_sgd_state_names_sgd_only() -> None:
    sgd = FACTORIES["SGD"]()
    sgd.load_state_dict({"optimizer": "SGD", "t": 3})
    assert sgd.state_dict() == {"optimizer": "SGD", "t": 3}
    with pytest.raises(ValueError, match="state of Adam, not of SGD"):
        sgd.load_state_dict(adam_state())


def test_every_optimizer_is_stateful() -> None:
    for make in FACTORIES.values():
        assert isinstance(make(), Stateful)
