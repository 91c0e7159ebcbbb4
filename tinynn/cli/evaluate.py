"""``tinynn evaluate RUN``: test accuracy, precision and recall per class, and two figures.

Any saved model: a network with Dropout or Batch Normalization evaluates (the
running statistics, no dropout: the same numbers every time), a convolutional
one gets the test images as ``(N, 1, 28, 28)``.

Writes ``evaluation.json``, ``confusion_matrix.png`` and ``misclassified.png`` into
the run folder for the run's model (``RUN`` or ``RUN/model.npz``). Any other file is
evaluated into files named after it, beside it: ``RUN/checkpoint.npz`` gives
``checkpoint.evaluation.json``, ``checkpoint.confusion_matrix.png`` and
``checkpoint.misclassified.png``, so the report of the run's model is never overwritten
by another model's.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

from ..evaluation import class_scores, confusion_matrix
from .common import (
    MODEL,
    add_data_options,
    display,
    load_data,
    load_run_model,
    model_input,
    new_figure,
    positive_int,
    probabilities,
    run_model_path,
    save_figure,
    write_json,
)

HELP = "test accuracy, per-class precision and recall, confusion matrix and mistakes of a run"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("evaluate", help=HELP, description=HELP + ".")
    p.add_argument("run", metavar="RUN",
                   help="a run folder of tinynn train, or a model or checkpoint .npz (a file "
                   "other than a run's model.npz is reported in files named after it: "
                   "NAME.evaluation.json, ...)")  # fmt: skip
    p.add_argument("--show", type=positive_int, default=40, metavar="N",
                   help="misclassified digits in the grid (40)")  # fmt: skip
    add_data_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    model, out = load_run_model(args.run)
    path = run_model_path(args.run)  # the run's model.npz, or another file: named after it
    prefix = "" if path.name == MODEL else f"{path.stem}."
    _, (x_test, t_test) = load_data(args, one_hot=False)
    y = np.argmax(probabilities(model, model_input(model, x_test)), axis=1)
    matrix = confusion_matrix(t_test, y, num_classes=10)
    scores = class_scores(matrix)
    accuracy = float(np.trace(matrix) / matrix.sum())
    print(f"test accuracy {accuracy:.4f} ({int(np.trace(matrix))} of {len(t_test)} test images)")
    print()
    print("class  precision  recall  support  most often mistaken for")
    for k in range(10):
        row = matrix[k].copy()
        row[k] = -1
        worst = int(np.argmax(row))
        mistaken = f"{worst} ({row[worst]}x)" if row[worst] > 0 else "-"
        print(f"{k:>5}  {scores.precision[k]:>9.4f}  {scores.recall[k]:>6.4f}  "
              f"{scores.support[k]:>7}  {mistaken}")  # fmt: skip
    wrong = np.flatnonzero(y != t_test)
    print(f"\n{len(wrong)} test images misclassified")
    write_json(out / f"{prefix}evaluation.json", {
        "test_accuracy": accuracy,
        "confusion_matrix": matrix.tolist(),
        "precision": [None if np.isnan(v) else float(v) for v in scores.precision],
        "recall": [None if np.isnan(v) else float(v) for v in scores.recall],
        "support": scores.support.tolist(),
        "misclassified_indices": wrong.tolist(),
    })  # fmt: skip
    written = [f"{prefix}evaluation.json"]
    fig = new_figure((6.4, 5.6))
    if fig is not None:
        from ..plot import confusion_matrix_figure, misclassified_figure

        ax = fig.add_subplot()
        confusion_matrix_figure(matrix, ax=ax)
        ax.set_title(f"confusion matrix on the test set (accuracy {accuracy:.4f})")
        save_figure(fig, out / f"{prefix}confusion_matrix.png")
        written.append(f"{prefix}confusion_matrix.png")
        if len(wrong):
            shown = wrong[: args.show]
            grid = new_figure((10, 1.25 * -(-len(shown) // 10) + 0.6))
            assert grid is not None
            ax = grid.add_subplot()
            misclassified_figure(x_test[shown], t_test[shown], y[shown], columns=10, ax=ax)
            ax.set_title(f"the first {len(shown)} of {len(wrong)} misclassified test digits "
                         "(true -> predicted)")  # fmt: skip
            save_figure(grid, out / f"{prefix}misclassified.png", dpi=110)
            written.append(f"{prefix}misclassified.png")
    print(f"wrote {', '.join(written)} to {display(out)}")
    return 0
