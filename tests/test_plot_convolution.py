"""Tests for tinynn.plot's chapter 7 figures: the filters (figure 7-24) and the feature maps."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure

from tinynn import SimpleConvNet
from tinynn.plot import feature_maps_figure, filters_figure


def image_data(fig: Figure, axes: int = 0) -> np.ma.MaskedArray:  # type: ignore[type-arg]
    data = fig.axes[axes].images[0].get_array()
    assert isinstance(data, np.ma.MaskedArray)
    return data


def scaled(a: NDArray[np.float64]) -> NDArray[np.float64]:
    return (a - a.min()) / (a.max() - a.min())


def test_filters_figure_tiles_each_filter_scaled_to_its_own_range() -> None:
    W = np.random.default_rng(0).standard_normal((30, 1, 5, 5))
    fig = filters_figure(W)
    assert isinstance(fig, Figure)
    data = image_data(fig)
    assert data.shape == (3 * 6 - 1, 10 * 6 - 1)  # 3 rows of 10, a pixel between
    # filter 13 is row 1, column 3
    np.testing.assert_allclose(data[6:11, 18:23], scaled(W[13, 0]), rtol=1e-12)
    assert data.mask[5, :].all() and data.mask[:, 5].all()  # the gaps are blank
    assert fig.axes[0].images[0].get_cmap().name == "gray_r"  # the book's colour map


def test_filters_figure_options_and_panels() -> None:
    W = np.random.default_rng(1).standard_normal((4, 3, 2, 3))
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert filters_figure(W, ax=left, channel=2, columns=3) is fig
    data = image_data(fig, 0)
    assert data.shape == (2 * 3 - 1, 3 * 4 - 1)
    np.testing.assert_allclose(data[3:5, 0:3], scaled(W[3, 2]), rtol=1e-12)
    filters_figure(np.zeros((2, 1, 2, 2)), ax=right)  # constant filters: mid-grey, no NaN
    np.testing.assert_array_equal(image_data(fig, 1).compressed(), 0.5)


def test_filters_figure_of_a_trained_and_an_untrained_network_differ() -> None:
    net = SimpleConvNet(rng=0)
    before = image_data(filters_figure(net.params["W1"])).copy()
    net.params["W1"][:, :, 2, :] += 1.0  # a "trained" horizontal bar in every filter
    after = image_data(filters_figure(net.params["W1"]))
    assert not np.allclose(before, after)
    assert (after[2, 0:5] > 0.95).all()  # the bar: filter 0's largest weights, drawn dark
    assert (after[[0, 1, 3, 4], 0:5] < 0.05).all()  # its noise (std 0.01): light


@pytest.mark.parametrize(
    ("W", "kwargs", "message"),
    [
        (np.zeros((5, 5)), {}, r"W must have shape \(FN, C, FH, FW\)"),
        (np.full((1, 1, 2, 2), np.nan), {}, "NaN"),
        (np.zeros((2, 1, 2, 2)), {"channel": 1}, r"channel must be an int in \[0, 1\), got 1"),
        (np.zeros((2, 1, 2, 2)), {"columns": 0}, "columns must be an int >= 1"),
    ],
)
def test_filters_figure_errors(W: NDArray[np.float64], kwargs: dict[str, int], message: str
                               ) -> None:  # fmt: skip
    with pytest.raises(ValueError, match=message):
        filters_figure(W, **kwargs)  # type: ignore[arg-type]


def test_feature_maps_figure_shows_the_input_and_every_map() -> None:
    rng = np.random.default_rng(0)
    digit, maps = rng.random((1, 28, 28)), rng.random((30, 24, 24))
    fig = feature_maps_figure(digit, maps)
    assert [ax.get_title() for ax in fig.axes] == ["input", "30 feature maps"]
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), digit[0])
    data = image_data(fig, 1)
    gap = 2  # ceil(24 / 12) pixels between maps
    assert data.shape == (3 * (24 + gap) - gap, 10 * (24 + gap) - gap)
    np.testing.assert_allclose(data[26:50, 52:76], maps[12] / maps[12].max(), rtol=1e-12)


def test_feature_maps_figure_shows_no_response_as_black() -> None:
    """After a ReLU, 0 is no response: a filter silent on this digit is a black tile, not grey
    (as it was when every map was scaled by its own minimum and maximum); a map with negative
    values is scaled from its minimum to its maximum."""
    rng = np.random.default_rng(1)
    maps = np.maximum(rng.standard_normal((3, 6, 6)), 0.0)
    maps[1] = 0.0
    maps[2] = rng.standard_normal((6, 6))  # before a ReLU
    data = image_data(feature_maps_figure(rng.random((8, 8)), maps), 1)
    gap = 1
    np.testing.assert_array_equal(data[:, 6 + gap : 12 + gap], np.zeros((6, 6)))
    np.testing.assert_allclose(data[:, :6], maps[0] / maps[0].max(), rtol=1e-12)
    np.testing.assert_allclose(data[:, 2 * (6 + gap) :], scaled(maps[2]), rtol=1e-12)


def test_feature_maps_figure_of_a_network_draws_into_a_subfigure() -> None:
    net = SimpleConvNet((1, 8, 8), {"filter_num": 3, "filter_size": 3, "pad": 0, "stride": 1},
                        rng=0)  # fmt: skip
    digit = np.random.default_rng(1).random((1, 8, 8))
    maps = net.layers[0].forward(digit[np.newaxis])[0]
    root = Figure()
    sub = root.subfigures(1, 2)[1]
    assert feature_maps_figure(digit, maps, fig=sub, columns=2) is root
    data = image_data(root, 1)
    assert data.shape == (2 * 7 - 1, 2 * 7 - 1)  # 3 maps of 6x6, 2 a row, 1 pixel between
    np.testing.assert_allclose(data[7:13, 0:6], scaled(maps[2]), rtol=1e-12)


@pytest.mark.parametrize(
    ("image", "maps", "message"),
    [
        (np.zeros((2, 28, 28)), np.zeros((3, 4, 4)), r"image must have shape \(H, W\)"),
        (np.zeros((28, 28)), np.zeros((4, 4)), r"maps must have shape \(FN, OH, OW\)"),
        (np.zeros((28, 28)), np.full((1, 4, 4), np.inf), "finite"),
    ],
)
def test_feature_maps_figure_errors(image: NDArray[np.float64], maps: NDArray[np.float64],
                                    message: str) -> None:  # fmt: skip
    with pytest.raises(ValueError, match=message):
        feature_maps_figure(image, maps)
