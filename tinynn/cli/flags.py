"""The command-line flags of :class:`~tinynn.cli.options.RunOptions`, derived from its fields.

``tinynn train``, ``tinynn gradcheck`` and ``examples/train_neuralnet.py`` add them
with :func:`add_run_options` (or :func:`add_model_options`, the network's only) and
read what was given with :func:`given_options`. Nothing here is said of one option
but ``--epochs``, which is not a field: each flag is made from its field's
:class:`~tinynn.cli.values.OptionSpec` (its name, help, metavar or choices, group,
and its type: the field's check of the text read). Every flag defaults to ``None``,
so that a resumed run tells the options given again from those left out; a bad
value is refused by argparse with one line naming the flag (exit status 2).

Book section
------------
4.5.2 (``iters_num``, ``batch_size``, ``learning_rate``), 6.1-6.4, 7.5
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from .options import GROUPS, NETWORK, RunOptions
from .values import OptionSpec, flag, spec_of, whole_number

__all__ = ["add_model_options", "add_run_options", "given_options", "run_fields"]


def run_fields(group: str | None = None) -> list[tuple[str, OptionSpec]]:
    """The fields of :class:`RunOptions` (of one group), as ``--help`` lists them.

    In a group, the fields of rank 0 come in their order, after those of rank -1 and
    before those of rank 1.
    """
    fields = [(f.name, spec_of(f)) for f in dataclasses.fields(RunOptions)]
    chosen = [item for item in fields if group is None or item[1].group == group]
    return sorted(chosen, key=lambda item: (GROUPS.index(item[1].group), item[1].rank))


def _add_flag(g: Any, name: str, spec: OptionSpec) -> None:
    """Add the flag of the field ``name`` to the group (or parser) ``g``, defaulting to None."""
    if spec.switch:
        g.add_argument(flag(name), action="store_true", default=None, help=spec.help)
    elif spec.choices is not None:
        g.add_argument(flag(name), choices=spec.choices, help=spec.help)
    else:
        g.add_argument(flag(name), type=spec.read, metavar=spec.metavar, help=spec.help)


def add_model_options(p: argparse.ArgumentParser, *, group: str = NETWORK) -> None:
    """Add the flags of the network (``--model`` ... ``--filter-size``) to ``p``."""
    g = p.add_argument_group(group)
    for name, spec in run_fields(NETWORK):
        _add_flag(g, name, spec)


def add_run_options(p: argparse.ArgumentParser) -> None:
    """Add the flags of :class:`RunOptions` (``--iters`` ... ``--warmup``) and ``--epochs``.

    Each defaults to ``None``, so that :func:`given_options` tells the options
    given from those left out (which a resumed run takes from its checkpoint).
    """
    for title in GROUPS:
        if title == NETWORK:
            add_model_options(p)
            continue
        g = p.add_argument_group(title)
        for name, spec in run_fields(title):
            if name != "iters":
                _add_flag(g, name, spec)
                continue
            length = g.add_mutually_exclusive_group()
            _add_flag(length, name, spec)
            length.add_argument("--epochs", type=whole_number(1), metavar="E",
                                help="or E passes over the training images (E x 600 iterations "
                                "for MNIST's 60,000 in batches of 100)")  # fmt: skip


def given_options(args: argparse.Namespace, saved: RunOptions | None = None) -> dict[str, Any]:
    """The :class:`RunOptions` given on the command line (those not left out).

    ``--epochs E`` is given as ``iters``: ``E`` times the mini-batches per epoch of
    these options (the given batch size and training images, else ``saved``'s, else
    the defaults).
    """
    names = [f.name for f in dataclasses.fields(RunOptions)]
    given = {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}
    epochs = getattr(args, "epochs", None)
    if epochs is not None:
        base = saved or RunOptions()
        sized = {k: given.get(k, getattr(base, k)) for k in ("batch_size", "train_size")}
        given["iters"] = epochs * dataclasses.replace(base, **sized).iters_per_epoch()
    return given
