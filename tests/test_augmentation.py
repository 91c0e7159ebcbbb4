"""Data augmentation (section 8.1.3): shifts and rotations that move pixels exactly where they
should, drawn from a seeded generator, applied by the trainer to each training mini-batch, and
resumed bit for bit after an interruption."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tinynn import (
    Adam,
    Augmentation,
    Backprop,
    Checkpoint,
    SimpleConvNet,
    Trainer,
    shift_rotate,
)
from tinynn.base import Model
from tinynn.typing import ArrayLike, Params

RNG = np.random.default_rng(0)
IMAGES = RNG.random((4, 2, 7, 7))


def test_no_move_is_the_identity_in_the_images_dtype_and_shape() -> None:
    for dtype in (np.float64, np.float32):
        x = IMAGES.astype(dtype)
        out = shift_rotate(x, 0, 0, 0)
        assert out.dtype == dtype and out.shape == x.shape
        np.testing.assert_array_equal(out, x)
        assert out is not x
        moved = Augmentation(shift=0, rotate=0, rng=1)(x)
        assert moved.dtype == dtype
        np.testing.assert_array_equal(moved, x)
    three = IMAGES[:, 0]  # (N, H, W) images too
    np.testing.assert_array_equal(shift_rotate(three, 0, 0), three)


def test_a_one_pixel_shift_moves_every_pixel_exactly_and_fills_with_zero() -> None:
    down = shift_rotate(IMAGES, 1, 0)
    np.testing.assert_array_equal(down[..., 1:, :], IMAGES[..., :-1, :])
    np.testing.assert_array_equal(down[..., 0, :], 0.0)
    left = shift_rotate(IMAGES, 0, -1)
    np.testing.assert_array_equal(left[..., :, :-1], IMAGES[..., :, 1:])
    np.testing.assert_array_equal(left[..., :, -1], 0.0)
    # one amount per image
    each = shift_rotate(IMAGES, [0, 1, 0, 2], [0, 0, 1, 0])
    np.testing.assert_array_equal(each[0], IMAGES[0])
    np.testing.assert_array_equal(each[1, :, 1:], IMAGES[1, :, :-1])
    np.testing.assert_array_equal(each[2, :, :, 1:], IMAGES[2, :, :, :-1])
    np.testing.assert_array_equal(each[3, :, 2:], IMAGES[3, :, :-2])


@pytest.mark.parametrize("turns", [1, 2, 3, -1])
def test_a_quarter_turn_of_a_square_image_is_rot90(turns: int) -> None:
    out = shift_rotate(IMAGES, 0, 0, 90 * turns)
    np.testing.assert_array_equal(out, np.rot90(IMAGES, turns, axes=(2, 3)))


def test_a_small_rotation_keeps_the_centre_and_interpolates_between_pixels() -> None:
    x = np.zeros((1, 9, 9))
    x[0, 4, 4] = 1.0
    assert shift_rotate(x, 0, 0, 10)[0, 4, 4] == 1.0  # the centre stays
    x[0, 4, 4], x[0, 4, 8] = 0.0, 1.0  # a pixel 4 right of the centre
    out = shift_rotate(x, 0, 0, 10)[0]
    assert out.sum() == pytest.approx(1.0, abs=0.2) and out.max() < 1.0  # spread bilinearly
    rows, cols = np.nonzero(out)
    assert set(rows) <= {3, 4} and set(cols) <= {7, 8}  # moved up (counter-clockwise)
    assert out[3].sum() > 0


def test_the_same_seed_gives_the_same_moves_and_the_state_round_trips() -> None:
    a, b = Augmentation(shift=2, rotate=15, rng=5), Augmentation(shift=2, rotate=15, rng=5)
    first = a(IMAGES)
    np.testing.assert_array_equal(first, b(IMAGES))
    assert not np.array_equal(first, IMAGES)
    saved = a.state_dict()
    second = a(IMAGES)
    assert not np.array_equal(second, first)  # each call draws new amounts
    a.load_state_dict(saved)
    np.testing.assert_array_equal(a(IMAGES), second)
    other = Augmentation(shift=2, rotate=15, rng=6)(IMAGES)
    assert not np.array_equal(other, first)


def test_the_shifts_drawn_are_whole_and_within_the_bound() -> None:
    x = np.zeros((400, 1, 9, 9))
    x[:, 0, 4, 4] = 1.0
    moved = Augmentation(shift=2, rotate=0, rng=0)(x)
    where = [np.argwhere(m[0] == 1.0) for m in moved]
    assert all(len(w) == 1 for w in where)  # a whole shift moves the pixel whole
    offsets = np.array([w[0] for w in where]) - 4
    assert offsets.min() == -2 and offsets.max() == 2
    assert len({tuple(o) for o in offsets}) == 25  # every shift of -2..2 x -2..2 is drawn


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"shift": -1}, ValueError, "shift must be a whole number of pixels >= 0, got -1"),
        ({"shift": 1.5}, ValueError, "shift must be a whole number of pixels >= 0, got 1.5"),
        ({"rotate": 200}, ValueError, "rotate must be a number of degrees in [0, 180], got 200"),
        ({"rotate": float("nan")}, ValueError, "rotate must be a number of degrees in [0, 180]"),
        ({"rotate": "10"}, TypeError, "rotate must be a number of degrees, got str"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], error: type, message: str) -> None:
    with pytest.raises(error) as info:
        Augmentation(**kwargs)
    assert str(info.value).startswith(message)


def test_bad_images_are_refused_and_the_generator_does_not_move() -> None:
    augment = Augmentation(shift=3, rng=0)
    state = augment.state_dict()
    cases = [
        (np.zeros((2, 784)), ValueError, "must be a non-empty batch of images of shape (N, H, W)"),
        (np.zeros((2, 3, 3), dtype=np.uint8), TypeError, "must hold floating-point pixels"),
        ([[[0.0]]], TypeError, "must be a NumPy array of images, got list"),
        (np.zeros((2, 1, 3, 3)), ValueError, "Augmentation(shift=3) would move 3-pixel images"),
    ]
    for x, error, message in cases:
        with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
            augment(x)  # type: ignore[arg-type]
        assert augment.state_dict() == state
    with pytest.raises(ValueError, match="dy must be one finite number or one per image"):
        shift_rotate(IMAGES, [1, 2], 0)
    with pytest.raises(ValueError, match="degrees must be one finite number"):
        shift_rotate(IMAGES, 0, 0, np.inf)
    with pytest.raises(ValueError, match="an Augmentation's state is"):
        augment.load_state_dict({"seed": 1})
    assert augment.state_dict() == state


# -- in the trainer: each training batch moved, resumed bit for bit ----------------------
X = np.random.default_rng(1).random((60, 1, 8, 8))
T = np.random.default_rng(2).integers(0, 3, 60)
ITERS = 12  # batches of 10: 6 per epoch


def _trainer(folder: Path, *, init: int = 1, augment: Any = "default") -> Trainer:
    folder.mkdir(exist_ok=True)
    conv = {"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 1}
    net = SimpleConvNet((1, 8, 8), conv, 5, 3, weight_init_std=0.3, rng=init)
    aug = Augmentation(shift=1, rotate=12, rng=4) if augment == "default" else augment
    checkpoint = Checkpoint(folder / "ckpt.npz", every_iters=4)
    return Trainer(net, Adam(lr=0.01), batch_size=10, callbacks=[checkpoint], rng=2, augment=aug)


def test_the_trainer_moves_each_training_batch_by_the_augmentation(tmp_path: Path) -> None:
    seen: list[np.ndarray] = []

    class Recording:
        def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
            seen.append(np.array(x))
            return Backprop().gradient(model, x, t)

    trainer = _trainer(tmp_path)
    trainer.estimator = Recording()
    trainer.fit(X, T, iters=3)
    replay, batches = Augmentation(shift=1, rotate=12, rng=4), np.random.default_rng(2)
    for x in seen:
        np.testing.assert_array_equal(x, replay(X[batches.choice(60, 10)]))
    assert trainer.batch is not None
    np.testing.assert_array_equal(trainer.batch[0], seen[-1])
    plain = _trainer(tmp_path, augment=None)
    plain.fit(X, T, iters=3)
    assert not np.array_equal(plain.model.params["W1"], trainer.model.params["W1"])


def _assert_same(a: Trainer, b: Trainer) -> None:
    for name in a.model.params:
        np.testing.assert_array_equal(a.model.params[name], b.model.params[name], strict=True)
    assert a.history.train_loss_list == b.history.train_loss_list
    assert isinstance(a.augment, Augmentation) and isinstance(b.augment, Augmentation)
    assert a.augment.state_dict() == b.augment.state_dict()


@pytest.mark.parametrize("k", [0, 5, 7])
def test_interrupted_in_the_gradient_then_resumed_is_bit_for_bit(tmp_path: Path, k: int) -> None:
    whole = _trainer(tmp_path / "whole")
    whole.fit(X, T, iters=ITERS)
    first = _trainer(tmp_path)
    calls = [0]

    class Interrupting:
        def gradient(self, model: Model, x: ArrayLike, t: ArrayLike) -> Params:
            calls[0] += 1
            if calls[0] == k + 1:
                raise KeyboardInterrupt  # after the augmentation drew for this batch
            return Backprop().gradient(model, x, t)

    first.estimator = Interrupting()
    first.fit(X, T, iters=ITERS)
    assert first.interrupted and first.iterations_done == k
    resumed = _trainer(tmp_path, init=99, augment=Augmentation(shift=1, rotate=12, rng=77))
    resumed.fit(X, T, iters=ITERS, resume=tmp_path / "ckpt.npz")
    _assert_same(whole, resumed)


def test_a_run_continued_from_its_checkpoint_is_bit_for_bit(tmp_path: Path) -> None:
    whole = _trainer(tmp_path / "whole")
    whole.fit(X, T, iters=ITERS)
    first = _trainer(tmp_path)
    first.fit(X, T, iters=5)
    resumed = _trainer(tmp_path, init=99, augment=Augmentation(shift=1, rotate=12, rng=77))
    resumed.fit(X, T, iters=ITERS, resume=tmp_path / "ckpt.npz")
    _assert_same(whole, resumed)


def test_resume_refuses_a_run_with_augmentation_into_one_without_and_back(tmp_path: Path) -> None:
    _trainer(tmp_path / "with").fit(X, T, iters=3)
    _trainer(tmp_path / "without", augment=None).fit(X, T, iters=3)
    plain = _trainer(tmp_path, augment=None)
    before = plain.model.params["W1"].copy()
    with pytest.raises(ValueError, match="was written by a run with data augmentation, this "
                       "trainer is without"):  # fmt: skip
        plain.fit(X, T, iters=6, resume=tmp_path / "with" / "ckpt.npz")
    np.testing.assert_array_equal(plain.model.params["W1"], before)
    moved = _trainer(tmp_path)
    state = moved.augment.state_dict()  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="was written by a run without data augmentation"):
        moved.fit(X, T, iters=6, resume=tmp_path / "without" / "ckpt.npz")
    assert moved.augment.state_dict() == state  # type: ignore[union-attr]


def test_augment_must_be_callable_and_keep_the_shape(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="augment must be callable"):
        _trainer(tmp_path, augment=3)
    for wrong, got in ((lambda x: x[:, :, :4], r"float64 \(10, 1, 4, 8\)"),
                       (lambda x: x.astype(np.float32), r"float32 \(10, 1, 8, 8\)")):
        trainer = _trainer(tmp_path, augment=wrong)
        before = trainer.model.params["W1"].copy()
        with pytest.raises(ValueError, match=r"must return the batch's shape and dtype, float64 "
                           rf"\(10, 1, 8, 8\), got {got}"):  # fmt: skip
            trainer.fit(X, T, iters=2)
        np.testing.assert_array_equal(trainer.model.params["W1"], before)
