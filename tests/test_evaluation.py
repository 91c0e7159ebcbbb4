"""Tests for tinynn.evaluation and its figures: counts checked against a plain loop."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinynn import class_scores, confusion_matrix

labels = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), min_size=1, max_size=60)


@given(labels)
def test_confusion_matrix_counts_every_pair(pairs: list[tuple[int, int]]) -> None:
    t, y = np.array(pairs).T
    expected = np.zeros((5, 5), dtype=np.int64)
    for a, b in pairs:
        expected[a, b] += 1
    matrix = confusion_matrix(t, y, num_classes=5)
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.sum() == len(pairs)
    assert np.trace(matrix) / matrix.sum() == np.mean(t == y)  # the accuracy


@given(labels)
def test_precision_and_recall_match_their_definitions(pairs: list[tuple[int, int]]) -> None:
    t, y = np.array(pairs).T
    scores = class_scores(confusion_matrix(t, y, num_classes=5))
    for k in range(5):
        predicted_k, actual_k = y == k, t == k
        precision = np.mean(t[predicted_k] == k) if predicted_k.any() else np.nan
        recall = np.mean(y[actual_k] == k) if actual_k.any() else np.nan
        np.testing.assert_allclose(scores.precision[k], precision)
        np.testing.assert_allclose(scores.recall[k], recall)
        assert scores.support[k] == actual_k.sum()


def test_one_hot_labels_and_network_outputs_are_accepted() -> None:
    t = np.eye(3)[[0, 1, 2, 2]]
    outputs = np.array([[0.8, 0.1, 0.1], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]])
    np.testing.assert_array_equal(confusion_matrix(t, outputs), [[1, 0, 0], [0, 0, 1], [0, 1, 1]])


@pytest.mark.parametrize(
    ("t", "y", "kwargs", "match"),
    [
        ([0, 1], [0], {}, "same length"),
        ([0, -1], [0, 1], {}, "class indices"),
        ([0, 1.5], [0, 1], {}, "class indices"),
        ([0, 3], [0, 1], {"num_classes": 3}, "num_classes is 3"),
        ([0, 1], [0, 1], {"num_classes": 0}, "num_classes must be"),
    ],
)
def test_confusion_matrix_errors(t: object, y: object, kwargs: dict[str, int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        confusion_matrix(t, y, **kwargs)  # type: ignore[arg-type]


def test_class_scores_errors() -> None:
    with pytest.raises(ValueError, match="square"):
        class_scores([[1, 2, 3]])
    with pytest.raises(ValueError, match="counts"):
        class_scores([[1, -1], [0, 2]])


def test_figures_of_evaluation() -> None:
    pytest.importorskip("matplotlib")
    from tinynn.plot import confusion_matrix_figure, misclassified_figure

    matrix = np.array([[8, 2, 0], [1, 5, 4], [0, 0, 9]])
    fig = confusion_matrix_figure(matrix)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.texts] == [str(v) for v in matrix.ravel()]
    shown = np.asarray(ax.images[0].get_array())
    np.testing.assert_allclose(shown, matrix / matrix.sum(axis=1, keepdims=True))
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    with pytest.raises(ValueError, match="square"):
        confusion_matrix_figure([[1, 2]])

    rng = np.random.default_rng(0)
    digits = rng.random((7, 28, 28))
    fig = misclassified_figure(digits.reshape(7, 784), [1, 2, 3, 4, 5, 6, 7], [7] * 7, columns=3)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.texts][:2] == ["1 -> 7", "2 -> 7"]
    canvas = np.ma.getdata(ax.images[0].get_array())
    cell_h, cell_w = canvas.shape[0] // 3, canvas.shape[1] // 3  # 3 rows of 3 columns
    np.testing.assert_array_equal(canvas[9 : 9 + 28, :28], digits[0])  # below its title
    np.testing.assert_array_equal(canvas[cell_h + 9 : cell_h + 37, cell_w : cell_w + 28], digits[4])
    with pytest.raises(ValueError, match="7 images, 2 labels"):
        misclassified_figure(digits, [1, 2], [3, 4])
    with pytest.raises(ValueError, match="square"):
        misclassified_figure(np.zeros((2, 10)), [1, 2], [3, 4])
