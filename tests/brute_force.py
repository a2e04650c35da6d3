"""Brute-force reference solutions for tiny facility location instances.

Written independently of the package's model: multi-source enumerates every set of open
warehouses and solves the remaining transportation LP with HiGHS directly from arrays;
single-source enumerates every assignment of markets to warehouses, with no solver at all.
"""

from __future__ import annotations

import itertools

import highspy
import numpy as np


def multi_source_optimum(fixed, capacity, demand, unit_cost) -> float:
    """min over open sets S of sum f_S + transportation cost from S; inf if nothing is feasible."""
    m, n = unit_cost.shape
    best = np.inf
    for mask in itertools.product((0, 1), repeat=m):
        open_ = np.flatnonzero(mask)
        if capacity[open_].sum() < demand.sum() - 1e-9:
            continue
        value = _transportation(capacity[open_], demand, unit_cost[open_])
        best = min(best, float(np.dot(fixed, mask)) + value)
    return best


def _transportation(capacity, demand, cost) -> float:
    k, n = cost.shape
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = k * n, k + n
    lp.col_cost_ = cost.ravel()
    lp.col_lower_ = np.zeros(k * n)
    lp.col_upper_ = np.full(k * n, highspy.kHighsInf)
    rows_index, starts = [], [0]
    for i in range(k):  # supply rows: sum_j x_ij <= capacity_i
        rows_index += [i * n + j for j in range(n)]
        starts.append(len(rows_index))
    for j in range(n):  # demand rows: sum_i x_ij = demand_j
        rows_index += [i * n + j for i in range(k)]
        starts.append(len(rows_index))
    lp.row_lower_ = np.concatenate([np.full(k, -highspy.kHighsInf), demand])
    lp.row_upper_ = np.concatenate([capacity, demand])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.array(rows_index, dtype=np.int32)
    lp.a_matrix_.value_ = np.ones(len(rows_index))
    highs.passModel(lp)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return np.inf
    return highs.getInfo().objective_function_value


def single_source_optimum(fixed, capacity, demand, unit_cost) -> float:
    """min over assignments a: markets -> warehouses respecting capacity; inf if none is feasible."""
    m, n = unit_cost.shape
    best = np.inf
    for assignment in itertools.product(range(m), repeat=n):
        load = np.bincount(assignment, weights=demand, minlength=m)
        if np.any(load > capacity + 1e-9):
            continue
        used = np.flatnonzero(np.bincount(assignment, minlength=m))
        value = fixed[used].sum() + sum(
            unit_cost[a, j] * demand[j] for j, a in enumerate(assignment)
        )
        best = min(best, value)
    return best
