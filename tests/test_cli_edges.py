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
