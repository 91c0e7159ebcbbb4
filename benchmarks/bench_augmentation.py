"""Data augmentation (section 8.1.3) measured: test accuracy with and without, same budget.

The book's ``SimpleConvNet`` (conv 30 5x5 - ReLU - pool 2x2 - affine 100 - ReLU - affine 10,
Chapter 7) trained by Adam (lr 0.001) on mini-batches of 100 drawn from the first
``--train-size`` MNIST training images (1,000: a small set, where a network overfits and
augmentation has something to correct), for ``--iters`` iterations, then tested on the first
``--test-size`` test images. Each seed trains twice from the same initial weights and the
same mini-batch indices: once on the images as given, once with
``Trainer(..., augment=Augmentation(shift=2, rotate=10))`` (each training image moved by up
to 2 pixels and turned by up to 10 degrees, anew in every mini-batch). The budget is the
same: the same number of updates of the same batch size; augmentation costs a little time
per batch, not counted here. The table gives the final train accuracy (on the training
images as given), the test accuracy and their difference for each seed, and the mean.

    python benchmarks/bench_augmentation.py                       # about 10 minutes
    python benchmarks/bench_augmentation.py --seeds 1 --iters 100 # a quick look

MNIST must be found by :func:`tinynn.datasets.load_mnist` (``TINYNN_DATA``, never downloaded).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from tinynn import Adam, Augmentation, SimpleConvNet, Trainer
from tinynn.cli.threads import choose, limited
from tinynn.datasets import load_mnist


def run(seed: int, augment: bool, args: argparse.Namespace, data: tuple) -> tuple[float, float]:
    (x_train, t_train), (x_test, t_test) = data
    net_seed, batch_seed, augment_seed = np.random.SeedSequence(seed).spawn(3)
    net = SimpleConvNet(rng=np.random.default_rng(net_seed))
    moves = Augmentation(2, 10, rng=np.random.default_rng(augment_seed)) if augment else None
    trainer = Trainer(net, Adam(lr=0.001), batch_size=100, rng=np.random.default_rng(batch_seed),
                      augment=moves)  # fmt: skip
    with limited(choose(net.layers, x_train.shape[1:], 100)):
        trainer.fit(x_train, t_train, iters=args.iters)
        return net.accuracy(x_train, t_train), net.accuracy(x_test, t_test)


def main() -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--iters", type=int, default=300, help="iterations per run (300)")
    p.add_argument("--train-size", type=int, default=1000, help="training images (1000)")
    p.add_argument("--test-size", type=int, default=2000, help="test images (2000)")
    p.add_argument("--seeds", type=int, default=3, help="seeds 0, 1, ... (3)")
    args = p.parse_args()
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=False,
                                                      download=False)  # fmt: skip
    data = ((x_train[: args.train_size], t_train[: args.train_size]),
            (x_test[: args.test_size], t_test[: args.test_size]))  # fmt: skip
    print(f"SimpleConvNet, Adam lr 0.001, batch 100, {args.iters} iterations on the first "
          f"{args.train_size} MNIST training images, tested on the first {args.test_size}; "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    rows, tests = [], {False: [], True: []}
    for seed in range(args.seeds):
        line = [str(seed)]
        for augment in (False, True):
            train, test = run(seed, augment, args, data)
            tests[augment].append(test)
            line += [f"{train:.4f}", f"{test:.4f}"]
        line.append(f"{float(line[4]) - float(line[2]):+.4f}")
        rows.append(line)
        print("  ".join(line), flush=True)
    mean = [float(np.mean(tests[False])), float(np.mean(tests[True]))]
    head = ["seed", "train acc", "test acc", "train acc (augmented)", "test acc (augmented)",
            "test acc difference"]  # fmt: skip
    rows.append(["mean", "—", f"{mean[0]:.4f}", "—", f"{mean[1]:.4f}", f"{mean[1] - mean[0]:+.4f}"])
    print("\n.. list-table::\n   :header-rows: 1\n")
    for row in [head, *rows]:
        print("   * - " + "\n     - ".join(cell or " " for cell in row))


if __name__ == "__main__":
    main()
