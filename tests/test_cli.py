"""The ``tinynn`` command, driven in a subprocess as a user runs it.

The subcommands that read MNIST need it on disk: set ``TINYNN_DATA`` to a
folder holding ``mnist/`` (they never download here).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

needs_mnist = pytest.mark.skipif(
    not os.environ.get("TINYNN_DATA"),
    reason="MNIST not configured: set TINYNN_DATA to a folder holding mnist/ (never downloaded)",
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The user's environment with a private cache (the npz cache is built once here)."""
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}


def tinynn(
    *args: str, cwd: Path, env: dict[str, str], status: int = 0
) -> subprocess.CompletedProcess[str]:
    """``python -m tinynn ARGS`` in ``cwd``; check its exit status and that no traceback shows."""
    result = subprocess.run(
        [sys.executable, "-m", "tinynn", *args],
        cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == status, (
        f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def draw_digit(path: Path, strokes: list[list[tuple[int, int]]], *, ellipse: bool = False) -> None:
    """A thick black drawing on white paper, as a user would make it."""
    image_mod = pytest.importorskip("PIL.Image")
    draw_mod = pytest.importorskip("PIL.ImageDraw")
    picture = image_mod.new("RGB", (160, 200), "white")
    draw = draw_mod.Draw(picture)
    for points in strokes:
        if ellipse:
            draw.ellipse([*points[0], *points[1]], outline="black", width=16)
        else:
            draw.line(points, fill="black", width=16, joint="curve")
    picture.save(path)


SEVEN = [[(30, 30), (130, 30), (70, 175)]]
ONE = [[(80, 25), (80, 175)]]
ZERO = [[(35, 25), (125, 175)]]


# -- usage errors: status 2, a message naming the flag ----------------------------------------
def test_help_and_version(tmp_path: Path, env: dict[str, str]) -> None:
    out = tinynn("--help", cwd=tmp_path, env=env).stdout
    for command in ("train", "evaluate", "predict", "gradcheck"):
        assert command in out
    assert re.fullmatch(
        r"tinynn \d+\.\d+\.\d+\n", tinynn("--version", cwd=tmp_path, env=env).stdout
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["fit"], "invalid choice: 'fit'"),
        (["train", "--iters", "0"], "argument --iters: expected a whole number >= 1, got 0"),
        (["train", "--lr", "fast"], "argument --lr: expected a number > 0, got 'fast'"),
        (["train", "--estimator", "magic"], "argument --estimator: invalid choice"),
        (["predict", "runs/x"], "the following arguments are required: IMAGE"),
        (["evaluate"], "the following arguments are required: RUN"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], message: str, tmp_path: Path, env: dict[str, str]
) -> None:
    err = tinynn(*args, cwd=tmp_path, env=env, status=2).stderr
    assert message in err
    assert err.startswith("usage: tinynn")


# -- runtime errors: status 1, one line, no traceback -----------------------------------------
def test_missing_run_and_missing_data_exit_1(tmp_path: Path, env: dict[str, str]) -> None:
    err = tinynn("evaluate", "runs/nothing", cwd=tmp_path, env=env, status=1).stderr
    assert err == "tinynn evaluate: error: no run folder or model file 'runs/nothing'\n"
    (tmp_path / "empty").mkdir()
    err = tinynn("predict", "empty", "x.png", cwd=tmp_path, env=env, status=1).stderr
    assert "empty has no model.npz" in err
    # an empty cache too: another test may have filled the shared one with MNIST already
    no_data = {**env, "TINYNN_DATA": str(tmp_path / "empty"),
               "XDG_CACHE_HOME": str(tmp_path / "cache"), "HOME": str(tmp_path)}  # fmt: skip
    err = tinynn("train", "--no-download", "--data-dir", str(tmp_path / "empty"),
                 cwd=tmp_path, env=no_data, status=1).stderr  # fmt: skip
    lines = err.splitlines()
    # what to do comes first, in the command line's terms; the details in a few lines
    assert lines[0] == (
        "tinynn train: error: MNIST not found: give --data-dir DIR (or set TINYNN_DATA=DIR), "
        "where DIR holds mnist/ with the four MNIST files (.gz or not), or leave out "
        "--no-download to download them"
    )
    assert len(lines) <= 4, err
    assert "root=" not in err and "download=" not in err  # no Python advice
    assert "https://ossci-datasets.s3.amazonaws.com/mnist/" in lines[-1]
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_gradcheck_on_random_data_needs_no_mnist(tmp_path: Path, env: dict[str, str]) -> None:
    out = tinynn("gradcheck", "--random-data", "--hidden", "4", "--batch", "2",
                 cwd=tmp_path, env=env).stdout  # fmt: skip
    cells = r"\s+(\S+)" * 6
    rows = re.findall(rf"^(W1|b1|W2|b2){cells}\s+(ok|FAIL)$", out, re.M)
    assert [r[0] for r in rows] == ["W1", "b1", "W2", "b2"]
    assert [r[1] for r in rows] == ["784x4", "4", "4x10", "10"]
    for _, _, mean_abs, max_abs, max_grad, ratio, kinks, verdict in rows:
        assert kinks == "0"  # a sigmoid network has no kink
        assert float(mean_abs) <= float(max_abs) < float(max_grad)
        assert float(ratio) == pytest.approx(float(max_abs) / float(max_grad), rel=1e-2)
        assert float(ratio) < 1e-5 and verdict == "ok"
    # an impossible tolerance fails with status 1 and names the parameters
    err = tinynn("gradcheck", "--random-data", "--hidden", "4", "--batch", "2",
                 "--tolerance", "1e-300", cwd=tmp_path, env=env, status=1).stderr  # fmt: skip
    assert "disagree for W1" in err


@needs_mnist
def test_gradcheck_on_mnist(tmp_path: Path, env: dict[str, str]) -> None:
    out = tinynn("gradcheck", "--hidden", "10", "--no-download", cwd=tmp_path, env=env).stdout
    assert "3 MNIST training images" in out
    assert out.count(" ok\n") == 4


# -- train, evaluate, predict on one small run ------------------------------------------------
@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    """One short training run for the module (never handed to a test directly)."""
    if not os.environ.get("TINYNN_DATA"):
        pytest.skip("MNIST not configured: set TINYNN_DATA")
    cwd = tmp_path_factory.mktemp("work")
    args = ["train", "--iters", "50", "--train-size", "1000", "--no-download"]
    first = tinynn(*args, cwd=cwd, env=env).stdout
    folder = cwd / first.strip().splitlines()[-1]  # the folder is the last line printed
    assert folder.parent == cwd / "runs"
    return folder


@pytest.fixture
def small_run(trained_run: Path, tmp_path: Path) -> Path:
    """A copy of the module's run folder for this test alone: ``evaluate`` writes into its
    run folder, and no test may see what another wrote (the tests run in random order)."""
    folder = tmp_path / "runs" / trained_run.name
    shutil.copytree(trained_run, folder)
    return folder


@needs_mnist
def test_train_writes_a_complete_run_folder(small_run: Path) -> None:
    files = sorted(p.name for p in small_run.iterdir())
    expected = ["checkpoint.npz", "history.csv", "model.npz", "options.json", "results.json"]
    assert files in (expected, sorted([*expected, "training.png"]))
    rows = list(csv.DictReader(io.StringIO((small_run / "history.csv").read_text())))
    assert [int(r["iteration"]) for r in rows] == list(range(50))
    epochs = [int(r["iteration"]) for r in rows if r["test_acc"]]
    assert epochs == [0, 10, 20, 30, 40]  # the book's records: every 1000 // 100 iterations
    options = json.loads((small_run / "options.json").read_text())
    assert options["options"]["iters"] == 50 and options["options"]["train_size"] == 1000
    assert options["command"].startswith("tinynn train --iters=50 ")
    results = json.loads((small_run / "results.json").read_text())
    assert (results["status"], results["iterations_asked"], results["iterations_done"]) == (
        "complete", 50, 50)  # fmt: skip
    assert len(results["test_acc_list"]) == 5
    assert 0.0 <= results["final_test_acc"] <= 1.0
    if (small_run / "training.png").exists():
        assert (small_run / "training.png").read_bytes()[:8] == PNG_MAGIC
    # the model is the trained one: it reproduces the recorded final accuracy
    import tinynn as nn
    from tinynn.datasets import load_mnist

    net = nn.load_model(small_run / "model.npz")
    _, (x_test, t_test) = load_mnist(download=False)
    assert net.accuracy(x_test, t_test) == pytest.approx(results["final_test_acc"], abs=1e-12)
    assert not [p for p in small_run.parent.iterdir() if p.name.startswith(".")]  # no leftovers


@needs_mnist
def test_train_never_overwrites_a_run(small_run: Path, env: dict[str, str]) -> None:
    cwd = small_run.parent.parent
    before = {p: p.read_bytes() for p in small_run.iterdir()}
    args = ["train", "--iters", "3", "--train-size", "300", "--no-download", "--no-plot"]
    second = cwd / tinynn(*args, cwd=cwd, env=env).stdout.strip().splitlines()[-1]
    third = cwd / tinynn(*args, cwd=cwd, env=env).stdout.strip().splitlines()[-1]
    assert len({small_run, second, third}) == 3
    assert {p: p.read_bytes() for p in small_run.iterdir()} == before


@needs_mnist
def test_evaluate_prints_the_table_and_draws_the_figures(
    small_run: Path, env: dict[str, str]
) -> None:
    pytest.importorskip("matplotlib")
    out = tinynn("evaluate", str(small_run), "--no-download", cwd=small_run, env=env).stdout
    acc = float(re.search(r"^test accuracy (\S+) \((\d+) of 10000", out, re.M).group(1))  # type: ignore[union-attr]
    table = re.findall(r"^\s+(\d)\s+(\S+)\s+(\S+)\s+(\d+)\s", out, re.M)
    assert [int(r[0]) for r in table] == list(range(10))
    report = json.loads((small_run / "evaluation.json").read_text())
    matrix = np.array(report["confusion_matrix"])
    # independently: the table's support is the test set's class counts, and the recall the
    # matrix's diagonal over its rows
    from tinynn.datasets import load_mnist

    _, (_, t_test) = load_mnist(download=False)
    assert [int(r[3]) for r in table] == np.bincount(t_test, minlength=10).tolist()
    np.testing.assert_allclose([float(r[2]) for r in table],
                               np.diag(matrix) / matrix.sum(axis=1), atol=5e-5)  # fmt: skip
    assert acc == pytest.approx(np.trace(matrix) / 10000, abs=5e-5)
    for name in ("confusion_matrix.png", "misclassified.png"):
        data = (small_run / name).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 10_000


@needs_mnist
def test_predict_prints_the_top_three_as_the_model_computes_them(
    small_run: Path, env: dict[str, str], tmp_path: Path
) -> None:
    draw_digit(tmp_path / "seven.png", SEVEN)
    out = tinynn("predict", str(small_run), "seven.png", "--show", cwd=tmp_path, env=env).stdout
    line = re.search(r"^seven\.png: (\d) \((\S+)%\), (\d) \((\S+)%\), (\d) \((\S+)%\)$", out, re.M)
    assert line is not None, out
    # the same numbers computed here, in-process, from the saved model and the drawing
    import tinynn as nn

    seen = nn.read_digit(tmp_path / "seven.png")
    probs = nn.load_model(small_run / "model.npz").predict(seen.reshape(784))
    top = np.argsort(probs)[::-1][:3]
    assert [int(line.group(i)) for i in (1, 3, 5)] == top.tolist()
    np.testing.assert_allclose([float(line.group(i)) for i in (2, 4, 6)],
                               100 * probs[top], atol=0.051)  # fmt: skip
    # --show wrote what the network saw beside the input: 8-bit, each of its 28x28 pixels
    # a 10x10 square of one value (nearest neighbour), so that it is not a dot in a viewer
    from PIL import Image

    with Image.open(tmp_path / "seven.mnist.png") as seen:
        pixels = np.asarray(seen)
    assert pixels.shape == (280, 280) and pixels.dtype == np.uint8
    blocks = pixels.reshape(28, 10, 28, 10).transpose(0, 2, 1, 3).reshape(28, 28, 100)
    assert (blocks == blocks[:, :, :1]).all()  # each block one value
    np.testing.assert_allclose(blocks[:, :, 0] / 255, nn.read_digit(tmp_path / "seven.png"),
                               atol=0.5 / 255)  # fmt: skip


@needs_mnist
def test_predict_reports_unreadable_images_and_goes_on(
    small_run: Path, env: dict[str, str], tmp_path: Path
) -> None:
    pytest.importorskip("PIL")
    draw_digit(tmp_path / "one.png", ONE)
    (tmp_path / "notes.png").write_text("not an image")
    result = tinynn("predict", str(small_run), "notes.png", "one.png", "gone.png",
                    cwd=tmp_path, env=env, status=1)  # fmt: skip
    assert "notes.png: error: notes.png is not an image file Pillow can read" in result.stdout
    assert "gone.png: error: no such file" in result.stdout
    assert re.search(r"^one\.png: \d \(", result.stdout, re.M)
    assert "2 of 3 image(s) could not be read" in result.stderr


@needs_mnist
@pytest.mark.slow
def test_a_trained_network_reads_the_digits_drawn_here(tmp_path: Path, env: dict[str, str]) -> None:
    """300 steps at lr 0.5 (about 88% test accuracy) recognise thick drawn digits, and
    photographs of them (and of a three) on grey paper under uneven light.

    Measured: 7 (97.5%), 1 (95.3%), 0 (83.5%). A few seconds on an idle machine.
    """
    out = tinynn("train", "--iters", "300", "--lr", "0.5", "--train-size", "10000",
                 "--no-download", "--no-plot", cwd=tmp_path, env=env).stdout  # fmt: skip
    run = out.strip().splitlines()[-1]
    draw_digit(tmp_path / "seven.png", SEVEN)
    draw_digit(tmp_path / "one.png", ONE)
    draw_digit(tmp_path / "zero.png", ZERO, ellipse=True)
    out = tinynn("predict", run, "seven.png", "one.png", "zero.png", cwd=tmp_path, env=env).stdout
    best = dict(re.findall(r"^(\w+)\.png: (\d) ", out, re.M))
    assert best == {"seven": "7", "one": "1", "zero": "0"}, out
    # the same digits and a three photographed on grey paper under uneven light (issue 16)
    from tests.test_handwriting import STROKES, drawn, photograph

    pil = pytest.importorskip("PIL.Image")
    names = ["seven", "one", "three"]
    for k, name in enumerate(names):
        photo = photograph(drawn(STROKES[name]), np.random.default_rng(k))
        pil.fromarray(photo).convert("RGB").save(tmp_path / f"photo_{name}.jpg", quality=80)
    files = [f"photo_{name}.jpg" for name in names]
    out = tinynn("predict", run, *files, cwd=tmp_path, env=env).stdout
    best = dict(re.findall(r"^photo_(\w+)\.jpg: (\d) ", out, re.M))
    assert best == {"seven": "7", "one": "1", "three": "3"}, out


# -- more of train in test_cli_train.py -----------------------------------------------------
def test_a_missing_extra_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import tinynn as nn
    from tinynn.cli import main

    nn.save_model(nn.TwoLayerNet(784, 5, 10, rng=0), tmp_path / "model.npz")
    (tmp_path / "digit.png").write_bytes(PNG_MAGIC)
    monkeypatch.setitem(sys.modules, "PIL", None)  # as if Pillow were not installed
    assert main(["predict", str(tmp_path), str(tmp_path / "digit.png")]) == 1
    err = capsys.readouterr().err
    assert (
        err
        == 'tinynn predict: error: reading image files needs Pillow: pip install "tinynn[plot]"\n'
    )


@needs_mnist
def test_train_with_numerical_gradients(tmp_path: Path, env: dict[str, str]) -> None:
    """``--estimator numerical`` trains with the structured path and says what it costs."""
    result = tinynn(
        "train", "--estimator", "numerical", "--iters", "3", "--train-size", "300",
        "--hidden", "4", "--no-plot", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert "(structured path): about" in result.stderr
    assert "estimator numerical" in result.stdout
    assert re.search(r"after 3 iterations: train acc 0\.\d{4}", result.stdout)


# -- every failure of the command line is one line (predict's pictures, and the unexpected) ---
def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width x height`` grey pixels over a few bytes of data:
    a decompression bomb, as far as its header goes."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (PNG_MAGIC + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(1000)))
            + chunk(b"IEND", b""))  # fmt: skip


def test_predict_names_what_is_wrong_with_each_picture_in_one_line(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """A folder, a PNG cut in half, a decompression bomb, a blank page: before, the first
    three printed tracebacks. Now one line each, the others still read, and exit status 1."""
    pytest.importorskip("PIL")
    import tinynn as nn

    nn.save_model(nn.TwoLayerNet(784, 5, 10, rng=0), tmp_path / "model.npz")
    (tmp_path / "holiday").mkdir()
    draw_digit(tmp_path / "seven.png", SEVEN)
    whole = (tmp_path / "seven.png").read_bytes()
    (tmp_path / "half.png").write_bytes(whole[: len(whole) // 2])
    (tmp_path / "bomb.png").write_bytes(_png_declaring(20000, 20000))
    draw_digit(tmp_path / "blank.png", [])
    names = ["holiday", "half.png", "bomb.png", "blank.png", "seven.png"]
    result = tinynn("predict", "model.npz", *names, cwd=tmp_path, env=env, status=1)
    lines = result.stdout.splitlines()
    assert lines[0] == "holiday: error: holiday is a folder, expected an image file"
    assert lines[1].startswith(
        "half.png: error: half.png could not be decoded: it is truncated or corrupt"
    )
    assert lines[2] == (
        "bomb.png: error: bomb.png declares 20000x20000 pixels (400,000,000), more than the "
        "89,478,485 this reader decodes (a guard against decompression bombs); scale the "
        "picture down first"
    )
    assert lines[3].startswith("blank.png: error: the image holds no digit: ")
    assert re.fullmatch(r"seven\.png: \d \(\S+%\), \d \(\S+%\), \d \(\S+%\)", lines[4])
    assert len(lines) == 5
    assert result.stderr == "tinynn predict: error: 4 of 5 image(s) could not be read\n"


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (RuntimeError("boom\nand a second line"), "RuntimeError: boom"),
        (MemoryError(), "MemoryError"),
        (FloatingPointError("overflow encountered in exp"),  # NumPy's, with errstate raise
         "FloatingPointError: overflow encountered in exp"),
    ],
)
def test_an_unexpected_error_is_one_line_and_tinynn_debug_shows_the_traceback(
    tmp_path: Path, error: Exception, shown: str
) -> None:
    """Whatever a library raises where nobody expected it: one line, status 1; with
    TINYNN_DEBUG=1 the traceback, as Python shows it."""
    import tinynn as nn

    nn.save_model(nn.TwoLayerNet(784, 5, 10, rng=0), tmp_path / "model.npz")
    code = (
        "import sys\nimport tinynn.cli.predict as p\n"
        "def fail(*args, **kwargs):\n    raise ERROR\n"
        "p.read_digit = fail\n"
        "from tinynn.cli import main\nsys.exit(main(['predict', 'model.npz', 'x.png']))\n"
    ).replace("ERROR", repr(error))
    for debug in ("", "1"):
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
            env={**os.environ, "TINYNN_DEBUG": debug}, check=False, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr
        if debug:
            assert "Traceback (most recent call last)" in result.stderr
            assert f"{type(error).__name__}: boom" in result.stderr or shown in result.stderr
        else:
            assert result.stderr == (
                f"tinynn predict: error: {shown} (unexpected; run again with TINYNN_DEBUG=1 "
                "to see the traceback)\n"
            )


@pytest.mark.parametrize(
    "command",
    [["evaluate", "{file}"], ["predict", "{file}", "digit.png"], ["train", "--resume", "{file}"]],
)
@pytest.mark.parametrize("kind", ["text", "forged"])
def test_a_file_that_is_not_a_model_is_one_line_naming_it(
    tmp_path: Path, env: dict[str, str], command: list[str], kind: str
) -> None:
    """A CSV, or an .npz whose header declares 80 GB: one line naming the file, exit 1."""
    from tests.test_serialization import _forged

    if kind == "text":
        path = tmp_path / "scores.csv"
        path.write_text("a,b\n1,2\n")
        expected = "it does not start with a zip header, as every .npz file does"
    else:
        path = _forged(tmp_path / "big.npz", (100_000, 100_000))
        expected = "(80,000,000,000 bytes), but the file holds 16 bytes for it"
    args = [a.format(file=path.name) for a in command]
    result = tinynn(*args, cwd=tmp_path, env=env, status=1)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert path.name in lines[0] and expected in lines[0], lines[0]
    assert "pickle" not in result.stderr
    assert not (tmp_path / "runs").exists()  # nothing made for a run that cannot start


def test_no_data_and_no_network_leads_with_what_to_do(tmp_path: Path, env: dict[str, str]) -> None:
    """The download is tried and fails (every mirror through a proxy that refuses): the first
    line says what to do in the command line's terms, the mirrors' reasons follow briefly."""
    (tmp_path / "empty").mkdir()
    offline = {**env, "TINYNN_DATA": str(tmp_path / "empty"), "HOME": str(tmp_path),
               "XDG_CACHE_HOME": str(tmp_path / "cache"), "no_proxy": "", "NO_PROXY": "",
               **{k: "http://127.0.0.1:9" for k in ("http_proxy", "https_proxy",
                                                    "HTTP_PROXY", "HTTPS_PROXY")}}  # fmt: skip
    err = tinynn("train", "--data-dir", str(tmp_path / "empty"), cwd=tmp_path, env=offline,
                 status=1).stderr  # fmt: skip
    lines = err.splitlines()
    assert lines[0].startswith("tinynn train: error: ") and "--data-dir DIR" in lines[0], err
    assert "TINYNN_DATA=DIR" in lines[0], err
    assert 2 <= len(lines) <= 6, err  # the mirrors' reasons, briefly
    assert "root=" not in err and "download=" not in err  # no Python advice
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path, env: dict[str, str]) -> None:
    """``tinynn ... | head``: the pipe closes before tinynn writes; it stops quietly (exit 1)
    instead of printing a BrokenPipeError traceback or Python's "Exception ignored" line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tinynn", "gradcheck", "--random-data", "--hidden", "4",
         "--batch", "2"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as head does once it has its lines
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert err == ""
