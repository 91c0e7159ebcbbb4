"""examples/train_deepnet.py: the book's chapter 8 run in short, its lines, figures, saved
parameters and options; and the short schedule the documentation's gallery gives it.

The training test needs MNIST on disk (``TINYNN_DATA``); it never downloads.
"""

from __future__ import annotations

import importlib.util
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tinynn import DeepConvNet, load_model

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "train_deepnet.py"
FLOAT = r"[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?"

needs_mnist = pytest.mark.skipif(
    not os.environ.get("TINYNN_DATA"),
    reason="MNIST not configured: set TINYNN_DATA to a folder holding mnist/ (never downloaded)",
)


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tinynn_example_train_deepnet", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_mnist
def test_a_short_run_with_augmentation_prints_the_books_lines_saves_and_draws(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    figures = {name: tmp_path / f"{name}.png" for name in ("acc", "wrong", "moved")}
    model = tmp_path / "params.npz"
    args = ["--epochs", "2", "--train-size", "100", "--batch-size", "50", "--test-size", "200",
            "--eval-samples", "100", "--augment", "--out", str(figures["acc"]),
            "--misclassified-out", str(figures["wrong"]), "--augmented-out",
            str(figures["moved"]), "--save-model", str(model), "--no-download"]  # fmt: skip
    from matplotlib.figure import Figure

    titles: list[list[str]] = []
    save = Figure.savefig

    def saving(fig: Figure, *a: object, **k: object) -> None:
        titles.append([fig.get_suptitle(), *(ax.get_title() for ax in fig.axes)])
        save(fig, *a, **k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Figure, "savefig", saving)
        assert load().main(args) == 0
    # the curves are this network's: titled by it, not by the book's Chapter 4 figures
    assert titles[0][0].startswith("DeepConvNet: the loss of each mini-batch")
    assert titles[0][1:3] == ["mini-batch loss", "accuracy per epoch"]
    text = capsys.readouterr().out
    assert "augmented (Augmentation(shift=2, rotate=10))" in text.splitlines()[0]
    epochs = re.findall(rf"^=== epoch:(\d+), train acc:({FLOAT}), test acc:({FLOAT}) ===$", text,
                        re.MULTILINE)  # fmt: skip
    assert [int(e[0]) for e in epochs] == [1, 2]  # one line per epoch of 2 iterations
    final = re.search(rf"=============== Final Test Accuracy ===============\ntest acc:({FLOAT})",
                      text)  # fmt: skip
    assert final is not None
    assert f"Saved Network Parameters! ({model})" in text
    for path in figures.values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", path
    net = load_model(model)
    assert isinstance(net, DeepConvNet)
    from tinynn.datasets import load_mnist

    _, (x_test, t_test) = load_mnist(normalize=True, flatten=False, download=False)
    assert net.accuracy(x_test[:200], t_test[:200]) == float(final.group(1))
    assert f"misclassified digits written to {figures['wrong']}" in text  # 2 updates: many


def test_bad_options_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    module = load()
    for args, message in (
        (["--shift", "3"], "--shift and --rotate need --augment"),
        (["--augment", "--rotate", "200"], "argument --rotate: must be at most 180 degrees"),
        (["--augment", "--shift", "-1"], "argument --shift: must be an integer >= 0"),
    ):
        with pytest.raises(SystemExit) as exit_:
            module.parse_args(args)
        assert exit_.value.code == 2
        assert message in capsys.readouterr().err


def test_the_gallery_runs_the_short_schedule_its_page_states() -> None:
    sys.path.insert(0, str(EXAMPLE.parent.parent / "docs" / "_ext"))
    try:
        import gallery_helpers
    finally:
        sys.path.pop(0)
    argv = gallery_helpers.reset_argv({}, {"src_file": str(EXAMPLE)})
    module = load()
    assert argv == module.DOCS_OPTIONS
    doc = " ".join((module.__doc__ or "").split())
    assert "2 epochs of 30 iterations (60 updates) on 3,000 training images, a record per epoch " \
        "on 500 images of each set, the final accuracy on the first 1,000 test images" in doc
    args = module.parse_args(argv)
    assert (args.epochs, args.train_size, args.eval_samples, args.test_size, args.save_model) == (
        2, 3000, 500, 1000, "")  # fmt: skip
