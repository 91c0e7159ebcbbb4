"""Every gradient is what it was before the per-layer rules moved (issue 15).

``tests/golden/gradients.npz`` was recorded by ``python -m tests.golden.record`` on the code
before the redesign: every estimator (NumericalDiff in all three schemes, loop and
structured, one and three workers, two steps; ComplexStep; Backprop; SPSA) on SimpleNet,
TwoLayerNet (also 784 inputs) and a Relu-Sigmoid stack, on MNIST-like sparse and on dense
inputs, with class, one-hot and soft targets. Here each case is computed again.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.golden.cases import cases
from tests.golden.machine import fingerprint
from tests.golden.record import FILE

GOLDEN = np.load(FILE, allow_pickle=False)
SAME_MACHINE = str(GOLDEN["_machine"]) == fingerprint()
CASES = dict(cases())


def test_every_recorded_case_is_still_computed() -> None:
    recorded = {name.rsplit("/", 1)[0] for name in GOLDEN.files if name != "_machine"}
    assert recorded == set(CASES)
    assert len(CASES) > 100


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_the_recording(name: str) -> None:
    grads = CASES[name]()
    recorded = {k.rsplit("/", 1)[1]: GOLDEN[k] for k in GOLDEN.files if k.startswith(name + "/")}
    assert sorted(grads) == sorted(recorded)
    for key, g in grads.items():
        assert g.shape == recorded[key].shape, key
        err = np.abs(g - recorded[key])
        if SAME_MACHINE:  # the build and CPU that recorded them: the same numbers
            assert float(err.max()) <= 1e-13, f"{name}/{key}: {err.max():.3g}"
        else:  # another NumPy build or CPU rounds exp and sums differently, in the last bits
            scale = np.maximum(1.0, np.abs(recorded[key]))
            assert float((err / scale).max()) <= 1e-9, f"{name}/{key}: {err.max():.3g}"
