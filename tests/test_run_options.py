"""RunOptions and their flags: each model's and optimizer's defaults, one written form per option
(so that a resumed run tells a changed option from the same one given again), the JSON a
checkpoint keeps, the command of options.json, and the objects built from them."""

from __future__ import annotations

import argparse
import json
import shlex

import numpy as np
import pytest

import tinynn as nn
from tinynn.cli.book_run import build_network, build_optimizer
from tinynn.cli.flags import add_run_options, given_options
from tinynn.cli.options import RunOptions
from tinynn.optimizers.schedules import CosineDecay, LinearWarmup, StepDecay


def parse(*argv: str, saved: RunOptions | None = None) -> dict[str, object]:
    p = argparse.ArgumentParser()
    add_run_options(p)
    return given_options(p.parse_args(list(argv)), saved)


def test_no_option_is_the_books_run() -> None:
    options = RunOptions.make(**parse())
    assert options == RunOptions()
    assert (options.model, options.hidden, options.activation, options.weight_init) == (
        "two-layer", (50,), "sigmoid", 0.01)  # fmt: skip
    assert (options.optimizer, options.lr, options.schedule, options.iters) == (
        "sgd", 0.1, None, 10000)  # fmt: skip
    net = build_network(options, np.random.default_rng(0))
    assert type(net) is nn.TwoLayerNet and net.params["W1"].shape == (784, 50)
    np.testing.assert_array_equal(net.params["W1"], nn.TwoLayerNet(784, 50, 10, rng=0).params["W1"])
    assert build_optimizer(options) == nn.SGD(lr=0.1)


@pytest.mark.parametrize(
    ("given", "optimizer", "lr"),
    [
        ({"model": "convnet"}, "adam", 0.001),  # the book's Chapter 7 run
        ({"model": "multi-layer"}, "sgd", 0.01),  # Chapter 6's runs
        ({"optimizer": "momentum"}, "momentum", 0.01),
        ({"optimizer": "adam"}, "adam", 0.001),
        ({"model": "convnet", "optimizer": "sgd"}, "sgd", 0.01),
        ({"model": "convnet", "lr": 0.01}, "adam", 0.01),
    ],
)
def test_the_optimizer_and_rate_follow_the_book_when_left_out(
    given: dict[str, object], optimizer: str, lr: float
) -> None:
    options = RunOptions.make(**given)
    assert (options.optimizer, options.lr) == (optimizer, lr)
    built = build_optimizer(options)
    assert type(built).__name__.lower() == optimizer and built.lr == lr  # type: ignore[attr-defined]


def test_each_option_has_one_written_form() -> None:
    """What is given again on resume is compared with what was saved: ``relu`` is He,
    ``step:100`` is ``step:100:0.1``, ``0.50`` is 0.5."""
    given = parse("--model", "multi-layer", "--hidden", "20,10", "--weight-init", "relu",
                  "--schedule", "step:100", "--dropout", "0.50")  # fmt: skip
    options = RunOptions.make(**given)
    assert (options.hidden, options.weight_init, options.schedule, options.dropout) == (
        (20, 10), "he", "step:100:0.1", 0.5)  # fmt: skip
    xavier = RunOptions.make(**parse("--model", "multi-layer", "--weight-init", "sigmoid",
                                     "--schedule", "cosine:10000"))  # fmt: skip
    assert (xavier.weight_init, xavier.schedule) == ("xavier", "cosine:10000:0.0")
    saved = RunOptions.make(**parse("--model", "multi-layer", "--weight-init", "he",
                                    "--schedule", "step:100:0.1", "--hidden", "20,10"))  # fmt: skip
    again = parse("--weight-init", "relu", "--schedule", "step:100", "--hidden", "20,10")
    assert saved.continued(again, "run") == saved  # the same options, given again


def test_a_checkpoints_json_gives_the_same_options_back() -> None:
    options = RunOptions.make(**parse(
        "--model", "multi-layer", "--hidden", "30,20,10", "--activation", "sigmoid",
        "--weight-init", "xavier", "--weight-decay", "0.01", "--dropout", "0.2", "--batchnorm",
        "--optimizer", "rmsprop", "--schedule", "exponential:1000:0.5", "--warmup", "50",
        "--iters", "3000",
    ))  # fmt: skip
    data = json.loads(json.dumps(options.as_dict()))
    assert data["hidden"] == [30, 20, 10]
    assert RunOptions.from_dict(data, "run.npz") == options
    # a checkpoint written before these options existed: the book's two-layer run
    old = {"iters": 50, "batch_size": 100, "lr": 0.1, "hidden": 50, "seed": 0,
           "estimator": "backprop", "numerical_method": "auto", "train_size": 1000}  # fmt: skip
    assert RunOptions.from_dict(old, "old.npz") == RunOptions(iters=50, train_size=1000)
    with pytest.raises(ValueError, match=r"old\.npz holds run options that do not fit: "
                       r"--dropout needs --model multi-layer"):  # fmt: skip
        RunOptions.from_dict({**old, "dropout": 0.5}, "old.npz")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--model", "convnet", "--filters", "8", "--filter-size", "3", "--hidden", "20"],
        ["--model", "multi-layer", "--hidden", "30,20", "--batchnorm", "--dropout", "0.2",
         "--weight-decay", "0.001", "--optimizer", "nesterov", "--schedule", "cosine:9000:0.1",
         "--warmup", "100", "--iters", "9000", "--train-size", "500"],
    ],
)  # fmt: skip
def test_the_command_of_options_json_makes_the_same_options(argv: list[str]) -> None:
    options = RunOptions.make(**parse(*argv))
    words = shlex.split(shlex.join(["tinynn", "train", *options.flags()]))[2:]
    assert RunOptions.make(**parse(*words)) == options
    assert words[0].startswith("--iters=")


def test_epochs_count_the_runs_own_mini_batches() -> None:
    assert parse("--epochs", "3")["iters"] == 3 * 600  # MNIST's 60,000 in batches of 100
    assert parse("--epochs", "3", "--train-size", "1000", "--batch-size", "20")["iters"] == 150
    assert parse("--epochs", "2", "--train-size", "90000")["iters"] == 1200  # 60,000 at most
    saved = RunOptions(batch_size=50, train_size=200, iters=8)
    assert parse("--epochs", "4", saved=saved)["iters"] == 16  # the saved run's batches
    assert "epochs" not in parse("--epochs", "4")


def test_the_networks_built_for_each_model() -> None:
    rng = np.random.default_rng
    ext = build_network(RunOptions.make(model="multi-layer", hidden=(8, 6), dropout=0.25,
                                         batchnorm=True, weight_decay=0.1), rng(0))  # fmt: skip
    assert type(ext) is nn.MultiLayerNetExtend
    assert [type(layer).__name__ for layer in ext.layers[:4]] == [
        "Affine", "BatchNormalization", "Relu", "Dropout"]  # fmt: skip
    assert (ext.dropout_ratio, ext.weight_decay_lambda, ext.hidden_size_list) == (0.25, 0.1, [8, 6])
    plain = build_network(RunOptions.make(model="multi-layer", activation="sigmoid",
                                          weight_init=0.05), rng(0))  # fmt: skip
    assert type(plain) is nn.MultiLayerNet and plain.hidden_size_list == [100, 100, 100, 100]
    assert plain.activation == "sigmoid" and abs(plain.params["W2"].std() - 0.05) < 0.005
    conv = build_network(RunOptions.make(model="convnet", filters=4, filter_size=3), rng(0))
    assert type(conv) is nn.SimpleConvNet and conv.params["W1"].shape == (4, 1, 3, 3)
    assert conv.input_shape == (1, 28, 28) and conv.params["W2"].shape == (4 * 13 * 13, 100)


def test_the_schedule_and_warmup_are_the_optimizers_rate() -> None:
    options = RunOptions.make(optimizer="adam", lr=0.01, schedule="step:40:0.7", warmup=10)
    assert build_optimizer(options).lr == LinearWarmup(StepDecay(0.01, 40, 0.7), 10)  # type: ignore[attr-defined]
    cosine = RunOptions.make(schedule="cosine:100:0.0", iters=100)
    assert build_optimizer(cosine).lr == CosineDecay(0.1, 100, 0.0)  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="before the run's 101 iterations end"):
        cosine.continued({"iters": 101}, "run")  # more iterations than the decay allows
