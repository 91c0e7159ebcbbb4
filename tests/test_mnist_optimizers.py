"""Each optimizer of section 6.1 trains the book's TwoLayerNet to at least 0.94 on MNIST.

The book's configuration (784-50-10, sigmoid, batches of 100, weights from
``weight_init_std=0.01``) with a learning rate chosen per optimizer, and 2,000
iterations instead of SGD's 10,000: the adaptive rules get there sooner. Runs
when ``TINYNN_DATA`` holds MNIST (never downloads); about 6 s each on two cores.
``pytest -s`` prints each test accuracy.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinynn import AdaGrad, Adam, Momentum, Nesterov, Optimizer, RMSprop, Trainer, TwoLayerNet

datasets = pytest.importorskip("tinynn.datasets")

#: (optimizer with its learning rate, iterations); see docs/optimizers.rst for the figures
RUNS = [
    (Momentum(lr=0.1), 2000),
    (Nesterov(lr=0.1), 2000),
    (AdaGrad(lr=0.1), 2000),
    (RMSprop(lr=0.01), 2000),
    (Adam(lr=0.01), 2000),
]


@pytest.fixture(scope="module")
def mnist(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    with pytest.MonkeyPatch.context() as mp:  # keep the user's cache untouched
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        try:
            return datasets.load_mnist(
                normalize=True, one_hot_label=True, download=False, cache=False
            )
        except FileNotFoundError as exc:
            pytest.skip(f"MNIST is not available locally (set TINYNN_DATA): {exc}")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("optimizer", "iters"), RUNS, ids=lambda v: str(v) if isinstance(v, int) else type(v).__name__
)
def test_reaches_094_on_the_books_configuration(
    mnist: tuple, optimizer: Optimizer, iters: int
) -> None:
    (x_train, t_train), (x_test, t_test) = mnist
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, rng=0)
    assert net.accuracy(x_test, t_test) < 0.2
    history = Trainer(net, optimizer, batch_size=100, rng=1).fit(x_train, t_train, iters=iters)
    assert len(history.train_loss_list) == iters
    accuracy = net.accuracy(x_test, t_test)
    print(f"{optimizer}: test accuracy {accuracy:.4f} after {iters} iterations")  # pytest -s
    assert accuracy >= 0.94
    assert np.mean(history.train_loss_list[-100:]) < 0.3 < history.train_loss_list[0]
