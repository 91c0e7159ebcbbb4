"""The random search of section 6.5 on any executor, its log, and ``tinynn search``.

Tiny searches (a few trials of a few epochs on 300 images) on real MNIST: the same table
one trial after another, on two processes and on a Dask cluster; a search stopped by a
real SIGINT from outside resumes from its log and ends with the same table. They need
MNIST on disk (``TINYNN_DATA``) and never download.
"""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn.training.search import SearchResult, finished_trials, random_search
from tinynn.training.search_log import SearchLog
from tinynn.training.search_plan import SearchPlan
from tinynn.training.workers import WorkerPool

needs_mnist = pytest.mark.skipif(
    not os.environ.get("TINYNN_DATA"),
    reason="MNIST not configured: set TINYNN_DATA to a folder holding mnist/ (never downloaded)",
)
#: A search whose trials learn a little in 4 epochs of 240 images, each differently.
PLAN = SearchPlan(trials=4, epochs=4, train_size=300, lr=(0.01, 0.3), seed=3)
#: The same on the command line, with 6 trials (the Ctrl-C comes with some still to run).
FLAGS = ["--trials", "6", "--epochs", "4", "--train-size", "300", "--lr-range", "0.01,0.3",
         "--seed", "3", "--no-download", "--no-plot"]  # fmt: skip
PLAN6 = SearchPlan.from_dict({**PLAN.as_dict(), "trials": 6})


@pytest.fixture(scope="module")
def serial() -> SearchResult:
    """The plan's trials one after another in this process: the reference."""
    if not os.environ.get("TINYNN_DATA"):
        pytest.skip("MNIST not configured: set TINYNN_DATA to a folder holding mnist/")
    result = random_search(PLAN)
    finals = [r.val_acc[-1] for r in result.trials]
    assert len(set(finals)) > 1, "the trials should differ, or the comparisons prove little"
    return result


@pytest.fixture(scope="module")
def serial6(serial: SearchResult, tmp_path_factory: pytest.TempPathFactory) -> SearchResult:
    """The same with 6 trials: the first four are the 4-trial search's (each trial is drawn
    from its own seed), so only two more run, on a log that holds those four."""
    log = tmp_path_factory.mktemp("serial6") / "trials.jsonl"
    writer, _ = SearchLog.open(log, PLAN.as_dict())
    for result in serial.trials:
        writer.append(result.record())
    ran: list[int] = []
    result = random_search(PLAN6, log=log, on_result=lambda r: ran.append(r.trial.index))
    assert ran == [4, 5]  # --trials may grow on resume
    return result


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A Dask cluster of two worker threads in this process, reached over TCP."""
    distributed = pytest.importorskip("distributed", reason="dask[distributed] not installed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}


def same(a: SearchResult, b: SearchResult) -> None:
    """The same table and the same curves, to the last bit (the times aside)."""
    assert a.table() == b.table()
    assert a.curves() == b.curves()
    assert [r.trial for r in a.trials] == [r.trial for r in b.trials]


# -- the plan: every trial drawn up front, from its own seed ----------------------------------


def test_each_trial_is_drawn_from_its_own_seed_whatever_the_number_of_trials() -> None:
    trials = SearchPlan(trials=50, seed=7).planned()
    assert SearchPlan(trials=10, seed=7).planned() == trials[:10]  # a prefix: trial i is i
    assert SearchPlan(trials=10, seed=8).planned() != trials[:10]
    lrs = np.array([t.lr for t in trials])
    decays = np.array([t.weight_decay for t in trials])
    assert ((lrs >= 1e-6) & (lrs <= 1e-2)).all() and ((decays >= 1e-8) & (decays <= 1e-4)).all()
    assert np.log10(lrs).std() > 0.8  # log-uniform over four decades (std 1.15)
    assert len({t.key for t in trials}) == 50
    seeds = trials[0].seeds()  # the weights' and the batches' generators: apart
    assert [s.spawn_key for s in seeds] == [(1, 0, 0), (1, 0, 1)]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"trials": 0}, "trials must be an int >= 1, got 0"),
        ({"epochs": 2.0}, "epochs must be an int >= 1, got 2.0"),
        ({"lr": (0.1, 0.01)}, r"lr must be a pair \(low, high\) with 0 < low <= high"),
        ({"weight_decay": (0, 1)}, "weight_decay must be a pair"),
        ({"lr": ("a", 1)}, "lr must be a pair"),
        ({"train_size": 4}, "leaves 0 validation and 4 training images"),
        ({"hidden": ()}, "hidden must be a tuple of layer sizes"),
    ],
)
def test_a_bad_plan_is_refused_naming_what_is_wrong(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SearchPlan(**changes)


def test_a_plan_goes_to_json_and_back() -> None:
    plan = SearchPlan(trials=3, lr=(1e-4, 1e-1), hidden=(50, 20))
    assert SearchPlan.from_dict(json.loads(json.dumps(plan.as_dict()))) == plan
    with pytest.raises(ValueError, match=r"unknown search plan fields \['colour'\]"):
        SearchPlan.from_dict({**plan.as_dict(), "colour": "red"})


# -- the same results wherever the trials run -------------------------------------------------


@needs_mnist
def test_two_processes_give_exactly_the_table_of_one_after_another(serial: SearchResult) -> None:
    finished: list[int] = []
    with WorkerPool(2) as pool:
        result = random_search(PLAN, executor=pool,
                               on_result=lambda r: finished.append(r.trial.index))  # fmt: skip
    same(result, serial)
    assert sorted(finished) == [0, 1, 2, 3]  # each told once, in whatever order they ended


@needs_mnist
def test_a_dask_cluster_gives_exactly_the_same_table(serial: SearchResult, cluster: Any) -> None:
    from distributed import Client

    with Client(cluster) as client:
        result = random_search(PLAN, executor=client.get_executor())
    same(result, serial)


@needs_mnist
def test_a_search_with_a_log_resumes_without_redoing_and_ignores_a_torn_line(
    serial: SearchResult, tmp_path: Path
) -> None:
    log = tmp_path / "trials.jsonl"
    first = random_search(SearchPlan.from_dict({**PLAN.as_dict(), "trials": 2}), log=log)
    assert [r.trial.index for r in first.trials] == [0, 1]
    written = log.read_bytes()
    with open(log, "ab") as f:  # a kill in the middle of trial 2's line
        f.write(b'{"trial":2,"lr":0.0')
    ran: list[int] = []
    result = random_search(PLAN, log=log, on_result=lambda r: ran.append(r.trial.index))
    assert ran == [2, 3]  # trials 0 and 1 were not run again
    same(result, serial)
    text = log.read_bytes()
    assert text.startswith(written) and text.endswith(b"\n")  # the torn bytes cut off
    assert [json.loads(line)["trial"] for line in text.splitlines()[1:]] == [0, 1, 2, 3]
    again: list[int] = []
    assert random_search(PLAN, log=log, on_result=lambda r: again.append(0)).table() == \
        serial.table() and again == []  # fmt: skip


def test_a_log_of_another_search_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    log = tmp_path / "trials.jsonl"
    SearchLog.open(log, PLAN.as_dict())
    with open(log, "ab") as f:
        f.write(b'{"trial":0')  # torn: left alone too
    before = log.read_bytes()
    other = SearchPlan.from_dict({**PLAN.as_dict(), "epochs": 5})
    with pytest.raises(ValueError, match="written by another search: epochs is 4 there, 5 here"):
        random_search(other, log=log)
    assert log.read_bytes() == before
    (tmp_path / "notes.txt").write_text("hello\nworld\n")
    with pytest.raises(ValueError, match=r"line 1 of .* is not the header"):
        finished_trials(tmp_path / "notes.txt", PLAN)


def test_a_trial_that_fails_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TINYNN_DATA", raising=False)
    plan = SearchPlan(trials=1, epochs=1, train_size=100, seed=99)  # not cached by another
    with pytest.raises(RuntimeError, match=r"trial 0 \(lr:.*\) failed: DatasetNotFoundError"):
        random_search(plan, data_dir=tmp_path / "empty")


def test_the_executor_must_be_one() -> None:
    with pytest.raises(TypeError, match=r"executor must be a concurrent\.futures\.Executor"):
        random_search(PLAN, executor="two processes")  # type: ignore[arg-type]


# -- tinynn search ---------------------------------------------------------------------------


def tinynn(args: list[str], cwd: Path, env: dict[str, str], status: int = 0) -> str:
    result = subprocess.run([sys.executable, "-m", "tinynn", "search", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
    assert result.returncode == status, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout + result.stderr


def table_csv(folder: Path) -> list[dict[str, Any]]:
    """``results.csv`` read back as :meth:`SearchResult.table` gives it."""
    with open(folder / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    kinds = {"rank": int, "trial": int, "lr": float, "weight_decay": float, "val_acc": float,
             "train_acc": float, "diverged": str}  # fmt: skip
    return [{k: kinds[k](v) for k, v in row.items()} for row in rows]


@needs_mnist
def test_a_search_stopped_by_ctrl_c_resumes_and_ends_with_the_same_table(
    serial6: SearchResult, tmp_path: Path, env: dict[str, str]
) -> None:
    """A real SIGINT from outside, once two trials are in the log, to a search on two
    processes; then ``--resume`` alone, one trial after another."""
    proc = subprocess.Popen([sys.executable, "-m", "tinynn", "search", *FLAGS, "--workers", "2"],
                            cwd=tmp_path, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout is not None
        told = 0
        for line in proc.stdout:
            told += line.startswith("[")
            if told == 2:
                break
        proc.send_signal(signal.SIGINT)
        rest, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    (folder,) = (tmp_path / "runs").iterdir()
    command = f"tinynn search --resume runs/{folder.name}"
    assert rest.endswith(f"go on with:\n  {command}\n"), rest
    done = len(finished_trials(folder / "trials.jsonl", serial6.plan))
    assert 2 <= done < 6
    stopped = json.loads((folder / "results.json").read_text())
    assert (stopped["status"], stopped["trials_done"]) == ("interrupted", done)
    assert not {"search.png"} & {p.name for p in folder.iterdir()}
    before = (folder / "trials.jsonl").read_bytes()
    out = tinynn(command.split()[2:], tmp_path, env)  # exactly what it said
    assert f"{done} of 6 trials done before: going on with the other {6 - done}" in out
    assert out.count("] trial ") == 6 - done  # the others were not run again
    assert (folder / "trials.jsonl").read_bytes().startswith(before)
    assert table_csv(folder) == serial6.table()
    results = json.loads((folder / "results.json").read_text())
    assert (results["status"], results["trials_done"]) == ("complete", 6)
    assert list((tmp_path / "runs").iterdir()) == [folder]


@needs_mnist
def test_search_on_a_dask_scheduler_writes_the_run_folder(
    serial: SearchResult, cluster: Any, tmp_path: Path, env: dict[str, str]
) -> None:
    pytest.importorskip("matplotlib")
    flags = ["--trials", "4", "--epochs", "4", "--train-size", "300", "--lr-range", "0.01,0.3",
             "--seed", "3", "--best", "3"]  # fmt: skip
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    out = tinynn([*flags, "--scheduler", cluster.scheduler_address], tmp_path, env)
    assert f"on the Dask cluster {cluster.scheduler_address}" in out
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("search-")
    assert sorted(p.name for p in folder.iterdir()) == [
        "results.csv", "results.json", "search.json", "search.png", "trials.jsonl"]  # fmt: skip
    assert table_csv(folder) == serial.table()
    best = re.findall(r"^Best-(\d)\(val acc:(\S+)\) \| (lr:\S+, weight decay:\S+)$", out, re.M)
    assert [(int(n), float(v), key) for n, v, key in best] == [
        (row["rank"], row["val_acc"], f"lr:{row['lr']}, weight decay:{row['weight_decay']}")
        for row in serial.table()[:3]]  # fmt: skip
    saved = json.loads((folder / "search.json").read_text())
    assert SearchPlan.from_dict(saved["plan"]) == PLAN
    assert (folder / "search.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trials", "0"], "argument --trials: expected a whole number >= 1, got 0"),
        (["--lr-range", "0.1"], "argument --lr-range: expected LOW,HIGH"),
        (["--lr-range", "1,0.1"], "argument --lr-range: expected 0 < LOW <= HIGH, got 1,0.1"),
        (["--workers", "2", "--scheduler", "tcp://x:1"], "not allowed with argument"),
        (["--train-size", "4"], "expected a whole number >= 5"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str, tmp_path: Path,
                             env: dict[str, str]) -> None:  # fmt: skip
    out = tinynn(args, tmp_path, env, status=2)
    assert message in out


def test_resume_of_something_else_fails_in_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    out = tinynn(["--resume", "nowhere"], tmp_path, env, status=1)
    assert out.startswith("tinynn search: error: cannot resume: nowhere is not a run folder of "
                          "tinynn search")  # fmt: skip
    assert out.count("\n") == 1
    (tmp_path / "runs" / "s").mkdir(parents=True)
    (tmp_path / "runs" / "s" / "search.json").write_text(json.dumps({"plan": PLAN.as_dict()}))
    out = tinynn(["--resume", "runs/s", "--epochs", "9"], tmp_path, env, status=1)
    assert out == ("tinynn search: error: cannot resume: --epochs was 4 for this search, not 9 "
                   "(only --trials may change)\n")  # fmt: skip


def test_a_worker_pool_stops_at_once_without_waiting_for_its_tasks() -> None:
    import time

    pool = WorkerPool(1)
    pid = pool.submit(os.getpid).result()  # the worker
    futures = [pool.submit(time.sleep, 60) for _ in range(3)]
    time.sleep(0.5)  # the first is under way
    start = time.perf_counter()
    pool.stop()
    while not all(f.done() for f in futures) and time.perf_counter() - start < 20:
        time.sleep(0.05)  # cancelled, or failed with the pool its worker left
    assert all(f.done() for f in futures) and time.perf_counter() - start < 20
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the worker is gone


@needs_mnist
def test_the_example_gives_the_same_search_on_two_processes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.test_examples import load

    example = load("hyperparameter_optimization")
    args = ["--trials", "2", "--epochs", "1", "--train-size", "200", "--no-plot",
            "--no-download", "--seed", "5"]  # fmt: skip
    outputs = []
    for workers in ("0", "2"):
        assert example.main([*args, "--workers", workers]) == 0
        outputs.append(capsys.readouterr().out)
    trials = [sorted(re.findall(r"^val acc:.*$", out, re.M)) for out in outputs]
    best = [re.findall(r"^Best-.*$", out, re.M) for out in outputs]
    assert len(trials[0]) == 2 and trials[0] == trials[1]
    assert len(best[0]) == 2 and best[0] == best[1]


def test_each_worker_gets_one_blas_thread_and_this_process_keeps_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tinynn.training.workers import THREAD_VARIABLES

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    with WorkerPool(1) as pool:
        seen = pool.submit(os.getenv, "OPENBLAS_NUM_THREADS").result()
        omp = pool.submit(os.getenv, "OMP_NUM_THREADS").result()
    assert (seen, omp) == ("1", "1")
    assert {name: os.environ.get(name) for name in THREAD_VARIABLES} == before
    with WorkerPool(1, blas_threads=None) as pool:  # the environment as it is
        assert pool.submit(os.getenv, "OPENBLAS_NUM_THREADS").result() == "7"
    for bad in ({"workers": 0}, {"workers": 1, "blas_threads": 0}, {"workers": True}):
        with pytest.raises(ValueError, match="must be an int >= 1"):
            WorkerPool(**bad)
