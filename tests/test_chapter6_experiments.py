"""The examples of Chapter 6's experiments, run in short on real MNIST: figure 6-15
(weight_init_compare), 6-18/6-19 (batch_norm_test), 6-20/6-21 (overfit_weight_decay),
6-22/6-23 (overfit_dropout) and 6-24 (hyperparameter_optimization).

The training tests need MNIST on disk (``TINYNN_DATA``); they never download. The
options' checks (exit status 2) and the docs' short settings need no data.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from numpy.typing import NDArray

from tests.test_examples import EXAMPLES, FLOAT, assert_png, load, needs_mnist

Capture = pytest.CaptureFixture[str]
Data = tuple[NDArray[np.float64], NDArray[np.integer]]

CHAPTER_6 = [
    "weight_init_compare",
    "batch_norm_test",
    "overfit_weight_decay",
    "overfit_dropout",
    "hyperparameter_optimization",
]


@cache
def example(name: str) -> ModuleType:
    return load(name)


@cache
def mnist() -> tuple[Data, Data]:
    from tinynn.datasets import load_mnist

    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, download=False)
    return (x_train, t_train), (x_test, t_test)


def run(name: str, args: list[str], capsys: Capture) -> str:
    assert example(name).main([*args, "--no-download"]) == 0
    return capsys.readouterr().out


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def is_fraction_of(values: list[float], n: int) -> bool:
    """Whether every value is an accuracy on ``n`` samples: k / n for an integer k."""
    return all(0 <= v <= 1 and v * n == pytest.approx(round(v * n)) for v in values)


# -- the options: refused with argparse's status 2, no data needed --------------------------


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("weight_init_compare", ["--iters", "0"], "--iters must be >= 1, got 0"),
        ("weight_init_compare", ["--batch-size", "-1"], "--batch-size must be >= 1"),
        ("weight_init_compare", ["--train-size", "0"], "--train-size must be >= 1"),
        ("batch_norm_test", ["--epochs", "0"], "--epochs must be >= 1"),
        ("batch_norm_test", ["--train-size", "0"], "--train-size must be >= 1"),
        ("batch_norm_test", ["--scale", "0"], "--scale must be in 1..16, got 0"),
        ("batch_norm_test", ["--scale", "17"], "--scale must be in 1..16, got 17"),
        ("overfit_weight_decay", ["--epochs", "0"], "--epochs must be >= 1"),
        ("overfit_weight_decay", ["--test-size", "0"], "--test-size must be >= 1"),
        ("overfit_weight_decay", ["--print-every", "0"], "--print-every must be >= 1"),
        ("overfit_weight_decay", ["--weight-decay", "-0.1"], "--weight-decay must be >= 0"),
        ("overfit_weight_decay", ["--weight-decay", "nan"], "--weight-decay must be >= 0"),
        ("overfit_dropout", ["--epochs", "0"], "--epochs must be >= 1"),
        ("overfit_dropout", ["--train-size", "-3"], "--train-size must be >= 1"),
        ("overfit_dropout", ["--dropout-ratio", "1"], r"--dropout-ratio must be in \[0, 1\)"),
        ("overfit_dropout", ["--dropout-ratio", "-0.2"], r"--dropout-ratio must be in \[0, 1\)"),
        ("hyperparameter_optimization", ["--trials", "0"], "--trials must be >= 1"),
        ("hyperparameter_optimization", ["--epochs", "0"], "--epochs must be >= 1"),
        ("hyperparameter_optimization", ["--best", "0"], "--best must be >= 1"),
        ("hyperparameter_optimization", ["--train-size", "4"], "--train-size must be >= 5"),
        ("hyperparameter_optimization", ["--trials", "x"], "invalid int value"),
    ],
)  # fmt: skip
def test_bad_options_exit_with_status_2(
    name: str, args: list[str], message: str, capsys: Capture
) -> None:
    with pytest.raises(SystemExit) as exc:
        example(name).main([*args, "--no-download"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert err.startswith("usage:")


@pytest.mark.parametrize("name", CHAPTER_6)
def test_the_docs_gallery_runs_what_the_docstring_says(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(EXAMPLES.parent / "docs" / "_ext"))
    from gallery_helpers import reset_argv

    argv = reset_argv({}, {"src_file": f"examples/{name}.py"})
    doc = " ".join((example(name).__doc__ or "").split())
    said = re.search(rf"This page ran ``python examples/{name}\.py (.+?)``", doc)
    assert said is not None, f"{name}'s docstring does not say what the gallery runs"
    assert argv == said.group(1).split()
    assert argv and "--out" not in argv  # short, and the figure where the scraper finds it


# -- figure 6-15: weight_init_compare --------------------------------------------------------


@needs_mnist
def test_weight_init_compare_std_001_does_not_learn_he_learns_fastest() -> None:
    (x, t), _ = mnist()
    losses, networks = example("weight_init_compare").compare(
        x[:2000], t[:2000], iters=100, batch_size=32
    )  # small batches: quick also where a busy machine slows multithreaded BLAS
    assert list(losses) == list(networks) == ["std=0.01", "Xavier", "He"]
    assert all(len(loss) == 100 and np.isfinite(loss).all() for loss in losses.values())
    assert all(net.params["W1"].shape == (784, 100) for net in networks.values())
    assert all(len(net.params) == 10 for net in networks.values())  # W1..W5, b1..b5
    late = {name: float(np.mean(loss[-30:])) for name, loss in losses.items()}
    # the book's result: with 0.01 the loss stays at ln 10 = 2.30; He falls faster than Xavier
    assert all(abs(v - np.log(10)) < 0.01 for v in losses["std=0.01"])
    assert late["He"] < 2.0 and late["He"] < late["Xavier"] < late["std=0.01"]


@needs_mnist
def test_weight_init_compare_prints_every_100_iterations_and_draws(
    tmp_path: Path, capsys: Capture
) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "fig.png"
    text = run("weight_init_compare", ["--iters", "101", "--batch-size", "16", "--train-size",
                                       "1000", "--out", str(out)], capsys)  # fmt: skip
    assert re.findall(r"^===========iteration:(\d+)===========$", text, re.M) == ["0", "100"]
    first = re.findall(rf"^([\w=.]+):({FLOAT})$", text.split("iteration:100")[0], re.M)
    assert [name for name, _ in first] == ["std=0.01", "Xavier", "He"]
    tests = re.findall(rf"^(\S+) +mean loss of the last 100 iterations ({FLOAT}), test acc "
                       rf"({FLOAT})$", text, re.M)  # fmt: skip
    assert [name for name, *_ in tests] == ["std=0.01", "Xavier", "He"]
    assert is_fraction_of([float(acc) for *_, acc in tests], 10_000)
    assert f"figure 6-15 written to {out}" in text
    assert_png(out)


@needs_mnist
def test_weight_init_compare_no_plot(tmp_path: Path, capsys: Capture) -> None:
    out = tmp_path / "fig.png"
    text = run("weight_init_compare", ["--iters", "11", "--batch-size", "16", "--train-size",
                                       "200", "--no-plot", "--out", str(out)], capsys)  # fmt: skip
    assert "He " in text and not out.exists()


# -- figures 6-18 and 6-19: batch_norm_test --------------------------------------------------


@needs_mnist
@pytest.mark.parametrize("use_batchnorm", [True, False])
def test_batch_norm_train_records_one_accuracy_per_epoch(use_batchnorm: bool) -> None:
    (x, t), _ = mnist()
    acc, stopped = example("batch_norm_test").train(
        x[:200], t[:200], 0.05, use_batchnorm=use_batchnorm, epochs=4
    )
    assert stopped is None
    assert len(acc) == 4  # (4 - 1) * 2 + 1 = 7 iterations, records after iterations 0, 2, 4, 6
    assert is_fraction_of(acc, 200)


@needs_mnist
def test_batch_norm_train_without_it_diverges_at_scale_1_and_says_where() -> None:
    (x, t), _ = mnist()
    module = example("batch_norm_test")
    plain, why = module.train(x[:1000], t[:1000], 1.0, use_batchnorm=False, epochs=3)
    assert why is not None and re.fullmatch(r"training diverged at iteration \d+", why)
    assert 1 <= len(plain) < 3  # its records end where it diverged
    bn, why_bn = module.train(x[:1000], t[:1000], 1.0, use_batchnorm=True, epochs=3)
    assert why_bn is None and len(bn) == 3  # Batch Normalization keeps the same scale finite


@needs_mnist
def test_batch_norm_test_prints_sixteen_scales_and_draws_both_figures(
    tmp_path: Path, capsys: Capture
) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "bn.png"
    text = run("batch_norm_test", ["--epochs", "2", "--train-size", "100", "--scale", "3",
                                   "--out", str(out)], capsys)  # fmt: skip
    assert re.findall(r"^============== (\d+)/16 ==============$", text, re.M) == [
        str(i) for i in range(1, 17)
    ]
    assert len(re.findall(r"^epoch:\d+ \| ", text, re.M)) == 16 * 2  # two records a scale
    rows = re.findall(rf"^({FLOAT}) +(diverged|{FLOAT}) +({FLOAT})(  BN higher)?$", text, re.M)
    assert len(rows) == 16
    np.testing.assert_allclose([float(r[0]) for r in rows], np.logspace(0, -4, 16), rtol=1e-3)
    wins = re.search(r"^Batch Normalization ends higher at (\d+) of 16 scales$", text, re.M)
    assert wins is not None and int(wins.group(1)) == sum(bool(r[3]) for r in rows)
    one = tmp_path / "bn-one.png"
    assert f"figure 6-18 written to {one}" in text and f"figure 6-19 written to {out}" in text
    assert_png(one)
    assert_png(out)


# -- figures 6-20 and 6-21: overfit_weight_decay ---------------------------------------------


@needs_mnist
def test_weight_decay_adds_its_penalty_to_the_loss_with_the_same_batches() -> None:
    (x, t), (x_test, t_test) = mnist()
    train = example("overfit_weight_decay").train
    data = (x[:300], t[:300], x_test[:500], t_test[:500])
    plain = train(*data, weight_decay_lambda=0.0, epochs=3)
    decay = train(*data, weight_decay_lambda=0.1, epochs=3)
    for history in (plain, decay):
        assert len(history.train_loss_list) == (3 - 1) * 3 + 1  # the book's loop: 7 iterations
        assert len(history.train_acc_list) == len(history.test_acc_list) == 3
        assert is_fraction_of(history.train_acc_list, 300)
        assert is_fraction_of(history.test_acc_list, 500)
    # 0.5 * 0.1 * sum(W**2) over He weights of 784-100x6-10 is about 60: the loss says so
    gaps = np.subtract(decay.train_loss_list, plain.train_loss_list)
    assert (gaps > 30).all()
    assert plain.train_loss_list[0] < 3.0


@needs_mnist
def test_overfit_weight_decay_prints_both_runs_and_draws(tmp_path: Path, capsys: Capture) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "wd.png"
    text = run("overfit_weight_decay", ["--epochs", "4", "--test-size", "500", "--print-every",
                                        "2", "--out", str(out)], capsys)  # fmt: skip
    assert re.findall(r"^== figure (6-2\d): weight_decay_lambda = (\S+) ==$", text, re.M) == [
        ("6-20", "0.0"), ("6-21", "0.1")
    ]  # fmt: skip
    # every second epoch and the last, for each run
    assert re.findall(r"^epoch:(\d+), train acc:", text, re.M) == ["0", "2", "3"] * 2
    summary = re.findall(rf"^figure (6-2\d) \(lambda \S+\): last train acc ({FLOAT}), test acc "
                         rf"({FLOAT}), gap ({FLOAT})$", text, re.M)  # fmt: skip
    assert [s[0] for s in summary] == ["6-20", "6-21"]
    for _, train_acc, test_acc, gap in summary:
        assert float(gap) == pytest.approx(float(train_acc) - float(test_acc), abs=1e-4)
    assert_png(out)


@pytest.mark.slow
@needs_mnist
def test_weight_decay_narrows_the_gap_after_101_epochs(capsys: Capture) -> None:
    """The book's result at the gallery's settings (about 10 s): train - test shrinks."""
    text = run("overfit_weight_decay", ["--epochs", "101", "--test-size", "2000", "--no-plot"],
               capsys)  # fmt: skip
    gaps = [float(g) for g in re.findall(rf", gap ({FLOAT})$", text, re.M)]
    train_accs = [float(a) for a in re.findall(rf"last train acc ({FLOAT})", text)]
    assert len(gaps) == 2 and gaps[1] < gaps[0] - 0.03
    assert train_accs[0] > 0.95 and train_accs[1] < train_accs[0]  # it overfits; less so


# -- figures 6-22 and 6-23: overfit_dropout --------------------------------------------------


@needs_mnist
def test_dropout_of_ratio_0_is_the_run_without_dropout_bit_for_bit() -> None:
    """Both runs start from the same weights and see the same mini-batches."""
    (x, t), (x_test, t_test) = mnist()
    train = example("overfit_dropout").train
    data = (x[:300], t[:300], x_test[:300], t_test[:300])
    without, _ = train(*data, use_dropout=False, epochs=3)
    kept, _ = train(*data, use_dropout=True, dropout_ratio=0.0, epochs=3)
    assert without.history == kept.history
    assert len(without.train_loss_list) == 3 * 3  # the book's Trainer: 3 epochs of 3 iterations
    assert len(without.train_acc_list) == 3


@needs_mnist
def test_dropout_changes_training_and_evaluates_without_masks() -> None:
    (x, t), (x_test, t_test) = mnist()
    train = example("overfit_dropout").train
    data = (x[:300], t[:300], x_test[:300], t_test[:300])
    without, _ = train(*data, use_dropout=False, epochs=2)
    dropped, net = train(*data, use_dropout=True, dropout_ratio=0.5, epochs=2)
    assert dropped.train_loss_list != without.train_loss_list  # the masks are drawn
    assert net.accuracy(x_test[:300], t_test[:300]) == net.accuracy(x_test[:300], t_test[:300])
    assert is_fraction_of(dropped.train_acc_list + dropped.test_acc_list, 300)


@needs_mnist
def test_overfit_dropout_prints_the_books_lines_and_draws(tmp_path: Path, capsys: Capture) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "do.png"
    text = run("overfit_dropout", ["--epochs", "3", "--test-size", "300", "--print-every", "1",
                                   "--out", str(out)], capsys)  # fmt: skip
    assert re.findall(r"^=== epoch:(\d+), train acc:", text, re.M) == ["1", "2", "3"] * 2
    finals = re.findall(rf"Final Test Accuracy =+\ntest acc:({FLOAT})$", text, re.M)
    summary = re.findall(rf"^figure (6-2\d) \((.+)\): after 9 iterations train acc ({FLOAT}), "
                         rf"test acc ({FLOAT}), gap ({FLOAT})$", text, re.M)  # fmt: skip
    assert [(s[0], s[1]) for s in summary] == [("6-22", "no Dropout"),
                                              ("6-23", "Dropout, ratio 0.2")]  # fmt: skip
    assert [float(f) for f in finals] == pytest.approx([float(s[3]) for s in summary], abs=5e-5)
    assert is_fraction_of([float(f) for f in finals], 300)
    assert_png(out)


@pytest.mark.slow
@needs_mnist
def test_dropout_narrows_the_gap_after_101_epochs(capsys: Capture) -> None:
    """The book's result at the gallery's settings (about 14 s): train - test shrinks."""
    text = run("overfit_dropout", ["--epochs", "101", "--test-size", "2000", "--no-plot"], capsys)
    gaps = [float(g) for g in re.findall(rf", gap ({FLOAT})$", text, re.M)]
    assert len(gaps) == 2 and gaps[1] < gaps[0] - 0.05


# -- figure 6-24: hyperparameter_optimization ------------------------------------------------


def test_the_validation_data_is_split_off_the_training_data() -> None:
    split = example("hyperparameter_optimization").split_validation
    index = np.arange(500)
    x = np.repeat(index[:, None], 3, axis=1).astype(float)  # each row names its image
    (x_train, t_train), (x_val, t_val) = split(x, index, 0.2, np.random.default_rng(0))
    assert (len(x_train), len(x_val)) == (400, 100)
    np.testing.assert_array_equal(x_train[:, 0], t_train)  # images keep their labels
    np.testing.assert_array_equal(x_val[:, 0], t_val)
    assert not set(t_train) & set(t_val)  # disjoint
    assert sorted([*t_train, *t_val]) == index.tolist()  # and together all of them
    assert t_val.tolist() != list(range(100))  # shuffled, not the first fifth
    (_, again), _ = split(x, index, 0.2, np.random.default_rng(0))
    np.testing.assert_array_equal(again, t_train)  # the seed decides


@needs_mnist
def test_hyperparameter_search_ranks_the_trials_by_validation_accuracy(
    tmp_path: Path, capsys: Capture
) -> None:
    pytest.importorskip("matplotlib")
    out = tmp_path / "hp.png"
    text = run("hyperparameter_optimization", ["--trials", "5", "--epochs", "2", "--train-size",
                                               "200", "--best", "3", "--out", str(out)],
               capsys)  # fmt: skip
    assert "160 training and 40 validation images" in text
    trials = re.findall(rf"^val acc:({FLOAT}) \| (lr:{FLOAT}, weight decay:{FLOAT})$", text, re.M)
    assert len(trials) == 5
    for _, key in trials:  # the book's ranges: lr in 10^[-6, -2], weight decay in 10^[-8, -4]
        lr, decay = (float(v) for v in re.findall(FLOAT, key.replace("lr:", "")))
        assert 1e-6 <= lr <= 1e-2 and 1e-8 <= decay <= 1e-4
    assert is_fraction_of([float(acc) for acc, _ in trials], 40)
    best = re.findall(rf"^Best-(\d+)\(val acc:({FLOAT})\) \| (.+)$", text, re.M)
    assert [int(b[0]) for b in best] == [1, 2, 3]
    accs = [float(b[1]) for b in best]
    assert accs == sorted(accs, reverse=True)  # sorted by validation accuracy
    assert accs == sorted((float(acc) for acc, _ in trials), reverse=True)[:3]
    by_key = {key: float(acc) for acc, key in trials}
    assert all(by_key[key] == acc for (_, _, key), acc in zip(best, accs, strict=True))
    assert f"figure 6-24 written to {out}" in text
    assert png_size(out) == (3 * 198, 171)  # one row of three panels, 2.2 x 1.9 in at 90 dpi


@needs_mnist
def test_hyperparameter_trials_are_reproducible_and_differ(capsys: Capture) -> None:
    args = ["--trials", "2", "--epochs", "1", "--train-size", "100", "--no-plot"]
    first = run("hyperparameter_optimization", [*args, "--seed", "3"], capsys)
    again = run("hyperparameter_optimization", [*args, "--seed", "3"], capsys)
    other = run("hyperparameter_optimization", [*args, "--seed", "4"], capsys)
    lines = [re.findall(r"^val acc:.*$", text, re.M) for text in (first, again, other)]
    assert lines[0] == lines[1] and lines[0] != lines[2]
    assert lines[0][0] != lines[0][1]  # each trial draws its own lr and weight decay

