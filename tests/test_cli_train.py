"""``tinynn train``: one run, one folder; stopped by Ctrl-C (status 130, the folder marked
interrupted) and continued by ``tinynn train --resume <folder>`` alone, in that folder, bit for
bit as if it had never stopped; a resume that cannot work fails in one line, before anything
is made. The subprocess tests run the command as a user does and need MNIST (TINYNN_DATA)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

needs_mnist = pytest.mark.skipif(
    not os.environ.get("TINYNN_DATA"),
    reason="MNIST not configured: set TINYNN_DATA to a folder holding mnist/ (never downloaded)",
)
#: A small run: 4 iterations per epoch
SMALL = ["--train-size", "200", "--batch-size", "50", "--hidden", "6", "--no-plot",
         "--no-download"]  # fmt: skip
#: ``tinynn ARGS`` with a real SIGINT (what Ctrl-C sends) raised at a chosen iteration
PRESS_CTRL_C_AT = """
import signal, sys
from tinynn.callbacks import ProgressPrinter
from tinynn.cli import main
at, shown = int(sys.argv[1]), ProgressPrinter.on_iteration_end
def press_ctrl_c(self, iteration, logs):
    shown(self, iteration, logs)
    if iteration == at:
        signal.raise_signal(signal.SIGINT)
ProgressPrinter.on_iteration_end = press_ctrl_c
sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The user's environment with a private cache (the npz cache is built once here)."""
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}


def run(args: list[str], cwd: Path, env: dict[str, str], status: int) -> Any:
    """``python ARGS`` in ``cwd``; check its exit status and that no traceback shows."""
    result = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                            text=True, check=False, timeout=300)  # fmt: skip
    assert result.returncode == status, f"exit {result.returncode}\n{result.stdout}{result.stderr}"
    assert "Traceback" not in result.stderr, result.stderr
    return result


def tinynn(*args: str, cwd: Path, env: dict[str, str], status: int = 0) -> Any:
    return run(["-m", "tinynn", *args], cwd, env, status)


def results(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "results.json").read_text())
    return data


def ctrl_c_after_first_epoch(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[Path, str]:
    """``python -m tinynn train ARGS`` in ``cwd``, sent SIGINT (what a terminal's Ctrl-C
    sends) once its first epoch's line shows; check that it stops as a Ctrl-C should (exit
    130, the message, no traceback) and return its one run folder and the rest of stdout."""
    proc = subprocess.Popen([sys.executable, "-m", "tinynn", "train", *args], cwd=cwd, env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the first epoch's line: training is under way
            if line.startswith("train acc, test acc | "):
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Ctrl-C: stopping after this iteration" in err and "Traceback" not in err
    (folder,) = (cwd / "runs").iterdir()
    return folder, rest


def assert_same_run(a: Path, b: Path) -> None:
    """Two run folders hold the same history, accuracies and weights, bit for bit."""
    assert (a / "history.csv").read_bytes() == (b / "history.csv").read_bytes()
    ra, rb = results(a), results(b)
    for key in ("iterations_done", "train_acc_list", "test_acc_list", "final_train_acc",
                "final_test_acc"):  # fmt: skip
        assert ra[key] == rb[key], key
    with np.load(a / "model.npz", allow_pickle=False) as wa, \
            np.load(b / "model.npz", allow_pickle=False) as wb:  # fmt: skip
        assert sorted(wa.files) == sorted(wb.files)
        for key in wa.files:
            np.testing.assert_array_equal(wa[key], wb[key])


@needs_mnist
def test_ctrl_c_then_resume_alone_ends_where_an_uninterrupted_run_ends(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "whole").mkdir()
    out = tinynn("train", "--iters", "20", *SMALL, cwd=tmp_path / "whole", env=env).stdout
    whole = tmp_path / "whole" / out.strip().splitlines()[-1]
    work = tmp_path / "work"
    work.mkdir()
    first = run(["-c", PRESS_CTRL_C_AT, "6", "train", "--iters", "20", "--checkpoint-every", "1",
                 *SMALL], work, env, status=130)  # fmt: skip
    (folder,) = (work / "runs").iterdir()
    stopped = results(folder)
    assert (stopped["status"], stopped["iterations_asked"], stopped["iterations_done"]) == (
        "interrupted", 20, 7)  # fmt: skip
    command = f"tinynn train --resume runs/{folder.name}"
    assert stopped["continue_with"] == command
    assert first.stdout.endswith(
        f"stopped after 7 of 20 iterations; continue this run with:\n  {command}\n"
    )
    assert "interrupted (Ctrl-C); training stopped after iteration 7 of 20" in first.stderr
    second = tinynn(*shlex.split(command)[1:], cwd=work, env=env)  # exactly what it said
    assert f"continuing runs/{folder.name} from iteration 7 of 20\n" in second.stdout
    assert list((work / "runs").iterdir()) == [folder]  # one run, one folder
    done = results(folder)
    assert (done["status"], done["iterations_asked"], done["iterations_done"]) == (
        "complete", 20, 20)  # fmt: skip
    assert [(s["from_iteration"], s["to_iteration"], s["ended"]) for s in done["sessions"]] == [
        (0, 7, "interrupted"), (7, 20, "complete")]  # fmt: skip
    assert_same_run(whole, folder)
    options = json.loads((folder / "options.json").read_text())["options"]
    assert options["iters"] == 20 and options["checkpoint_every"] == 1  # remembered
    from tinynn.saving.checkpoint_file import read_saved

    assert read_saved(folder / "checkpoint.npz").iterations_done == 20


@needs_mnist
def test_a_real_ctrl_c_from_outside_exits_130_and_marks_the_folder(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """SIGINT sent to the process mid-run, as a terminal's Ctrl-C does."""
    folder, rest = ctrl_c_after_first_epoch(["--iters", "1000000", *SMALL], tmp_path, env)
    stopped = results(folder)
    done = stopped["iterations_done"]
    assert stopped["status"] == "interrupted" and stopped["iterations_asked"] == 1000000
    assert 0 < done < 1000000
    assert rest.endswith(f"continue this run with:\n  tinynn train --resume runs/{folder.name}\n")
    # --iters given again may change, and the change is named; the run ends in its folder
    out = tinynn("train", "--resume", f"runs/{folder.name}", "--iters", str(done + 3),
                 cwd=tmp_path, env=env).stdout  # fmt: skip
    more = done + 3
    assert f"from iteration {done} of {more} (--iters {more}: it was begun for 1000000)" in out
    assert list((tmp_path / "runs").iterdir()) == [folder]
    assert (results(folder)["status"], results(folder)["iterations_done"]) == ("complete", done + 3)


def test_resume_of_nothing_fails_in_one_line_and_makes_no_folder(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "killed").mkdir()
    (tmp_path / "killed" / "options.json").write_text("{}")
    for target, message in (
        ("missing.npz", "no run folder or checkpoint 'missing.npz'"),
        ("empty", "empty is not a run folder of tinynn train"),
        ("killed", "killed has no checkpoint.npz: its training was killed before saving one"),
    ):
        result = tinynn("train", "--resume", target, cwd=tmp_path, env=env, status=1)
        assert result.stderr.startswith(f"tinynn train: error: cannot resume: {message}")
        assert result.stderr.count("\n") == 1 and result.stdout == ""
        assert not (tmp_path / "runs").exists()


# -- in-process, on small synthetic data -----------------------------------------------------
def _tiny_data(args: object, *, one_hot: bool = True) -> tuple[object, object]:
    rng = np.random.default_rng(0)
    x, t = rng.random((300, 784)), np.eye(10)[rng.integers(0, 10, 300)]
    return (x[:200], t[:200]), (x[200:], t[200:])


TINY = ["--batch-size", "50", "--hidden", "6", "--no-plot"]


def test_options_given_again_must_agree_and_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    from tinynn.cli import main, train

    monkeypatch.setattr(train, "load_data", _tiny_data)
    assert main(["train", "--iters", "5", *TINY, "--runs-dir", str(tmp_path / "runs")]) == 0
    (folder,) = (tmp_path / "runs").iterdir()
    where = f"runs/{folder.name}"
    # the checks come before any data is read: the command runs here without MNIST
    err = tinynn("train", "--resume", where, "--lr", "0.5", "--batch-size", "40", "--hidden",
                 "6", cwd=tmp_path, env=env, status=1).stderr  # fmt: skip
    assert err == (
        f"tinynn train: error: cannot resume: {where} was trained with --batch-size 50 --lr 0.1, "
        "not --batch-size 40 --lr 0.5: leave these options out to continue the run as it was "
        "(only --iters may change)\n"
    )
    err = tinynn("train", "--resume", where, cwd=tmp_path, env=env, status=1).stderr
    assert "has done 5 iterations already, of the 5 asked: to train it further, give a larger "\
        "--iters (e.g. --iters 10)" in err  # fmt: skip
    err = tinynn("train", "--resume", where, "--runs-dir", "x", cwd=tmp_path, env=env,
                 status=1).stderr  # fmt: skip
    assert "--runs-dir does not apply: the run goes on in its folder" in err
    assert list((tmp_path / "runs").iterdir()) == [folder] and not (tmp_path / "x").exists()


class _Saves:
    """Records the trainer's checkpoint saves (iterations done at each)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from tinynn.training.trainer import Trainer

        self.done: list[int] = []
        original = Trainer.save_checkpoint

        def spy(trainer: Trainer, path: Any, **kw: Any) -> Path:
            self.done.append(trainer.iterations_done)
            return original(trainer, path, **kw)

        monkeypatch.setattr(Trainer, "save_checkpoint", spy)


@pytest.mark.parametrize("every", [None, "1"])
def test_a_resumed_run_goes_on_checkpointing_as_it_was_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, every: str | None
) -> None:
    from tinynn.callbacks import ProgressPrinter
    from tinynn.cli import main, train

    monkeypatch.setattr(train, "load_data", _tiny_data)
    shown = ProgressPrinter.on_iteration_end

    def ctrl_c_at_6(self: ProgressPrinter, iteration: int, logs: Any) -> None:
        shown(self, iteration, logs)
        if iteration == 6 and self.trainer.start_iteration == 0:
            signal.raise_signal(signal.SIGINT)  # the Trainer stops at this boundary

    monkeypatch.setattr(ProgressPrinter, "on_iteration_end", ctrl_c_at_6)
    saves = _Saves(monkeypatch)
    extra = [] if every is None else ["--checkpoint-every", every]
    runs = tmp_path / "runs"
    assert main(["train", "--iters", "20", *TINY, *extra, "--runs-dir", str(runs)]) == 130
    (folder,) = runs.iterdir()
    # epochs end at iterations 0, 4, 8, ...: saved then (1, 5 updates done), and at the stop
    assert saves.done == ([7] if every is None else [1, 5, 7])
    saves.done.clear()
    assert main(["train", "--resume", str(folder)]) == 0
    assert saves.done == ([20] if every is None else [9, 13, 17, 20])
    assert list(runs.iterdir()) == [folder]


def test_a_complete_run_continued_to_more_iterations_is_the_longer_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A run of 13 iterations, continued with ``--iters 30`` in its folder, ends exactly where
    one run of 30 ends: the same history, accuracies and weights, bit for bit."""
    from tinynn.cli import main, train

    monkeypatch.setattr(train, "load_data", _tiny_data)
    assert main(["train", *TINY, "--iters", "30", "--runs-dir", str(tmp_path / "a")]) == 0
    assert main(["train", *TINY, "--iters", "13", "--runs-dir", str(tmp_path / "b")]) == 0
    (whole,) = (tmp_path / "a").iterdir()
    (folder,) = (tmp_path / "b").iterdir()
    capsys.readouterr()
    assert main(["train", "--resume", str(folder / "checkpoint.npz"), "--iters", "30"]) == 0
    out = capsys.readouterr().out
    assert "from iteration 13 of 30 (--iters 30: it was begun for 13)" in out
    assert_same_run(whole, folder)
    assert list((tmp_path / "b").iterdir()) == [folder]
    # a checkpoint outside any run folder goes on in a new run folder of its own
    loose = tmp_path / "loose.npz"
    loose.write_bytes((folder / "checkpoint.npz").read_bytes())
    assert main(["train", "--resume", str(loose), "--iters", "31", "--runs-dir",
                 str(tmp_path / "c")]) == 0  # fmt: skip
    (new,) = (tmp_path / "c").iterdir()
    assert f"continuing the run saved in {loose} in the new run folder" in capsys.readouterr().out
    assert json.loads((new / "options.json").read_text())["continued_from"] == str(loose)
    assert results(new)["iterations_done"] == 31
    # continued again in that folder, it still says where it came from
    assert main(["train", "--resume", str(new), "--iters", "32"]) == 0
    assert json.loads((new / "options.json").read_text())["continued_from"] == str(loose)
    assert results(new)["iterations_done"] == 32


def test_an_aborted_train_without_a_checkpoint_leaves_no_run_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tinynn.cli import main, train
    from tinynn.training.trainer import Trainer

    monkeypatch.setattr(train, "load_data", _tiny_data)

    def aborted(self: Trainer, *args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # as a second Ctrl-C does

    runs = tmp_path / "runs"
    assert main(["train", "--iters", "5", "--runs-dir", str(runs), "--no-plot"]) == 0
    (done,) = runs.iterdir()
    monkeypatch.setattr(Trainer, "fit", aborted)
    assert main(["train", "--iters", "5", "--runs-dir", str(runs)]) == 130
    assert "tinynn train: interrupted" in capsys.readouterr().err
    assert list(runs.iterdir()) == [done]  # the new folder held nothing to go on from


def test_run_folder_names_are_never_reused(tmp_path: Path) -> None:
    from tinynn.cli.train import _new_run_folder

    folders = [_new_run_folder(tmp_path) for _ in range(3)]  # within one second: -2, -3
    assert len(set(folders)) == 3
    assert folders[1].name in (f"{folders[0].name}-2", folders[1].name)
    assert all(f.is_dir() and not any(f.iterdir()) for f in folders)


def test_the_help_gives_no_time_of_its_own(tmp_path: Path, env: dict[str, str]) -> None:
    """The main job's measured time lives in the README and the docs, and nowhere else."""
    for args in (["--help"], ["train", "--help"]):
        out = tinynn(*args, cwd=tmp_path, env=env).stdout
        assert not re.search(r"\d+(\.\d+)? ?s\b|\d+ seconds|minutes", out), out
    assert "tinynn train --resume" in tinynn("--help", cwd=tmp_path, env=env).stdout


@pytest.mark.parametrize(
    ("given", "name", "book_figures"),
    [
        ({}, "TwoLayerNet (hidden 50), 39,760 parameters (figures 4-11 and 4-12)", True),
        ({"model": "multi-layer", "hidden": (20, 20), "dropout": 0.15},
         "MultiLayerNetExtend (hidden 20-20, relu, he init, dropout 0.15), 16,330 parameters",
         False),
        ({"model": "convnet", "filters": 4, "hidden": (10,)},
         "SimpleConvNet (4 filters 5x5, hidden 10), 5,984 parameters", False),
    ],
)  # fmt: skip
def test_the_training_figure_is_titled_by_the_run_s_own_network(
    given: dict[str, Any], name: str, book_figures: bool
) -> None:
    from tinynn.cli.book_run import BookRun
    from tinynn.cli.options import RunOptions
    from tinynn.cli.train import run_title

    rng = np.random.default_rng(0)
    x, t = rng.random((120, 784)), np.eye(10)[rng.integers(0, 10, 120)]
    book = BookRun(RunOptions.make(iters=3, batch_size=40, **given), (x, t), (x[:20], t[:20]))
    book.fit()
    convnet = given.get("model") == "convnet"
    optimizer = "Adam lr 0.001" if convnet else f"SGD lr {book.options.lr:g}"
    assert run_title(book) == f"{name}\n{optimizer}, batch 40: 3 iterations on 120 images"
    assert ("figures 4-11 and 4-12" in run_title(book)) == book_figures
