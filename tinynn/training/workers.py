"""Processes on this machine for independent trainings, which Ctrl-C stops at once.

A :class:`WorkerPool` is a ``concurrent.futures.ProcessPoolExecutor`` whose workers leave
Ctrl-C to the main process: they are started fresh (the ``spawn`` method: nothing of the
parent is inherited but what a task carries), ignore SIGINT and, where the system has
process groups, sit in a group of their own, so that a terminal's Ctrl-C reaches only the
main process. The main process then calls :meth:`WorkerPool.stop`: the tasks not started
are cancelled and the workers ended, without waiting for the trainings under way.

Book section
------------
6.5.2 (the trials of a search, run side by side)
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor

__all__ = ["WorkerPool"]


def ignore_ctrl_c() -> None:
    """A worker's start: SIGINT ignored, and a process group of its own (POSIX)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "setpgrp"):
        os.setpgrp()


class WorkerPool(ProcessPoolExecutor):
    """``workers`` processes for tasks, that :meth:`stop` ends at once.

    Parameters
    ----------
    workers : int
        How many processes (at most as many tasks at a time).

    Raises
    ------
    ValueError
        If ``workers`` is not an int >= 1.

    Book section
    ------------
    6.5.2 (the trials of a search, run side by side)

    Examples
    --------
    >>> with WorkerPool(2) as pool:
    ...     sorted(pool.map(abs, [-3, 1, -2]))
    [1, 2, 3]
    """

    def __init__(self, workers: int) -> None:
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"workers must be an int >= 1, got {workers!r}")
        self.workers = workers
        super().__init__(
            workers, mp_context=multiprocessing.get_context("spawn"), initializer=ignore_ctrl_c
        )

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
