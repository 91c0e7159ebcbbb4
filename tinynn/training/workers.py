"""Processes on this machine for independent trainings, which Ctrl-C stops at once.

A :class:`WorkerPool` is a ``concurrent.futures.ProcessPoolExecutor`` whose workers leave
Ctrl-C to the main process: they are started fresh (the ``spawn`` method: nothing of the
parent is inherited but what a task carries), ignore SIGINT and, where the system has
process groups, sit in a group of their own, so that a terminal's Ctrl-C reaches only the
main process. The main process then calls :meth:`WorkerPool.stop`: the tasks not started
are cancelled and the workers ended, without waiting for the trainings under way.

Each worker does one training at a time on one core, so its linear algebra library gets
one thread (``OMP_NUM_THREADS=1``, ``OPENBLAS_NUM_THREADS=1``, ... in the environment it
starts with, unless ``blas_threads`` says otherwise): several threads per worker would
compete for the same cores, and BLAS threads that wait for a busy core lose much more
than they gain (docs/hyperparameter_search.rst, "How much faster").

Book section
------------
6.5.2 (the trials of a search, run side by side)
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["THREAD_VARIABLES", "WorkerPool"]

#: The environment variables that set the thread count of NumPy's linear algebra (OpenBLAS,
#: MKL, BLIS, Accelerate) and of OpenMP.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")  # fmt: skip
T = TypeVar("T")


def ignore_ctrl_c() -> None:
    """A worker's start: SIGINT ignored, and a process group of its own (POSIX)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "setpgrp"):
        os.setpgrp()


@contextlib.contextmanager
def thread_environment(threads: int | None) -> Iterator[None]:
    """While inside, new processes start with ``threads`` BLAS threads (``None``: as set)."""
    if threads is None:
        yield
        return
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update({name: str(threads) for name in THREAD_VARIABLES})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class WorkerPool(ProcessPoolExecutor):
    """``workers`` processes for tasks, that :meth:`stop` ends at once.

    Parameters
    ----------
    workers : int
        How many processes (at most as many tasks at a time).
    blas_threads : int or None, default 1
        The threads of each worker's linear algebra; ``None`` leaves the environment as
        it is (NumPy's libraries then take as many as there are cores).

    Raises
    ------
    ValueError
        If ``workers`` or ``blas_threads`` is not an int >= 1.

    Book section
    ------------
    6.5.2 (the trials of a search, run side by side)

    Examples
    --------
    >>> with WorkerPool(2) as pool:
    ...     sorted(pool.map(abs, [-3, 1, -2]))
    [1, 2, 3]
    """

    def __init__(self, workers: int, *, blas_threads: int | None = 1) -> None:
        for value, name in ((workers, "workers"), (blas_threads, "blas_threads")):
            if value is None and name == "blas_threads":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        self.workers, self.blas_threads = workers, blas_threads
        super().__init__(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=ignore_ctrl_c
        )

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Submit a task; a worker started for it gets the pool's BLAS threads."""
        with thread_environment(self.blas_threads):  # workers start here, as tasks come
            return super().submit(fn, *args, **kwargs)

    def stop(self) -> None:
        """Cancel the tasks not started and end the workers now (their tasks are lost)."""
        terminate = getattr(super(), "terminate_workers", None)  # Python >= 3.14
        if terminate is not None:
            terminate()
            return
        # before 3.14: the base class's table of its processes, which shutdown() drops
        processes = list((getattr(self, "_processes", None) or {}).values())
        self.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=10)
