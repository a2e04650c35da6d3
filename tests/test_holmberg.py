"""Holmberg, Rönnqvist and Yuan single-source CFLP (p1..p71): the published optima.

The split between the default and the slow tier comes from a measured run (HiGHS 1.16, one
thread): the 16 instances below took 3 s or more each; the other 55 took 31 s together.
"""

from __future__ import annotations

import pytest

import cbecopt
from conftest import known_optima, matches_published

SLOW = {
    "p25",
    "p27",
    "p28",
    "p29",
    "p30",
    "p31",
    "p32",
    "p36",
    "p51",
    "p56",
    "p57",
    "p58",
    "p59",
    "p62",
    "p66",
    "p70",
}
ROWS = known_optima("holmberg_sscflp", "SS-CFLP")
FAST = [(n, v) for n, v in ROWS if n not in SLOW]
HEAVY = [(n, v) for n, v in ROWS if n in SLOW]
SLOW_TIME_LIMIT = 900


def _solve(benchmarks, name, time_limit=None):
    instance = cbecopt.load_instance(benchmarks / "holmberg_sscflp" / name, fmt="holmberg")
    assert instance.setting("warehouses", "single_source") is True
    return cbecopt.solve(
        instance,
        "warehouses",
        cbecopt.SolveOptions(mip_rel_gap=1e-9, threads=1, time_limit=time_limit),
    )


@pytest.mark.integration
def test_all_71_are_listed(benchmarks):
    assert len(ROWS) == 71 and len(FAST) == 55


@pytest.mark.integration
@pytest.mark.parametrize(("name", "published"), FAST, ids=[n for n, _ in FAST])
def test_single_source_optimum(benchmarks, name, published):
    result = _solve(benchmarks, name)
    assert result.status == cbecopt.Status.OPTIMAL
    assert matches_published(result.objective, published), (result.objective, published)


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize(("name", "published"), HEAVY, ids=[n for n, _ in HEAVY])
def test_single_source_optimum_heavy(benchmarks, name, published):
    """Proven optimal equals the published value; if the limit stops HiGHS, bound and incumbent bracket it."""
    result = _solve(benchmarks, name, SLOW_TIME_LIMIT)
    assert result.ok, result.status
    if result.status == cbecopt.Status.OPTIMAL:
        assert matches_published(result.objective, published), (result.objective, published)
    else:
        assert result.bound - 0.01 <= published <= result.objective + 0.01
