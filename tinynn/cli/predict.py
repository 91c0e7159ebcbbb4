"""``tinynn predict RUN IMAGE...``: what a trained network says about your own digits.

Each digit goes to the network as one image of the shape it takes: 784 values,
or ``(1, 28, 28)`` for a convolutional network.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from ..datasets.handwriting import read_digit
from .common import CliError, display, load_run_model, model_input, probabilities

HELP = "classify pictures of handwritten digits (PNG, JPEG) with a trained run"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "predict",
        help=HELP,
        description=HELP + ". Each picture is brought to MNIST's conventions first: grey, "
        "the paper's uneven light divided out, light digit on dark (a light paper is "
        "inverted), cropped, scaled into 20x20 and centred by its centre of mass in 28x28.",
    )
    p.add_argument("run", metavar="RUN", help="a run folder of tinynn train (or a model .npz)")
    p.add_argument("images", metavar="IMAGE", nargs="+", help="picture(s) of one digit each")
    p.add_argument("--show", action="store_true",
                   help="write the 28x28 image the network sees beside each input, as "
                        f"NAME.mnist.png, each pixel a {PREVIEW_SCALE}x{PREVIEW_SCALE} square "
                        "(so that it is not a dot in a viewer)")  # fmt: skip
    p.add_argument("--invert", choices=("auto", "yes", "no"), default="auto",
                   help="whether the paper is light (auto: guessed from the border)")  # fmt: skip
    p.add_argument("--top", type=int, choices=range(1, 11), default=3, metavar="K",
                   help="how many classes to print (3)")  # fmt: skip
    p.set_defaults(func=run)


#: How many screen pixels wide each of the 28x28 pixels of ``--show``'s picture is.
PREVIEW_SCALE = 10


def _save_preview(digit: np.ndarray[Any, Any], path: Path) -> Path:
    """``NAME.mnist.png``: the 28x28 digit enlarged without blur (each pixel a square)."""
    from PIL import Image

    from ..utils.atomic import atomic_write

    preview = path.with_name(f"{path.stem}.mnist.png")
    pixels = np.round(digit * 255).astype(np.uint8)
    pixels = np.repeat(np.repeat(pixels, PREVIEW_SCALE, axis=0), PREVIEW_SCALE, axis=1)
    with atomic_write(preview) as f:
        Image.fromarray(pixels).save(f, format="PNG")
    return preview


def _problem(exc: OSError | ValueError) -> str:
    """What was wrong with one picture, in one line."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, OSError) and not isinstance(exc, IsADirectoryError) and exc.strerror:
        return exc.strerror[:1].lower() + exc.strerror[1:]  # "permission denied"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def run(args: argparse.Namespace) -> int:
    model, _ = load_run_model(args.run)
    invert = {"auto": None, "yes": True, "no": False}[args.invert]
    failed = 0
    for name in args.images:
        path = Path(name)
        try:
            digit = read_digit(path, invert=invert)
        except ImportError as exc:
            raise CliError(str(exc)) from exc
        except (OSError, ValueError) as exc:  # each picture's trouble on its own line
            print(f"{name}: error: {_problem(exc)}", flush=True)
            failed += 1
            continue
        p = probabilities(model, model_input(model, digit.reshape(1, -1)))[0]
        best = np.argsort(p)[::-1][: args.top]
        ranked = ", ".join(f"{int(k)} ({p[k]:.1%})" for k in best)
        print(f"{name}: {ranked}", flush=True)
        if args.show:
            print(f"  the network saw {display(_save_preview(digit, path))}", flush=True)
    if failed:
        raise CliError(f"{failed} of {len(args.images)} image(s) could not be read")
    return 0
