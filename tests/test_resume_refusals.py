"""A checkpoint that cannot be restored is refused before anything changes.

Each case resumes a trainer that has trained already (so that every part has
a state of its own) from a checkpoint spoiled in one section, and checks that
the refusal left the model, the optimizer, the trainer and its callbacks
exactly as they were.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn import (
    CSVLogger,
    EarlyStopping,
    EpochAccuracy,
    GradientAgreement,
    Momentum,
    Stateful,
    Trainer,
    TwoLayerNet,
)
from tinynn.saving.archive import read_archive, write_archive

R = np.random.default_rng(0)
X = R.random((60, 6))
T = np.argmax(X[:, :3], axis=1)


def _trainer(folder: Path, rng: np.random.Generator | int = 2, init: int = 1) -> Trainer:
    callbacks = [
        EpochAccuracy(test=(X, T)),
        EarlyStopping(patience=100, restore_best=True),
        GradientAgreement(every=2, coordinates=3, rng=3),
        CSVLogger(folder / "log.csv"),
    ]
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.5, rng=init)
    return Trainer(net, Momentum(lr=0.2), batch_size=10, callbacks=callbacks, rng=rng)


def _snapshot(trainer: Trainer) -> dict[str, Any]:
    """Everything a resume could change, deep-copied."""
    names = ("iteration", "iterations_done", "start_iteration", "total_iters", "iters_per_epoch",
             "train_size", "stop_training", "interrupted", "pending_batch", "batch")  # fmt: skip
    return {
        "params": {k: v.copy() for k, v in trainer.model.params.items()},
        "optimizer": copy.deepcopy(trainer.optimizer.state_dict()),  # type: ignore[attr-defined]
        "rng": copy.deepcopy(trainer.rng.bit_generator.state),
        "trainer": {name: copy.deepcopy(getattr(trainer, name)) for name in names},
        "train_data": trainer.train_data,
        "history": copy.deepcopy(trainer.history.history),
        "callbacks": [
            (cb, cb._trainer, copy.deepcopy(cb.state_dict()) if isinstance(cb, Stateful) else None)
            for cb in trainer.callbacks
        ],
    }


Change = Callable[[dict[str, Any], dict[str, Any]], None]


def _set(path: str, value: Any) -> Change:
    """Set ``meta['state'][a][b]...`` for ``path = 'a/b/...'``."""

    def change(meta: dict[str, Any], arrays: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = meta["state"]
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _array(name: str, value: Any) -> Change:
    def change(meta: dict[str, Any], arrays: dict[str, Any]) -> None:
        assert name in arrays
        arrays[name] = np.asarray(value)

    return change


def _pending(meta: dict[str, Any], arrays: dict[str, Any]) -> None:
    arrays["state/trainer/pending_batch"] = np.array([0] * 9 + [60])
    meta["state"]["trainer"]["pending_batch"] = {"$array": "state/trainer/pending_batch"}


BAD_RNG = {"bit_generator": "PCG64", "state": {"state": "many", "inc": 1},
           "has_uint32": 0, "uinteger": 0}  # fmt: skip
CASES: dict[str, tuple[Change, str]] = {
    "generator of another kind": (lambda m, a: None, "holds the state of a MT19937 generator"),
    "generator state": (_set("trainer/rng", BAD_RNG), "cannot restore the random generator"),
    "optimizer state": (
        _array("state/optimizer/v/W1", np.full((6, 5), np.nan)),
        "the optimizer Momentum refuses: state\\['v'\\]\\['W1'\\] holds NaN",
    ),
    "callback state": (
        _set("callbacks/EarlyStopping/wait", "x"),
        "the callback EarlyStopping refuses: not an EarlyStopping state",
    ),
    "history": (_array("state/history/loss", np.zeros((2, 2))), "a history that cannot be"),
    "params": (_array("params/W2", np.zeros((5, 4))), "W2 has shape \\(5, 4\\) in the file"),
    "pending batch": (_pending, "expected 10 indices below 60"),
    "past the iterations asked": (_set("trainer/iterations_done", 30), "more than the 20 asked"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_refused_checkpoint_changes_nothing(case: str, tmp_path: Path) -> None:
    change, message = CASES[case]
    # the checkpoint: another run of 7 iterations (of a MT19937 generator for the first case)
    rng = np.random.Generator(np.random.MT19937(5)) if "another kind" in case else 5
    (tmp_path / "writer").mkdir()
    writer = _trainer(tmp_path / "writer", rng=rng, init=4)
    writer.fit(X, T, iters=7)
    writer.save_checkpoint(tmp_path / "good.npz")
    meta, arrays = read_archive(tmp_path / "good.npz", ("checkpoint",))
    change(meta, arrays)
    write_archive(tmp_path / "bad.npz", meta, arrays)
    # the trainer that refuses it has trained 5 iterations of its own
    trainer = _trainer(tmp_path)
    trainer.fit(X, T, iters=5)
    before = _snapshot(trainer)
    with pytest.raises(ValueError, match=message):
        trainer.fit(X, T, iters=20, resume=tmp_path / "bad.npz")
    np.testing.assert_equal(_snapshot(trainer), before)
    # and the unspoiled checkpoint does load into it (the case spoils only what it names)
    if "another kind" not in case:
        shutil.copy(tmp_path / "writer" / "log.csv", tmp_path / "log.csv")
        trainer.fit(X, T, iters=20, resume=tmp_path / "good.npz")
        assert trainer.iterations_done == 20
