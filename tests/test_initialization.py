"""Initial weights (6.2): the book's scales, and the activations of figures 6-10 to 6-14."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from tinynn.initialization import hidden_activations, weight_scale


def test_the_book_s_scales() -> None:
    assert weight_scale(0.01, 784) == 0.01
    assert weight_scale("relu", 50) == weight_scale("he", 50) == math.sqrt(2 / 50)
    assert weight_scale("sigmoid", 100) == weight_scale("XAVIER", 100) == 0.1


@pytest.mark.parametrize(
    ("std", "fan_in", "error", "match"),
    [
        ("glorot", 10, ValueError, "one of 'relu', 'he', 'sigmoid', 'xavier'"),
        (0.0, 10, ValueError, "weight_init_std must be a finite number > 0"),
        (float("nan"), 10, ValueError, "finite"),
        (0.1, 0, ValueError, "fan_in"),
        (None, 10, TypeError, "weight_init_std"),
    ],
)
def test_bad_scales(std: object, fan_in: int, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        weight_scale(std, fan_in)  # type: ignore[arg-type]


def share(acts: list[np.ndarray], lo: float, hi: float) -> list[float]:
    return [float(np.mean((a > lo) & (a < hi))) for a in acts]


def test_figure_6_10_sigmoid_std_1_piles_up_at_0_and_1() -> None:
    acts = hidden_activations("sigmoid", 1.0, rng=0)
    assert all(s < 0.35 for s in share(acts, 0.1, 0.9))  # most are within 0.1 of 0 or 1


def test_figure_6_11_sigmoid_std_001_is_all_near_one_half() -> None:
    acts = hidden_activations("sigmoid", 0.01, rng=0)
    assert all(s > 0.999 for s in share(acts, 0.4, 0.6))


def test_figure_6_12_xavier_spreads_the_sigmoid() -> None:
    xavier = hidden_activations("sigmoid", "xavier", rng=0)
    small = hidden_activations("sigmoid", 0.01, rng=0)
    for a, b in zip(xavier, small, strict=True):
        assert a.std() > 5 * b.std()  # spread out, unlike figure 6-11
        assert np.mean((a > 0.1) & (a < 0.9)) > 0.95  # and not at 0 and 1, unlike 6-10


def test_figure_6_13_tanh_is_centred_on_zero() -> None:
    acts = hidden_activations("tanh", "xavier", rng=0)
    assert all(abs(a.mean()) < 0.01 and a.std() > 0.25 for a in acts)


def test_figure_6_14_he_keeps_relu_activations_alive_and_xavier_shrinks_them() -> None:
    he = [a.std() for a in hidden_activations("relu", "he", rng=0)]
    xavier = [a.std() for a in hidden_activations("relu", "xavier", rng=0)]
    tiny = [a.std() for a in hidden_activations("relu", 0.01, rng=0)]
    assert max(he) / min(he) < 1.5  # the same spread in every layer
    assert all(b < a for a, b in itertools.pairwise(xavier))  # shrinking
    assert xavier[-1] < he[-1] / 3
    assert all(b < a / 10 for a, b in itertools.pairwise(tiny))  # with 0.01: 10x less a layer
    assert tiny[-1] < 1e-5


def test_the_same_seed_gives_the_same_activations() -> None:
    a, b = hidden_activations("relu", "he", rng=5), hidden_activations("relu", "he", rng=5)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert [x.shape for x in hidden_activations("tanh", 1.0, rng=0, samples=7, layers=2)] == [
        (7, 100),
        (7, 100),
    ]


def test_bad_activation() -> None:
    with pytest.raises(ValueError, match="activation must be 'sigmoid', 'relu' or 'tanh'"):
        hidden_activations("softplus", 1.0, rng=0)  # type: ignore[arg-type]


def test_histogram_figure_draws_one_panel_per_layer(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from tinynn.plot import activation_histogram_figure

    acts = hidden_activations("relu", "he", rng=0, samples=50)
    fig = activation_histogram_figure(acts, title="ReLU, He", ylim=70.0)
    assert [ax.get_title() for ax in fig.axes] == [f"{i}-layer" for i in range(1, 6)]
    for ax, a in zip(fig.axes, acts, strict=True):
        heights = [patch.get_height() for patch in ax.patches]
        assert len(heights) == 30
        assert sum(heights) == np.sum((a >= 0) & (a <= 1))  # the values in (0, 1)
        assert ax.get_ylim() == (0.0, 70.0)
    with pytest.raises(ValueError, match="at least one layer"):
        activation_histogram_figure([])
    fig.savefig(tmp_path / "h.png")


def test_example_prints_and_draws_figures_6_10_to_6_14(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    from tests.test_examples import assert_png, load

    monkeypatch.chdir(tmp_path)
    load("weight_init_activation_histogram").main([])
    out = capsys.readouterr().out
    assert [line.split()[0] for line in out.splitlines()[1:8]] == [
        "6-10", "6-11", "6-12", "6-13", "6-14", "6-14", "6-14"
    ]  # fmt: skip
    assert_png(tmp_path / "weight_init_activation_histogram.png")
