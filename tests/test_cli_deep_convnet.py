"""``tinynn ... --model deep-convnet``: Chapter 8's DeepConvNet from the command line.

A tiny run with data augmentation (on a few random 28x28 images, in-process), stopped by a
Ctrl-C and continued by ``--resume`` alone, ends bit for bit where the uninterrupted run
ends; ``evaluate`` and ``predict`` use the saved DeepConvNet; the gradient check passes on
4x4 images in seconds; options that do not apply to the model are refused, one line each.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.test_cli_models import _check_predict
from tests.test_cli_train import assert_same_run, results, tinynn

#: 60 training images in batches of 10 (6 iterations per epoch), 30 test images.
TINY = ["--model", "deep-convnet", "--augment", "--hidden", "8", "--batch-size", "10",
        "--iters", "9", "--no-plot"]  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    import os

    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}


def _images(args: object, *, one_hot: bool = True) -> tuple[Any, Any]:
    """90 random 'images' as MNIST's rows of 784 pixels: 60 to train on, 30 to test."""
    rng = np.random.default_rng(0)
    x, labels = rng.random((90, 784)), rng.integers(0, 10, 90)
    t = np.eye(10)[labels] if one_hot else labels
    return (x[:60], t[:60]), (x[60:], t[60:])


def _ctrl_c_at(monkeypatch: pytest.MonkeyPatch, at: int) -> None:
    """A real SIGINT (what Ctrl-C sends) raised in this process at iteration ``at``."""
    from tinynn.callbacks import ProgressPrinter

    shown = ProgressPrinter.on_iteration_end

    def press_ctrl_c(self: ProgressPrinter, iteration: int, logs: Any) -> None:
        shown(self, iteration, logs)
        if iteration == at:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(ProgressPrinter, "on_iteration_end", press_ctrl_c)


def test_ctrl_c_then_resume_with_augmentation_is_bit_for_bit_then_evaluate_and_predict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    from tinynn.cli import evaluate, main, train

    monkeypatch.setattr(train, "load_data", _images)
    monkeypatch.setattr(evaluate, "load_data", _images)
    assert main(["train", *TINY, "--runs-dir", str(tmp_path / "whole")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "DeepConvNet 1x28x28: (conv 3x3 - relu - conv 3x3 - relu - pool 2x2) x3 with 16, 16, 32, "
        "32, 64, 64 filters - 8 - relu - dropout 0.5 - 10 - dropout 0.5 (He init), Adam lr "
        "0.001, batch 10, 9 iterations (6 per epoch), 60 training images, estimator backprop, "
        "augmented (shifts up to 2 pixels, turns up to 10 degrees), seed 0"
    ), out
    (whole,) = (tmp_path / "whole").iterdir()
    with monkeypatch.context() as m:
        _ctrl_c_at(m, 3)
        assert main(["train", *TINY, "--runs-dir", str(tmp_path / "work")]) == 130
    (folder,) = (tmp_path / "work").iterdir()
    assert (results(folder)["status"], results(folder)["iterations_done"]) == ("interrupted", 4)
    assert main(["train", "--resume", str(folder)]) == 0
    done = results(folder)
    assert done["status"] == "complete" and done["model"]["class"] == "DeepConvNet"
    assert_same_run(whole, folder)
    options = json.loads((folder / "options.json").read_text())
    assert "--model=deep-convnet" in options["command"] and "--augment" in options["command"]
    # without --augment the same run differs: the augmentation did move the batches
    assert main(["train", *[a for a in TINY if a != "--augment"], "--runs-dir",
                 str(tmp_path / "plain")]) == 0  # fmt: skip
    (plain,) = (tmp_path / "plain").iterdir()
    assert results(plain)["train_acc_list"] != done["train_acc_list"] or (
        (plain / "history.csv").read_text() != (folder / "history.csv").read_text()
    )
    import tinynn as nn

    net = nn.load_model(folder / "model.npz")
    assert isinstance(net, nn.DeepConvNet) and net.input_shape == (1, 28, 28)
    assert net.hidden_size == 8
    assert main(["evaluate", str(folder)]) == 0
    report = json.loads((folder / "evaluation.json").read_text())
    assert report["test_accuracy"] == done["final_test_acc"]
    _check_predict(folder, tmp_path, env, lambda digit: digit.reshape(1, 1, 28, 28))


def test_the_gradient_check_of_the_deep_convnet_passes_on_small_images(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = tinynn("gradcheck", "--model", "deep-convnet", "--random-data", "--image-size", "4",
                 "--hidden", "8", "--batch", "2", cwd=tmp_path, env=env).stdout  # fmt: skip
    assert out.startswith("DeepConvNet 1x4x4: (conv 3x3")
    verdicts = [line.split("  ")[-1] for line in out.splitlines() if line.endswith(
        (" ok", " FAIL", " ok (zero)"))]  # fmt: skip
    assert len(verdicts) == 16 and "FAIL" not in verdicts, out
    assert "the loop" not in out  # the structured path: conv, pooling, dropout have rules
    err = tinynn("gradcheck", "--model", "deep-convnet", "--random-data", "--image-size", "10",
                 cwd=tmp_path, env=env, status=2).stderr  # fmt: skip
    assert err.splitlines()[1] == (
        "tinynn gradcheck: error: --model deep-convnet takes square images whose side is 4 more "
        "than a multiple of 8 (4, 12, 20, 28, ...), got 10x10: its three 2x2 poolings halve the "
        "side, and its fourth convolution adds 2 (e.g. --image-size 12)"
    )


USAGE = "usage: tinynn train [options]  (tinynn train --help lists them)"
BAD = [
    (["--model", "deep-convnet", "--weight-init", "0.01"], "--weight-init 0.01 does not apply "
     "to --model deep-convnet, which draws its weights by He's rule as the book's DeepConvNet"),
    (["--model", "deep-convnet", "--filters", "8"], "--filters needs --model convnet"),
    (["--model", "deep-convnet", "--dropout", "0.3"], "--dropout needs --model multi-layer (the "
     "deep convnet has no such option)"),
    (["--model", "deep-convnet", "--batchnorm"], "--batchnorm needs --model multi-layer (the "
     "deep convnet has no such option)"),
    (["--model", "deep-convnet", "--hidden", "50,50"], "--hidden takes one size for --model "
     "deep-convnet, got 50,50"),
    (["--model", "deep-convnet", "--activation", "sigmoid"], "--activation sigmoid does not "
     "apply to --model deep-convnet, which uses relu"),
    (["--augment"], "--augment needs --model convnet or deep-convnet (it moves images; --model "
     "two-layer takes rows of pixels)"),
    (["--model", "multi-layer", "--augment"], "--augment needs --model convnet or deep-convnet"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_options_that_do_not_apply_are_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tinynn.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["train", *args, "--runs-dir", str(tmp_path / "runs")])
    assert exit_.value.code == 2
    usage, error = capsys.readouterr().err.splitlines()
    assert usage == USAGE
    assert error.startswith(f"tinynn train: error: {message}"), error
    assert not (tmp_path / "runs").exists()


def test_the_deep_convnet_defaults_are_the_books_run() -> None:
    from tinynn.cli.options import RunOptions

    o = RunOptions.make(model="deep-convnet")
    assert (o.optimizer, o.lr, o.hidden, o.weight_init, o.augment) == (
        "adam", 0.001, (50,), "he", False)  # fmt: skip
    assert RunOptions.make(model="convnet", augment=True).augment
