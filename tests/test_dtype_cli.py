"""``--dtype`` on the command line and in the examples: the network's dtype, named in the header,
kept by the run's files and by a resumed run; old run options without it are float64."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import tinynn as nn
from tests.test_cli_train import _tiny_data, needs_mnist
from tinynn.cli.book_run import build_network
from tinynn.cli.options import RunOptions

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"tinynn_example_{name}", EXAMPLES / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("model", ["two-layer", "multi-layer", "convnet", "deep-convnet"])
def test_run_options_build_the_network_in_its_dtype(model: str) -> None:
    options = RunOptions.make(model=model, dtype="float32")
    net = build_network(options, np.random.default_rng(0))
    assert net.dtype == np.float32
    wide = build_network(RunOptions.make(model=model), np.random.default_rng(0))
    assert wide.dtype == np.float64
    for name, p in wide.params.items():
        np.testing.assert_array_equal(net.params[name], p.astype(np.float32))
    assert "--dtype=float32" in options.flags()
    assert not any(f.startswith("--dtype") for f in RunOptions.make(model=model).flags())


def test_a_bad_dtype_is_refused_and_old_options_are_float64() -> None:
    with pytest.raises(ValueError, match="--dtype"):
        RunOptions.make(dtype="float16")
    old = RunOptions.make().as_dict()
    del old["dtype"]  # run options saved before --dtype existed
    assert RunOptions.from_dict(old, "old.npz").dtype == "float64"


def test_train_dtype_float32_names_it_and_saves_a_float32_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tinynn.cli import main, train

    monkeypatch.setattr(train, "load_data", _tiny_data)
    runs = tmp_path / "runs"
    args = ["train", "--iters", "4", "--batch-size", "50", "--hidden", "6", "--no-plot",
            "--runs-dir", str(runs), "--dtype", "float32"]  # fmt: skip
    assert main(args) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert header.startswith("TwoLayerNet 784-6-10 (sigmoid), float32, SGD lr 0.1, batch 50")
    (folder,) = runs.iterdir()
    net = nn.load_model(folder / "model.npz")
    assert net.dtype == np.float32 and all(p.dtype == np.float32 for p in net.params.values())
    # continued: the checkpoint says float32; asking for float64 is refused, by name
    assert main(["train", "--resume", str(folder), "--iters", "6"]) == 0
    assert ", float32, " in capsys.readouterr().out
    assert nn.load_model(folder / "model.npz").dtype == np.float32
    assert main(["train", "--resume", str(folder), "--iters", "8", "--dtype", "float64"]) == 1
    assert "was trained with --dtype float32, not --dtype float64" in capsys.readouterr().err
    assert main(["train", "--iters", "2", "--batch-size", "50", "--hidden", "6", "--no-plot",
                 "--runs-dir", str(tmp_path / "wide")]) == 0  # fmt: skip
    header = capsys.readouterr().out.splitlines()[0]  # the default goes unsaid, as before
    assert header.startswith("TwoLayerNet 784-6-10 (sigmoid), SGD lr 0.1") and "float" not in header


def test_gradcheck_dtype_float32_passes_at_its_tolerance(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tinynn.cli import main

    assert main(["gradcheck", "--random-data", "--hidden", "6", "--dtype", "float32"]) == 0
    out = capsys.readouterr().out
    assert "must be <= --tolerance 0.001" in out and "FAIL" not in out


@needs_mnist
def test_the_examples_take_dtype(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "net.npz"
    args = ["--epochs", "1", "--train-size", "100", "--test-size", "100", "--eval-samples", "50",
            "--no-plot", "--no-download", "--dtype", "float32", "--save-model", str(model)]
    assert example("train_convnet.py").main(args) == 0
    assert "affine 10, float32, Adam" in capsys.readouterr().out
    assert nn.load_model(model).dtype == np.float32
    args = ["--iters", "3", "--train-size", "300", "--no-plot", "--no-download", "--dtype",
            "float32", "--save-model", str(tmp_path / "two.npz")]  # fmt: skip
    assert example("train_neuralnet.py").main(args) == 0
    assert ", float32, SGD" in capsys.readouterr().out
    assert nn.load_model(tmp_path / "two.npz").dtype == np.float32
