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
accuracy at the start of every epoch (:class:`~tinynn.EpochAccuracy`). Every trial's
weights and mini-batches come from its own generator, spawned from the seed.

It prints each trial's last validation accuracy, then the best twenty with their
learning rate and weight decay (the book's "Best-N" lines), and draws them with
:func:`tinynn.plot.hyperparameter_search_figure` (validation solid, training dashed).
The book's result: the runs that learn well have a learning rate of about 0.001 to
0.01 and a weight decay of about 1e-8 to 1e-6; the next step would be to narrow the
ranges there and search again (section 6.5.2).

MNIST is found by :func:`tinynn.datasets.load_mnist` (``--data-dir``,
``$TINYNN_DATA``, the user cache) or downloaded unless ``--no-download``. Run
``python examples/hyperparameter_optimization.py --help`` for all options. The
documentation's gallery runs it with ``--trials 30 --epochs 30``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from tinynn import SGD, EpochAccuracy, MultiLayerNet, Trainer


def split_validation(
    x: np.ndarray, t: np.ndarray, rate: float, rng: np.random.Generator
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """``(x_train, t_train), (x_val, t_val)``: shuffled, the first ``rate`` for validation."""
    order = rng.permutation(len(x))
    x, t = x[order], t[order]
    n_val = int(len(x) * rate)
    return (x[n_val:], t[n_val:]), (x[:n_val], t[:n_val])


def trial(
    train: tuple[np.ndarray, np.ndarray],
    val: tuple[np.ndarray, np.ndarray],
    lr: float,
    weight_decay: float,
    rng: np.random.Generator,
    *,
    epochs: int = 50,
) -> tuple[list[float], list[float]]:
    """One trial of the book's ``__train``: validation and training accuracy per epoch."""
    weights_rng, batch_rng = rng.spawn(2)
    net = MultiLayerNet(784, [100] * 6, 10, weight_decay_lambda=weight_decay, rng=weights_rng)
    accuracy = EpochAccuracy(val=val, train=train)
    trainer = Trainer(net, SGD(lr=lr), batch_size=100, callbacks=[accuracy], rng=batch_rng)
    history = trainer.fit(*train, epochs=epochs)
    return list(history.history["val_acc"]), list(history.train_acc_list)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--trials", type=int, default=100, help="random trials (100)")
    p.add_argument("--epochs", type=int, default=50, help="epochs per trial (50)")
    p.add_argument("--train-size", type=int, default=500, help="images to split (500)")
    p.add_argument("--best", type=int, default=20, help="how many of the best to draw (20)")
    p.add_argument("--seed", type=int, default=0, help="seed of the split and the trials (0)")
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

    from tinynn.datasets import load_mnist

    try:
        (x_all, t_all), _ = load_mnist(normalize=True, root=args.data_dir,
                                       download=not args.no_download)  # fmt: skip
    except (OSError, ValueError) as exc:
        print(f"error: could not load MNIST: {exc}", file=sys.stderr)
        return 1
    rng = np.random.default_rng(args.seed)
    train, val = split_validation(x_all[: args.train_size], t_all[: args.train_size], 0.2, rng)
    print(f"{len(train[0])} training and {len(val[0])} validation images")

    start = time.perf_counter()
    results_val: dict[str, list[float]] = {}
    results_train: dict[str, list[float]] = {}
    for _ in range(args.trials):
        weight_decay = 10 ** rng.uniform(-8, -4)
        lr = 10 ** rng.uniform(-6, -2)
        val_acc, train_acc = trial(train, val, lr, weight_decay, rng, epochs=args.epochs)
        print(f"val acc:{val_acc[-1]} | lr:{lr}, weight decay:{weight_decay}")
        key = f"lr:{lr}, weight decay:{weight_decay}"
        results_val[key], results_train[key] = val_acc, train_acc

    print("=========== Hyper-Parameter Optimization Result ===========")
    ranked = sorted(results_val.items(), key=lambda item: item[1][-1], reverse=True)
    for i, (key, val_acc) in enumerate(ranked[: args.best]):
        print(f"Best-{i + 1}(val acc:{val_acc[-1]}) | {key}")
    top = [key for key, _ in ranked[:5]]
    lrs = [float(key.split("lr:")[1].split(",")[0]) for key in top]
    decays = [float(key.split("weight decay:")[1]) for key in top]
    print(f"the best {len(top)}: lr {min(lrs):.2g} to {max(lrs):.2g}, weight decay "
          f"{min(decays):.2g} to {max(decays):.2g}")  # fmt: skip
    print(f"wall time {time.perf_counter() - start:.1f} s")

    if not args.no_plot:
        try:  # matplotlib is optional: pip install "tinynn[plot]"
            from tinynn.plot import hyperparameter_search_figure
        except ImportError as exc:
            print(f"figure skipped: {exc}")
            return 0
        fig = hyperparameter_search_figure(results_val, results_train, best=args.best)
        fig.savefig(args.out, dpi=90)
        print(f"figure 6-24 written to {args.out}")
    return 0


if __name__ == "__main__":
    status = main()
    if status:  # only on failure: the docs' gallery runs this file as __main__
        raise SystemExit(status)
