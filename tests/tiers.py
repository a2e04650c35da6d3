"""The test tiers: each test carries exactly one of unit, component, integration, and the one
that says what it does.

- ``unit``: one function or class alone, in this process: no Pyomo model built, no HiGHS run,
  no command line, no other process.
- ``component``: one model (or the pipeline behind one ``cbecopt.solve``) on small data, in
  this process: it builds a Pyomo model or runs HiGHS, but starts no process and no command.
- ``integration``: it runs the command line (in process or as a program), starts another
  process (a worker pool, a benchmark case), or reads the published benchmarks.

A test with none or several tier markers is a collection error naming it. While a test runs,
what it does is watched (:data:`ACTIONS`, fixtures included, a module or session fixture for
every test that uses it); a test that passes but did more than its tier allows fails, naming
the tier it belongs to, and so does an unparametrized one that did less. A parametrized test
carries the tier of its most demanding case (a broken input refused while loading stops
before the solver another case reaches), so only the upper bound holds for each case. The
markers cannot drift from the tests as the code changes.
"""

from __future__ import annotations

import functools
import multiprocessing.process
import subprocess
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import highspy
import pyomo.environ as pyo
import pytest
from typer.testing import CliRunner

TIERS = ("unit", "component", "integration")

READ_BENCHMARKS = "read the published benchmarks"
ACTIONS = {
    "built a Pyomo model": "component",
    "ran HiGHS": "component",
    "ran the command line": "integration",
    "started a process": "integration",
    READ_BENCHMARKS: "integration",
}
"""What a test can be seen doing, and the lowest tier that may do it."""
BENCHMARKS_FIXTURE = "benchmarks"  # conftest.py: the published benchmark folder

_seen: set[str] = set()
_fixture_actions: dict[tuple[str, str], set[str]] = {}


def tiers_of(item: pytest.Item) -> list[str]:
    """The tier markers on ``item``, from its module, class, function and parameters."""
    return [mark.name for mark in item.iter_markers() if mark.name in TIERS]


def marker_problem(item: pytest.Item) -> str | None:
    """Why ``item``'s tier markers are wrong, or None when it carries exactly one."""
    tiers = tiers_of(item)
    if len(tiers) == 1:
        return None
    found = ", ".join(tiers) if tiers else "none"
    return f"{item.nodeid}: needs exactly one tier marker of {', '.join(TIERS)}, has {found}"


def collection_problems(results: Iterable[object]) -> list[str]:
    """The marker problems of the test items among a collector's results."""
    items = (result for result in results if isinstance(result, pytest.Item))
    return [problem for item in items if (problem := marker_problem(item)) is not None]


def _watch(owner: object, name: str, action: str) -> None:
    """Wrap ``owner.name`` so that each call records ``action`` before doing what it did."""
    original: Callable = getattr(owner, name)

    @functools.wraps(original)
    def watched(*args, **kwargs):
        _seen.add(action)
        return original(*args, **kwargs)

    setattr(owner, name, watched)


def watch_actions() -> None:
    """Install the watches, once per test process."""
    _watch(pyo.ConcreteModel, "__init__", "built a Pyomo model")
    _watch(highspy.Highs, "run", "ran HiGHS")
    _watch(CliRunner, "invoke", "ran the command line")
    _watch(subprocess.Popen, "__init__", "started a process")
    _watch(multiprocessing.process.BaseProcess, "start", "started a process")


def start_watching() -> None:
    """Forget what the previous test did."""
    _seen.clear()


@contextmanager
def watching_fixture(argname: str, baseid: str) -> Iterator[None]:
    """Remember what setting up a fixture did: a fixture set up once for a module or session
    acts for every test that uses it, not only the first."""
    before = set(_seen)
    _seen.clear()
    try:
        yield
    finally:
        _fixture_actions.setdefault((argname, baseid), set()).update(_seen)
        _seen.update(before)


def _fixtures_actions(item: pytest.Item) -> set[str]:
    """What the fixtures ``item`` uses did when they were set up (the fixture visible to the
    test is the one defined closest to it, the longest ``baseid`` its node id starts with)."""
    actions = {READ_BENCHMARKS} if BENCHMARKS_FIXTURE in item.fixturenames else set()
    for name in item.fixturenames:
        visible = [
            (len(baseid), found)
            for (argname, baseid), found in _fixture_actions.items()
            if argname == name and item.nodeid.startswith(baseid)
        ]
        if visible:
            actions |= max(visible, key=lambda pair: pair[0])[1]
    return actions


def tier_for(actions: set[str]) -> str:
    """The tier a test doing ``actions`` belongs to: the highest any of them calls for."""
    return max((ACTIONS[action] for action in actions), key=TIERS.index, default="unit")


def check_tier(item: pytest.Item) -> None:
    """Fail ``item`` when it did more than its tier allows or, unless parametrized, less than
    its tier is for."""
    actions = _seen | _fixtures_actions(item)
    [marked] = tiers_of(item)
    needed = tier_for(actions)
    too_low = TIERS.index(marked) < TIERS.index(needed)
    too_high = TIERS.index(marked) > TIERS.index(needed) and not hasattr(item, "callspec")
    if too_low or too_high:
        did = ", ".join(sorted(actions)) if actions else "did none of: " + ", ".join(ACTIONS)
        pytest.fail(
            f"{item.nodeid} is marked {marked} but belongs to {needed}: it {did} "
            "(tiers: tests/tiers.py)",
            pytrace=False,
        )
