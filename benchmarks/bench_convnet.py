"""What one training iteration of the book's SimpleConvNet costs, against the book's own code.

One iteration is what the book's ``Trainer.train_step`` does with ``SGD``: the gradient of
a mini-batch of 100 MNIST-shaped images (forward and backward), the update, and the
mini-batch loss after the update. It is timed for

* ``tinynn``: :class:`tinynn.SimpleConvNet` as the :class:`tinynn.Trainer` runs it (the
  view of :meth:`~tinynn.Sequential.for_checked_data`, :class:`~tinynn.Backprop`,
  :class:`~tinynn.SGD`);
* ``book``: the book's ``SimpleConvNet``, ``Convolution``, ``Pooling``, ``im2col`` and
  ``col2im`` (``ch07/simple_convnet.py``, ``common/layers.py``, ``common/util.py``),
  transcribed below (``im2col`` and ``col2im`` in ``tests/book_reference.py``, as the
  ch04 code the other benchmarks use), with the same weights and batch;
* ``pytorch`` (only if ``import torch`` works; it is not a dependency): the same network
  in ``torch.nn`` on the CPU, float64 as the other two, with its default threads.

Rounds alternate (tinynn, book, pytorch, tinynn, ...); each round times ``--number``
iterations, and the table shows the median seconds per iteration and the ratio to the
book's median (below 1 is faster). Absolute times vary by up to 3x between sessions on
shared machines; the ratios, measured in the same run, are what to compare. On a busy
machine the multi-threaded matrix products of the affine layers (the same in both) slow
down the most and pull the ratio towards 1; ``OPENBLAS_NUM_THREADS=1`` measures one core,
and the header prints the threads and the load average. The peak
memory is what ``tracemalloc`` sees allocated during one iteration (NumPy's arrays;
PyTorch's allocator is invisible to it).

    python benchmarks/bench_convnet.py            # 21 rounds of 5 iterations: about a minute
    python benchmarks/bench_convnet.py --quick    # 5 rounds of 2: a smoke test

MNIST is used when :func:`tinynn.datasets.load_mnist` finds it (``TINYNN_DATA``, never
downloaded); otherwise random images of the same shape.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.book_reference import col2im, im2col
from tinynn import SGD, Backprop, SimpleConvNet

BATCH = 100


# -- the book's code (common/functions.py, common/layers.py, ch07; im2col and col2im, from
# common/util.py, are in tests/book_reference.py) ---------------------------------------------
def softmax(x: Any) -> Any:
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y: Any, t: Any) -> Any:
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


class Relu:
    def forward(self, x: Any) -> Any:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: Any) -> Any:
        dout[self.mask] = 0
        return dout


class Affine:
    def __init__(self, W: Any, b: Any) -> None:
        self.W, self.b = W, b

    def forward(self, x: Any) -> Any:
        self.original_x_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        self.x = x
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout: Any) -> Any:
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class SoftmaxWithLoss:
    def forward(self, x: Any, t: Any) -> Any:
        self.t = t
        self.y = softmax(x)
        return cross_entropy_error(self.y, self.t)

    def backward(self, dout: Any = 1) -> Any:
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            return (self.y - self.t) / batch_size
        dx = self.y.copy()
        dx[np.arange(batch_size), self.t] -= 1
        return dx / batch_size


class Convolution:
    def __init__(self, W: Any, b: Any, stride: int = 1, pad: int = 0) -> None:
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x: Any) -> Any:
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape  # noqa: RUF059 (as printed)
        out_h = 1 + int((H + 2 * self.pad - FH) / self.stride)
        out_w = 1 + int((W + 2 * self.pad - FW) / self.stride)
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        out = out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout: Any) -> Any:
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h: int, pool_w: int, stride: int = 1, pad: int = 0) -> None:
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x: Any) -> Any:
        N, C, H, W = x.shape
        out_h = int(1 + (H - self.pool_h) / self.stride)
        out_w = int(1 + (W - self.pool_w) / self.stride)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x, self.arg_max = x, arg_max
        return out

    def backward(self, dout: Any) -> Any:
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))  # noqa: RUF005 (as printed)
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class BookSimpleConvNet:
    """``ch07/simple_convnet.py`` with the weights given (copied) instead of drawn."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
        self.layers: OrderedDict[str, Any] = OrderedDict()
        self.layers["Conv1"] = Convolution(self.params["W1"], self.params["b1"], 1, 0)
        self.layers["Relu1"] = Relu()
        self.layers["Pool1"] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers["Affine1"] = Affine(self.params["W2"], self.params["b2"])
        self.layers["Relu2"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W3"], self.params["b3"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x: Any) -> Any:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: Any, t: Any) -> Any:
        return self.last_layer.forward(self.predict(x), t)

    def gradient(self, x: Any, t: Any) -> dict[str, Any]:
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        grads["W1"], grads["b1"] = self.layers["Conv1"].dW, self.layers["Conv1"].db
        grads["W2"], grads["b2"] = self.layers["Affine1"].dW, self.layers["Affine1"].db
        grads["W3"], grads["b3"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        return grads


# -- the three iterations --------------------------------------------------------------------
def data() -> tuple[Any, Any, str]:
    """The first 100 MNIST training images (float64) and labels, or random ones."""
    try:
        from tinynn.datasets import load_mnist

        (x, t), _ = load_mnist(normalize=True, flatten=False, download=False)
        return x[:BATCH].astype(np.float64), t[:BATCH].astype(np.int64), "MNIST images"
    except (OSError, ValueError):
        rng = np.random.default_rng(0)
        x = rng.random((BATCH, 1, 28, 28))
        return x, rng.integers(0, 10, BATCH), "random images (MNIST not found)"


def tinynn_step(x: Any, t: Any, lr: float) -> tuple[Callable[[], object], SimpleConvNet]:
    net = SimpleConvNet(rng=0)
    view, xb, tb = net.for_checked_data(x, t)  # what the Trainer does once per fit
    estimator, optimizer = Backprop(), SGD(lr=lr)

    def step() -> float:
        grads = estimator.gradient(view, xb, tb)
        optimizer.update(view.params, grads)
        return view.loss(xb, tb)

    return step, net


def book_step(
    params: dict[str, Any], x: Any, t: Any, lr: float
) -> tuple[Callable[[], object], BookSimpleConvNet]:
    net = BookSimpleConvNet(params)

    def step() -> float:
        grads = net.gradient(x, t)
        for key in net.params:  # the book's SGD.update
            net.params[key] -= lr * grads[key]
        return float(net.loss(x, t))

    return step, net


def torch_step(params: dict[str, Any], x: Any, t: Any, lr: float) -> Callable[[], object] | None:
    try:
        import torch
    except ImportError:
        return None
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 30, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2, 2), torch.nn.Flatten(),
        torch.nn.Linear(4320, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10),
    ).double()  # fmt: skip
    with torch.no_grad():  # the same weights (torch's Linear stores W transposed)
        model[0].weight.copy_(torch.from_numpy(params["W1"]))
        model[0].bias.copy_(torch.from_numpy(params["b1"]))
        model[4].weight.copy_(torch.from_numpy(params["W2"].T.copy()))
        model[4].bias.copy_(torch.from_numpy(params["b2"]))
        model[6].weight.copy_(torch.from_numpy(params["W3"].T.copy()))
        model[6].bias.copy_(torch.from_numpy(params["b3"]))
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)

    def step() -> float:
        optimizer.zero_grad()
        loss_fn(model(xt), tt).backward()
        optimizer.step()
        with torch.no_grad():
            return float(loss_fn(model(xt), tt))

    return step


def peak_memory(fn: Callable[[], object]) -> float:
    """Peak memory allocated while ``fn`` runs, in MB (tracemalloc sees NumPy's arrays)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 rounds of 2 iterations")
    parser.add_argument("--rounds", type=int, default=None, help="alternated rounds (21)")
    parser.add_argument("--number", type=int, default=None, help="iterations per round (5)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 21)
    number = args.number or (2 if args.quick else 5)
    x, t, source = data()
    lr = 0.01
    ours, net = tinynn_step(x, t, lr)
    initial = {k: v.copy() for k, v in net.params.items()}
    theirs, book_net = book_step(initial, x, t, lr)
    diff = max(float(np.max(np.abs(Backprop().gradient(net, x, t)[k] - g)))
               for k, g in book_net.gradient(x, t).items())  # fmt: skip
    steps: dict[str, Callable[[], object]] = {"tinynn": ours, "book": theirs}
    torch_fn = torch_step(initial, x, t, lr)
    if torch_fn is not None:
        steps["pytorch"] = torch_fn
    print(
        f"SimpleConvNet training iteration (batch {BATCH}, {source}): Python "
        f"{platform.python_version()}, NumPy {np.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} cores; median of {rounds} alternated rounds of {number} iterations"
    )
    names = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    threads = {k: os.environ[k] for k in names if k in os.environ}
    print(f"BLAS threads: {threads or 'the library default'}; load average "
          f"{os.getloadavg()[0]:.2f} (a busy machine slows multi-threaded products most)")
    print(f"same weights: largest gradient difference tinynn vs book {diff:.1e}")
    if torch_fn is None:
        print("(PyTorch not installed: its row is skipped)")
    memory = {name: peak_memory(fn) for name, fn in steps.items()}  # (also the warm-up)
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, fn in steps.items():
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times[name].append((time.perf_counter() - start) / number)
    book = statistics.median(times["book"])
    print(f"{'implementation':<10} {'s/iteration':>12} {'vs book':>8} {'peak memory':>12}")
    for name in steps:
        median = statistics.median(times[name])
        mem = "n/a" if name == "pytorch" else f"{memory[name]:.1f} MB"
        print(f"{name:<10} {median:>12.4f} {median / book:>8.3f} {mem:>12}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
