"""What makes floating-point results repeatable: the NumPy build and the CPU's features."""

from __future__ import annotations

import numpy as np


def fingerprint() -> str:
    """NumPy's version and the SIMD features its kernels dispatch on, as one string."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # NumPy < 2
        from numpy.core._multiarray_umath import (  # type: ignore[no-redef]
            __cpu_features__ as features,
        )
    on = ",".join(sorted(k for k, v in features.items() if v))
    return f"numpy {np.__version__}; {on}"
