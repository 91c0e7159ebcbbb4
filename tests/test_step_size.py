"""The step-size study (tinynn.step_size), its figure and examples/step_size_study.py."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.test_examples import assert_png, load
from tinynn import StepSizeStudy, step_size_study


@pytest.fixture(scope="module")
def study() -> StepSizeStudy:
    return step_size_study()


def slope(study: StepSizeStudy, scheme: str, lo: float, hi: float) -> float:
    """The log-log slope of a scheme's error for h in [lo, hi]."""
    keep = (study.hs >= lo) & (study.hs <= hi)
    return float(np.polyfit(np.log10(study.hs[keep]), np.log10(study.errors[scheme][keep]), 1)[0])


def test_default_steps(study: StepSizeStudy) -> None:
    assert study.hs[0] == pytest.approx(1e-20) and study.hs[-1] == pytest.approx(1e-1)
    assert list(study.errors) == ["forward", "central", "complex"]


def test_truncation_error_falls_as_h_to_the_order_of_the_scheme(study: StepSizeStudy) -> None:
    assert slope(study, "forward", 1e-4, 1e-1) == pytest.approx(1.0, abs=0.1)
    assert slope(study, "central", 1e-3, 1e-1) == pytest.approx(2.0, abs=0.1)
    assert slope(study, "complex", 1e-5, 1e-1) == pytest.approx(2.0, abs=0.1)


def test_rounding_error_grows_as_h_shrinks_except_for_the_complex_step(
    study: StepSizeStudy,
) -> None:
    assert slope(study, "forward", 1e-14, 1e-10) < -0.5
    assert slope(study, "central", 1e-14, 1e-8) < -0.5
    tiny = study.hs <= 1e-8
    assert study.errors["complex"][tiny].max() <= 2 * np.finfo(float).eps
    # below x * eps the step is lost, x + h == x: the differences return 0, error 1
    lost = study.hs < 1e-16
    assert np.all(study.errors["forward"][lost] == 1.0)
    assert np.all(study.errors["central"][lost] == 1.0)


def test_best_steps(study: StepSizeStudy) -> None:
    # near sqrt(eps) for the forward difference, eps^(1/3) for the central one
    assert 1e-9 <= study.best_h("forward") <= 1e-7
    assert 1e-7 <= study.best_h("central") <= 1e-4
    assert study.errors["central"].min() < 1e-3 * study.errors["forward"].min()
    best = study.best_h("complex")
    assert study.errors["complex"][study.hs == best][0] == study.errors["complex"].min()
    assert np.all(study.errors["complex"][study.hs > best] > study.errors["complex"].min())


def test_a_function_of_your_own() -> None:
    study = step_size_study(np.sin, np.cos, 1.0, hs=[1e-2, 1e-6, 1e-12])
    assert study.hs.tolist() == [1e-12, 1e-6, 1e-2]  # sorted
    h, exact = 1e-2, np.cos(1.0)
    central = (np.sin(1.0 + h) - np.sin(1.0 - h)) / (2 * h)
    forward = (np.sin(1.0 + h) - np.sin(1.0)) / h
    assert study.errors["central"][-1] == pytest.approx(abs(central - exact) / exact, rel=1e-12)
    assert study.errors["forward"][-1] == pytest.approx(abs(forward - exact) / exact, rel=1e-12)
    # Im sin(1 + ih) / h = cos(1) sinh(h) / h: relative error sinh(h)/h - 1 = h^2/6
    assert study.errors["complex"][-1] == pytest.approx(h**2 / 6, rel=1e-3)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"f": np.sin}, "both f and its exact derivative"),
        ({"hs": [1e-3, -1e-3]}, "steps > 0"),
        ({"hs": []}, "non-empty"),
        ({"f": np.cos, "df": lambda x: -np.sin(x), "x": 0.0}, "derivative at x=0.0 is 0"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        step_size_study(**kwargs)  # type: ignore[arg-type]


def test_figure_marks_the_best_step_of_each_scheme(study: StepSizeStudy) -> None:
    pytest.importorskip("matplotlib")
    from tinynn.plot import step_size_figure

    fig = step_size_figure()
    axes = fig.axes[0]
    assert (axes.get_xscale(), axes.get_yscale()) == ("log", "log")
    curves, markers = axes.lines[0:6:2], axes.lines[1:6:2]
    for scheme, curve, marker in zip(study.errors, curves, markers, strict=True):
        np.testing.assert_allclose(curve.get_xdata(), study.hs)
        assert marker.get_xdata()[0] == study.best_h(scheme)
        assert f"best h = {study.best_h(scheme):.1e}" in curve.get_label()


def test_example_prints_the_best_steps(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       study: StepSizeStudy) -> None:  # fmt: skip
    pytest.importorskip("matplotlib")
    out = tmp_path / "steps.png"
    assert load("step_size_study").main(["--out", str(out)]) == 0
    text = capsys.readouterr().out
    for scheme in study.errors:
        m = re.search(rf"^{scheme}\s+(\S+)", text, re.MULTILINE)
        assert m is not None and float(m.group(1)) == pytest.approx(study.best_h(scheme), rel=0.05)
    assert_png(out)


def test_example_without_plot_or_matplotlib(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "steps.png"
    assert load("step_size_study").main(["--out", str(out), "--no-plot"]) == 0
    assert "best h" in capsys.readouterr().out and not out.exists()
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert load("step_size_study").main(["--out", str(out)]) == 0
    assert "figure skipped" in capsys.readouterr().out and not out.exists()
