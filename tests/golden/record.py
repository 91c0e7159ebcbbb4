"""Record the golden gradients: ``python -m tests.golden.record`` (run on the code to keep).

Writes ``tests/golden/gradients.npz``: one array per case and parameter
(``<case>/<param>``), plus ``_machine``, the NumPy version and CPU features that
produced them (a numerical gradient moves by ~1e-12 when a single loss changes in its
last bit, so values are exact only for the build and CPU that recorded them).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .cases import cases
from .machine import fingerprint

FILE = Path(__file__).with_name("gradients.npz")


def main() -> None:
    arrays: dict[str, np.ndarray] = {"_machine": np.array(fingerprint())}
    for name, run in cases():
        for key, g in run().items():
            arrays[f"{name}/{key}"] = np.asarray(g, dtype=np.float64)
    np.savez_compressed(FILE, **arrays)  # type: ignore[arg-type]
    print(f"wrote {len(arrays) - 1} arrays to {FILE}")


if __name__ == "__main__":
    main()
