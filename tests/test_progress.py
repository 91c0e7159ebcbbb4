"""ProgressPrinter: the book's line at every epoch, and progress in between in one format,
rewritten in place on a terminal and as occasional full lines in a file or pipe."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tinynn import SGD, EpochAccuracy, NumericalDiff, ProgressPrinter, Trainer, TwoLayerNet
from tinynn.callbacks import Logs
from tinynn.callbacks.progress import duration


class FakeTrainer:
    total_iters = 1000
    iters_per_epoch = 100
    start_iteration = 0
    iteration = 0


class FakeClock:
    """A clock set by hand: ``clock()`` reads ``now``."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def drive(
    progress: ProgressPrinter, clock: FakeClock, times: list[float], pause: float = 0.0
) -> None:
    """Begin at ``times[0]``, end iteration ``i`` at ``times[i + 1]``; each epoch's
    evaluation after iteration ``i`` takes ``pause`` seconds, which later times include."""
    progress.set_trainer(FakeTrainer())  # type: ignore[arg-type]
    clock.now = times[0]
    progress.on_train_begin({})
    paused = 0.0
    for i, end in enumerate(times[1:]):
        logs: Logs = {"loss": 0.5}
        clock.now = end + paused
        progress.on_iteration_end(i, logs)
        if i % 100 == 0:
            paused += pause
            clock.now = end + paused
            progress.on_epoch_end(i // 100, {"iteration": i, "train_acc": 0.5, "test_acc": 0.25})
    progress.on_train_end({})


def test_progress_prints_plain_lines_with_rate_and_time_left_when_not_a_terminal() -> None:
    stream = io.StringIO()
    clock = FakeClock()
    progress = ProgressPrinter(stream, interval=250.0, clock=clock)
    drive(progress, clock, [float(t) for t in range(0, 1001)])  # one iteration per second
    lines = stream.getvalue().splitlines()
    status = [line for line in lines if line.startswith("iter")]
    assert status[0] == (
        "iter  250/1000 (epoch 3: 49/100) | loss 0.5000 | 1 it/s | 4m 10s elapsed, ~12m 30s left"
    )
    assert len(status) == 3  # at 250, 500 and 750 s; none at the very end
    assert lines.count("train acc, test acc | 0.5, 0.25") == 10
    assert "\r" not in stream.getvalue()


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    stream = io.StringIO()
    clock = FakeClock()
    progress = ProgressPrinter(stream, terminal=True, interval=10.0, clock=clock)
    drive(progress, clock, [0.5 * t for t in range(0, 1001)])
    text = stream.getvalue()
    assert "\r\x1b[Kiter" in text
    # each book line starts on a cleared line, never after a status line on the same line
    for line in text.split("\n"):
        if "train acc" in line:
            assert line.endswith("train acc, test acc | 0.5, 0.25")
            assert "iter" not in line.split("\r\x1b[K")[-1]
    assert text.endswith("\r\x1b[K")  # the last status line is cleared at the end


def test_rate_and_time_left_leave_the_epochs_evaluations_out() -> None:
    """A run whose first evaluation (epoch 0, after iteration 0) takes 100 s and whose
    iterations take 1 s each: 1 it/s, not 0.1, and the time left is the iterations left at
    that rate plus the 9 evaluations left at 100 s each (the convnet's first line once said
    ~2h 38m for a run of minutes)."""
    stream = io.StringIO()
    clock = FakeClock()
    progress = ProgressPrinter(stream, interval=5.0, clock=clock)
    drive(progress, clock, [float(t) for t in range(0, 1001)], pause=100.0)
    status = [line for line in stream.getvalue().splitlines() if line.startswith("iter")]
    # iteration 0 ends at 1 s, the evaluation at 101 s, iteration 1 at 102 s: 2 it in 2 s
    assert status[0] == (
        "iter    2/1000 (epoch 1: 1/100) | loss 0.5000 | 1 it/s | 1m 42s elapsed, ~31m 38s left"
    )  # 998 iterations of 1 s and 9 evaluations of 100 s: 1898 s
    assert status[-1] == (  # no evaluation left after iteration 900; 10 of 100 s so far
        "iter  997/1000 (epoch 10: 96/100) | loss 0.5000 | 1 it/s | 33m 17s elapsed, ~3s left"
    )


def test_the_default_interval_depends_on_the_stream() -> None:
    for terminal, every in ((True, 0.2), (False, 10.0)):
        stream = io.StringIO()
        stream.isatty = lambda terminal=terminal: terminal  # type: ignore[method-assign]
        times = iter([0.0, every - 0.01, every + 0.01, 100.0])
        progress = ProgressPrinter(stream, clock=times.__next__)
        progress.set_trainer(FakeTrainer())  # type: ignore[arg-type]
        progress.on_train_begin({})
        progress.on_iteration_end(0, {"loss": 1.0})
        assert "iter" not in stream.getvalue()
        progress.on_iteration_end(1, {"loss": 1.0})
        assert "iter    2/1000 (epoch 1: 1/100) | loss 1.0000" in stream.getvalue()
        assert ("\r" in stream.getvalue()) == terminal


def test_in_a_training_run_between_and_at_epochs() -> None:
    r = np.random.default_rng(0)
    x = r.random((40, 6))
    t = np.argmax(x[:, :3], axis=1)
    out = io.StringIO()
    seconds = iter(range(1000))
    callbacks = [ProgressPrinter(out, interval=2, clock=lambda: next(seconds)),
                 EpochAccuracy(train=(x, t))]  # fmt: skip
    Trainer(TwoLayerNet(6, 2, 3, rng=0), SGD(0.1), batch_size=20, callbacks=callbacks, rng=0).fit(
        x, t, iters=4
    )
    lines = out.getvalue().splitlines()
    assert sum(line.startswith("train acc | ") for line in lines) == 2  # at iterations 0, 2
    assert sum(line.startswith("iter ") for line in lines) == 1  # after iteration 2 of 4 (2 s)
    assert lines[0].startswith("train acc | 0.") and "loss" in lines[1]


def test_progress_within_a_slow_gradient() -> None:
    r = np.random.default_rng(0)
    x = r.random((20, 6))
    t = np.argmax(x[:, :3], axis=1)
    out = io.StringIO()
    clock = iter(float(s) for s in range(10_000))
    printer = ProgressPrinter(out, interval=1, clock=lambda: next(clock))
    numerical = NumericalDiff(method="loop", progress=printer.gradient_progress)
    net = TwoLayerNet(6, 200, 3, rng=0)  # 2003 weights: progress every 1000 of them
    numerical.gradient(net, x[:2], t[:2])  # outside training: nothing is shown
    assert out.getvalue() == ""
    Trainer(net, SGD(0.1), numerical, batch_size=10, callbacks=[printer], rng=0).fit(x, t, iters=1)
    lines = out.getvalue().splitlines()
    assert lines == [
        "iter 1/1: numerical gradient, 1,000/2,003 weights, 1,000/s, ~1s left in this iteration",
        "iter 1/1: numerical gradient, 2,000/2,003 weights, 1,000/s, ~0s left in this iteration",
    ]


@pytest.mark.parametrize(("seconds", "text"), [(0.4, "0s"), (42, "42s"), (185, "3m 05s"),
                                               (3720, "1h 02m")])  # fmt: skip
def test_duration(seconds: float, text: str) -> None:
    assert duration(seconds) == text
