"""Run every script in ``examples/`` in-process and check it prints the book's results.

The MNIST tests need the data on disk: set ``TINYNN_DATA`` to a folder holding
``mnist/`` (they never download).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import struct
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
Capture = pytest.CaptureFixture[str]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FLOAT = r"[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?"

needs_mnist = pytest.mark.skipif(
    not os.environ.get("TINYNN_DATA"),
    reason="MNIST not configured: set TINYNN_DATA to a folder holding mnist/ (never downloaded)",
)


def load(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location(f"tinynn_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def floats(text: str) -> NDArray[np.float64]:
    return np.array([float(v) for v in re.findall(FLOAT, text)])


def assert_png(path: Path) -> None:
    """A real PNG of a real figure: magic bytes, IHDR size, more than a few bytes."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 300 and height >= 200
    assert len(data) > 10_000


def needs_matplotlib() -> None:
    pytest.importorskip("matplotlib")


def test_gradient_1d_prints_the_books_derivatives(tmp_path: Path, capsys: Capture) -> None:
    needs_matplotlib()
    out = tmp_path / "g1.png"
    assert load("gradient_1d").main(["--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["0.1999999999990898", "0.2999999999986347"]
    assert_png(out)


def test_gradient_2d_prints_partials_and_gradients(tmp_path: Path, capsys: Capture) -> None:
    needs_matplotlib()
    out = tmp_path / "g2.png"
    assert load("gradient_2d").main(["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "6.00000000000378" in text and "7.999999999999119" in text  # the book's partials
    grads = [floats(line.split("=", 1)[1]) for line in text.splitlines() if "array(" in line]
    np.testing.assert_allclose(grads, [[6, 8], [0, 4], [6, 0]], atol=1e-9)
    assert_png(out)


def test_gradient_method_prints_the_books_final_points(tmp_path: Path, capsys: Capture) -> None:
    needs_matplotlib()
    out = tmp_path / "gm.png"
    assert load("gradient_method").main(["--out", str(out)]) == 0
    text = capsys.readouterr().out
    finals = {
        line.split(":")[0]: floats(line.split("=")[-1])
        for line in text.splitlines()
        if "array(" in line
    }
    book = {  # the book's printed results, section 4.4.1
        "lr=0.1": [-6.11110793e-10, 8.14814391e-10],
        "lr=10": [-2.58983747e13, -1.29524862e12],
        "lr=1e-10": [-2.99999994, 3.99999992],
    }
    assert set(finals) == set(book)
    for key, value in book.items():
        np.testing.assert_allclose(finals[key], value, rtol=1e-8)
    assert "diverged" in text
    assert_png(out)


def test_gradient_simplenet_prints_the_books_numbers(tmp_path: Path, capsys: Capture) -> None:
    needs_matplotlib()
    out = tmp_path / "sn.png"
    assert load("gradient_simplenet").main(["--out", str(out), "--seed", "3"]) == 0
    text = capsys.readouterr().out
    blocks = re.split(r"^== .* ==$", text, flags=re.MULTILINE)[1:]
    assert len(blocks) == 3
    book, with_delta, random = blocks

    def field(block: str, name: str, stop: str) -> NDArray[np.float64]:
        return floats(block.split(f"{name} =", 1)[1].split(stop, 1)[0])

    np.testing.assert_allclose(field(book, "predict(x)", "\n"), [1.05414809, 0.63071653, 1.1328074])
    assert field(book, "argmax", "\n").tolist() == [2]
    book_dW = [[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]]
    # without delta, the book's loss (to the 8 digits of its printed W) and dW
    assert field(book, "loss", "\n")[0] == pytest.approx(0.92806853663411326, abs=1e-8)
    np.testing.assert_allclose(field(book, "dW", "]]").reshape(2, 3), book_dW, rtol=0, atol=1e-8)
    # with delta = 1e-7 the loss and dW move by more than that
    assert abs(field(with_delta, "loss", "\n")[0] - 0.92806853663411326) > 1e-7
    assert not np.allclose(field(with_delta, "dW", "]]").reshape(2, 3), book_dW, rtol=0, atol=1e-8)
    # the random net: its W comes from the seed, and is reproducible
    w = field(random, "W", "predict").reshape(2, 3)
    np.testing.assert_allclose(w, np.random.default_rng(3).standard_normal((2, 3)), atol=1e-8)
    assert_png(out)


@pytest.mark.parametrize(
    "name",
    ["gradient_1d", "gradient_2d", "gradient_method", "gradient_simplenet",
     "optimizer_compare_naive"],
)  # fmt: skip
def test_no_plot_writes_nothing(name: str, tmp_path: Path, capsys: Capture) -> None:
    out = tmp_path / "fig.png"
    assert load(name).main(["--out", str(out), "--no-plot"]) == 0
    assert not out.exists()
    assert capsys.readouterr().out


@pytest.mark.parametrize(
    "name",
    ["gradient_1d", "gradient_2d", "gradient_method", "gradient_simplenet",
     "optimizer_compare_naive"],
)  # fmt: skip
def test_without_matplotlib_the_figure_is_skipped(
    name: str, tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = tmp_path / "fig.png"
    assert load(name).main(["--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "figure skipped" in text
    assert not out.exists()


def run_training(args: list[str], capsys: Capture) -> tuple[str, str]:
    assert load("train_neuralnet").main([*args, "--no-download"]) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def book_lines(text: str) -> NDArray[np.float64]:
    pairs = re.findall(rf"^train acc, test acc \| ({FLOAT}), ({FLOAT})$", text, re.MULTILINE)
    return np.array(pairs, dtype=float)


@needs_mnist
def test_train_neuralnet_learns(tmp_path: Path, capsys: Capture) -> None:
    needs_matplotlib()
    out, hist = tmp_path / "train.png", tmp_path / "history.npz"
    args = ["--iters", "300", "--train-size", "5000", "--out", str(out)]
    args += ["--save-model", str(tmp_path / "net.npz")]
    text, _ = run_training([*args, "--save-history", str(hist)], capsys)
    accs = book_lines(text)
    assert len(accs) == 300 // (5000 // 100)  # one record per epoch of 50 iterations
    assert accs[0].max() < 0.2  # untrained: near chance (0.1)
    assert accs[-1, 1] > 0.3  # test accuracy well above chance after 300 iterations
    # the trained network's accuracy, after the last record (made at iteration 250)
    final = re.search(rf"after 300 iterations: train acc ({FLOAT}), test acc ({FLOAT})", text)
    assert final is not None and "training took" in text
    from tinynn import load_model
    from tinynn.datasets import load_mnist

    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, download=False)
    net = load_model(tmp_path / "net.npz")
    measured = [net.accuracy(x_train[:5000], t_train[:5000]), net.accuracy(x_test, t_test)]
    np.testing.assert_allclose([float(v) for v in final.groups()], measured, atol=5e-5)
    with np.load(hist, allow_pickle=False) as saved:
        assert len(saved["train_loss_list"]) == 300
        np.testing.assert_allclose(saved["test_acc_list"], accs[:, 1])
        np.testing.assert_array_equal(saved["iteration"], np.arange(0, 300, 50))
    assert_png(out)


@needs_mnist
def test_train_neuralnet_is_reproducible_and_numerical_matches_backprop(
    tmp_path: Path, capsys: Capture
) -> None:
    common = ["--iters", "2", "--train-size", "100", "--hidden", "3", "--batch-size", "10"]
    common += ["--no-plot", "--seed", "7"]
    losses = {}
    for estimator in ("numerical", "backprop"):
        hist = tmp_path / f"{estimator}.npz"
        _, err = run_training(
            [*common, "--estimator", estimator, "--save-history", str(hist)], capsys
        )
        assert ("note: --estimator numerical" in err) == (estimator == "numerical")
        with np.load(hist, allow_pickle=False) as saved:
            losses[estimator] = saved["train_loss_list"]
    # same seed, same batches; the two gradients agree, and so do the losses
    np.testing.assert_allclose(losses["numerical"], losses["backprop"], rtol=1e-6)


def test_train_neuralnet_reports_missing_data(
    tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("tinynn.datasets")
    monkeypatch.setenv("TINYNN_DATA", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path))
    code = load("train_neuralnet").main(["--data-dir", str(tmp_path), "--no-download"])
    assert code == 1
    assert "could not load MNIST" in capsys.readouterr().err


@needs_mnist
def test_train_neuralnet_checkpoint_resume_and_save_model(tmp_path: Path, capsys: Capture) -> None:
    common = ["--train-size", "500", "--batch-size", "50", "--hidden", "8", "--no-plot"]
    whole, part, ckpt = tmp_path / "whole.npz", tmp_path / "part.npz", tmp_path / "ckpt.npz"
    run_training([*common, "--iters", "35", "--save-history", str(whole)], capsys)
    # a run stopped after 17 iterations, then the same command with --resume
    run_training([*common, "--iters", "17", "--checkpoint", str(ckpt)], capsys)
    net = tmp_path / "net.npz"
    resume = ["--checkpoint", str(ckpt), "--resume", str(ckpt), "--save-model", str(net)]
    text, _ = run_training([*common, "--iters", "35", *resume, "--save-history", str(part)], capsys)
    assert f"resuming from {ckpt}" in text and f"model saved to {net}" in text
    with np.load(whole, allow_pickle=False) as a, np.load(part, allow_pickle=False) as b:
        assert sorted(a.files) == sorted(b.files)
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])
    from tinynn import load_model

    assert load_model(net).params["W1"].shape == (784, 8)
    assert load_model(ckpt).params["W1"].shape == (784, 8)
def test_optimizer_compare_naive_walks_as_the_book(tmp_path: Path, capsys: Capture) -> None:
    needs_matplotlib()
    out = tmp_path / "naive.png"
    module = load("optimizer_compare_naive")
    assert module.main(["--out", str(out)]) == 0
    text = capsys.readouterr().out
    finals = {
        m[0]: (float(m[1]), float(m[2]), float(m[3]))
        for m in re.findall(rf"^(\w+) +after 30 steps: \(x, y\) = \(({FLOAT}), ({FLOAT})\), "
                            rf"f = ({FLOAT})$", text, re.MULTILINE)
    }  # fmt: skip
    assert list(finals) == ["SGD", "Momentum", "AdaGrad", "Adam"]
    # SGD by hand: x <- x - 0.95 x / 10 and y <- y - 0.95 * 2 y, 30 times, from (-7, 2)
    sgd_x, sgd_y = -7.0 * 0.905**30, 2.0 * (-0.9) ** 30
    np.testing.assert_allclose(finals["SGD"][:2], [sgd_x, sgd_y], rtol=1e-5)
    for x, y, f in finals.values():
        assert f == pytest.approx(x**2 / 20 + y**2, rel=1e-4, abs=1e-9)
        assert f < 0.15  # from f(-7, 2) = 6.45
    paths = module.paths(30)
    assert all(p.shape == (31, 2) and tuple(p[0]) == (-7.0, 2.0) for p in paths.values())
    assert_png(out)


@needs_mnist
def test_optimizer_compare_mnist_prints_the_books_log(tmp_path: Path, capsys: Capture) -> None:
    needs_matplotlib()
    out = tmp_path / "mnist.png"
    args = ["--iters", "150", "--train-size", "2000", "--out", str(out), "--no-download"]
    assert load("optimizer_compare_mnist").main(args) == 0
    text = capsys.readouterr().out
    assert text.count("===========iteration:") == 2  # iterations 0 and 100, as the book prints
    first = dict(re.findall(rf"^(\w+):({FLOAT})$", text.split("iteration:100")[0], re.MULTILINE))
    assert list(first) == ["SGD", "Momentum", "AdaGrad", "Adam"]
    # the same weights and batch; the loss is taken after the first update (as the book's),
    # whose step is -lr * grad for SGD and Momentum alike (both lr 0.01)
    assert first["SGD"] == first["Momentum"]
    assert all(2.0 < float(v) < 2.6 for v in first.values())
    accs = dict(re.findall(rf"^(\w+) +final test acc ({FLOAT})", text, re.MULTILINE))
    assert set(accs) == set(first)
    assert all(float(a) > 0.3 for a in accs.values())  # all learn in 150 iterations
    assert float(accs["Adam"]) > float(accs["SGD"])  # and SGD, at lr 0.01, is the slowest
    assert_png(out)


@needs_mnist
def test_train_neuralnet_stopped_by_ctrl_c_says_the_whole_command_that_continues_it(
    tmp_path: Path, capsys: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shlex
    import signal

    from tinynn import ProgressPrinter

    common = ["--train-size", "500", "--batch-size", "50", "--hidden", "8", "--no-plot"]
    whole, part, ckpt = tmp_path / "whole.npz", tmp_path / "part.npz", tmp_path / "ckpt.npz"
    run_training([*common, "--iters", "35", "--save-history", str(whole)], capsys)
    shown = ProgressPrinter.on_iteration_end

    def ctrl_c_at_12(self: ProgressPrinter, iteration: int, logs: Any) -> None:
        shown(self, iteration, logs)
        if iteration == 12 and self.trainer.start_iteration == 0:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(ProgressPrinter, "on_iteration_end", ctrl_c_at_12)
    args = [*common, "--iters", "35", "--checkpoint", str(ckpt), "--save-history", str(part)]
    assert load("train_neuralnet").main([*args, "--no-download"]) == 130
    out = capsys.readouterr().out
    command = out.splitlines()[-1].strip()
    stopped = "stopped after 13 of 35 iterations; continue this run with:"
    assert out.endswith(f"{stopped}\n  {command}\n")
    words = shlex.split(command)
    assert words[:2] == ["python", os.path.relpath(EXAMPLES / "train_neuralnet.py")]
    assert words[2:] == ["--resume", str(ckpt), "--no-plot", "--save-history", str(part),
                         "--no-download"]  # fmt: skip
    text, _ = run_training(words[2:], capsys)  # exactly that: the run's options come with it
    assert "after 35 iterations" in text
    with np.load(whole, allow_pickle=False) as a, np.load(part, allow_pickle=False) as b:
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key])


# -- the gallery's pages say the schedule they ran --------------------------------------------
#: Options of the gallery's command lines that only say where files go (temporary folders).
_WHERE = {"--save-history", "--runs-dir"}


def _gallery_command(name: str) -> str:
    """``python examples/NAME.py OPTIONS`` as the gallery runs it (temporary paths left out)."""
    sys.path.insert(0, str(EXAMPLES.parent / "docs" / "_ext"))
    try:
        import gallery_helpers
    finally:
        sys.path.pop(0)
    argv = gallery_helpers.reset_argv({}, {"src_file": str(EXAMPLES / f"{name}.py")})
    shown = [a for i, a in enumerate(argv) if a not in _WHERE and argv[i - 1 : i] != ["--runs-dir"]
             and not (i and argv[i - 1] in _WHERE)]  # fmt: skip
    return " ".join(["python", f"examples/{name}.py", *map(shlex.quote, shown)])


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.py")))
def test_a_gallery_page_that_runs_a_short_schedule_says_so_in_its_prose(name: str) -> None:
    """The page's text names the command it ran, not only its (cut-off) output."""
    pytest.importorskip("sphinx_gallery")
    command = _gallery_command(name)
    source = (EXAMPLES / f"{name}.py").read_text("utf-8")
    doc = " ".join(source.split('"""')[1].split())  # the docstring, its lines joined
    if command == f"python examples/{name}.py":  # the defaults: the full run is what ran
        assert "This page ran" not in doc or f"``{command}``" in doc
    else:
        assert "This page ran" in doc and f"``{command}``" in doc, (
            f"{name}: the page runs {command!r}; its docstring should say so"
        )
