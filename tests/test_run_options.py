"""RunOptions and their flags: each option declared once (its flag derived from its field, its
check shared), each model's and optimizer's defaults, one written form per option (so that a
resumed run tells a changed option from the same one given again), the JSON a checkpoint keeps,
the command of options.json, and the objects built from them."""

from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
from typing import Any, NoReturn

import numpy as np
import pytest

import tinynn as nn
from tinynn.cli import build_parser
from tinynn.cli.book_run import build_network, build_optimizer
from tinynn.cli.flags import add_run_options, given_options
from tinynn.cli.options import NETWORK, RunOptions
from tinynn.cli.values import flag, spec_of
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


# -- each option declared once: its flag is derived from its field, its check is shared --


class Refused(Exception):
    """What argparse says of a bad flag value (instead of exiting)."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise Refused(message)


def run_parser() -> Parser:
    p = Parser()
    add_run_options(p)
    return p


# argparse has no public way to list a parser's actions: its _actions and _action_groups


def flag_actions(p: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in p._actions for s in a.option_strings}


def subcommand(name: str) -> argparse.ArgumentParser:
    """The parser of ``tinynn <name>``."""
    sub = next(a for a in build_parser()._actions if isinstance(a.choices, dict))
    parser = sub.choices[name]  # type: ignore[index]
    assert isinstance(parser, argparse.ArgumentParser)
    return parser


FIELDS = {f.name: spec_of(f) for f in dataclasses.fields(RunOptions)}


def test_every_field_has_one_flag_made_from_its_declaration() -> None:
    actions = [a for a in run_parser()._actions if a.dest != "help"]
    assert sorted(a.dest for a in actions) == sorted([*FIELDS, "epochs"])
    for action in actions:
        if action.dest == "epochs":
            continue
        spec = FIELDS[action.dest]
        assert action.option_strings == [flag(action.dest)]
        assert action.default is None  # a resumed run tells the options given
        assert action.help == spec.help and action.help
        assert action.metavar == spec.metavar
        assert action.choices == spec.choices
        if spec.switch:
            assert (action.nargs, action.const) == (0, True)
        elif spec.choices is None:
            assert action.type == spec.read  # the field's check of the text read


def test_no_option_is_declared_a_second_time() -> None:
    """The commands' flags are the fields' and the few of the command itself, each once."""
    own = {"train": ["--epochs", "--runs-dir", "--no-plot", "--checkpoint-every", "--resume",
                     "--data-dir", "--no-download"],
           "gradcheck": ["--batch", "--seed", "--tolerance", "--random-data", "--image-size",
                         "--data-dir", "--no-download"]}  # fmt: skip
    network = [flag(name) for name, spec in FIELDS.items() if spec.group == NETWORK]
    fields = {"train": [flag(name) for name in FIELDS], "gradcheck": network}
    for command in ("train", "gradcheck"):
        strings = [s for a in subcommand(command)._actions for s in a.option_strings]
        assert sorted(strings) == sorted(["-h", "--help", *fields[command], *own[command]])
    assert "--seed" not in fields["gradcheck"]  # gradcheck's --seed is its own (the weights')


def test_help_lists_the_flags_in_their_groups_as_before() -> None:
    groups = {g.title: [s for a in g._group_actions for s in a.option_strings]
              for g in run_parser()._action_groups}  # fmt: skip
    assert [title for title in groups if groups[title]][-3:] == [
        "the run", "the network", "the optimizer (section 6.1)"]  # fmt: skip
    assert groups["the run"] == ["--iters", "--epochs", "--batch-size", "--seed", "--train-size",
                                 "--estimator", "--numerical-method", "--augment"]  # fmt: skip
    assert groups["the network"] == ["--model", "--hidden", "--activation", "--weight-init",
                                     "--weight-decay", "--dropout", "--batchnorm", "--filters",
                                     "--filter-size", "--dtype"]  # fmt: skip
    assert groups["the optimizer (section 6.1)"] == ["--optimizer", "--lr", "--schedule",
                                                     "--warmup"]  # fmt: skip


TEXTS = ["0", "-1", "1", "3", "0.5", "x", "", "nan", "inf", "1e400", "RELU", "kaiming", "7,3",
         "0,3", "step:100", "step:0", "step:100:2", "linear:5", "exponential:100",
         "cosine:x"]  # fmt: skip
VALUED = [name for name, spec in FIELDS.items() if spec.choices is None and not spec.switch]


@pytest.mark.parametrize("name", VALUED)
def test_a_value_the_flag_refuses_runoptions_refuses_with_the_same_message(name: str) -> None:
    """Text that reads as a value is checked once: argparse and RunOptions (as from a
    checkpoint's JSON) accept the same values, and refuse the others with the same words."""
    spec, base = FIELDS[name], {"model": "convnet" if "filter" in name else "multi-layer"}
    compared = 0
    for text in TEXTS:
        try:
            value = spec.parse(text)
        except (ValueError, argparse.ArgumentTypeError):
            continue  # no value at all (or one the command line does not take)
        try:
            given = given_options(run_parser().parse_args([f"{flag(name)}={text}"]))
            said = None
        except Refused as exc:
            said = str(exc).removeprefix(f"argument {flag(name)}: ")
        try:
            options = RunOptions.make(**{**base, name: value})
        except ValueError as exc:
            assert said is not None, f"{flag(name)} {text}: argparse took it, RunOptions: {exc}"
            assert str(exc) == f"{flag(name)} {said}"
        else:
            assert said is None, f"{flag(name)} {text}: RunOptions took it, argparse: {said}"
            assert getattr(options, name) == given[name]  # in one written form
        compared += 1
    assert compared >= 2


@pytest.mark.parametrize("name", [n for n, s in FIELDS.items() if s.choices is not None])
def test_a_choice_the_flag_offers_is_one_runoptions_takes(name: str) -> None:
    action = flag_actions(run_parser())[flag(name)]
    assert action.choices == FIELDS[name].choices
    nonsense: dict[str, Any] = {name: "nonsense"}
    with pytest.raises(ValueError) as refused:
        RunOptions(**nonsense)
    choices = ", ".join(FIELDS[name].choices or ())
    assert str(refused.value) == f"{flag(name)} must be one of {choices}, got 'nonsense'"
