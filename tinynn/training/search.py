"""Random search for the learning rate and weight decay (section 6.5), on any executor.

The book's search (``ch06/hyperparameter_optimization.py``): the first ``train_size``
MNIST training images, shuffled, a fifth of them split off as validation data (the test
data is never used: section 6.5.1), and ``trials`` trainings of a
:class:`~tinynn.MultiLayerNet` (six hidden layers of 100 ReLU units) by SGD, each with a
weight decay :math:`10^{U(-8, -4)}` and a learning rate :math:`10^{U(-6, -2)}`, recording
the validation and the training accuracy every epoch.

Every trial is independent, so they may run anywhere: :func:`random_search` runs them one
after another in this process, or hands them to a ``concurrent.futures.Executor``: a
:class:`WorkerPool` (processes on this machine), a Dask cluster's
(``distributed.Client(address).get_executor()``), or any other. What a trial does is decided
before any of them runs: trial ``i`` draws its hyper-parameters and its generators from its
own ``SeedSequence``, spawned from the search's seed (``spawn_key=(1, i)``; the validation
split has ``(0,)``), so the results do not depend on the executor, the number of workers or
the order in which trials finish. A worker loads the data itself, from the data folder (a
task carries a few numbers, not images), once per process. With a ``log`` file
(:class:`~tinynn.training.search_log.SearchLog`) every finished trial is on disk at once,
and a search started again with the same log does only the trials still missing.

Book section
------------
6.5.1 (validation data), 6.5.2 (random search), 6.5.3 (the book's implementation)
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..callbacks import EpochAccuracy
from ..models import MultiLayerNet
from ..optimizers import SGD
from .search_log import SearchLog
from .search_plan import FREE, SPLIT, SearchPlan, Trial, TrialResult
from .trainer import Trainer

__all__ = [
    "SearchPlan",
    "SearchResult",
    "Trial",
    "TrialResult",
    "finished_trials",
    "load_split",
    "random_search",
    "run_trial",
    "split_validation",
]


def split_validation(
    x: NDArray[Any], t: NDArray[Any], rate: float, rng: np.random.Generator
) -> tuple[tuple[NDArray[Any], NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]:
    """``(x_train, t_train), (x_val, t_val)``: shuffled, the first ``rate`` for validation.

    The book's ``shuffle_dataset`` then a cut: ``int(len(x) * rate)`` validation samples.

    Book section
    ------------
    6.5.1 (validation data)

    Examples
    --------
    >>> (xt, tt), (xv, tv) = split_validation(np.arange(10), np.arange(10), 0.2,
    ...                                       np.random.default_rng(0))
    >>> len(xt), len(xv), sorted([*xt, *xv]) == list(range(10))
    (8, 2, True)
    """
    order = rng.permutation(len(x))
    x, t = x[order], t[order]
    n_val = int(len(x) * rate)
    return (x[n_val:], t[n_val:]), (x[:n_val], t[:n_val])


@functools.lru_cache(maxsize=2)
def load_split(
    plan_key: tuple[int, float, int], data_dir: str | None
) -> tuple[tuple[NDArray[Any], NDArray[Any]], tuple[NDArray[Any], NDArray[Any]]]:
    """The training and validation data of a search, loaded once per process.

    ``plan_key`` is ``(train_size, validation, seed)``; MNIST is read from ``data_dir``
    (or ``$TINYNN_DATA``, the user cache), never downloaded. Read-only arrays.

    Book section
    ------------
    6.5.1 (validation data split off the training data)
    """
    from ..datasets import load_mnist

    train_size, rate, seed = plan_key
    (x_all, t_all), _ = load_mnist(normalize=True, root=data_dir, download=False)
    if train_size > len(x_all):
        raise ValueError(f"train_size={train_size} is more than MNIST's {len(x_all)} images")
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SPLIT,)))
    split = split_validation(x_all[:train_size], t_all[:train_size], rate, rng)
    for x, t in split:
        x.flags.writeable = t.flags.writeable = False
    return split


class TrialInterrupted(Exception):
    """A trial stopped by Ctrl-C before its end: not finished, not logged."""


def run_trial(trial: Trial, plan: SearchPlan, data_dir: str | None = None) -> TrialResult:
    """Train one trial's network and record its accuracies (what a worker runs).

    Book section
    ------------
    6.5.3 (``__train``: a MultiLayerNet of six hidden layers trained by SGD)
    """
    train, val = load_split((plan.train_size, plan.validation, plan.seed), data_dir)
    weights, batches = (np.random.default_rng(s) for s in trial.seeds())
    start = time.perf_counter()
    net = MultiLayerNet(784, list(plan.hidden), 10, weight_decay_lambda=trial.weight_decay,
                        rng=weights)  # fmt: skip
    accuracy = EpochAccuracy(val=val, train=train)
    trainer = Trainer(net, SGD(lr=trial.lr), batch_size=plan.batch_size, callbacks=[accuracy],
                      rng=batches)  # fmt: skip
    diverged = None
    try:
        trainer.fit(*train, epochs=plan.epochs)
    except FloatingPointError as exc:  # too large a learning rate: a result too
        diverged = str(exc).splitlines()[0]
    if trainer.interrupted:
        raise TrialInterrupted(f"trial {trial.index} was stopped by Ctrl-C")
    history = trainer.history
    val_acc = tuple(float(v) for v in history.history.get("val_acc", []))
    train_acc = tuple(float(v) for v in history.train_acc_list)
    return TrialResult(trial, val_acc, train_acc, time.perf_counter() - start, diverged)


@dataclass(frozen=True)
class SearchResult:
    """The trials of a search, by index.

    Book section
    ------------
    6.5.3 (the results, ranked by the last validation accuracy)
    """

    plan: SearchPlan
    trials: tuple[TrialResult, ...]

    def ranked(self) -> list[TrialResult]:
        """Best first: by the last validation accuracy, diverged trials last, ties by index."""

        def key(r: TrialResult) -> tuple[bool, float, int]:
            last = r.val_acc[-1] if r.val_acc else 0.0
            return r.diverged is not None, -last, r.trial.index

        return sorted(self.trials, key=key)

    def table(self) -> list[dict[str, Any]]:
        """One row per trial, best first: rank, trial, lr, weight decay, the last accuracies.

        The same for the same plan, wherever and in whatever order the trials ran (the
        times are not in it)."""
        return [
            {"rank": rank, "trial": r.trial.index, "lr": r.trial.lr,
             "weight_decay": r.trial.weight_decay,
             "val_acc": r.val_acc[-1] if r.val_acc else None,
             "train_acc": r.train_acc[-1] if r.train_acc else None,
             "diverged": r.diverged or ""}
            for rank, r in enumerate(self.ranked(), start=1)
        ]  # fmt: skip

    def curves(self) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
        """``results_val, results_train`` in the book's form, for
        :func:`tinynn.plot.hyperparameter_search_figure` (trials that diverged left out)."""
        kept = [r for r in self.trials if r.diverged is None and r.val_acc and r.train_acc]
        return ({r.trial.key: list(r.val_acc) for r in kept},
                {r.trial.key: list(r.train_acc) for r in kept})  # fmt: skip


def random_search(
    plan: SearchPlan,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    executor: Executor | None = None,
    log: str | os.PathLike[str] | None = None,
    on_result: Callable[[TrialResult], None] | None = None,
) -> SearchResult:
    """Run the trials of ``plan`` that are not done yet, here or on ``executor``.

    Parameters
    ----------
    plan : SearchPlan
        What to search.
    data_dir : path-like, optional
        Where the workers find MNIST (a folder holding ``mnist/``; by default each worker
        looks in ``$TINYNN_DATA`` and its user cache). Never downloaded: load it once
        before (``load_mnist``) where workers share this machine's disk.
    executor : concurrent.futures.Executor, optional
        Where the trials run: one after another in this process if ``None``, else each
        trial is a task ``run_trial(trial, plan, data_dir)`` submitted to it.
    log : path-like, optional
        A JSON lines file (:class:`~tinynn.training.search_log.SearchLog`): each trial is
        appended when it finishes; the trials it already holds are not run again (it must
        be of the same plan; only ``trials`` may differ).
    on_result : callable, optional
        Called in this process with each trial that finishes (not with those read from
        the log), in the order they finish.

    Returns
    -------
    SearchResult
        Every trial of the plan, by index.

    Raises
    ------
    ValueError
        If ``log`` is another search's.
    RuntimeError
        If a trial fails (no MNIST where it ran, ...): naming the trial and its error.
    KeyboardInterrupt
        On Ctrl-C: the trials not started are cancelled; the finished ones are in the
        log.

    Book section
    ------------
    6.5.2 (random search), 6.5.3 (``ch06/hyperparameter_optimization.py``)

    Examples
    --------
    >>> plan = SearchPlan(trials=2, epochs=1, train_size=100)
    >>> result = random_search(plan)                                 # doctest: +SKIP
    >>> from concurrent.futures import ProcessPoolExecutor
    >>> with ProcessPoolExecutor(2) as pool:                          # doctest: +SKIP
    ...     same = random_search(plan, executor=pool)
    >>> same.table() == result.table()                               # doctest: +SKIP
    True
    """
    if not isinstance(plan, SearchPlan):
        raise TypeError(f"plan must be a SearchPlan, got {type(plan).__name__}")
    if executor is not None and not isinstance(executor, Executor):
        raise TypeError(
            f"executor must be a concurrent.futures.Executor (or None), got "
            f"{type(executor).__name__}"
        )
    folder = None if data_dir is None else os.fspath(data_dir)
    writer, done = (None, {}) if log is None else _read_log(log, plan)

    def finished(result: TrialResult) -> None:
        done[result.trial.index] = result
        if writer is not None:
            writer.append(result.record())
        if on_result is not None:
            on_result(result)

    todo = [t for t in plan.planned() if t.index not in done]
    if executor is None:
        for trial in todo:
            try:
                result = run_trial(trial, plan, folder)
            except TrialInterrupted as exc:
                raise KeyboardInterrupt(str(exc)) from None
            except Exception as exc:
                raise _failed(trial, exc) from exc
            finished(result)
    else:
        _run_on(executor, todo, plan, folder, finished)
    return SearchResult(plan, tuple(done[i] for i in sorted(done)))


def _read_log(
    log: str | os.PathLike[str], plan: SearchPlan
) -> tuple[SearchLog, dict[int, TrialResult]]:
    writer, records = SearchLog.open(log, plan.as_dict(), compare=lambda k: k not in FREE)
    done: dict[int, TrialResult] = {}
    for record in records:
        try:
            result = TrialResult.from_record(record)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{log} holds a record that is not a trial's: {exc}") from exc
        if result.trial.index < plan.trials and result.trial.index not in done:
            done[result.trial.index] = result
    return writer, done


def finished_trials(log: str | os.PathLike[str], plan: SearchPlan) -> list[TrialResult]:
    """The trials of ``plan`` that the search log ``log`` holds, by index (the file is made
    if missing, and a last line cut short by a kill is cut off).

    Raises
    ------
    ValueError
        If ``log`` is not a search log, or another search's.

    Book section
    ------------
    6.5.2 (a stopped search goes on where it was)
    """
    return [result for _, result in sorted(_read_log(log, plan)[1].items())]


def _run_on(
    executor: Executor,
    todo: Sequence[Trial],
    plan: SearchPlan,
    folder: str | None,
    finished: Callable[[TrialResult], None],
) -> None:
    futures: dict[Future[TrialResult], Trial] = {}
    try:
        for trial in todo:
            futures[executor.submit(run_trial, trial, plan, folder)] = trial
        for future in as_completed(futures):
            try:
                result = future.result()
            except TrialInterrupted as exc:  # a worker got the Ctrl-C too
                raise KeyboardInterrupt(str(exc)) from None
            except Exception as exc:
                raise _failed(futures[future], exc) from exc
            finished(result)
    except BaseException:
        _cancel(futures)
        raise


def _failed(trial: Trial, exc: Exception) -> RuntimeError:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return RuntimeError(f"trial {trial.index} ({trial.key}) failed: {type(exc).__name__}: {first}")


def _cancel(futures: Iterable[Future[TrialResult]]) -> None:
    for future in futures:
        future.cancel()
