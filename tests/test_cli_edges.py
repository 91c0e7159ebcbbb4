"""The command line at its edges (issue 23, items 11 and 15), run as a user runs it.

``evaluate RUN/checkpoint.npz`` gave a lower test accuracy than ``evaluate RUN`` (the
checkpoint's Batch Normalization statistics were not loaded) and overwrote the run's
``evaluation.json``; ``train --warmup 1000 --iters 3`` ran at 3/1000 of the rate without a
word; ``--numerical-method loop`` without ``--estimator numerical`` was ignored; the Getting
Started page's convnet gradient check printed FAIL.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli_train import needs_mnist, results, tinynn

#: A Chapter 6 network with Batch Normalization (running statistics), a checkpoint at every
#: epoch: 10 iterations of 20 images per epoch, the last checkpoint at the last iteration.
BATCHNORM = ["--model", "multi-layer", "--hidden", "12,12", "--batchnorm", "--train-size",
             "200", "--batch-size", "20", "--checkpoint-every", "1", "--no-plot",
             "--no-download"]  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The user's environment with a private cache (the npz cache is built once here)."""
    import os

    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}


def _stamp(path: Path) -> tuple[int, int, bytes]:
    """What changes when a file is written again: its inode (an atomic write renames a new
    file into place), its modification time, its bytes."""
    info = path.stat()
    return info.st_ino, info.st_mtime_ns, path.read_bytes()


@needs_mnist
def test_evaluating_a_checkpoint_gives_the_run_s_accuracy_and_keeps_the_run_s_report(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = tinynn("train", "--iters", "30", *BATCHNORM, cwd=tmp_path, env=env).stdout
    folder = tmp_path / out.strip().splitlines()[-1]
    assert (folder / "checkpoint.npz").is_file()
    tinynn("evaluate", str(folder), "--no-download", cwd=tmp_path, env=env)
    report = (folder / "evaluation.json").read_bytes()
    accuracy = json.loads(report)["test_accuracy"]
    assert accuracy == results(folder)["final_test_acc"]
    written = {p.name: _stamp(p) for p in folder.iterdir()}

    out = tinynn("evaluate", str(folder / "checkpoint.npz"), "--no-download", cwd=tmp_path,
                 env=env).stdout  # fmt: skip
    # the run's report and figures untouched (not even written again with the same bytes)
    assert {p.name: _stamp(p) for p in folder.iterdir() if p.name in written} == written
    assert sorted(p.name for p in folder.iterdir() if p.name not in written) == [
        "checkpoint.confusion_matrix.png", "checkpoint.evaluation.json",
        "checkpoint.misclassified.png"]  # fmt: skip
    mine = json.loads((folder / "checkpoint.evaluation.json").read_text())
    assert mine["test_accuracy"] == accuracy  # the running statistics came with it
    assert out.startswith(f"test accuracy {accuracy:.4f} ")
    assert "checkpoint.evaluation.json" in out.splitlines()[-1]


def test_a_warm_up_longer_than_the_run_is_a_warning_naming_both(tmp_path: Path) -> None:
    from tinynn.cli.options import RunOptions, warmup_note

    note = warmup_note(RunOptions.make(iters=3, warmup=1000))
    assert note is not None and note.startswith("warning: --warmup 1000 is longer than the run "
                                                "(--iters 3)")  # fmt: skip
    assert "3/1000" in note and "--iters 1000 or more" in note
    assert warmup_note(RunOptions.make(iters=1000, warmup=1000)) is None  # reaches the rate
    assert warmup_note(RunOptions.make(iters=3)) is None


@needs_mnist
def test_train_prints_the_warm_up_warning_on_stderr(tmp_path: Path, env: dict[str, str]) -> None:
    done = tinynn("train", "--warmup", "1000", "--iters", "3", "--train-size", "100", "--no-plot",
                  "--no-download", cwd=tmp_path, env=env)  # fmt: skip
    assert "warning: --warmup 1000 is longer than the run (--iters 3)" in done.stderr
    assert "warning" not in done.stdout


def test_a_numerical_method_without_the_numerical_estimator_is_a_usage_error(
    tmp_path: Path, env: dict[str, str]
) -> None:
    for method in ("loop", "structured"):
        err = tinynn("train", "--numerical-method", method, "--iters", "3", cwd=tmp_path,
                     env=env, status=2).stderr  # fmt: skip
        assert (f"tinynn train: error: --numerical-method {method} applies to --estimator "
                "numerical only") in err  # fmt: skip
    err = tinynn("train", "--model", "multi-layer", "--batchnorm", "--batch-size", "1",
                 cwd=tmp_path, env=env, status=2).stderr  # fmt: skip
    assert "--batchnorm needs --batch-size 2 or more" in err
    assert not (tmp_path / "runs").exists()


#: The Getting Started page's command, as printed there.
DOCUMENTED = ["gradcheck", "--model", "convnet", "--random-data", "--image-size", "10"]
#: A small convnet with the same small weights (0.01): ReLU inputs near their kinks.
SMALL = ["gradcheck", "--model", "convnet", "--random-data", "--image-size", "10", "--filters",
         "2", "--filter-size", "3", "--hidden", "8", "--batch", "3"]  # fmt: skip


def _rows(out: str) -> dict[str, list[str]]:
    """The table's rows by parameter: the cells after the name."""
    rows = {}
    for line in out.splitlines():
        cells = line.split()
        if cells and line.endswith((" ok", " FAIL", " ok (zero)")):
            rows[cells[0]] = cells[1:]
    return rows


def test_the_documented_convnet_check_passes_counting_the_entries_at_a_kink(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = tinynn(*DOCUMENTED, cwd=tmp_path, env=env).stdout
    first = out.splitlines()[0]
    if "the loop" in first:  # a slow loop is announced with its time, measured first
        assert "timed here)" in first and "; about " in first
    rows = _rows(out)
    assert set(rows) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert all(cells[-1] == "ok" for cells in rows.values()), out
    kinks = sum(int(cells[-2]) for cells in rows.values())
    assert kinks > 0  # the small weights put entries at a kink, which are set aside
    assert f"({kinks:,} entries within h = 0.0001 of a kink, not compared" in out


def test_a_wrong_backward_still_fails_beside_the_kinks(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    from tinynn.cli import main
    from tinynn.layers import Affine, Relu

    assert main(SMALL) == 0
    right = _rows(capsys.readouterr().out)
    assert all(cells[-1] == "ok" for cells in right.values()) and any(
        int(cells[-2]) for cells in right.values())  # fmt: skip

    def leaky(self: Relu, dout: np.ndarray) -> np.ndarray:  # forgets the mask
        return dout

    monkeypatch.setattr(Relu, "backward", leaky)
    assert main(SMALL) == 1
    captured = capsys.readouterr()
    rows = _rows(captured.out)
    assert [k for k, cells in rows.items() if cells[-1] == "FAIL"] == ["W1", "b1", "W2", "b2"]
    assert "disagree for W1, b1, W2, b2" in captured.err
    monkeypatch.undo()

    affine = Affine.backward

    def off(self: Affine, dout: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        dx = affine(self, dout, input_grad=input_grad)
        self.grads["W"] = self.grads["W"] * 1.001  # a subtle mistake: 0.1% too large
        return dx

    monkeypatch.setattr(Affine, "backward", off)
    assert main(SMALL) == 1
    rows = _rows(capsys.readouterr().out)
    assert {k for k, cells in rows.items() if cells[-1] == "FAIL"} == {"W2", "W3"}


def test_a_slow_loop_is_announced_with_its_estimated_time(
    tmp_path: Path, env: dict[str, str]
) -> None:
    import subprocess
    import sys

    command = [sys.executable, "-m", "tinynn", "gradcheck", "--model", "convnet",
               "--random-data"]  # fmt: skip
    with subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True) as p:
        assert p.stdout is not None
        try:
            first = p.stdout.readline()
            second = p.stdout.readline() if "the loop" in first else ""
        finally:
            p.kill()
    assert first.startswith("SimpleConvNet 1x28x28: conv 30 5x5"), first
    if "the loop" in first:  # hours of the book's loop, without the convolution's rule
        assert "2 x 433,890 times" in first and "timed here)" in first
        estimate = first.split("; about ")[1].split(", timed here")[0]  # 42s, 3m 05s, 1h 02m
        if "m" in estimate or "h" in estimate:  # a minute or more
            assert second.startswith("(for a check in seconds: --random-data --image-size 10")
