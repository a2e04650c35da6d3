"""The floor: a model built straight from numpy arrays into highspy, with no modelling layer.

Each reference builds the same rows and columns as the model cbecopt builds from the same
instance (the runner checks the row, column and nonzero counts agree). The model's data
arrays are read before the clock starts, so the time is the array-to-HiGHS floor alone; the
runner reports our whole build + handoff as a ratio to it. :data:`REFERENCES` holds one per
model that has one.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from cbecopt.formulations.warehouses import WarehousesData
from cbecopt.instance import Instance


def build_reference(instance: Instance) -> tuple[highspy.Highs, float]:
    """The multi-source facility location model. Columns: y (binary) then x per lane; rows:
    demand, capacity, linking. Returns (highs, seconds)."""
    d = WarehousesData.from_instance(instance)
    start = time.perf_counter()
    n_w, n_l, n_j = len(d.WAREHOUSES), len(d.LANES), len(d.MARKETS)
    inf = highspy.kHighsInf
    lanes = np.arange(n_l)
    limited = np.flatnonzero(np.isfinite(d.capacity))
    cap_row = np.full(n_w, -1)
    cap_row[limited] = np.arange(len(limited))
    # COO triplets: demand rows 0..n_j-1, capacity rows next, linking rows last.
    rows = [
        d.lane_market,
        n_j + cap_row[d.lane_warehouse][cap_row[d.lane_warehouse] >= 0],
        n_j + np.arange(len(limited)),
        n_j + len(limited) + lanes,
        n_j + len(limited) + lanes,
    ]
    cols = [
        n_w + lanes,
        n_w + lanes[cap_row[d.lane_warehouse] >= 0],
        limited,
        n_w + lanes,
        d.lane_warehouse,
    ]
    vals = [
        np.ones(n_l),
        np.ones(int((cap_row[d.lane_warehouse] >= 0).sum())),
        -d.capacity[limited],
        np.ones(n_l),
        -np.minimum(d.demand[d.lane_market], d.lane_capacity),
    ]
    row, col, val = (np.concatenate(a) for a in (rows, cols, vals))
    order = np.lexsort((col, row))
    n_rows = n_j + len(limited) + n_l
    starts = np.zeros(n_rows + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=starts[1:])
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n_w + n_l, n_rows
    lp.col_cost_ = np.concatenate([d.fixed_cost, d.unit_cost])
    lp.col_lower_ = np.zeros(n_w + n_l)
    lp.col_upper_ = np.concatenate(
        [np.ones(n_w), np.where(np.isfinite(d.lane_capacity), d.lane_capacity, inf)]
    )
    lp.row_lower_ = np.concatenate([d.demand, np.full(len(limited) + n_l, -inf)])
    lp.row_upper_ = np.concatenate([d.demand, np.zeros(len(limited) + n_l)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = starts.astype(np.int32)
    lp.a_matrix_.index_ = col[order].astype(np.int32)
    lp.a_matrix_.value_ = val[order]
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(lp)
    kinds = np.full(n_w, highspy.HighsVarType.kInteger.value, dtype=np.uint8)
    highs.changeColsIntegrality(n_w, np.arange(n_w, dtype=np.int32), kinds)
    return highs, time.perf_counter() - start


REFERENCES = {"warehouses": build_reference}
"""Model key -> its numpy-to-highspy reference build (instance -> (highs, seconds))."""


def counts(highs: highspy.Highs) -> tuple[int, int, int]:
    """Rows, columns and nonzeros of the model ``highs`` holds."""
    lp = highs.getLp()
    return lp.num_row_, lp.num_col_, len(lp.a_matrix_.value_)
