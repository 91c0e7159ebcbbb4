"""Training and evaluation modes, randomness held within a gradient, and layer state (issue 17).

The failures a user met before: a Dropout still active in evaluation (two accuracies of the
same data differed), a numerical gradient 10,000 times Backprop's (a new mask at every
loss evaluation), a resumed Dropout run that ended elsewhere (its generator not saved).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinynn as nn
from tinynn.typing import FloatArray


def data(n: int = 16, d: int = 20, c: int = 4, seed: int = 1) -> tuple[FloatArray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, d)), rng.integers(0, c, n)


def extend(**kw: object) -> nn.MultiLayerNetExtend:
    options: dict[str, object] = dict(
        activation="sigmoid", weight_init_std="xavier", use_dropout=True, dropout_ratio=0.3,
        use_batchnorm=True, weight_decay_lambda=0.1, rng=0,
    )  # fmt: skip
    options.update(kw)
    net = nn.MultiLayerNetExtend(20, [15, 10], 4, **options)  # type: ignore[arg-type]
    net.loss_layer.delta = 0.0  # the loss backpropagation differentiates
    return net


def test_evaluation_is_deterministic_and_draws_nothing() -> None:
    net = extend()
    x, t = data()
    state = net.state_dict()
    first = net.predict(x)
    assert np.array_equal(first, net.predict(x))
    assert net.accuracy(x, t) == net.accuracy(x, t)
    assert net.loss(x, t) == net.loss(x, t)  # outside training(): the evaluation loss
    after = net.state_dict()
    for key, layer_state in state.items():  # no generator moved, no statistic changed
        for name, value in layer_state.items():
            if isinstance(value, np.ndarray):
                assert np.array_equal(after[key][name], value)
            else:
                assert after[key][name] == value


def test_evaluation_scales_instead_of_dropping() -> None:
    """The book: evaluation keeps every unit, times (1 - ratio)."""
    rng = np.random.default_rng(0)
    affine = nn.Affine.random(3, 4, rng=rng, weight_init_std=1.0)
    net = nn.Sequential([affine, nn.Dropout(0.25, rng=1), nn.Affine.random(4, 2, rng=rng)])
    x = rng.random((5, 3))
    z = x @ affine.W + affine.params["b"]
    expected = net.layers[2].forward(0.75 * z)
    np.testing.assert_allclose(net.loss_layer.activation(expected), net.predict(x), rtol=1e-14)


def test_within_one_training_step_every_forward_pass_sees_the_same_masks() -> None:
    net = extend(use_batchnorm=False)
    x, t = data()
    with net.training():
        losses = {net.loss(x, t) for _ in range(5)}
    assert len(losses) == 1
    with net.training():
        other = net.loss(x, t)
    assert other not in losses  # the next step draws new masks
    assert net.loss(x, t) != other  # and outside a step, the evaluation loss


def test_a_step_advances_each_generator_once_and_updates_statistics_once() -> None:
    net, twin = extend(), extend()
    x, t = data()
    nn.NumericalDiff(method="loop").gradient(net, x, t)  # thousands of forward passes
    nn.Backprop().gradient(twin, x, t)  # one
    a, b = net.state_dict(), twin.state_dict()
    assert sorted(a) == sorted(b) == ["1", "3", "5", "7"]
    for key in a:
        for name, value in a[key].items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(value, b[key][name])
            else:
                assert value == b[key][name]


@pytest.mark.parametrize(
    "reference",
    [nn.NumericalDiff(), nn.NumericalDiff(method="loop"), nn.ComplexStep()],
    ids=["structured", "loop", "complex-step"],
)
def test_gradient_check_passes_with_dropout_batchnorm_and_weight_decay(reference: object) -> None:
    net = extend()
    x, t = data()
    diff = nn.gradient_check(net, x, t, reference=reference)  # type: ignore[arg-type]
    assert sorted(diff) == sorted(net.params)
    tolerance = 1e-13 if isinstance(reference, nn.ComplexStep) else 1e-8
    assert max(d.max_abs for d in diff.values()) < tolerance


@pytest.mark.parametrize("method", ["structured", "loop"])
def test_the_numerical_gradient_is_of_the_held_network_not_of_noise(method: str) -> None:
    """Issue 17: NumericalDiff gave 15,743 where Backprop gave 1.50. With the generator
    state of one step restored, each estimator on its own gives the same gradient."""
    net = extend(use_batchnorm=False)
    x, t = data()
    before = net.state_dict()
    exact = nn.Backprop().gradient(net, x, t)
    net.load_state_dict(before)
    numerical = nn.NumericalDiff(method=method).gradient(net, x, t)  # type: ignore[arg-type]
    for name in exact:
        assert np.max(np.abs(exact[name] - numerical[name])) < 1e-8


def test_the_book_s_numerical_gradient_method_holds_the_masks() -> None:
    net = extend()
    x, t = data()
    with net.training():
        book = net.numerical_gradient(x, t)
        exact = net.gradient(x, t)
    for name in exact:
        assert np.max(np.abs(book[name] - exact[name])) < 1e-8


def test_weight_decay_by_hand() -> None:
    net = nn.MultiLayerNet(4, [3], 2, weight_decay_lambda=0.5, rng=0)
    plain = nn.MultiLayerNet(4, [3], 2, rng=0)
    x, t = data(n=5, d=4, c=2)
    decay = 0.5 * 0.5 * (np.sum(net.params["W1"] ** 2) + np.sum(net.params["W2"] ** 2))
    assert net.loss(x, t) == pytest.approx(plain.loss(x, t) + decay, rel=1e-15)
    g, g0 = net.gradient(x, t), plain.gradient(x, t)
    for name in ("W1", "W2"):
        np.testing.assert_allclose(g[name], g0[name] + 0.5 * net.params[name], rtol=1e-14)
    for name in ("b1", "b2"):  # biases do not decay
        np.testing.assert_array_equal(g[name], g0[name])
    with pytest.raises(ValueError, match="weight_decay_lambda must be a finite number >= 0"):
        nn.Sequential([nn.Affine.random(2, 2, rng=0)], weight_decay_lambda=-1.0)


def test_state_dict_round_trip_and_a_state_that_does_not_fit() -> None:
    net, other = extend(), extend(rng=5)
    x, t = data()
    nn.Backprop().gradient(net, x, t)
    other.load_state_dict(net.state_dict())
    np.testing.assert_array_equal(other.layers[1].running_mean, net.layers[1].running_mean)
    before = other.state_dict()
    bad = net.state_dict()
    bad["5"] = {"running_mean": np.zeros(3), "running_var": np.ones(10)}  # a wrong shape
    with pytest.raises(ValueError, match="running_mean must be shape"):
        other.load_state_dict(bad)
    np.testing.assert_array_equal(other.layers[1].running_mean, before["1"]["running_mean"])
    with pytest.raises(ValueError, match=r"positions \['1'\], but this network"):
        other.load_state_dict({"1": before["1"]})


def test_a_saved_model_predicts_identically_after_loading(tmp_path: Path) -> None:
    net = extend()
    x, t = data()
    trainer = nn.Trainer(net, nn.SGD(lr=0.1), batch_size=4, rng=0)
    trainer.fit(x, t, iters=20)
    path = nn.save_model(net, tmp_path / "net.npz")
    rebuilt = nn.load_model(path)
    assert type(rebuilt) is nn.MultiLayerNetExtend
    np.testing.assert_array_equal(rebuilt.predict(x), net.predict(x))
    into = extend(rng=9)
    nn.load_model(path, model=into)
    np.testing.assert_array_equal(into.predict(x), net.predict(x))
    with net.training(), into.training():  # the generators came along too
        assert net.loss(x, t) == into.loss(x, t)
    with pytest.raises(ValueError, match=r"layers\[3\] \(Dropout\): dropout_ratio is 0.3 in the"):
        nn.load_model(path, model=extend(dropout_ratio=0.5))


def test_the_trainer_trains_in_training_mode_and_evaluates_in_evaluation_mode() -> None:
    x, t = data(n=40)
    net = extend()
    accuracy = nn.EpochAccuracy(train=(x, t))
    nn.Trainer(net, nn.SGD(lr=0.1), batch_size=10, callbacks=[accuracy], rng=0).fit(
        x, t, iters=9
    )
    assert accuracy.trainer.history.train_acc_list[-1] == net.accuracy(x, t)
    # one iteration by hand: the trainer's batch, the training gradient (fresh masks from
    # the same generators), the update; the trainer's network ends exactly there
    trained, by_hand = extend(), extend()
    nn.Trainer(trained, nn.SGD(lr=0.1), batch_size=10, rng=0).fit(x, t, iters=1)
    batch = np.random.default_rng(0).choice(40, 10)
    grads = by_hand.gradient(x[batch], t[batch])
    nn.SGD(lr=0.1).update(by_hand.params, grads)
    for name in trained.params:
        np.testing.assert_array_equal(trained.params[name], by_hand.params[name])


def test_gradient_agreement_does_not_change_the_run() -> None:
    x, t = data(n=40)

    def run(callbacks: list[nn.Callback]) -> FloatArray:
        net = extend()
        nn.Trainer(net, nn.SGD(lr=0.1), batch_size=10, callbacks=callbacks, rng=0).fit(
            x, t, iters=6
        )
        return net.params["W1"].copy()

    checked = run([nn.GradientAgreement(every=2, coordinates=3, rng=0)])
    np.testing.assert_array_equal(checked, run([]))
