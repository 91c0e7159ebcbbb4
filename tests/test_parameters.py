"""Parameters cannot be detached, added, removed or half-updated; NaN weights are named."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynn import SPSA, ComplexStep, NumericalDiff, Parameters, SimpleNet, TwoLayerNet


def net_and_x() -> tuple[TwoLayerNet, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    return TwoLayerNet(4, 5, 3, rng=0), np.ones((2, 4)), np.array([0, 2])


def linked(net: TwoLayerNet) -> bool:
    """Every entry of params is the very array its layer uses."""
    layers = [net.layers[0], net.layers[2]]
    return all(
        net.params[f"{k}{i}"] is layer.params[k] for i, layer in enumerate(layers, 1) for k in "Wb"
    )


REMOVERS = {
    "pop": lambda p: p.pop("W1"),
    "pop with default": lambda p: p.pop("nope", None),
    "popitem": lambda p: p.popitem(),
    "clear": lambda p: p.clear(),
    "del": lambda p: p.__delitem__("b1"),
    "fromkeys": lambda p: Parameters.fromkeys(["W1"]),
}


@pytest.mark.parametrize("name", REMOVERS)
def test_removing_raises_type_error_and_changes_nothing(name: str) -> None:
    net, x, t = net_and_x()
    before = net.loss(x, t)
    with pytest.raises(TypeError, match=r"cannot be removed|come from a model's layers"):
        REMOVERS[name](net.params)
    assert sorted(net.params) == ["W1", "W2", "b1", "b2"] and linked(net)
    assert net.loss(x, t) == before


ADDERS = {
    "setitem": lambda p: p.__setitem__("W3", np.zeros(2)),
    "setdefault": lambda p: p.setdefault("W3", np.zeros(2)),
    "update": lambda p: p.update({"W3": np.zeros(2)}),
    "update kwargs": lambda p: p.update(W3=np.zeros(2)),
    "ior": lambda p: p.__ior__({"W3": np.zeros(2)}),
    "non-str name": lambda p: p.__setitem__(3, np.zeros(2)),
    "getitem": lambda p: p["W3"],
}


@pytest.mark.parametrize("name", ADDERS)
def test_adding_or_reading_an_unknown_name_is_a_key_error_naming_the_parameters(name: str) -> None:
    net, _, _ = net_and_x()
    names = r"\['W1', 'b1', 'W2', 'b2'\]"
    with pytest.raises(KeyError, match=r"not a parameter of this model.*" + names):
        ADDERS[name](net.params)
    assert sorted(net.params) == ["W1", "W2", "b1", "b2"] and linked(net)


def test_setdefault_of_an_existing_name_returns_the_array_unchanged() -> None:
    net, _, _ = net_and_x()
    w = net.params["W1"].copy()
    assert net.params.setdefault("W1", np.zeros((4, 5))) is net.params["W1"]
    np.testing.assert_array_equal(net.params["W1"], w)


BAD_VALUES = [
    ({"b1": np.ones(5), "W2": np.ones(3)}, ValueError, "params\\['W2'\\] has shape \\(5, 3\\)"),
    ({"b1": np.ones(5), "W2": np.full((5, 3), np.nan)}, ValueError, "NaN at index \\(0, 0\\)"),
    ({"b1": np.ones(5), "b2": ["a", "b", "c"]}, TypeError, "params\\['b2'\\] must be an array"),
    ({"b1": np.ones(5), "b2": None}, TypeError, "got NoneType"),
    ({"b1": np.ones(5), "b2": [1 + 1j, 0, 0]}, TypeError, "real numbers"),
    ({"b1": np.ones(5), "b2": [[1, 2], [3]]}, ValueError, "ragged"),
]


@pytest.mark.parametrize(("items", "error", "message"), BAD_VALUES)
@pytest.mark.parametrize("how", ["update", "ior", "pairs", "kwargs"])
def test_a_bad_update_is_all_or_nothing(
    items: dict[str, Any], error: type[Exception], message: str, how: str
) -> None:
    net, _, _ = net_and_x()
    snapshot = {k: v.copy() for k, v in net.params.items()}
    with pytest.raises(error, match=message):
        if how == "update":
            net.params.update(items)
        elif how == "ior":
            p = net.params
            p |= items
        elif how == "pairs":
            net.params.update(list(items.items()))
        else:
            net.params.update(**items)
    for k, v in snapshot.items():  # b1 came first and was valid, but nothing was written
        np.testing.assert_array_equal(net.params[k], v)
    assert linked(net)


def test_a_good_update_and_ior_write_in_place() -> None:
    net, _, _ = net_and_x()
    p = net.params
    p |= {"b1": np.ones(5)}
    p.update([("b2", [1, 2, 3])], W2=np.zeros((5, 3)))
    assert linked(net) and net.params is p
    np.testing.assert_array_equal(net.layers[0].params["b"], np.ones(5))
    np.testing.assert_array_equal(net.layers[2].params["b"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(net.layers[2].params["W"], np.zeros((5, 3)))


def test_update_rejects_malformed_arguments() -> None:
    net, _, _ = net_and_x()
    with pytest.raises(TypeError, match="mapping or \\(name, array\\) pairs, got int 3"):
        net.params.update(3)
    with pytest.raises(ValueError, match="item 0 has 3 elements"):
        net.params.update([("b1", 1, 2)])


def test_copies() -> None:
    net, _, _ = net_and_x()
    plain = net.params.copy()
    assert type(plain) is dict and plain["W1"] is net.params["W1"]
    merged = net.params | {"extra": np.zeros(1)}
    assert type(merged) is dict and "extra" not in net.params
    shallow = copy.copy(net.params)
    assert isinstance(shallow, Parameters) and shallow["W1"] is net.params["W1"]
    clone = copy.deepcopy(net)
    assert isinstance(clone.params, Parameters)
    assert clone.params["W1"] is clone.layers[0].params["W"]  # still linked in the clone
    assert clone.params["W1"] is not net.params["W1"]


def test_construction_checks() -> None:
    with pytest.raises(TypeError, match="names must be str"):
        Parameters({1: np.zeros(2)})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="float ndarray"):
        Parameters({"W": [1.0, 2.0]})  # type: ignore[dict-item]
    with pytest.raises(TypeError, match="float ndarray"):
        Parameters({"W": np.zeros(2, dtype=int)})  # type: ignore[dict-item]


OPS = st.sampled_from(["set", "set_bad_shape", "set_nan", "update_mixed", "ior", "pop", "clear",
                       "setdefault_new", "del", "popitem"])


@given(st.lists(OPS, max_size=12), st.integers(0, 3))
def test_no_sequence_of_dict_operations_detaches_or_corrupts(ops: list[str], k: int) -> None:
    net, x, t = net_and_x()
    p = net.params
    names = list(p)
    for op in ops:
        name = names[k]
        shape = p[name].shape
        try:
            if op == "set":
                p[name] = np.full(shape, 0.5)
            elif op == "set_bad_shape":
                p[name] = np.zeros((*shape, 2))
            elif op == "set_nan":
                p[name] = np.full(shape, np.nan)
            elif op == "update_mixed":
                p.update({names[(k + 1) % 4]: np.zeros(p[names[(k + 1) % 4]].shape), name: 1j})
            elif op == "ior":
                p |= {name: np.ones(shape)}
            elif op == "pop":
                p.pop(name)
            elif op == "clear":
                p.clear()
            elif op == "setdefault_new":
                p.setdefault("new", np.zeros(1))
            elif op == "del":
                del p[name]
            else:
                p.popitem()
        except (TypeError, ValueError, KeyError):
            pass
        assert list(p) == names and linked(net)
        assert all(np.all(np.isfinite(v)) for v in p.values())
    assert np.isfinite(net.loss(x, t))


# -- NaN put into a weight in place ---------------------------------------------------------


@pytest.mark.filterwarnings("ignore:invalid value encountered in matmul:RuntimeWarning")
@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize(
    "call",
    [
        "loss",
        "predict",
        "accuracy",
        "gradient",
        "bind_loss",
        "numerical_gradient",
        "NumericalDiff",
        "ComplexStep",
        "SPSA",
    ],
)
def test_non_finite_weight_set_in_place_is_named(name: str, bad: float, call: str) -> None:
    net, x, t = net_and_x()
    net.params[name].flat[-1] = bad  # in place: bypasses every check
    calls = {
        "loss": lambda: net.loss(x, t),
        "predict": lambda: net.predict(x),
        "accuracy": lambda: net.accuracy(x, t),
        "gradient": lambda: net.gradient(x, t),
        "bind_loss": lambda: net.bind_loss(x, t),
        "numerical_gradient": lambda: net.numerical_gradient(x, t),
        "NumericalDiff": lambda: NumericalDiff().gradient(net, x, t),  # the structured path
        "ComplexStep": lambda: ComplexStep().gradient(net, x, t),
        "SPSA": lambda: SPSA(rng=0).gradient(net, x, t),
    }
    if np.isnan(bad):  # NaN always reaches the output: it must be named
        with pytest.raises(ValueError, match=rf"params\['{name}'\] contains 1 non-finite value"):
            calls[call]()
        return
    # an infinite weight may give a finite, right output (sigmoid(inf) = 1, a score of -inf
    # is probability 0); if the output is not finite, the weight must be named
    try:
        result = calls[call]()
    except ValueError as exc:
        assert f"params['{name}']" in str(exc) or (
            call == "numerical_gradient" and "contains 1 non-finite value" in str(exc)
        )
        return
    if isinstance(result, float):
        assert np.isfinite(result)
    elif isinstance(result, np.ndarray):
        assert np.all(np.isfinite(result))
    elif isinstance(result, dict) and call != "gradient":  # (Backprop's: see the report)
        assert all(np.all(np.isfinite(g)) for g in result.values()), call


def test_simplenet_nan_weight_is_named() -> None:
    net = SimpleNet(rng=0)
    net.W[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"params\['W'\] contains .* NaN at index \(1, 2\)"):
        net.predict([0.6, 0.9])


def test_overflow_with_finite_weights_names_the_layer() -> None:
    net, _, t = net_and_x()
    net.params["W2"][...] = 1e308  # finite, but five of them (times 0.5) overflow
    net.params["W2"][:, 0] = -1e308
    with pytest.raises(ValueError, match=r"layers\[2\] \(Affine\(5 -> 3\)\) overflowed float64"):
        net.loss(np.ones((2, 4)), t)


def test_infinite_loss_from_finite_scores_suggests_delta() -> None:
    net = SimpleNet([[1000.0, 0.0, 0.0], [0.0, 0.0, 0.0]], delta=0.0)
    with pytest.raises(ValueError, match="probability of 0 to a target class; a delta > 0"):
        net.loss([1.0, 0.0], [0, 0, 1])
    assert np.isfinite(SimpleNet(net.W, delta=1e-7).loss([1.0, 0.0], [0, 0, 1]))
