"""The checkpoint file: a model file plus one named section of state per part of a run.

A checkpoint is a tinynn archive (:mod:`tinynn.saving.archive`) of kind
``'checkpoint'``: the model as a model file keeps it (its parameters under ``params/``,
its layers' state, its architecture: :func:`~tinynn.load_model` reads a checkpoint as a
model file) and, under ``state/``, one section per other part of the run, each plain
data (:class:`~tinynn.Stateful`): the trainer's position, the optimizer, the estimator,
the history, the callbacks. The metadata may also
hold ``info``: plain JSON given by whoever runs the trainer (the command line keeps
the run's options there). This module knows the file, not the trainer:
:mod:`tinynn.training.state` decides what goes into the sections.

Book section
------------
4.5.2 (a run of 10,000 iterations that may be stopped and resumed)
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from ..base import Model
from .archive import flatten_state, read_archive, unflatten_state, write_archive
from .model_file import PARAMS, model_contents

__all__ = [
    "CheckpointFile",
    "Saved",
    "check_info",
    "read_checkpoint",
    "read_saved",
    "whole_count",
    "write_checkpoint",
]

#: The sections every checkpoint holds (others are optional).
SECTIONS = ("trainer", "optimizer", "history", "callbacks")


def check_info(info: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``info`` as a plain dict, or ``TypeError`` unless it is JSON data with ``str`` keys."""
    if info is None:
        return None
    if not isinstance(info, Mapping):
        raise TypeError(f"info must be a mapping of plain JSON data, got {type(info).__name__}")
    try:
        return dict(json.loads(json.dumps(dict(info), allow_nan=False)))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"info must hold plain JSON data (str keys, finite numbers): {exc}") from (
            exc
        )


def write_checkpoint(
    path: str | os.PathLike[str],
    model: Model,
    sections: Mapping[str, Any],
    meta: Mapping[str, Any],
    info: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``model``'s parameters and the state ``sections`` to ``path``, atomically.

    ``meta`` is more JSON for the metadata (the optimizer's learning rate, say).
    """
    contents, arrays = model_contents(model)
    record: dict[str, Any] = {
        "kind": "checkpoint",
        **contents,
        **meta,
        "state": flatten_state(sections, "state", arrays),
    }
    checked = check_info(info)
    if checked is not None:
        record["info"] = checked
    return write_archive(path, record, arrays)


class CheckpointFile(NamedTuple):
    """A checkpoint as read: its metadata, its state sections and its parameters."""

    meta: dict[str, Any]
    state: dict[str, Any]
    params: dict[str, NDArray[Any]]


def read_checkpoint(path: str | os.PathLike[str]) -> CheckpointFile:
    """Read ``path``; ``ValueError`` naming it unless it is a complete checkpoint."""
    meta, arrays = read_archive(path, ("checkpoint",))
    try:
        state = unflatten_state(meta["state"], arrays)
        if not isinstance(state, dict):
            raise TypeError("the state is not a mapping")
        for name in SECTIONS:
            if not isinstance(state.get(name), Mapping):
                raise KeyError(name)
        for name in ("iterations_done", "rng", "batch_size", "train_size"):
            if name not in state["trainer"]:
                raise KeyError(f"trainer/{name}")
        if not isinstance(meta.get("optimizer"), Mapping):
            raise KeyError("optimizer")
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path} is not a complete tinynn checkpoint: missing {exc}") from exc
    params = {k[len(PARAMS) :]: a for k, a in arrays.items() if k.startswith(PARAMS)}
    return CheckpointFile(meta, state, params)


class Saved(NamedTuple):
    """What a checkpoint says about its run, read without a trainer."""

    info: dict[str, Any]
    iterations_done: int
    total_iters: int


def whole_count(value: Any, name: str, where: object) -> int:
    """``value`` as an ``int`` >= 0, else ``ValueError`` naming ``name`` and ``where``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{where}: {name} is {value!r}, expected a whole number >= 0")
    return int(value)


def read_saved(path: str | os.PathLike[str]) -> Saved:
    """The ``info`` and the position saved in ``path``."""
    meta, state, _ = read_checkpoint(path)
    position = state["trainer"]
    info = meta.get("info")
    return Saved(
        dict(info) if isinstance(info, Mapping) else {},
        whole_count(position["iterations_done"], "iterations_done", path),
        whole_count(position.get("total_iters", 0), "total_iters", path),
    )
