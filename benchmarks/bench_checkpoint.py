"""Size and write time of a checkpoint of the book's network, and of a saved model.

The network is ``TwoLayerNet`` 784-50-10 (39,760 parameters), trained for one iteration
with a stateful optimizer (momentum: one velocity array per parameter), so the checkpoint
holds the parameters, the optimizer's state, the position, the generator, the history of
10,000 losses and 17 epoch records (as at the end of the book's run) and an EarlyStopping
state with a copy of the best parameters. Each write is atomic: temporary file, fsync,
rename, fsync of the folder; the times include that.

    python benchmarks/bench_checkpoint.py [--repeats 20] [--dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from tinynn import SGD, EarlyStopping, EpochAccuracy, Trainer, TwoLayerNet, load_model, save_model
from tinynn.typing import Params


class Momentum:
    """v <- 0.9 v - lr g; W <- W + v, with its velocity as state."""

    def __init__(self, lr: float = 0.1) -> None:
        self.lr, self.v = lr, {}  # type: ignore[var-annotated]

    def update(self, params: Params, grads: Params) -> None:
        for k in params:
            self.v[k] = 0.9 * self.v.get(k, 0.0) - self.lr * grads[k]
            params[k] += self.v[k]

    def state_dict(self) -> dict[str, Any]:
        return {"v": dict(self.v)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.v = {k: np.array(a) for k, a in state["v"].items()}


def timed(fn: Any, repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--dir", default=None, help="folder to write in (default: a temporary one)")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    x, t = rng.random((600, 784)), rng.integers(0, 10, 600)
    net = TwoLayerNet(784, 50, 10, rng=0)
    stop = EarlyStopping(restore_best=True)
    acc = EpochAccuracy(test=(x[:100], t[:100]))
    trainer = Trainer(net, Momentum(), batch_size=100, rng=1, callbacks=[acc, stop])
    trainer.fit(x, t, iters=1)
    trainer.history.history = {  # the size of the book's full record
        "loss": list(rng.random(10_000)),
        "iteration": [float(i) for i in range(0, 10_000, 600)],
        "train_acc": list(rng.random(17)),
        "test_acc": list(rng.random(17)),
    }
    stop.best_params = {k: v.copy() for k, v in net.params.items()}
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        ckpt, model = Path(d, "ckpt.npz"), Path(d, "net.npz")
        rows = [
            ("checkpoint (Momentum)", ckpt, lambda: trainer.save_checkpoint(ckpt)),
            ("save_model", model, lambda: save_model(net, model)),
        ]
        sgd = Trainer(TwoLayerNet(784, 50, 10, rng=0), SGD(0.1), batch_size=100, rng=1)
        sgd.fit(x, t, iters=1)
        sgd_path = Path(d, "sgd.npz")
        rows.insert(1, ("checkpoint (SGD)", sgd_path, lambda: sgd.save_checkpoint(sgd_path)))
        print(f"TwoLayerNet 784-50-10: {sum(p.size for p in net.params.values()):,} parameters")
        for name, path, write in rows:
            times = timed(write, args.repeats)
            print(
                f"{name:24s} {path.stat().st_size / 1e6:6.3f} MB   write median "
                f"{1e3 * statistics.median(times):6.2f} ms (min {1e3 * min(times):.2f}, "
                f"{args.repeats} writes)"
            )
        load = timed(lambda: load_model(model), args.repeats)
        print(f"{'load_model':24s}             read median {1e3 * statistics.median(load):6.2f} ms")


if __name__ == "__main__":
    main()
