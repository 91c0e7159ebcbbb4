"""Shared fixtures and hypothesis settings."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import settings

# the data-set tests' fixtures (cache, arrays, spec) live with their helpers
pytest_plugins = ["tests._idx_fixtures"]

# CI draws the same examples every run (a gate must not flip on a lucky draw); local runs
# draw new ones, so properties keep being explored
settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: tests are reproducible."""
    return np.random.default_rng(12345)
