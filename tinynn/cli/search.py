"""``tinynn search``: the random search of section 6.5, in a run folder, on any number of workers.

Trials run one after another in this process, on ``--workers N`` processes of this machine,
or on a Dask cluster (``--scheduler ADDRESS``); the results are the same wherever they run
(see :mod:`tinynn.training.search`). The run folder ``runs/search-<date>-<time>/`` holds
``search.json`` (the plan and the command), ``trials.jsonl`` (each trial, appended as it
finishes), and when the search ends ``results.csv`` and ``results.json`` (the table, best
first) and ``search.png`` (figure 6-24). Ctrl-C stops it (exit status 130);
``tinynn search --resume <folder>`` goes on with the trials not finished.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shlex
import time
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from .. import __version__
from ..training.search import SearchResult, TrialResult, finished_trials, random_search
from ..training.search_plan import FREE, SearchPlan
from ..training.workers import WorkerPool
from ..utils.atomic import write_bytes_atomic
from .common import CliError, add_data_options, display, load_data, save_figure, write_json
from .values import whole_number

HELP = "random search for the learning rate and weight decay (section 6.5), on any workers"
EPILOG = """\
examples:
  tinynn search                              the book's search: 100 trials of 50 epochs
  tinynn search --trials 30 --epochs 20 --workers 2       on two processes
  tinynn search --train-size 60000 --epochs 10 --scheduler tcp://10.0.0.5:8786
                                             on a Dask cluster (workers need tinynn and MNIST)
  tinynn search --resume runs/search-20261128-210000      go on after Ctrl-C"""
PLAN, LOG, RESULTS_CSV, RESULTS_JSON, FIGURE = (
    "search.json", "trials.jsonl", "results.csv", "results.json", "search.png",
)  # fmt: skip
#: The plan's fields that have a flag, and its name.
FLAGS = {"trials": "--trials", "epochs": "--epochs", "train_size": "--train-size",
         "lr": "--lr-range", "weight_decay": "--weight-decay-range", "seed": "--seed"}  # fmt: skip


def log_range(text: str) -> tuple[float, float]:
    """``LOW,HIGH`` with ``0 < LOW <= HIGH`` (drawn log-uniformly)."""
    try:
        low, high = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected LOW,HIGH (two numbers, as 1e-6,1e-2), got {text!r}"
        ) from None
    if not 0 < low <= high < float("inf"):
        raise argparse.ArgumentTypeError(f"expected 0 < LOW <= HIGH, got {text}")
    return low, high


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "search", help=HELP, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=HELP + ". Each trial trains the book's MultiLayerNet (six hidden layers of "
        "100) by SGD on the first --train-size MNIST training images, a fifth of them kept "
        "for validation, with a learning rate and a weight decay drawn log-uniformly from "
        "the ranges. The results do not depend on the number of workers.",
    )  # fmt: skip
    one = whole_number(1)
    p.add_argument("--trials", type=one, help="random trials (100)")
    p.add_argument("--epochs", type=one, help="epochs of training per trial (50)")
    p.add_argument("--train-size", type=whole_number(5), metavar="N",
                   help="the first N training images, a fifth for validation (500)")
    p.add_argument("--lr-range", type=log_range, metavar="LOW,HIGH", dest="lr",
                   help="learning rates to draw from (1e-6,1e-2)")
    p.add_argument("--weight-decay-range", type=log_range, metavar="LOW,HIGH",
                   dest="weight_decay", help="weight decays to draw from (1e-8,1e-4)")
    p.add_argument("--seed", type=whole_number(0), help="seed of the split and the trials (0)")
    p.add_argument("--best", type=one, default=20, help="how many of the best to draw (20)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=one, metavar="N",
                       help="run the trials on N processes of this machine (default: one "
                       "after another in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the trials on the Dask cluster of this scheduler "
                       "(tcp://host:8786; needs dask[distributed])")
    p.add_argument("--resume", metavar="RUN", help="go on with the search in this run folder")
    p.add_argument("--runs-dir", metavar="DIR", default=None,
                   help="where the run folder is made (./runs)")
    p.add_argument("--no-plot", action="store_true", help="do not draw search.png")
    add_data_options(p)
    p.set_defaults(func=run, usage_error=p.error)  # fmt: skip


def _plan(args: argparse.Namespace) -> tuple[SearchPlan, Path | None]:
    """The plan (checked) and, with ``--resume``, the run folder; nothing made yet."""
    given = {k: getattr(args, k) for k in FLAGS if getattr(args, k) is not None}
    if args.resume is None:
        try:
            return SearchPlan(**given), None
        except ValueError as exc:
            args.usage_error(str(exc))
            raise
    folder = Path(args.resume)
    try:
        saved = json.loads((folder / PLAN).read_text(encoding="utf-8"))["plan"]
        before = SearchPlan.from_dict(saved)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CliError(f"cannot resume: {args.resume} is not a run folder of tinynn search "
                       f"({exc})") from exc  # fmt: skip
    if args.runs_dir is not None:
        raise CliError(f"--runs-dir does not apply: the search goes on in {args.resume}")
    plan = before.as_dict()
    for key, value in given.items():
        now = list(value) if isinstance(value, tuple) else value
        if key not in FREE and now != plan[key]:
            raise CliError(f"cannot resume: {FLAGS[key]} was {plan[key]!r} for this search, "
                           f"not {now!r} (only --trials may change)")  # fmt: skip
        plan[key] = now
    return SearchPlan.from_dict(plan), folder


def _new_folder(runs: Path) -> Path:
    try:
        runs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CliError(f"cannot create the runs folder {runs}: {exc.strerror}") from exc
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        folder = runs / (f"search-{stamp}" + ("" if n == 1 else f"-{n}"))
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise CliError(f"could not find a free run folder name in {runs}")


class _Workers:
    """Where the trials run: here (``executor`` None), a WorkerPool, or a Dask cluster."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.executor: Executor | None = None
        self.client: Any = None
        if args.workers is not None:
            self.executor, self.how = WorkerPool(args.workers), f"on {args.workers} process(es)"
            return
        self.how = "one trial after another, in this process"
        if args.scheduler is None:
            return
        try:
            from distributed import Client
        except ImportError as exc:
            raise CliError('--scheduler needs Dask: pip install "dask[distributed]"') from exc
        try:
            self.client = Client(args.scheduler, timeout="20s")  # type: ignore[no-untyped-call]
        except (OSError, ValueError, TimeoutError) as exc:
            raise CliError(f"cannot reach the Dask scheduler {args.scheduler}: {exc}") from exc
        self.executor = self.client.get_executor()
        self.how = f"on the Dask cluster {args.scheduler}"

    def close(self, *, interrupted: bool = False) -> None:
        """Let the workers go; on Ctrl-C, end the trials under way now (redone on resume)."""
        if isinstance(self.executor, WorkerPool):
            if interrupted:
                self.executor.stop()
            self.executor.shutdown(wait=False, cancel_futures=True)
        elif self.executor is not None:
            self.executor.shutdown(wait=not interrupted)  # without waiting, Dask cancels
            self.client.close()
        self.executor = None


def _table_csv(result: SearchResult) -> bytes:
    out = io.StringIO()
    rows = result.table()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["rank"],
                            lineterminator="\n")  # fmt: skip
    writer.writeheader()
    for row in rows:
        writer.writerow({k: repr(v) if isinstance(v, float) else v for k, v in row.items()})
    return out.getvalue().encode("utf-8")


def _write_results(folder: Path, result: SearchResult, status: str, extra: dict[str, Any]) -> None:
    write_bytes_atomic(folder / RESULTS_CSV, _table_csv(result))
    write_json(folder / RESULTS_JSON, {
        "status": status, "trials_asked": result.plan.trials, "trials_done": len(result.trials),
        **extra, "plan": result.plan.as_dict(), "table": result.table(),
        "curves": {str(r.trial.index): {"val_acc": list(r.val_acc),
                                        "train_acc": list(r.train_acc),
                                        "seconds": round(r.seconds, 3)}
                   for r in result.trials},
    })  # fmt: skip


def _describe(plan: SearchPlan, how: str) -> str:
    n_val = int(plan.train_size * plan.validation)
    return (f"random search: {plan.trials} trials of {plan.epochs} epoch(s), lr "
            f"{plan.lr[0]:g} to {plan.lr[1]:g}, weight decay {plan.weight_decay[0]:g} to "
            f"{plan.weight_decay[1]:g}; {plan.train_size - n_val} training and {n_val} "
            f"validation images; seed {plan.seed}; {how}")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    plan, folder = _plan(args)
    if args.scheduler is None:  # local workers read it from the same disk: load it once here
        (x_train, _), _ = load_data(args, one_hot=False)
        if plan.train_size > len(x_train):
            args.usage_error(f"--train-size {plan.train_size} is more than the "
                             f"{len(x_train)} training images")  # fmt: skip
    data_dir = None if args.data_dir is None else os.path.abspath(args.data_dir)
    log_path = None if folder is None else folder / LOG
    done_before = [] if log_path is None else _already(log_path, plan)
    fresh = folder is None
    if folder is None:
        folder = _new_folder(Path(args.runs_dir or "runs"))
    resume = f"tinynn search --resume {shlex.quote(display(folder))}"
    workers = _Workers(args)
    try:
        if fresh:
            write_json(folder / PLAN, {"command": _command(plan), "plan": plan.as_dict(),
                                       "tinynn": __version__})  # fmt: skip
        print(_describe(plan, workers.how), flush=True)
        print(f"run folder: {display(folder)} (each trial in {LOG} as it finishes)", flush=True)
        if done_before:
            print(f"{len(done_before)} of {plan.trials} trials done before: going on with the "
                  f"other {plan.trials - len(done_before)}", flush=True)  # fmt: skip
        count = [len(done_before)]

        def show(result: TrialResult) -> None:
            count[0] += 1
            t, last = result.trial, result.val_acc[-1] if result.val_acc else float("nan")
            note = f" (diverged: {result.diverged})" if result.diverged else ""
            print(f"[{count[0]}/{plan.trials}] trial {t.index}: val acc:{last} | {t.key} "
                  f"({result.seconds:.1f} s){note}", flush=True)  # fmt: skip

        try:
            result = random_search(plan, data_dir=data_dir, executor=workers.executor,
                                   log=folder / LOG, on_result=show)  # fmt: skip
        except KeyboardInterrupt:
            workers.close(interrupted=True)
            partial = SearchResult(plan, tuple(finished_trials(folder / LOG, plan)))
            _write_results(folder, partial, "interrupted", {"continue_with": resume})
            print(f"stopped: {len(partial.trials)} of {plan.trials} trials done (in "
                  f"{display(folder / LOG)}); go on with:\n  {resume}", flush=True)  # fmt: skip
            return 130
        except (RuntimeError, ValueError, OSError) as exc:
            raise CliError(str(exc)) from exc
    finally:
        workers.close()
    _write_results(folder, result, "complete", {})
    _report(result, args.best)
    if not args.no_plot:
        _draw(folder, result, args.best)
    files = sorted(p.name for p in folder.iterdir())
    print(f"wrote {', '.join(files)} to the run folder:")
    print(display(folder))
    return 0


def _already(log: Path, plan: SearchPlan) -> list[TrialResult]:
    try:
        return finished_trials(log, plan)
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot resume: {exc}") from exc


def _command(plan: SearchPlan) -> str:
    words = ["tinynn", "search"]
    for key, name in FLAGS.items():
        value = getattr(plan, key)
        words += [name, ",".join(map(repr, value)) if isinstance(value, tuple) else str(value)]
    return shlex.join(words)


def _report(result: SearchResult, best: int) -> None:
    """The book's lines: the best trials with their learning rate and weight decay."""
    print("=========== Hyper-Parameter Optimization Result ===========")
    for rank, r in enumerate(result.ranked()[:best], start=1):
        last = r.val_acc[-1] if r.val_acc else float("nan")
        print(f"Best-{rank}(val acc:{last}) | {r.trial.key}")


def _draw(folder: Path, result: SearchResult, best: int) -> None:
    results_val, results_train = result.curves()
    if not results_val:
        print("figure skipped: every trial diverged", flush=True)
        return
    try:
        from ..plot import hyperparameter_search_figure
    except ImportError:
        print('figures skipped: they need matplotlib: pip install "tinynn[plot]"', flush=True)
        return
    fig = hyperparameter_search_figure(results_val, results_train, best=best)
    save_figure(fig, folder / FIGURE, dpi=90)
