"""Random search for the learning rate and weight decay (6.5, figure 6-24)
=======================================================================

Hyperparameters chosen on validation data split off the training data: a hundred
random trials of learning rate and weight decay, the best twenty drawn.

Mirrors section 6.5 of the book and ``ch06/hyperparameter_optimization.py``: the
first 500 MNIST training images, shuffled (a seeded permutation, the book's
``shuffle_dataset``), of which 20% (100 images) become the validation data and the
other 400 the training data; the test data is not used at all (section 6.5.1: tuning
on it would overfit the hyperparameters to it). Each trial draws a weight decay
:math:`10^{U(-8, -4)}` and a learning rate :math:`10^{U(-6, -2)}`, as the book does,
and trains a :class:`~tinynn.MultiLayerNet` of six hidden layers of 100 ReLU units by
SGD for 50 epochs of 4 mini-batches of 100, recording the validation and training
accuracy every epoch (:class:`~tinynn.EpochAccuracy`). Every trial's hyper-parameters,
weights and mini-batches come from its own generator, spawned from the seed, so
``--workers 2`` (two processes) gives the same trials as one after another.

The search itself lives in :mod:`tinynn.training.search`
(:func:`~tinynn.training.search.random_search`, on any ``concurrent.futures.Executor``:
processes, a Dask cluster); this script is a thin use of it, and ``tinynn search`` is the
same on the command line, with a run folder that a stopped search resumes from (see
:doc:`/hyperparameter_search`).

It prints each trial's last validation accuracy, then the best twenty with their
learning rate and weight decay (the book's "Best-N" lines), and draws them with
:func:`tinynn.plot.hyperparameter_search_figure` (validation solid, training dashed).
The book's result: the runs that learn well have a learning rate of about 0.001 to
0.01 and a weight decay of about 1e-8 to 1e-6; the next step would be to narrow the
ranges there and search again (section 6.5.2).

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``,
``$TINYNN_DATA``, the user cache) or downloaded unless ``--no-download``. Run
``python examples/hyperparameter_optimization.py --help`` for all options.

This page ran ``python examples/hyperparameter_optimization.py --trials 30 --epochs
30``: 30 trials of 30 epochs (120 iterations each) instead of 100 of 50, so the best
twenty drawn are two thirds of all the trials, and few of them learn in so few epochs
(the best validation accuracy is near 0.46, most stay near chance). Its best five had a
learning rate of about 0.0008 to 0.006, in the book's range.
"""

from __future__ import annotations

import argparse
import sys
import time

from tinynn.training.search import (
    SearchPlan,
    TrialResult,
    random_search,
    split_validation,
)
from tinynn.training.workers import WorkerPool
from tinynn.utils.notebook import command_line

__all__ = ["main", "split_validation"]  # the split is the library's (section 6.5.1)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--trials", type=int, default=100, help="random trials (100)")
    p.add_argument("--epochs", type=int, default=50, help="epochs per trial (50)")
    p.add_argument("--train-size", type=int, default=500, help="images to split (500)")
    p.add_argument("--best", type=int, default=20, help="how many of the best to draw (20)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the trials (0)")
    p.add_argument("--workers", type=int, default=0,
                   help="run the trials on this many processes (0: one after another here)")
    p.add_argument("--data-dir", default=None, help="folder holding the MNIST files")
    p.add_argument("--no-download", action="store_true", help="never download MNIST")
    p.add_argument("--out", default="hyperparameter_optimization.png", help="the figure's file")
    p.add_argument("--no-plot", action="store_true", help="do not draw the figure")
    args = p.parse_args(argv)
    for name in ("trials", "epochs", "best"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.train_size < 5:
        p.error(f"--train-size must be >= 5 (a fifth is validation data), got {args.train_size}")
    if args.workers < 0 or args.seed < 0:
        p.error("--workers and --seed must be >= 0")
    plan = SearchPlan(trials=args.trials, epochs=args.epochs, train_size=args.train_size,
                      seed=args.seed)  # fmt: skip

    from tinynn.datasets import load_mnist

    try:  # found (or downloaded) once here; the trials read it from the same place
        load_mnist(normalize=True, root=args.data_dir, download=not args.no_download)
    except (OSError, ValueError) as exc:
        print(f"error: could not load MNIST: {exc}", file=sys.stderr)
        return 1
    n_val = int(plan.train_size * plan.validation)
    print(f"{plan.train_size - n_val} training and {n_val} validation images")

    def show(result: TrialResult) -> None:
        print(f"val acc:{result.val_acc[-1]} | {result.trial.key}")

    start = time.perf_counter()
    if args.workers:
        with WorkerPool(args.workers) as pool:
            result = random_search(plan, data_dir=args.data_dir, executor=pool, on_result=show)
    else:
        result = random_search(plan, data_dir=args.data_dir, on_result=show)

    print("=========== Hyper-Parameter Optimization Result ===========")
    ranked = result.ranked()
    for i, r in enumerate(ranked[: args.best]):
        print(f"Best-{i + 1}(val acc:{r.val_acc[-1]}) | {r.trial.key}")
    top = ranked[:5]
    lrs, decays = [r.trial.lr for r in top], [r.trial.weight_decay for r in top]
    print(f"the best {len(top)}: lr {min(lrs):.2g} to {max(lrs):.2g}, weight decay "
          f"{min(decays):.2g} to {max(decays):.2g}")  # fmt: skip
    print(f"wall time {time.perf_counter() - start:.1f} s")

    if not args.no_plot:
        try:  # matplotlib is optional: pip install "tinynn[plot]"
            from tinynn.plot import hyperparameter_search_figure
        except ImportError as exc:
            print(f"figure skipped: {exc}")
            return 0
        results_val, results_train = result.curves()
        fig = hyperparameter_search_figure(results_val, results_train, best=args.best)
        fig.savefig(args.out, dpi=90)
        print(f"figure 6-24 written to {args.out}")
    return 0


if __name__ == "__main__":
    # its options from the command line; in a notebook, none (sys.argv is the kernel's)
    status = main(command_line())
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
