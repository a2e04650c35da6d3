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

import tiers

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


# --- the test tiers (tests/tiers.py) --------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    tiers.watch_actions()


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """A test without exactly one tier marker makes its module a collection error."""
    report = yield
    problems = tiers.collection_problems(report.result) if report.passed else []
    if problems:
        report.outcome = "failed"
        report.longrepr = "\n".join(problems)
        report.result = []
    return report


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef):
    with tiers.watching_fixture(fixturedef.argname, fixturedef.baseid):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    tiers.start_watching()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A test that passed must carry the tier of what it did."""
    result = yield
    tiers.check_tier(item)
    return result
