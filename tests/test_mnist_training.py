"""The book's training run on the real MNIST (4.5.2-4.5.3): at least 0.94 test accuracy.

Runs when ``TINYNN_DATA`` holds MNIST (the user cache is left untouched); it
never downloads. About half a minute on two cores.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinynn import SGD, EpochAccuracy, Trainer, TwoLayerNet

datasets = pytest.importorskip("tinynn.datasets")


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


@pytest.mark.slow  # the book's whole run: 10,000 iterations
def test_the_books_configuration_reaches_094(mnist: tuple) -> None:
    (x_train, t_train), (x_test, t_test) = mnist
    net = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, rng=0)
    trainer = Trainer(
        net,
        SGD(lr=0.1),
        batch_size=100,
        callbacks=[EpochAccuracy(train=(x_train, t_train), test=(x_test, t_test))],
        rng=1,
    )
    history = trainer.fit(x_train, t_train, iters=10_000)
    assert trainer.iters_per_epoch == 600
    assert len(history.train_acc_list) == len(history.test_acc_list) == 17
    assert len(history.train_loss_list) == 10_000
    assert history.test_acc_list[-1] >= 0.94
    assert history.test_acc_list[0] < 0.5 < history.test_acc_list[1]  # learning shows early
    # no over-fitting at this size, as the book observes
    assert abs(history.train_acc_list[-1] - history.test_acc_list[-1]) < 0.02
    assert np.mean(history.train_loss_list[-100:]) < 0.3 < history.train_loss_list[0]
