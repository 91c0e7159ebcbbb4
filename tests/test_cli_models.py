"""``tinynn train`` with Chapter 6's and 7's networks, optimizers and schedules, as a user runs it.

A multi-layer run with Dropout, Batch Normalization, Adam and a step schedule (with warm-up),
stopped by a real Ctrl-C sent from outside and continued by ``tinynn train --resume <folder>``
alone, ends bit for bit where the uninterrupted run ends: history, accuracies, weights, the
layers' state and the optimizer's. A convnet trains on (N, 1, 28, 28) images, and
``evaluate`` and ``predict`` use both saved models. Every bad flag value is one line and
exit status 2. The runs are tiny (a few hundred training images of MNIST, in TINYNN_DATA).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.test_cli import SEVEN, draw_digit
from tests.test_cli_train import _tiny_data, ctrl_c_after_first_epoch, needs_mnist, results, tinynn

#: A Chapter 6 network with everything that has state: Dropout's generators, Batch
#: Normalization's running statistics, Adam's moments and step count, the schedule's position.
#: 1000 images in batches of 20: 50 iterations per epoch.
CHAPTER_6 = ["--model", "multi-layer", "--hidden", "12,12", "--dropout", "0.3", "--batchnorm",
             "--weight-decay", "0.001", "--optimizer", "adam", "--lr", "0.01", "--schedule",
             "step:40:0.7", "--warmup", "10", "--train-size", "1000", "--batch-size", "20",
             "--no-plot", "--no-download"]  # fmt: skip
ITERS = 200


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The user's environment with a private cache (the npz cache is built once here)."""
    import os

    return {**os.environ, "XDG_CACHE_HOME": str(tmp_path_factory.mktemp("cache"))}


def archive(path: Path) -> dict[str, Any]:
    """Every member of an .npz file (the JSON metadata too), by name."""
    with np.load(path, allow_pickle=False) as f:
        return {key: f[key] for key in f.files}


def assert_same_archive(a: Path, b: Path) -> None:
    wa, wb = archive(a), archive(b)
    assert sorted(wa) == sorted(wb)
    for key in wa:
        np.testing.assert_array_equal(wa[key], wb[key], err_msg=f"{a.name}: {key}")


@needs_mnist
def test_ctrl_c_from_outside_then_resume_alone_ends_bit_for_bit_with_the_layers_state(
    tmp_path: Path, env: dict[str, str]
) -> None:
    (tmp_path / "whole").mkdir()
    out = tinynn("train", "--iters", str(ITERS), *CHAPTER_6, cwd=tmp_path / "whole", env=env)
    whole = tmp_path / "whole" / out.stdout.strip().splitlines()[-1]
    assert out.stdout.startswith(
        "MultiLayerNetExtend 784-12-12-10 (relu, He init, batchnorm, dropout 0.3, weight decay "
        "0.001), Adam lr 0.01, step decay x0.7 every 40 updates, linear warm-up over 10 updates, "
        "batch 20, 200 iterations (50 per epoch), 1000 training images"
    )
    work = tmp_path / "work"
    work.mkdir()
    folder, rest = ctrl_c_after_first_epoch(["--iters", str(ITERS), *CHAPTER_6], work, env)
    stopped = results(folder)
    assert stopped["status"] == "interrupted" and 0 < stopped["iterations_done"] < ITERS
    command = f"tinynn train --resume runs/{folder.name}"
    assert rest.endswith(f"continue this run with:\n  {command}\n")
    second = tinynn(*shlex.split(command)[1:], cwd=work, env=env)  # exactly what it said
    assert f"continuing runs/{folder.name} from iteration {stopped['iterations_done']}" in (
        second.stdout
    )
    assert list((work / "runs").iterdir()) == [folder]  # one run, one folder
    done = results(folder)
    assert (done["status"], done["iterations_done"]) == ("complete", ITERS)
    assert (folder / "history.csv").read_bytes() == (whole / "history.csv").read_bytes()
    for key in ("train_acc_list", "test_acc_list", "final_train_acc", "final_test_acc",
                "model", "optimizer"):  # fmt: skip
        assert done[key] == results(whole)[key], key
    # the model files hold the weights and the layers' state (running statistics, and the
    # Dropout generators in the metadata); the checkpoints also Adam's moments and step count
    saved = archive(folder / "model.npz")
    assert {"model_state/1/running_mean", "model_state/5/running_var"} <= set(saved)
    state = json.loads(saved["tinynn.json"].tobytes())["model_state"]
    assert state["3"]["rng"]["bit_generator"] == state["7"]["rng"]["bit_generator"] == "PCG64"
    assert_same_archive(whole / "model.npz", folder / "model.npz")
    assert_same_archive(whole / "checkpoint.npz", folder / "checkpoint.npz")
    assert done["model"] == {
        "class": "MultiLayerNetExtend",
        "description": "MultiLayerNetExtend 784-12-12-10 (relu, He init, batchnorm, dropout "
        "0.3, weight decay 0.001)",
        "parameters": 784 * 12 + 12 + 2 * 12 + 12 * 12 + 12 + 2 * 12 + 12 * 10 + 10,
    }
    assert (done["optimizer"]["class"], done["optimizer"]["schedule"]) == ("Adam", "step:40:0.7")
    assert done["optimizer"]["next_lr"] == pytest.approx(0.01 * 0.7**5)  # after 200 updates
    options = json.loads((folder / "options.json").read_text())
    assert options["options"]["dropout"] == 0.3 and options["options"]["hidden"] == [12, 12]
    # options given again that disagree are named, and nothing changes
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    err = tinynn("train", "--resume", f"runs/{folder.name}", "--iters", "300", "--dropout",
                 "0.5", "--optimizer", "sgd", "--schedule", "cosine:300", cwd=work, env=env,
                 status=1).stderr  # fmt: skip
    assert err == (
        f"tinynn train: error: cannot resume: runs/{folder.name} was trained with --dropout 0.3 "
        "--optimizer adam --schedule step:40:0.7, not --dropout 0.5 --optimizer sgd --schedule "
        "cosine:300:0.0: leave these options out to continue the run as it was (only --iters "
        "may change)\n"
    )
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@needs_mnist
def test_evaluate_and_predict_a_chapter_6_network_deterministically(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """Evaluation runs Batch Normalization on its running statistics and no Dropout: the test
    accuracy that ``evaluate`` computes in its own process is the one training reported."""
    out = tinynn("train", "--iters", "30", *CHAPTER_6, cwd=tmp_path, env=env).stdout
    folder = tmp_path / out.strip().splitlines()[-1]
    out = tinynn("evaluate", str(folder), "--no-download", cwd=tmp_path, env=env).stdout
    report = json.loads((folder / "evaluation.json").read_text())
    assert report["test_accuracy"] == results(folder)["final_test_acc"]
    assert out.startswith(f"test accuracy {report['test_accuracy']:.4f} ")
    _check_predict(folder, tmp_path, env, lambda digit: digit.reshape(1, 784))


def _check_predict(folder: Path, cwd: Path, env: dict[str, str], shaped: Any) -> None:
    """``predict`` prints the top 3 that the saved model computes here, in-process."""
    import re

    import tinynn as nn

    draw_digit(cwd / "seven.png", SEVEN)
    out = tinynn("predict", str(folder), "seven.png", cwd=cwd, env=env).stdout
    line = re.fullmatch(r"seven\.png: (\d) \((\S+)%\), (\d) \((\S+)%\), (\d) \((\S+)%\)\n", out)
    assert line is not None, out
    probs = nn.load_model(folder / "model.npz").predict(shaped(nn.read_digit(cwd / "seven.png")))[0]
    top = np.argsort(probs)[::-1][:3]
    assert [int(line.group(i)) for i in (1, 3, 5)] == top.tolist()
    np.testing.assert_allclose([float(line.group(i)) for i in (2, 4, 6)], 100 * probs[top],
                               atol=0.051)  # fmt: skip


@needs_mnist
def test_a_convnet_trains_on_images_then_evaluate_and_predict_use_it(
    tmp_path: Path, env: dict[str, str]
) -> None:
    out = tinynn("train", "--model", "convnet", "--filters", "3", "--hidden", "8", "--train-size",
                 "100", "--batch-size", "50", "--iters", "4", "--no-download", cwd=tmp_path,
                 env=env).stdout  # fmt: skip
    assert out.startswith(
        "SimpleConvNet 1x28x28: conv 3 5x5 - relu - pool 2x2 - 8 - relu - 10, Adam lr 0.001, "
        "batch 50, 4 iterations (2 per epoch), 100 training images"
    )
    folder = tmp_path / out.strip().splitlines()[-1]
    done = results(folder)
    assert done["model"]["class"] == "SimpleConvNet"
    assert done["optimizer"] == {
        "class": "Adam", "description": "Adam lr 0.001", "lr": 0.001, "schedule": None,
        "warmup": 0, "next_lr": 0.001,
    }  # fmt: skip
    options = json.loads((folder / "options.json").read_text())
    assert "--model=convnet" in options["command"] and "--filters=3" in options["command"]
    pytest.importorskip("matplotlib")
    assert (folder / "training.png").read_bytes()[:4] == b"\x89PNG"
    import tinynn as nn

    net = nn.load_model(folder / "model.npz")
    assert isinstance(net, nn.SimpleConvNet) and net.input_shape == (1, 28, 28)
    tinynn("evaluate", str(folder), "--no-download", cwd=tmp_path, env=env)
    report = json.loads((folder / "evaluation.json").read_text())
    assert report["test_accuracy"] == done["final_test_acc"]
    _check_predict(folder, tmp_path, env, lambda digit: digit.reshape(1, 1, 28, 28))


# -- bad flag values: one line, exit status 2 ------------------------------------------------
USAGE = "usage: tinynn train [options]  (tinynn train --help lists them)"
BAD = [
    (["--model", "resnet"], "argument --model: invalid choice: 'resnet'"),
    (["--hidden", "100,x"], "argument --hidden: expected sizes >= 1 separated by commas"),
    (["--hidden", "0"], "argument --hidden: expected sizes >= 1"),
    (["--activation", "tanh"], "argument --activation: invalid choice: 'tanh'"),
    (["--weight-init", "kaiming"], "argument --weight-init: must be a standard deviation > 0 or "
     "one of he, xavier (the book also says relu, sigmoid), got 'kaiming'"),
    (["--weight-init", "-1"], "argument --weight-init: must be a finite number in (0, inf)"),
    (["--weight-decay", "-0.1"], "argument --weight-decay: must be a finite number in [0, inf)"),
    (["--dropout", "1"], "argument --dropout: must be a finite number in (0, 1), got 1.0"),
    (["--dropout", "half"], "argument --dropout: expected a number, got 'half'"),
    (["--filters", "0"], "argument --filters: expected a whole number >= 1, got 0"),
    (["--optimizer", "adamw"], "argument --optimizer: invalid choice: 'adamw'"),
    (["--lr", "0"], "argument --lr: expected a finite number > 0, got 0"),
    (["--schedule", "linear:5"], "argument --schedule: must be step:STEP[:GAMMA], "
     "exponential:STEPS:RATE or cosine:STEPS[:ALPHA], got 'linear:5'"),
    (["--schedule", "step:0"], "argument --schedule: step:0: step_size must be an int >= 1"),
    (["--schedule", "step:100:2"], "argument --schedule: step:100:2: gamma must be in (0, 1]"),
    (["--schedule", "exponential:100"], "argument --schedule: exponential takes "
     "exponential:STEPS:RATE, got 'exponential:100'"),
    (["--schedule", "cosine:x"], "argument --schedule: cosine takes cosine:STEPS[:ALPHA] (whole "
     "STEPS, numbers after)"),
    (["--warmup", "0"], "argument --warmup: expected a whole number >= 1, got 0"),
    (["--epochs", "0"], "argument --epochs: expected a whole number >= 1, got 0"),
    (["--iters", "5", "--epochs", "1"], "argument --epochs: not allowed with argument --iters"),
    # options that do not fit together
    (["--dropout", "0.5"], "--dropout needs --model multi-layer (the two-layer network has no "
     "such option)"),
    (["--model", "convnet", "--batchnorm"], "--batchnorm needs --model multi-layer (the convnet "
     "has no such option)"),
    (["--hidden", "100,100"], "--hidden takes one size for --model two-layer, got 100,100 (a "
     "size per layer: --model multi-layer)"),
    (["--activation", "relu"], "--activation relu does not apply to --model two-layer, which "
     "uses sigmoid (a choice of activation: --model multi-layer)"),
    (["--model", "convnet", "--weight-init", "he"], "--weight-init he needs --model "
     "multi-layer; --model convnet takes a standard deviation, e.g. --weight-init 0.01"),
    (["--model", "multi-layer", "--filters", "8"], "--filters needs --model convnet"),
    (["--model", "convnet", "--filter-size", "4"], "--filter-size 4 gives feature maps of "
     "25x25 on 28x28 images, which 2x2 pooling cannot tile"),
    (["--schedule", "cosine:100", "--iters", "200"], "--schedule cosine:100:0.0 brings the "
     "learning rate to 0 at update 100, before the run's 200 iterations end"),
    (["--schedule", "cosine:99", "--epochs", "1", "--batch-size", "600"], "--schedule "
     "cosine:99:0.0 brings the learning rate to 0 at update 99, before the run's 100 "
     "iterations end"),  # --epochs 1: 60,000 images in batches of 600
]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_every_bad_flag_value_is_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process (the subprocess test below runs a few as a user does): nothing is made."""
    from tinynn.cli import main

    with pytest.raises(SystemExit) as exit_:
        main(["train", *args, "--runs-dir", str(tmp_path / "runs")])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    usage, error = captured.err.splitlines()
    assert usage == USAGE and captured.out == ""
    assert error.startswith(f"tinynn train: error: {message}"), error
    assert not (tmp_path / "runs").exists()


def test_bad_flag_values_as_a_user_sees_them(tmp_path: Path, env: dict[str, str]) -> None:
    for args, message in (BAD[1], BAD[13], BAD[20], BAD[26]):
        err = tinynn("train", *args, cwd=tmp_path, env=env, status=2).stderr
        assert err.startswith(f"{USAGE}\ntinynn train: error: {message}")
        assert err.count("\n") == 2
    err = tinynn("gradcheck", "--image-size", "10", cwd=tmp_path, env=env, status=2).stderr
    assert err.splitlines()[1] == (
        "tinynn gradcheck: error: --image-size needs --random-data (MNIST's images are 28x28)"
    )
    assert not (tmp_path / "runs").exists()


def test_options_given_again_name_switches_and_sizes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    """A two-layer run resumed with Chapter 6's options: each is named as the run had it."""
    from tinynn.cli import main, train

    monkeypatch.setattr(train, "load_data", _tiny_data)
    runs = tmp_path / "runs"
    assert main(["train", "--iters", "3", "--batch-size", "50", "--hidden", "6", "--no-plot",
                 "--runs-dir", str(runs)]) == 0  # fmt: skip
    (folder,) = runs.iterdir()
    err = tinynn("train", "--resume", f"runs/{folder.name}", "--iters", "6", "--model",
                 "multi-layer", "--hidden", "6,6", "--batchnorm", cwd=tmp_path, env=env,
                 status=1).stderr  # fmt: skip
    assert (
        f"runs/{folder.name} was trained with --hidden 6 --model two-layer no --batchnorm, not "
        "--hidden 6,6 --model multi-layer --batchnorm: leave these options out"
    ) in err


def test_the_gradient_check_passes_for_each_kind_of_network(
    tmp_path: Path, env: dict[str, str]
) -> None:
    for args in (
        ["--hidden", "4"],
        ["--model", "multi-layer", "--hidden", "5,5", "--dropout", "0.5", "--batchnorm",
         "--weight-decay", "0.1"],
        ["--model", "multi-layer", "--hidden", "5,5", "--activation", "sigmoid", "--weight-init",
         "xavier"],
        ["--model", "convnet", "--image-size", "10", "--filters", "2", "--filter-size", "3",
         "--hidden", "6", "--weight-init", "0.1"],
    ):  # fmt: skip
        out = tinynn("gradcheck", "--random-data", "--batch", "2", *args, cwd=tmp_path,
                     env=env).stdout  # fmt: skip
        verdicts = [line.split("  ")[-1] for line in out.splitlines() if line.endswith(
            (" ok", " FAIL", " ok (zero)"))]  # fmt: skip
        assert verdicts and "FAIL" not in verdicts, out
    assert "has no rule" not in out and "the loop" not in out  # the structured path
    assert out.count(" ok\n") == 6
