"""Whether this process is a Jupyter kernel, and what follows from it.

A notebook shows a progress line as one output updated in place
(:class:`~tinynn.ProgressPrinter`), shows a figure saved to a file
(:mod:`tinynn.plot`), and runs an example whose ``sys.argv`` is the kernel's own
(``ipykernel_launcher.py -f kernel.json``), not the example's. IPython is never
imported here: only looked up when the kernel has loaded it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["command_line", "in_notebook", "ipython_display"]


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (IPython in a terminal is not).

    Examples
    --------
    >>> in_notebook()   # the tests run in no kernel
    False
    """
    if "ipykernel" not in sys.modules or "IPython" not in sys.modules:
        return False
    get_ipython = getattr(sys.modules["IPython"], "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    return getattr(shell, "kernel", None) is not None


def ipython_display() -> Callable[..., Any] | None:
    """IPython's ``display`` in a Jupyter kernel (:func:`in_notebook`), else ``None``."""
    if not in_notebook():
        return None
    display: Callable[..., Any] = importlib.import_module("IPython.display").display
    return display


def command_line() -> list[str]:
    """A script's own options: ``sys.argv[1:]``, or none in a Jupyter kernel.

    The examples end with ``main(command_line())``: run as a script they read their
    command line; run as a notebook (the gallery's download), their defaults, not the
    kernel's ``-f kernel.json``.

    Examples
    --------
    >>> import sys
    >>> command_line() == sys.argv[1:]
    True
    """
    return [] if in_notebook() else sys.argv[1:]
