"""A generator's state as plain data, and back: checked first, then applied.

``numpy.random.Generator.bit_generator.state`` is a dict of strings and (large)
integers, which a checkpoint's JSON keeps exactly. Restoring it into a generator of
another kind, or from a damaged dict, fails inside NumPy; :func:`check_generator_state`
tries it on a scratch generator first, so that a restore that would fail changes
nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["check_generator_state", "generator_state", "restore_generator_state"]


def generator_state(rng: np.random.Generator) -> dict[str, Any]:
    """The state of ``rng`` as plain data (``bit_generator.state``)."""
    return dict(rng.bit_generator.state)


def check_generator_state(rng: np.random.Generator, state: object, where: str) -> None:
    """Raise ``ValueError`` (naming ``where``) unless ``state`` can be restored into ``rng``."""
    kind = type(rng.bit_generator)
    if not isinstance(state, Mapping):
        raise ValueError(f"{where}: a generator state must be a dict, got {type(state).__name__}")
    saved = state.get("bit_generator")
    if saved != kind.__name__:
        raise ValueError(
            f"{where}: the state is of a {saved!r} generator, this one is a {kind.__name__}"
        )
    try:
        kind().state = dict(state)
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise ValueError(f"{where}: the generator state cannot be restored: {exc}") from exc


def restore_generator_state(rng: np.random.Generator, state: Mapping[str, Any], where: str) -> None:
    """Check ``state`` (:func:`check_generator_state`), then put it into ``rng``."""
    check_generator_state(rng, state, where)
    rng.bit_generator.state = dict(state)
