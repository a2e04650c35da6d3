"""The exact cost of a set of open warehouses: the transportation LP over those warehouses
only, solved by HiGHS.

.. math:: \\min \\sum_{i \\in Y} \\sum_j c_{ij} x_{ij} \\quad \\text{s.t.} \\quad
    \\sum_{i \\in Y} x_{ij} = d_j, \\quad \\sum_j x_{ij} \\le s_i, \\quad x \\ge 0

Only lanes out of open warehouses are columns (a tenth of the model's on capa with a dozen of
a hundred warehouses open), so each set is priced in a fraction of a second.
"""

from __future__ import annotations

import highspy
import numpy as np

from cbecopt.cflp.problem import CFLP
from cbecopt.highs import new_highs, use_threads


def transport(p: CFLP, open_: np.ndarray) -> tuple[float, np.ndarray] | None:
    """``(transport cost, flows as an m x n array)`` of the open set ``open_`` (a boolean
    mask), or ``None`` when those warehouses cannot serve every market."""
    rows, cols = np.nonzero(open_[:, None] & np.isfinite(p.cost))
    if p.capacity[open_].sum() < p.demand.sum() - 1e-9 * max(p.demand.sum(), 1.0):
        return None
    n, n_open = len(p.demand), int(open_.sum())
    slot = np.full(len(open_), -1)
    slot[open_] = np.arange(n_open)
    k = len(rows)
    # column-wise: each lane sits in its market's demand row and its warehouse's capacity row
    index = np.empty(2 * k, np.int32)
    index[0::2] = cols
    index[1::2] = n + slot[rows]
    h = new_highs()
    use_threads(h, 1)
    capacity = np.minimum(p.capacity[open_], highspy.kHighsInf)
    h.passModel(
        k,
        n + n_open,
        2 * k,
        highspy.MatrixFormat.kColwise.value,
        highspy.ObjSense.kMinimize.value,
        0.0,
        p.cost[rows, cols],
        np.zeros(k),
        np.full(k, highspy.kHighsInf),
        np.concatenate([p.demand, np.full(n_open, -highspy.kHighsInf)]),
        np.concatenate([p.demand, capacity]),
        np.arange(0, 2 * k, 2, dtype=np.int32),
        index,
        np.ones(2 * k),
        np.zeros(k, np.int32),
    )
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    flows = np.zeros(p.cost.shape)
    flows[rows, cols] = np.asarray(h.getSolution().col_value)
    return float(h.getInfo().objective_function_value), flows
