"""SPSA: unbiased on a quadratic, seeded, two loss evaluations per direction, learns MNIST."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn import SGD, SPSA, GradientEstimator, Trainer, TwoLayerNet
from tinynn.typing import FloatArray, Params

X = T = np.zeros(1)  # the quadratic ignores its data


class Quadratic:
    """L(w, V) = 1/2 sum a w^2 + b.w + sum V^2 (a model whose gradient is known)."""

    def __init__(self, fail_at: int = 0) -> None:
        rng = np.random.default_rng(0)
        self.params: Params = {"w": rng.standard_normal(5), "V": rng.standard_normal((2, 3))}
        self.a = rng.uniform(0.5, 2.0, 5)
        self.b = rng.standard_normal(5)
        self.calls = 0
        self.fail_at = fail_at

    def gradient_exact(self) -> Params:
        return {"w": self.a * self.params["w"] + self.b, "V": 2 * self.params["V"]}

    def predict(self, x: Any) -> FloatArray:
        return np.zeros(1)

    def loss(self, x: Any, t: Any) -> float:
        self.calls += 1
        if self.calls == self.fail_at:
            raise FloatingPointError("boom")
        w, v = self.params["w"], self.params["V"]
        return float(0.5 * np.sum(self.a * w**2) + self.b @ w + np.sum(v**2))

    def accuracy(self, x: Any, t: Any) -> float:
        return 0.0


def flat(g: Params) -> FloatArray:
    return np.concatenate([g["w"].ravel(), g["V"].ravel()])


def test_is_a_gradient_estimator() -> None:
    estimator: GradientEstimator = SPSA(rng=0)
    assert isinstance(estimator, GradientEstimator)


def test_unbiased_on_a_quadratic() -> None:
    model = Quadratic()
    g = flat(model.gradient_exact())
    n = 4000
    samples = np.array([flat(SPSA(c=1e-3, rng=seed).gradient(model, X, T))
                        for seed in range(n)])  # fmt: skip
    # each estimate is (g . delta) delta: every entry has the same size |g . delta|
    assert np.allclose(np.abs(samples), np.abs(samples[:, :1]), rtol=1e-9)
    # the mean is the gradient, within 5 standard errors; the variance is |g|^2 - g_i^2
    variance = np.sum(g**2) - g**2
    assert np.all(np.abs(samples.mean(axis=0) - g) < 5 * np.sqrt(variance / n))
    np.testing.assert_allclose(samples.var(axis=0), variance, rtol=0.15)


def test_averaging_k_directions_divides_the_variance() -> None:
    model = Quadratic()
    g = flat(model.gradient_exact())
    samples = np.array([flat(SPSA(k=8, rng=seed).gradient(model, X, T))
                        for seed in range(1000)])  # fmt: skip
    np.testing.assert_allclose(samples.var(axis=0), (np.sum(g**2) - g**2) / 8, rtol=0.2)


def test_k_directions_are_the_mean_of_k_single_estimates() -> None:
    model = Quadratic()
    many = SPSA(k=3, rng=np.random.default_rng(5)).gradient(model, X, T)
    one = SPSA(k=1, rng=np.random.default_rng(5))
    singles = [one.gradient(model, X, T) for _ in range(3)]
    for name in many:
        np.testing.assert_allclose(many[name], np.mean([s[name] for s in singles], axis=0),
                                   rtol=1e-14)  # fmt: skip


def test_deterministic_for_a_seed() -> None:
    net = TwoLayerNet(4, 3, 2, rng=0)
    x, t = np.ones((2, 4)), np.array([0, 1])
    a, b = SPSA(rng=11).gradient(net, x, t), SPSA(rng=11).gradient(net, x, t)
    other = SPSA(rng=12).gradient(net, x, t)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not all(np.array_equal(a[k], other[k]) for k in a)
    shared = SPSA(rng=np.random.default_rng(11))  # a Generator is drawn from: new directions
    first, second = shared.gradient(net, x, t), shared.gradient(net, x, t)
    assert all(np.array_equal(first[k], a[k]) for k in a)
    assert not all(np.array_equal(first[k], second[k]) for k in a)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_two_loss_evaluations_per_direction_whatever_the_size(k: int) -> None:
    for size in (3, 1000):
        model = Quadratic()
        model.params["w"] = np.ones(size)
        model.a, model.b = np.ones(size), np.zeros(size)
        SPSA(k=k, rng=0).gradient(model, X, T)
        assert model.calls == 2 * k


def test_params_are_restored_bit_for_bit() -> None:
    model = Quadratic()
    arrays = dict(model.params)
    before = {name: p.copy() for name, p in model.params.items()}
    SPSA(c=0.1, k=3, rng=0).gradient(model, X, T)
    for name, p in model.params.items():
        assert p is arrays[name]
        np.testing.assert_array_equal(p, before[name], strict=True)


@pytest.mark.parametrize("fail_at", [1, 2, 4])
def test_params_are_restored_when_the_loss_raises(fail_at: int) -> None:
    model = Quadratic(fail_at=fail_at)
    before = {name: p.copy() for name, p in model.params.items()}
    with pytest.raises(FloatingPointError):
        SPSA(c=0.1, k=3, rng=0).gradient(model, X, T)
    for name, p in model.params.items():
        np.testing.assert_array_equal(p, before[name], strict=True)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"c": 0.0}, ValueError, "c must be"),
        ({"c": float("nan")}, ValueError, "c must be"),
        ({"k": 0}, ValueError, "k must be"),
        ({"k": 1.5}, TypeError, "k must be"),
        ({"rng": "seed"}, TypeError, "rng must be"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        SPSA(**kwargs)


def test_training_on_mnist_moves_the_loss_down() -> None:
    datasets = pytest.importorskip("tinynn.datasets")
    try:
        (x_train, t_train), _ = datasets.load_mnist(normalize=True, download=False, cache=False)
    except FileNotFoundError as exc:
        pytest.skip(f"MNIST is not available locally (set TINYNN_DATA): {exc}")
    x, t = x_train[:1000], t_train[:1000]
    net = TwoLayerNet(784, 10, 10, rng=0)
    before = net.loss(x, t)
    Trainer(net, SGD(lr=0.05), SPSA(k=1, rng=1), batch_size=100, rng=2).fit(x, t, iters=500)
    after = net.loss(x, t)
    assert before > 2.29  # untrained: about log 10 = 2.303
    assert after < before - 0.25  # measured: 2.3027 -> 1.8757


def test_example_reports_the_loss_before_and_after(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_examples import FLOAT, load

    pytest.importorskip("tinynn.datasets")
    code = load("train_spsa").main(["--iters", "300"])
    text = capsys.readouterr()
    if code == 1:
        pytest.skip(f"MNIST is not available locally (set TINYNN_DATA): {text.err}")
    m = re.search(rf"training loss before ({FLOAT}), after ({FLOAT})", text.out)
    assert m is not None
    before, after = (float(v) for v in m.groups())
    assert after < before - 0.1
    assert "loss evaluations for gradients: 600 " in text.out


def test_example_reports_missing_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_examples import load

    pytest.importorskip("tinynn.datasets")
    monkeypatch.setenv("TINYNN_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load("train_spsa").main([]) == 1
    assert "could not load MNIST" in capsys.readouterr().err


def test_a_loss_that_returns_none_is_named() -> None:
    from tests.test_numerical_engine import _NoReturn

    with pytest.raises(TypeError, match=r"^_NoReturn\.loss\(x, t\) returned None; it must return"):
        SPSA(rng=0).gradient(_NoReturn(), np.ones((2, 4)), np.array([0, 1]))
