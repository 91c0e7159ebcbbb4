"""Tests for tinynn.datasets.handwriting: a picture of a digit brought to MNIST's conventions."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.typing import NDArray

from tinynn import preprocess_digit, read_digit
from tinynn.datasets.handwriting import _centre_of_mass, _resize_area


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
    with pytest.raises(IsADirectoryError, match="is a folder, expected an image file"):
        read_digit(tmp_path)


def test_read_digit_refuses_truncated_files_and_decompression_bombs(tmp_path: Path) -> None:
    pil = pytest.importorskip("PIL.Image")
    from tests.test_cli import _png_declaring

    pil.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200), dtype=np.uint8)).save(
        tmp_path / "whole.png"
    )
    data = (tmp_path / "whole.png").read_bytes()
    (tmp_path / "half.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"half\.png could not be decoded: it is truncated"):
        read_digit(tmp_path / "half.png")
    # Pillow itself refuses past twice its limit; this one is only past the limit (warns)
    for width, height in ((20000, 20000), (10000, 10000)):
        (tmp_path / "bomb.png").write_bytes(_png_declaring(width, height))
        with pytest.raises(ValueError) as caught:
            read_digit(tmp_path / "bomb.png")
        assert str(caught.value) == (
            f"{tmp_path / 'bomb.png'} declares {width}x{height} pixels ({width * height:,}), "
            "more than the 89,478,485 this reader decodes (a guard against decompression "
            "bombs); scale the picture down first"
        )


# -- photographs: grey paper, a strong lighting gradient, vignetting, noise, a small digit -------
#
# A photo is made from a digit's ink (light on black in [0, 1], as MNIST's): enlarged, laid as
# dark ink (reflectance 0.1) on grey paper (0.65) somewhere off-centre in a 480x640 picture,
# lit by light that falls from 100% to 30% across the picture in a random direction, times
# vignetting (50% darker in the corners), plus camera noise (3% of full scale).
def _enlarge(ink: NDArray[np.float64], scale: int) -> NDArray[np.float64]:
    """Bilinear enlargement (the smooth edges of a camera's view of a stroke)."""
    h, w = ink.shape
    at = [(np.arange(n * scale) + 0.5) / scale - 0.5 for n in (h, w)]
    rows = np.stack([np.interp(at[0], np.arange(h), ink[:, j]) for j in range(w)], axis=1)
    return np.stack([np.interp(at[1], np.arange(w), row) for row in rows])


def photograph(
    ink: NDArray[np.float64], rng: np.random.Generator, *, scale: int = 4,
    shape: tuple[int, int] = (480, 640),
) -> NDArray[np.uint8]:  # fmt: skip
    big = _enlarge(ink, scale)
    (height, width), (h, w) = shape, big.shape
    top = int(rng.integers(height // 10, height - h - height // 10))
    left = int(rng.integers(width // 10, width - w - width // 10))
    cover = np.zeros(shape)
    cover[top : top + h, left : left + w] = big
    reflectance = 0.65 - (0.65 - 0.1) * cover
    v, u = np.meshgrid(np.linspace(-1, 1, height), np.linspace(-1, 1, width), indexing="ij")
    angle = rng.uniform(0, 2 * np.pi)
    along = (u * np.cos(angle) + v * np.sin(angle)) / np.sqrt(2)  # -1 to 1 across the picture
    light = (0.65 - 0.35 * along) * (1 - 0.25 * (u * u + v * v))
    picture = reflectance * light + rng.normal(0, 0.03, shape)
    return np.round(np.clip(picture, 0, 1) * 255).astype(np.uint8)


def global_stretch(image: NDArray[np.uint8]) -> NDArray[np.float64]:
    """The preprocessing before issue 16, for comparison: the border's median is the paper
    everywhere (inverted when above 0.5), one contrast stretch for the whole picture."""
    gray = image / 255.0
    border = np.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    paper = float(np.median(border))
    if paper > 0.5:
        gray, paper = 1.0 - gray, 1.0 - paper
    ink = np.clip((gray - paper) / (gray.max() - paper), 0.0, 1.0)
    ink[ink < 0.1] = 0.0
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = 20 / max(ink.shape)
    small = _resize_area(ink, (max(1, round(ink.shape[0] * scale)),
                               max(1, round(ink.shape[1] * scale))))  # fmt: skip
    small /= small.max()
    r, c = _centre_of_mass(small)
    top, left = round(14 - r), round(14 - c)
    out = np.zeros((28, 28))
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + small.shape[0], 28), min(left + small.shape[1], 28)
    out[r0:r1, c0:c1] = small[r0 - top : r1 - top, c0 - left : c1 - left]
    return out


def correlation(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """The correlation of two 28x28 images, the best of ``a`` shifted by up to one pixel:
    MNIST centres to the nearest pixel, so a centre of mass at 13.5 may land either way."""
    if not (a.any() and b.any()):
        return 0.0
    padded = np.pad(a, 1)
    return max(
        float(np.corrcoef(padded[1 + dr : 29 + dr, 1 + dc : 29 + dc].ravel(), b.ravel())[0, 1])
        for dr in (-1, 0, 1) for dc in (-1, 0, 1)
    )  # fmt: skip


#: Digits drawn as polylines in a 28x28 frame (row, column), MNIST-sized.
STROKES = {
    "seven": [[(6, 7), (6, 21), (23, 11)]],
    "one": [[(4, 15), (23, 13)]],
    "four": [[(4, 9), (16, 6), (16, 22)], [(6, 17), (24, 17)]],
    "zero": [[(4 + 9.5 * (1 - np.cos(a)), 14 + 6.5 * np.sin(a))
              for a in np.linspace(0, 2 * np.pi, 25)]],
    "three": [[(6, 8), (4, 14), (6, 19), (10, 18), (13, 13), (16, 19), (21, 18), (23, 13),
               (21, 8)]],
}  # fmt: skip


def drawn(strokes: list[list[tuple[float, float]]]) -> NDArray[np.float64]:
    """Strokes 2.6 pixels wide with soft edges, light on black (as an MNIST image)."""
    rows, cols = np.indices((28, 28)) + 0.5
    distance = np.full((28, 28), np.inf)
    for line in strokes:
        for (r0, c0), (r1, c1) in itertools.pairwise(line):
            d = np.array([r1 - r0, c1 - c0])
            t = np.clip(((rows - r0) * d[0] + (cols - c0) * d[1]) / (d @ d), 0, 1)
            distance = np.minimum(distance, np.hypot(rows - r0 - t * d[0], cols - c0 - t * d[1]))
    return np.clip(1.8 - distance, 0, 1)


@pytest.mark.parametrize("name", sorted(STROKES))
def test_a_photographed_drawing_comes_out_as_its_clean_scan(name: str, tmp_path: Path) -> None:
    """Measured: 0.96-1.00 against the clean scan through the same steps (dark ink on light
    paper and light ink on dark alike, and from a JPEG file at quality 70); the old global
    stretch: 0.28-0.54."""
    ink = drawn(STROKES[name])
    scan = preprocess_digit(np.round((1 - _enlarge(ink, 4)) * 255).astype(np.uint8))
    rng = np.random.default_rng(sorted(STROKES).index(name))
    photo = photograph(ink, rng)
    assert correlation(preprocess_digit(photo), scan) > 0.9
    assert correlation(preprocess_digit(255 - photo), scan) > 0.9  # chalk on a blackboard
    assert correlation(global_stretch(photo), scan) < 0.9  # the test can fail
    pil = pytest.importorskip("PIL.Image")
    pil.fromarray(photo).convert("RGB").save(tmp_path / "photo.jpg", quality=70)
    assert correlation(read_digit(tmp_path / "photo.jpg"), scan) > 0.9


@pytest.fixture(scope="module")
def mnist_test_set() -> tuple[NDArray[np.float64], NDArray[np.uint8], Any]:
    """The first 20 MNIST test digits (28x28 in [0, 1]), their labels, and the training set."""
    if not os.environ.get("TINYNN_DATA"):
        pytest.skip("MNIST not configured: set TINYNN_DATA to a folder holding mnist/")
    from tinynn.datasets import load_mnist

    try:
        train, (x_test, t_test) = load_mnist(flatten=False, download=False, cache=False)
    except OSError as exc:
        pytest.skip(f"MNIST is not in TINYNN_DATA: {exc}")
    return x_test[:20, 0].astype(np.float64), t_test[:20], train


def test_photographs_of_mnist_digits_match_the_originals(
    mnist_test_set: tuple[NDArray[np.float64], NDArray[np.uint8], Any],
) -> None:
    """Photos of the first 20 test digits, each through preprocess_digit, against the MNIST
    image of the same digit.

    The threshold, 0.65: a digit of the same class by another writer correlates that well
    with one of these in 16% of pairs (measured over the first 300 test digits, 4548 pairs,
    plain correlation; median 0.44). Measured here: the photos 0.89-0.98 (mean 0.94), the
    old global stretch 0.13-0.60 on the same photos.
    """
    digits, _, _ = mnist_test_set
    rng = np.random.default_rng(16)
    photos = [photograph(d, rng) for d in digits]
    new = [correlation(preprocess_digit(p), d) for p, d in zip(photos, digits, strict=True)]
    old = [correlation(global_stretch(p), d) for p, d in zip(photos, digits, strict=True)]
    assert min(new) > 0.65 and np.mean(new) > 0.85, np.round(new, 3)
    assert max(old) < 0.65, np.round(old, 3)  # every photo fails the check the old way


def test_a_quickly_trained_network_reads_the_photographs(
    mnist_test_set: tuple[NDArray[np.float64], NDArray[np.uint8], Any],
) -> None:
    """500 SGD steps on 10,000 images (90.2% test accuracy, a second or two on a quiet
    machine) classify the photos as they classify the digits themselves. Measured: 18 of the
    20 digits right, the photos read as the digits in 19 cases (the 20th photo, a 6, is read
    right where the digit itself is not). The old global stretch made every photo a small
    digit beside a grey wedge: 19 read as 4 (3 right by chance)."""
    import tinynn as nn

    digits, labels, (x_train, t_train) = mnist_test_set
    net = nn.TwoLayerNet(784, 50, 10, rng=0)
    x, t = x_train[:10_000].reshape(10_000, 784), t_train[:10_000]
    nn.Trainer(net, nn.SGD(lr=0.5), batch_size=100, rng=1).fit(x, t, iters=500)
    rng = np.random.default_rng(16)
    photos = [photograph(d, rng) for d in digits]
    seen = net.predict(digits.reshape(20, 784)).argmax(axis=1)
    new = net.predict(np.stack([preprocess_digit(p) for p in photos]).reshape(20, 784))
    old = net.predict(np.stack([global_stretch(p) for p in photos]).reshape(20, 784))
    assert (seen == labels).sum() >= 17  # the network itself
    assert (new.argmax(axis=1) == seen).sum() >= 19, (new.argmax(axis=1), seen)
    assert (old.argmax(axis=1) == labels).sum() <= 5


@pytest.mark.parametrize(
    "picture",
    [
        "blank photo",  # grey paper under the same light as the photos, no digit
        "white", "black", "grey",
        "uniform noise", "gaussian noise", "light gradient",
    ],
)  # fmt: skip
def test_pictures_without_a_digit_are_refused(picture: str) -> None:
    rng = np.random.default_rng(0)
    image = {
        "blank photo": lambda: photograph(np.zeros((28, 28)), rng),
        "white": lambda: np.full((300, 400), 255, np.uint8),
        "black": lambda: np.zeros((300, 400), np.uint8),
        "grey": lambda: np.full((300, 400), 0.4),
        "uniform noise": lambda: rng.integers(0, 256, (300, 400)).astype(np.uint8),
        "gaussian noise": lambda: np.clip(rng.normal(0.5, 0.15, (300, 400)), 0, 1),
        "light gradient": lambda: np.tile(np.linspace(0.1, 0.9, 400), (300, 1)),
    }[picture]()
    with pytest.raises(ValueError, match=r"^the image holds no digit: "):
        preprocess_digit(image)
