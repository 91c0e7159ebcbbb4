"""Tests for tinynn.handwriting: a picture of a digit brought to MNIST's conventions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from tinynn import preprocess_digit, read_digit
from tinynn.handwriting import _resize_area


def centre_of_mass(img: NDArray[np.float64]) -> tuple[float, float]:
    """Computed here independently: the weighted mean of the pixel coordinates."""
    rows, cols = np.indices(img.shape)
    total = img.sum()
    return float((rows * img).sum() / total), float((cols * img).sum() / total)


def bounding_box(img: NDArray[np.float64]) -> tuple[int, int]:
    rows, cols = np.flatnonzero(img.any(axis=1)), np.flatnonzero(img.any(axis=0))
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def paper(shape: tuple[int, int] = (120, 90)) -> NDArray[np.uint8]:
    return np.full(shape, 255, dtype=np.uint8)


@given(
    top=st.integers(0, 60),
    left=st.integers(0, 50),
    height=st.integers(8, 60),
    width=st.integers(8, 40),
    corner=st.booleans(),
)
def test_centre_of_mass_lands_on_pixel_14_14_and_the_box_is_20(
    top: int, left: int, height: int, width: int, corner: bool
) -> None:
    img = paper()
    img[top : top + height, left : left + width] = 0  # a dark block anywhere on the paper
    if corner:  # and an L-shaped heavier part, so that the mass is off the box's centre
        img[top : top + max(2, height // 4), left : left + width] = 0
        img[top : top + height, left : left + max(2, width // 4)] = 0
    out = preprocess_digit(img)
    assert out.shape == (28, 28) and out.dtype == np.float64
    assert out.min() == 0.0 and out.max() == 1.0
    r, c = centre_of_mass(out)
    assert abs(r - 14.0) <= 0.5 + 1e-9 and abs(c - 14.0) <= 0.5 + 1e-9  # to the nearest pixel
    assert max(bounding_box(out)) == 20  # the longer side fills the 20-pixel box


@pytest.mark.parametrize(("height", "width", "expected"), [(80, 40, (20, 10)), (36, 90, (8, 20))])
def test_aspect_ratio_is_kept(height: int, width: int, expected: tuple[int, int]) -> None:
    img = paper((150, 150))
    img[10 : 10 + height, 20 : 20 + width] = 0
    out = preprocess_digit(img)
    assert bounding_box(out) == expected
    # a full rectangle stays a full rectangle of ones
    rows, cols = np.flatnonzero(out.any(axis=1)), np.flatnonzero(out.any(axis=0))
    np.testing.assert_allclose(out[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1], 1.0)


def test_dark_ink_on_light_paper_and_light_ink_on_dark_give_the_same_digit() -> None:
    img = paper()
    img[20:100, 40:52] = 0
    img[20:32, 20:70] = 30
    light_paper = preprocess_digit(img)
    dark_paper = preprocess_digit(255 - img)
    np.testing.assert_allclose(light_paper, dark_paper, atol=1e-12)
    assert light_paper[0, 0] == 0.0  # background black, as MNIST's


def test_invert_can_be_forced() -> None:
    img = paper()
    img[30:90, 40:50] = 0
    forced = preprocess_digit(img, invert=True)
    np.testing.assert_allclose(forced, preprocess_digit(img))
    # told that the paper is dark, nothing on this light paper is lighter than it
    with pytest.raises(ValueError, match="blank"):
        preprocess_digit(img, invert=False)


def test_grey_paper_and_grey_ink_are_stretched_to_0_and_1() -> None:
    img = np.full((60, 60), 0.8)  # a grey photo of paper
    img[10:50, 25:35] = 0.35  # pencil
    noise = np.random.default_rng(0).uniform(-0.02, 0.02, img.shape)
    out = preprocess_digit(np.clip(img + noise, 0, 1))
    assert out.max() == 1.0
    assert np.count_nonzero(out) == np.count_nonzero(out > 0.5)  # no noise speckles left


def test_integer_and_float_images_agree() -> None:
    img = paper()
    img[30:90, 40:55] = 0
    np.testing.assert_allclose(preprocess_digit(img), preprocess_digit(img / 255.0))


def test_area_resize_keeps_the_mean_and_averages_blocks() -> None:
    img = np.random.default_rng(1).random((60, 40))
    small = _resize_area(img, (20, 10))
    assert small.shape == (20, 10)
    np.testing.assert_allclose(small.mean(), img.mean())
    np.testing.assert_allclose(small[0, 0], img[:3, :4].mean())


@pytest.mark.parametrize(
    ("image", "error", "match"),
    [
        (np.zeros(10), ValueError, "2-D"),
        (np.zeros((3, 4, 3)), ValueError, "2-D"),
        (np.full((10, 10), 200, dtype=np.uint8), ValueError, "blank"),
        (np.full((10, 10), 2.0), ValueError, r"\[0, 1\]"),
        (np.full((10, 10), 300), ValueError, "0-255"),
        (np.array([["a", "b"], ["c", "d"]]), TypeError, "real numbers"),
    ],
)
def test_bad_images_are_rejected(image: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        preprocess_digit(image)  # type: ignore[arg-type]


def test_read_digit_png_jpeg_and_transparency(tmp_path: Path) -> None:
    pil = pytest.importorskip("PIL.Image")
    draw = pytest.importorskip("PIL.ImageDraw")
    picture = pil.new("RGB", (100, 140), "white")
    draw.Draw(picture).line([(20, 20), (80, 20), (40, 120)], fill="black", width=12)
    picture.save(tmp_path / "seven.png")
    picture.save(tmp_path / "seven.jpg", quality=80)
    # black strokes on a transparent background, as drawing programs save them
    clear = pil.new("RGBA", (100, 140), (0, 0, 0, 0))
    draw.Draw(clear).line([(20, 20), (80, 20), (40, 120)], fill=(0, 0, 0, 255), width=12)
    clear.save(tmp_path / "clear.png")
    png, jpg, alpha = (read_digit(tmp_path / n) for n in ("seven.png", "seven.jpg", "clear.png"))
    np.testing.assert_allclose(alpha, png, atol=1e-12)
    assert np.abs(jpg - png).mean() < 0.02  # JPEG artefacts are mostly removed as noise
    assert png[0, 0] == 0.0 and png.max() == 1.0


def test_read_digit_errors(tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    with pytest.raises(FileNotFoundError):
        read_digit(tmp_path / "missing.png")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(ValueError, match="not an image"):
        read_digit(tmp_path / "notes.png")
