"""How long loading the real MNIST takes: cold, warm, and from the ``.npz`` cache.

Usage::

    TINYNN_DATA=../shared/datasets .venv/bin/python benchmarks/bench_load_mnist.py
    .venv/bin/python benchmarks/bench_load_mnist.py --root /path/to/folder/with/mnist

The user cache is redirected to a temporary folder, so the real cache is neither used nor
written. Each figure is the best of ``--repeat`` runs, with two references measured in the same
run: decompressing the four ``.gz`` files with :mod:`gzip` (the floor for any loader that reads
them) and ``numpy.load`` of the very ``.npz`` the cache wrote (the floor for the cache).

Rows:

- cold: no verification record, no npz: read, gunzip, SHA-256, parse (``cache=False``);
- warm: verification recorded, no npz: read, gunzip, parse (``cache=False``);
- first load writing the npz (once, not repeated);
- npz: from the cache, uint8 as stored (``normalize=False``), SHA-256 re-checked;
- npz + the book's defaults (``normalize=True``) and with ``one_hot_label=True``.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np


def best_of(
    repeat: int, fn: Callable[[], object], before: Callable[[], None] | None = None
) -> float:
    """The shortest wall-clock time of ``repeat`` calls of ``fn`` (``before`` runs untimed)."""
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--root",
        help="folder holding mnist/ or the four files (default: $TINYNN_DATA)",
        default=os.environ.get("TINYNN_DATA"),
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per row (default 5)")
    args = parser.parse_args()
    if not args.root:
        parser.error("give --root or set TINYNN_DATA to a folder holding mnist/")
    root = Path(args.root).expanduser()
    folder = root / "mnist" if (root / "mnist").is_dir() else root
    gz = sorted(folder.glob("*-idx?-ubyte.gz"))
    if len(gz) != 4:
        parser.error(f"expected the four MNIST .gz files in {folder}, found {len(gz)}")

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = tmp
        from tinynn.datasets import MNIST, load_mnist
        from tinynn.datasets.npz_cache import npz_path

        record = Path(tmp) / "tinynn" / "verified.json"
        npz = npz_path(MNIST)

        def load(**kw: object) -> object:
            return load_mnist(root=root, download=False, **kw)  # type: ignore[arg-type]

        def forget() -> None:
            record.unlink(missing_ok=True)
            npz.unlink(missing_ok=True)

        def np_load() -> None:
            with np.load(npz, allow_pickle=False) as z:
                [z[k] for k in z.files]

        r = args.repeat
        rows: list[tuple[str, float]] = []
        gzip_ref = best_of(r, lambda: [gzip.decompress(p.read_bytes()) for p in gz])
        rows.append(("reference: gzip.decompress of the 4 files", gzip_ref))
        rows.append(
            (
                "cold: gunzip + SHA-256 + parse",
                best_of(r, lambda: load(normalize=False, cache=False), forget),
            )
        )
        rows.append(
            (
                "warm: gunzip + parse (verification recorded)",
                best_of(r, lambda: load(normalize=False, cache=False)),
            )
        )
        forget()
        rows.append(
            ("first load, writing the npz (1 run)", best_of(1, lambda: load(normalize=False)))
        )
        npz_ref = best_of(r, np_load)
        rows.append(("reference: np.load of the same npz", npz_ref))
        rows.append(
            ("npz: uint8 (normalize=False), verified", best_of(r, lambda: load(normalize=False)))
        )
        rows.append(("npz: book defaults (normalize=True)", best_of(r, lambda: load())))
        rows.append(
            (
                "npz: normalize=True, one_hot_label=True",
                best_of(r, lambda: load(one_hot_label=True)),
            )
        )
        size = npz.stat().st_size

    print(
        f"MNIST from {folder} (best of {r}; npz {size / 1e6:.1f} MB; "
        f"Python {sys.version.split()[0]}, NumPy {np.__version__})"
    )
    print(f"{'what':<48} {'seconds':>8} {'/ gzip':>7} {'/ np.load':>9}")
    for name, sec in rows:
        print(f"{name:<48} {sec:8.3f} {sec / gzip_ref:7.2f} {sec / npz_ref:9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
