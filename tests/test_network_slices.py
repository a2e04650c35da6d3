"""Slices of the ``network`` model: with one free supplier, no bonded zone, one month and one
scenario, the network is capacitated warehouse location (overseas warehouses opened, parcels
to markets), and reproduces the published OR-Library optima (Beasley's ``capopt``) read
here from the benchmark files, not from cbecopt's reader."""

from __future__ import annotations

import numpy as np
import pytest

from cbecopt.highs import SolveOptions
from cbecopt.models.network import NetworkData, solve_network
from conftest import known_optima, matches_published

SLICE = ("cap41", "cap71", "cap101")
PUBLISHED = {n: v for n, v in known_optima("orlib_cap", "MS-CFLP") if n in SLICE}


def _orlib(path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Capacities, fixed costs, demands and the cost of serving all of customer j from i."""
    numbers = path.read_text().split()
    m, n = int(numbers[0]), int(numbers[1])
    at = 2
    capacity, fixed = [], []
    for _ in range(m):
        capacity.append(float(numbers[at]))
        fixed.append(float(numbers[at + 1]))
        at += 2
    demand, cost = [], []
    for _ in range(n):
        demand.append(float(numbers[at]))
        cost.append([float(x) for x in numbers[at + 1 : at + 1 + m]])
        at += 1 + m
    return np.array(capacity), np.array(fixed), np.array(demand), np.array(cost).T


def _as_network(path) -> NetworkData:
    capacity, fixed, demand, cost = _orlib(path)
    m, n = cost.shape
    total = float(demand.sum())
    return NetworkData(
        skus=("unit",),
        months=1,
        markets=tuple(f"c{j}" for j in range(n)),
        scenario_names=("only",),
        probabilities=np.array([1.0]),
        demand=demand.reshape(1, n, 1, 1),
        suppliers=("source",),
        supplier_fixed=np.zeros(1),
        supplier_capacity=np.array([total]),
        offers=((0, 0),),
        min_order=np.zeros(1),
        counterfeit_rate=np.zeros(1),
        segments=((0, 0.0, total, 0.0),),
        overseas=tuple(f"w{i}" for i in range(m)),
        overseas_fixed=fixed,
        overseas_capacity=capacity,
        overseas_handling=np.zeros(m),
        bonded=(),
        bonded_fixed=np.zeros(0),
        bonded_handling=np.zeros(0),
        first_mile=tuple((0, i, 0.0, 0) for i in range(m)),
        inbound=(),
        release=(),
        parcel=tuple((i, j, cost[i, j] / demand[j], 0.0) for i in range(m) for j in range(n)),
        retail_price=np.zeros(1),
        lost_penalty=np.array([1e6]),
        holding=np.zeros(1),
        counterfeit_penalty=np.zeros(1),
    )


@pytest.mark.integration
@pytest.mark.parametrize("name", SLICE)
def test_warehouse_slice_reproduces_orlib_optimum(benchmarks, name):
    if name not in PUBLISHED:
        pytest.fail(f"no published optimum for {name}")
    d = _as_network(benchmarks / "orlib_cap" / f"{name}.txt")
    _, outcome = solve_network(d, options=SolveOptions(mip_rel_gap=1e-9, threads=1))
    assert matches_published(outcome.objective, PUBLISHED[name]), (outcome.objective, name)
