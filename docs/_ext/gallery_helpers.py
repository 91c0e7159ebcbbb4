"""sphinx-gallery helpers: the examples' command lines, and a scraper for the PNGs they write.

The examples draw with matplotlib's ``Figure`` (no pyplot) and save PNG files,
so sphinx-gallery's pyplot scraper sees nothing: :func:`scrape_pngs` collects the
PNG files an example wrote instead (in its own folder, and in the runs folder
given to ``using_the_command_line.py``), newest last. Each is shown at the width of the
page, one below the other (not side by side as sphinx-gallery lays out several figures
of one block, where a figure of many panels is too small to read), and links to itself
at full size.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from build_time_training import OPTIONS, SHARED_HISTORY

#: Where ``using_the_command_line.py`` makes its run folder during the build (not in the
#: source tree).
RUNS = Path(tempfile.mkdtemp(prefix="tinynn-gallery-runs-"))
_state: dict[str, Any] = {"start": 0.0, "seen": set()}


def reset_argv(gallery_conf: dict[str, Any], script_vars: dict[str, Any]) -> list[str]:
    """The command-line options each example runs with (``sys.argv[1:]``)."""
    name = Path(script_vars["src_file"]).stem
    if name == "train_neuralnet":
        # the short schedule of the other pages' figures, whose history they reuse
        return [*OPTIONS, "--save-history", str(SHARED_HISTORY)]
    if name == "using_the_command_line":
        return ["--runs-dir", str(RUNS)]
    # short settings for the slow ones, so that the build stays quick (each page says so)
    if name == "optimizer_compare_mnist":
        return ["--iters", "200", "--train-size", "10000"]
    if name == "train_spsa":
        return ["--iters", "200", "--out", "train_spsa.png"]
    if name == "train_convnet":  # the book's 20 epochs take minutes: one, on 3000 images
        return ["--epochs", "1", "--train-size", "3000", "--test-size", "2000"]
    if name == "train_deepnet":  # the book's 20 epochs take hours: two, on 3000 images
        return ["--epochs", "2", "--train-size", "3000", "--eval-samples", "500",
                "--test-size", "1000", "--save-model", ""]
    if name == "complex_step_check":
        return ["--models", "10", "--out", "complex_step_check.png"]
    # Chapter 6's experiments (each docstring says so): 7 to 20 s each on a busy machine
    if name == "weight_init_compare":
        return ["--iters", "500", "--train-size", "10000"]
    if name == "batch_norm_test":  # the whole figure 6-19, half the epochs
        return ["--epochs", "10"]
    if name in ("overfit_weight_decay", "overfit_dropout"):
        return ["--epochs", "101", "--test-size", "2000"]
    if name == "hyperparameter_optimization":
        return ["--trials", "30", "--epochs", "30"]
    return []


def note_start(gallery_conf: dict[str, Any], fname: str, when: str = "before") -> None:
    """Called before and after every example: remember when it started."""
    if when == "before":
        _state["start"] = time.time() - 1.0  # file times may be coarser than the clock


def scrape_pngs(block: Any, block_vars: dict[str, Any], gallery_conf: dict[str, Any]) -> str:
    """An image scraper: the PNG files written since the example started, oldest first."""
    folder = Path(block_vars["src_file"]).parent
    stamped = [(p, p.stat().st_mtime_ns) for d in (folder, RUNS) for p in d.rglob("*.png")]
    new = sorted(
        (item for item in stamped
         if item[1] >= _state["start"] * 1e9 and item not in _state["seen"]),
        key=lambda item: item[1],
    )  # fmt: skip
    written = []
    for (png, stamp), target in zip(new, block_vars["image_path_iterator"], strict=False):
        shutil.copyfile(png, target)
        _state["seen"].add((png, stamp))
        written.append(target)
        if png.parent == folder:  # a build product in the source tree: tidy it away
            png.unlink()
    return "".join(_image_rst(path, gallery_conf["src_dir"]) for path in written)


def _image_rst(path: str, src_dir: str) -> str:
    """One figure, as wide as the page allows (or as its own pixels), linked to full size.

    A width makes Sphinx wrap the image in a link to the file itself
    (``html_scaled_image_link``); the theme shrinks a wider one to the page.
    """
    from PIL import Image

    with Image.open(path) as image:
        width = image.width
    rel = Path(path).relative_to(src_dir).as_posix()
    alt = Path(path).stem.removeprefix("sphx_glr_").replace("_", " ")
    options = f"   :alt: {alt}\n   :width: {width}px\n   :class: sphx-glr-single-img\n"
    return f"\n\n.. image:: /{rel}\n{options}\n"
