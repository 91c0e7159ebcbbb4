"""The command line: train, evaluate, predict, gradcheck
=====================================================

After ``pip install tinynn[plot]`` the package has a command, ``tinynn`` (also
``python -m tinynn``). This script runs its four subcommands from Python, with
``tinynn.cli.main``, which takes the command line as a list: each call does
exactly what typing it in a shell does.

A short run keeps this quick: ``--iters 600`` on the first 10,000 training images,
that is six epochs of 100 iterations, so six records, the last near 0.70, and about
0.78 after the last iteration; ``tinynn train`` alone runs the book's 10,000 iterations
on all 60,000 images (17 records, ending near 0.95). This page ran
``python examples/using_the_command_line.py`` with only ``--runs-dir`` given.

Run it with ``python examples/using_the_command_line.py [--runs-dir DIR] [--iters N]``.
"""

# %%
# Train: a new run folder
# -----------------------
# ``tinynn train`` prints the book's ``train acc, test acc`` line at every epoch
# and, at the end, the new folder under ``runs/``. It holds the trained model,
# the history as CSV, the options used as JSON, and figures 4-11 and 4-12.
import argparse
from pathlib import Path

from PIL import Image, ImageDraw

from tinynn.cli import main as tinynn
from tinynn.utils.notebook import command_line

parser = argparse.ArgumentParser(description="run the four subcommands of tinynn")
parser.add_argument("--runs-dir", default="runs", help="where the run folder is made (runs)")
parser.add_argument("--iters", default="600", help="training iterations (600)")
args = parser.parse_args(command_line())  # in a notebook, none: argv is the kernel's


def check(status: int) -> None:
    if status != 0:
        raise SystemExit(f"the command failed with exit status {status}")


check(tinynn(["train", "--iters", args.iters, "--train-size", "10000",
              "--runs-dir", args.runs_dir]))  # fmt: skip
run = max(
    (p for p in Path(args.runs_dir).iterdir() if not p.name.startswith(".")),
    key=lambda p: p.stat().st_mtime,
)

# %%
# Evaluate: what the network gets wrong
# -------------------------------------
# ``tinynn evaluate RUN`` measures the test accuracy, prints precision and recall
# per class, and draws the confusion matrix (rows: the true digit, columns: the
# predicted one) and a grid of misclassified test digits, titled
# ``true -> predicted``.
check(tinynn(["evaluate", str(run)]))

# %%
# Predict: your own digit
# -----------------------
# Here the "handwriting" is a thick line drawn with Pillow on white paper, as a
# photo or a drawing program would give it. ``tinynn predict`` brings it to
# MNIST's conventions (light on dark, cropped, 20x20, centred by its centre of
# mass in 28x28) and prints the three most likely digits. ``--show`` writes the
# 28x28 image the network saw beside the input, enlarged ten times (the last
# picture below: each of its pixels a 10x10 square).
seven = run / "my_seven.png"
picture = Image.new("RGB", (160, 200), "white")
ImageDraw.Draw(picture).line([(30, 30), (130, 30), (70, 175)], fill="black", width=16)
picture.save(seven)
check(tinynn(["predict", str(run), str(seven), "--show"]))

# %%
# Gradcheck: backpropagation against the numerical gradient
# ---------------------------------------------------------
# The book's gradient check (section 5.7.3) on random inputs and a small
# network: one row per parameter. Without ``--random-data`` it uses the first
# three MNIST training images and the book's 784-50-10 network.
check(tinynn(["gradcheck", "--random-data", "--hidden", "5"]))
