"""Shared fixtures and the test tiers.

Published benchmark data lives beside the project in ``../shared/benchmarks`` (override with
the environment variable ``CBECOPT_BENCHMARKS``). Where it is absent, the tests that need it
skip with a visible reason, except under ``CI=true``, where its absence is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS_SETTING = "CBECOPT_BENCHMARKS"
DEFAULT_BENCHMARKS = ROOT.parent / "shared" / "benchmarks"


def benchmarks_dir() -> Path:
    return Path(os.environ.get(BENCHMARKS_SETTING, DEFAULT_BENCHMARKS))


@pytest.fixture(scope="session")
def benchmarks() -> Path:
    """The published benchmark folder, or a skip (a failure under CI=true) when it is missing."""
    path = benchmarks_dir()
    if not path.is_dir():
        reason = f"published benchmarks not found at {path} (set {BENCHMARKS_SETTING})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI must have them")
        pytest.skip(reason)
    return path


def known_optima(folder: str, variant: str) -> list[tuple[str, float]]:
    """(instance, optimal value) rows of one benchmark folder's known_optima.csv, or [] if absent."""
    path = benchmarks_dir() / folder / "known_optima.csv"
    if not path.is_file():
        return []
    table = pd.read_csv(path, dtype={"instance": str})
    table = table[table["variant"] == variant]
    return list(zip(table["instance"], table["optimal_value"].astype(float), strict=True))


def matches_published(value: float, published: float) -> bool:
    """Published optima are rounded (OR-Library to 3 decimals): the README's tolerance."""
    return abs(value - published) <= 1e-6 * abs(published) + 0.01


@pytest.fixture
def demo_path() -> Path:
    return ROOT / "instances" / "demo"
