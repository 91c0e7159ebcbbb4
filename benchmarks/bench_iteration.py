"""One training iteration of the book's networks: tinynn against the book's code and PyTorch.

One iteration is what the book's ``Trainer.train_step`` does with ``SGD``: the gradient of a
mini-batch of 100 MNIST images (forward and backward), the update, and the mini-batch loss
after the update. Four networks, each from the same initial weights in every implementation:

* ``TwoLayerNet`` 784-50-10 (sigmoid; Chapter 4), one-hot targets as the book's run;
* ``SimpleConvNet``: conv 30 5x5 - ReLU - pool 2x2 - affine 100 - ReLU - affine 10 (7.5);
* ``MultiLayerNetExtend`` 784-100x5-10 with Batch Normalization and Dropout 0.5 (6.3, 6.4);
* ``DeepConvNet`` (8.1): six 3x3 convs 16, 16, 32, 32, 64, 64 (pads 1, 1, 1, 2, 1, 1), each
  followed by ReLU, a 2x2 max pool after the 2nd, 4th and 6th - affine 50 - ReLU - Dropout
  0.5 - affine 10 - Dropout 0.5. It is timed with its Dropout layers active in every
  implementation (each drops half of its inputs; torch's also scales the rest by 2, a cost of
  the same order); its gradients are compared with ``dropout_ratio=0`` variants (the masks
  of different implementations differ). Its iterations are much longer than the other
  networks', so by default it runs 15 rounds of 2 iterations (``DEFAULTS``).

Implementations, each a column:

* ``tinynn``: the network as the :class:`tinynn.Trainer` runs it (the view of
  :meth:`~tinynn.Sequential.for_checked_data`, :class:`~tinynn.Backprop`,
  :class:`~tinynn.SGD`), in float64; ``tinynn f32``: the same network built with
  ``dtype=np.float32`` (its images converted once, as the Trainer does);
* ``before`` and ``before f32`` (with ``--before PATH``): the same, by another checkout of
  tinynn (``git worktree add PATH main``), imported under another name in this process (a
  checkout whose models take no ``dtype``: its layers' parameters cast to float32 through
  ``layer.params``);
* ``book``: the book's code (``tests/book_reference.py``: ``ch04``'s ``TwoLayerNet``,
  ``ch07``'s ``SimpleConvNet`` with its ``im2col`` and ``ch08``'s ``DeepConvNet``),
  float64; none for the Chapter 6 network;
* ``torch`` and ``torch f32`` (if ``import torch`` works; ``pip install -e .[benchmark]``,
  or ``pip install torch==2.13.0`` for the CPU build): the network in ``torch.nn``.

Every implementation runs on **one thread** (threadpoolctl limits the BLAS libraries;
``torch.set_num_threads(1)``), all in this process, in alternated rounds (each round times
``--number`` iterations of each, in an order drawn anew for each round, so that no place in
the round is favoured), and the table gives the median **CPU time** per iteration and
ratios. Absolute times vary by up to 3x between sessions on shared machines; the ratios,
measured in the same run, are what to compare. The header prints the load average (at the
start and the end): a busy machine slows everything, memory-bound work the most.

    python benchmarks/bench_iteration.py                     # about 3 minutes
    python benchmarks/bench_iteration.py --before ../main    # + another checkout's numbers
    python benchmarks/bench_iteration.py --only convnet --quick
    python benchmarks/bench_iteration.py --only deep-convnet # about 2 minutes

MNIST is used when :func:`tinynn.datasets.load_mnist` finds it (``TINYNN_DATA``, never
downloaded); otherwise random images of the same shape.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tinynn
from tests.book_reference import BookDeepConvNet, BookSimpleConvNet, BookTwoLayerNet

BATCH = 100
LR = 0.01
NETWORKS = ("two-layer", "convnet", "extend", "deep-convnet")
TITLES = {
    "two-layer": "TwoLayerNet 784-50-10",
    "convnet": "SimpleConvNet",
    "extend": "MultiLayerNetExtend 784-100x5-10, BN + Dropout",
    "deep-convnet": "DeepConvNet, Dropout active",
}
#: (rounds, iterations per round) of each network, and with --quick.
DEFAULTS = {"deep-convnet": (15, 2)}
QUICK = {"deep-convnet": (3, 1)}
Step = Callable[[], object]


def data() -> tuple[Any, Any, str]:
    """The first 100 MNIST training images (float64, (N, 1, 28, 28)) and labels, or random."""
    try:
        from tinynn.datasets import load_mnist

        (x, t), _ = load_mnist(normalize=True, flatten=False, download=False)
        return x[:BATCH].astype(np.float64), t[:BATCH].astype(np.int64), "MNIST images"
    except (OSError, ValueError):
        rng = np.random.default_rng(0)
        x = rng.random((BATCH, 1, 28, 28))
        return x, rng.integers(0, 10, BATCH), "random images (MNIST not found)"


def build(nn: ModuleType, network: str, dtype: Any = np.float64, dropout: bool = True) -> Any:
    """The network, by ``nn`` (tinynn, or another checkout of it), from seed 0; ``dtype`` given
    only when it is not float64 (a checkout whose models take none raises ``TypeError``);
    DeepConvNet with ``dropout_ratio=0`` unless ``dropout`` (the same weights)."""
    kw: dict[str, Any] = {} if dtype == np.float64 else {"dtype": dtype}
    if network == "two-layer":
        return nn.TwoLayerNet(784, 50, 10, rng=0, **kw)
    if network == "convnet":
        return nn.SimpleConvNet(rng=0, **kw)
    if network == "deep-convnet":
        return nn.DeepConvNet(rng=0, **kw, **({} if dropout else {"dropout_ratio": 0.0}))
    return nn.MultiLayerNetExtend(784, [100] * 5, 10, use_dropout=True, dropout_ratio=0.5,
                                  use_batchnorm=True, rng=0, **kw)  # fmt: skip


def inputs(network: str, x: Any, t: Any) -> tuple[Any, Any]:
    """The batch as the network takes it: flat rows or images; one-hot rows for TwoLayerNet."""
    if network in ("convnet", "deep-convnet"):
        return x, t
    flat = x.reshape(len(x), -1)
    return (flat, np.eye(10)[t]) if network == "two-layer" else (flat, t)


def tinynn_step(nn: ModuleType, network: str, x: Any, t: Any, dtype: Any,
                dropout: bool = True) -> tuple[Step, Any]:  # fmt: skip
    """One Trainer iteration of ``nn``'s network in ``dtype`` (``dtype=`` of its models; for a
    checkout whose models take none, float32 by casting its layers' parameters)."""
    xb, tb = inputs(network, x, t)
    try:
        net = build(nn, network, dtype, dropout)
    except TypeError:  # models without dtype: cast the layers' parameters, rebuild
        net = build(nn, network, dropout=dropout)
        for layer in net.layers:
            for key in list(layer.params):
                layer.params[key] = layer.params[key].astype(np.float32)
        shape = net.input_shape
        net = nn.Sequential(net.layers, net.loss_layer)
        net.input_shape = shape
    view, xb, tb = net.for_checked_data(xb, tb)  # what the Trainer does once per fit
    xb = xb.astype(dtype, copy=False)  # (a checkout whose models take no dtype)
    estimator, optimizer = nn.Backprop(), nn.SGD(lr=LR)

    def step() -> float:
        grads = estimator.gradient(view, xb, tb)
        optimizer.update(view.params, grads)
        return float(view.loss(xb, tb))

    return step, (view, xb, tb)


def book_net(network: str, params: dict[str, Any], dropout: bool = True) -> Any:
    """The book's network with ``params``; its DeepConvNet drops nothing unless ``dropout``
    (its Dropout keeps an input when a uniform number exceeds 0.5: ones keep them all)."""
    if network == "two-layer":
        return BookTwoLayerNet(params)
    if network == "convnet":
        return BookSimpleConvNet(params)
    if dropout:  # the book's np.random.rand (global, as its code)
        return BookDeepConvNet(params)
    ones = (lambda *shape: np.ones(shape),) * 2
    return BookDeepConvNet(params, rands=ones)


def book_step(network: str, params: dict[str, Any], x: Any, t: Any) -> tuple[Step, Any] | None:
    """The book's code, float64 (no transcription of its Chapter 6 network here)."""
    if network == "extend":
        return None
    xb, tb = inputs(network, x, t)
    net = book_net(network, params)

    def step() -> float:
        grads = net.gradient(xb, tb)
        for key in net.params:  # the book's SGD.update
            net.params[key] -= LR * grads[key]
        return float(net.loss(xb, tb))

    return step, net


def torch_model(torch: Any, network: str, params: dict[str, Any]) -> Any:
    """The network in ``torch.nn``, float64, with ``params`` (torch's Linear stores W.T)."""
    nn = torch.nn
    if network == "two-layer":
        layers = [nn.Linear(784, 50), nn.Sigmoid(), nn.Linear(50, 10)]
    elif network == "convnet":
        layers = [nn.Conv2d(1, 30, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                  nn.Linear(4320, 100), nn.ReLU(), nn.Linear(100, 10)]  # fmt: skip
    elif network == "deep-convnet":  # the book's pads; a pool after every second conv
        layers = []
        convs = ((1, 16, 1), (16, 16, 1), (16, 32, 1), (32, 32, 2), (32, 64, 1), (64, 64, 1))
        for i, (n_in, n_out, pad) in enumerate(convs):
            layers += [nn.Conv2d(n_in, n_out, 3, padding=pad), nn.ReLU()]
            if i % 2:
                layers.append(nn.MaxPool2d(2, 2))
        layers += [nn.Flatten(), nn.Linear(64 * 4 * 4, 50), nn.ReLU(), nn.Dropout(0.5),
                   nn.Linear(50, 10), nn.Dropout(0.5)]  # fmt: skip
    else:  # the book's order: Affine, BatchNorm, ReLU, Dropout; its eps; torch's momentum
        layers = []
        for n_in in (784, 100, 100, 100, 100):
            layers += [nn.Linear(n_in, 100), nn.BatchNorm1d(100, eps=1e-6, momentum=0.1),
                       nn.ReLU(), nn.Dropout(0.5)]  # fmt: skip
        layers.append(nn.Linear(100, 10))
    model = nn.Sequential(*layers).double()
    weights = [m for m in model if isinstance(m, (nn.Linear, nn.Conv2d, nn.BatchNorm1d))]
    names = [n for n in params if n[0] in "Wg"]  # W1, gamma1, W2, ... in the layers' order
    with torch.no_grad():
        for module, name in zip(weights, names, strict=True):
            number = name.removeprefix("W").removeprefix("gamma")
            if isinstance(module, nn.BatchNorm1d):
                module.weight.copy_(torch.from_numpy(params[f"gamma{number}"]))
                module.bias.copy_(torch.from_numpy(params[f"beta{number}"]))
                continue
            w = params[name]
            module.weight.copy_(torch.from_numpy(w.T.copy() if w.ndim == 2 else w))
            module.bias.copy_(torch.from_numpy(params[f"b{number}"]))
    return model


def torch_gradient(torch: Any, network: str, params: dict[str, Any], x: Any,
                   t: Any) -> dict[str, Any]:  # fmt: skip
    """torch's float64 gradient at ``params``, named as tinynn's, with its Dropout layers off
    (``eval()``; no network with Batch Normalization here), to check it is the same network."""
    model = torch_model(torch, network, params).eval()
    xb, _ = inputs(network, x, t)
    loss = torch.nn.CrossEntropyLoss()(model(torch.from_numpy(xb)), torch.from_numpy(t))
    loss.backward()
    modules = [m for m in model if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    grads = {}
    for i, module in enumerate(modules, 1):
        w = module.weight.grad.numpy()
        grads[f"W{i}"], grads[f"b{i}"] = (w.T if w.ndim == 2 else w), module.bias.grad.numpy()
    return grads


def torch_step(torch: Any, network: str, params: dict[str, Any], x: Any, t: Any,
               dtype: Any) -> Step:  # fmt: skip
    model = torch_model(torch, network, params).to(torch.float32 if dtype == np.float32
                                                   else torch.float64)  # fmt: skip
    xb, _ = inputs(network, x, t)
    xt, tt = torch.from_numpy(np.asarray(xb, dtype=dtype)), torch.from_numpy(t)
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    def step() -> float:
        optimizer.zero_grad()
        loss_fn(model(xt), tt).backward()
        optimizer.step()
        with torch.no_grad():
            return float(loss_fn(model(xt), tt))

    return step


def load_checkout(path: Path) -> ModuleType:
    """The ``tinynn`` package of another checkout, imported as ``tinynn_before``."""
    init = path / "tinynn" / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"--before {path}: no tinynn/__init__.py there")
    spec = importlib.util.spec_from_file_location(
        "tinynn_before", init, submodule_search_locations=[str(init.parent)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["tinynn_before"] = module
    spec.loader.exec_module(module)
    return module


def largest_difference(a: dict[str, Any], b: dict[str, Any]) -> float:
    """max over parameters of max |a - b| / max |b|; a gradient that is 0 but for rounding
    (below 1e-10 of the largest entry of all: a bias before Batch Normalization) left out."""
    largest = max(float(np.max(np.abs(g))) for g in b.values())
    return max(float(np.max(np.abs(np.asarray(a[k], dtype=np.float64) - b[k])))
               / float(np.max(np.abs(b[k]))) for k in b
               if float(np.max(np.abs(b[k]))) > 1e-10 * largest)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="5 rounds of 2 iterations (DeepConvNet: 3 of 1)")  # fmt: skip
    parser.add_argument("--rounds", type=int, default=None,
                        help="alternated rounds (15; DeepConvNet: 15)")  # fmt: skip
    parser.add_argument("--number", type=int, default=None,
                        help="iterations per round (5; DeepConvNet: 2)")  # fmt: skip
    parser.add_argument("--only", choices=NETWORKS, action="append", help="these networks")
    parser.add_argument("--before", type=Path, default=None,
                        help="another checkout of tinynn to time as 'before'")  # fmt: skip
    args = parser.parse_args(argv)
    small = (5, 2) if args.quick else (15, 5)
    plan = {network: (args.rounds or (QUICK if args.quick else DEFAULTS).get(network, small)[0],
                      args.number or (QUICK if args.quick else DEFAULTS).get(network, small)[1])
            for network in args.only or NETWORKS}  # fmt: skip
    threadpool_limits(1)  # every implementation on one thread
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    before = load_checkout(args.before) if args.before is not None else None
    x, t, source = data()
    load = os.getloadavg()[0]
    print(f"One training iteration, batch {BATCH} of {source}: Python "
          f"{platform.python_version()}, NumPy {np.__version__}"
          f"{f', PyTorch {torch.__version__}' if torch else ' (PyTorch not installed)'}, "
          f"{platform.machine()}, {os.cpu_count()} cores, one thread each; median CPU time per "
          f"iteration of alternated rounds; load average {load:.2f}")  # fmt: skip
    table: dict[str, dict[str, float]] = {}
    for network in args.only or NETWORKS:
        steps: dict[str, Step] = {}
        ours, (view, xb, tb) = tinynn_step(tinynn, network, x, t, np.float64)
        params = {k: v.copy() for k, v in view.params.items()}
        steps["tinynn"] = ours
        steps["tinynn f32"], (v32, x32, t32) = tinynn_step(tinynn, network, x, t, np.float32)
        if before is not None:
            steps["before"], _ = tinynn_step(before, network, x, t, np.float64)
            steps["before f32"], _ = tinynn_step(before, network, x, t, np.float32)
        book = book_step(network, params, x, t)
        if book is not None:
            steps["book"] = book[0]
        if torch is not None:
            steps["torch"] = torch_step(torch, network, params, x, t, np.float64)
            steps["torch f32"] = torch_step(torch, network, params, x, t, np.float32)
        # the gradients at the initial weights (the same seed: the same dropout masks; for
        # DeepConvNet, whose masks differ between implementations, no dropout)
        deep = network == "deep-convnet"
        if deep:
            _, (view, xb, tb) = tinynn_step(tinynn, network, x, t, np.float64, dropout=False)
            _, (v32, x32, t32) = tinynn_step(tinynn, network, x, t, np.float32, dropout=False)
        exact = tinynn.Backprop().gradient(view, xb, tb)
        single = tinynn.Backprop().gradient(v32, x32, t32)
        notes = [f"{'without dropout: ' if deep else ''}float32 gradients "
                 f"({next(iter(single.values())).dtype}) within "
                 f"{largest_difference(single, exact):.1e} of float64's"]  # fmt: skip
        if book is not None:
            checked = book_net(network, params, dropout=False) if deep else book[1]
            theirs = checked.gradient(*inputs(network, x, t))
            notes.append(f"the book's within {largest_difference(theirs, exact):.1e}")
        if torch is not None and network != "extend":  # (its dropout masks are torch's own)
            theirs = torch_gradient(torch, network, params, x, t)
            notes.append(f"torch's within {largest_difference(theirs, exact):.1e}")
        if before is not None:
            _, (b32, bx, bt) = tinynn_step(before, network, x, t, np.float32)
            kind = next(iter(before.Backprop().gradient(b32, bx, bt).values())).dtype
            notes.append(f"before f32 computes in {kind}")
        times: dict[str, list[float]] = {name: [] for name in steps}
        rounds, number = plan[network]
        for fn in steps.values():
            fn()  # warm-up
        order = np.random.default_rng(0)  # each round in its own order: no place is favoured
        for _ in range(rounds):
            for name in order.permutation(list(steps)):
                fn = steps[str(name)]
                start = time.process_time()
                for _ in range(number):
                    fn()
                times[str(name)].append((time.process_time() - start) / number)
        table[network] = {name: statistics.median(v) for name, v in times.items()}
        plural = "s" if number > 1 else ""
        print(f"\n{TITLES[network]}, {rounds} rounds of {number} iteration{plural} "
              f"({'; '.join(notes)}: relative to the largest entry)")  # fmt: skip
        for name, median in table[network].items():
            ratios = []
            for ref in ("torch", "book") if "f32" not in name else ("torch f32",):
                if ref in table[network] and ref != name:
                    ratios.append(f"{median / table[network][ref]:.2f}x {ref}")
            print(f"  {name:<11} {1000 * median:9.2f} ms   {', '.join(ratios)}", flush=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
