"""The warehouses families written by label compile to the rows of the position arithmetic.

Multi-source: the numpy-to-highspy reference build of the benchmarks (columns y then x; rows
demand, capacity, linking), written with no modelling layer at all, must be the very model
cbecopt compiles, entry for entry. Single-source: the helper instance's rows by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.reference import build_reference
from scipy import sparse

import cbecopt
from cbecopt.highs import compile_model
from cbecopt.models.warehouses.build import WarehousesConfig, build_warehouses
from cbecopt.models.warehouses.generate import generate_warehouses
from helpers import dense_rows, write_instance

pytestmark = pytest.mark.component


def test_multi_source_rows_are_the_reference_rows_entry_for_entry():
    instance = generate_warehouses(12, 80, seed=3)
    compiled = compile_model(build_warehouses(instance).model)
    highs, _ = build_reference(instance)
    lp = highs.getLp()
    a = lp.a_matrix_
    shape = (lp.num_row_, lp.num_col_)
    reference = (sparse.csc_matrix if a.format_.name == "kColwise" else sparse.csr_matrix)(
        (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)), shape=shape
    ).tocsr()
    ours = sparse.csr_matrix(
        (compiled.row_value, compiled.row_index, compiled.row_start), shape=shape
    )
    for matrix in (reference, ours):
        matrix.sort_indices()  # the order of the entries within a row means nothing
    assert ours.indptr.tolist() == reference.indptr.tolist()
    assert ours.indices.tolist() == reference.indices.tolist()
    assert ours.data.tolist() == reference.data.tolist()
    for ours, reference in (
        (compiled.row_lower, lp.row_lower_),
        (compiled.row_upper, lp.row_upper_),
        (compiled.col_lower, lp.col_lower_),
        (compiled.col_upper, lp.col_upper_),
        (compiled.col_cost, lp.col_cost_),
    ):
        assert ours.tolist() == list(reference)
    assert compiled.integer_columns.tolist() == list(range(12))


def test_single_sourcing_rows_by_hand(tmp_path):
    """Lanes w1-m1, w1-m2, w2-m1, w2-m2 (one mode each); demand m1 30, m2 40."""
    instance = cbecopt.load_instance(write_instance(tmp_path / "x"))
    m = build_warehouses(instance, WarehousesConfig(single_source=True)).model.warehouses
    pairs = [("w1", "m1"), ("w1", "m2"), ("w2", "m1"), ("w2", "m2")]
    # columns: assign z (w1m1, w1m2, w2m1, w2m2)
    assert dense_rows(m.single_assignment) == (
        ["m1", "m2"],
        [[1, 0, 1, 0], [0, 1, 0, 1]],
        [1, 1],
        [1, 1],
    )
    # columns: flow x per lane (same order as the pairs), then z
    keys, dense, lower, upper = dense_rows(m.assignment_flow)
    assert keys == pairs and lower == upper == [0, 0, 0, 0]
    demand = [30, 40, 30, 40]
    assert dense == [
        [float(i == k) for i in range(4)] + [-demand[k] * float(i == k) for i in range(4)]
        for k in range(4)
    ]
    # columns: z, then open y (w1, w2)
    keys, dense, lower, upper = dense_rows(m.assignment_linking)
    assert keys == pairs and upper == [0, 0, 0, 0] and lower == [-np.inf] * 4
    assert dense == [
        [float(i == k) for i in range(4)] + [-float(w == pairs[k][0]) for w in ("w1", "w2")]
        for k in range(4)
    ]
