"""The BLAS threads of a run: chosen from the network's size (one for the book's networks), left
to the environment when it sets them, applied during the run only, and named in its header."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from tinynn import Affine, Callback, MultiLayerNetExtend, SimpleConvNet, TwoLayerNet
from tinynn.callbacks import Logs
from tinynn.cli import threads
from tinynn.cli.book_run import BookRun
from tinynn.cli.options import RunOptions


def blas_threads() -> set[int]:
    return {int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas"}


def test_the_largest_product_of_the_books_networks() -> None:
    two_layer = TwoLayerNet(784, 50, 10, rng=0)
    assert threads.largest_product(two_layer.layers, (784,), 100) == 100 * 784 * 50
    convnet = SimpleConvNet(rng=0)  # conv: 30 x 25 x 576 per image; affine: 100 x 4320 x 100
    assert threads.largest_product(convnet.layers, (1, 28, 28), 100) == 100 * 4320 * 100
    assert threads.largest_product(convnet.layers, (1, 28, 28), 1) == 30 * 25 * 576
    extend = MultiLayerNetExtend(784, [100] * 5, 10, use_dropout=True, use_batchnorm=True, rng=0)
    assert threads.largest_product(extend.layers, (784,), 100) == 100 * 784 * 100


@pytest.mark.parametrize(
    ("net", "sample"),
    [(TwoLayerNet(784, 50, 10, rng=0), (784,)), (SimpleConvNet(rng=0), (1, 28, 28)),
     (MultiLayerNetExtend(784, [100] * 5, 10, use_batchnorm=True, rng=0), (784,))],
)  # fmt: skip
def test_one_thread_for_the_books_networks(net: Any, sample: tuple[int, ...]) -> None:
    chosen = threads.choose(net.layers, sample, 100, environ={})
    assert chosen.count == 1
    assert chosen.describe().startswith("BLAS threads 1 (products of at most ")


def test_more_threads_for_large_products_up_to_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threads, "_cores", lambda: 4)
    layer = Affine(np.zeros((2048, 1024)))
    assert threads.choose([layer], (2048,), 100, environ={}).count == 2  # 210M multiply-adds
    assert threads.choose([layer], (2048,), 1000, environ={}).count == 4  # 2.1G: all 4 cores
    assert threads.choose([layer], (2048,), 10, environ={}).count == 1


@pytest.mark.parametrize("name", threads.ENVIRONMENT)
def test_a_count_set_in_the_environment_is_left_alone(name: str) -> None:
    chosen = threads.choose(TwoLayerNet(784, 50, 10, rng=0).layers, (784,), 100,
                            environ={name: "3"})  # fmt: skip
    assert chosen.count is None
    assert chosen.describe() == f"BLAS threads the BLAS default ({name}=3 in the environment)"
    with threads.limited(chosen):  # changes nothing
        pass


@pytest.mark.parametrize("count", [1, 2])
def test_limited_applies_within_the_block_only(count: int) -> None:
    before = blas_threads()
    with threads.limited(threads.Threads(count, "test")):
        assert blas_threads() == {count}
    assert blas_threads() == before


class Recorder(Callback):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[int] = set()

    def on_iteration_end(self, iteration: int, logs: Logs) -> None:
        self.seen |= blas_threads()


def test_the_book_run_trains_with_its_threads_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in threads.ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    rng = np.random.default_rng(0)
    x, t = rng.random((200, 784)), np.eye(10)[rng.integers(0, 10, 200)]
    book = BookRun(RunOptions.make(iters=3, batch_size=50), (x, t), (x[:20], t[:20]))
    assert book.threads.count == 1
    assert book.header().endswith(", BLAS threads 1 (products of at most 2M multiply-adds)")
    recorder = Recorder()
    book.trainer.callbacks.append(recorder)
    before = blas_threads()
    book.fit()
    assert recorder.seen == {1}
    assert blas_threads() == before
