"""The benchmark runner: one row per case, raw HiGHS options passed through and recorded."""

from __future__ import annotations

import pytest
from benchmarks.__main__ import target_lines
from benchmarks.registry import Case
from benchmarks.runner import COLUMNS, run_cases

pytestmark = pytest.mark.integration


def test_rows_record_status_timings_and_the_highs_options():
    cases = [Case("gen-4x12", "warehouses", "generate:4x12:3")]
    table = run_cases(cases, threads=1, highs_options={"mip_lp_solver": "ipm"})
    assert list(table.columns) == COLUMNS
    row = table.iloc[0]
    assert row["status"] == "optimal", row["status"]
    assert row["highs_options"] == "mip_lp_solver=ipm"
    assert row["build_s"] >= 0 and row["solve_s"] >= 0 and row["variables"] > 0


def test_a_rejected_option_becomes_an_error_row_not_a_crash():
    cases = [Case("gen-4x12", "warehouses", "generate:4x12:3")]
    table = run_cases(cases, threads=1, highs_options={"no_such_option": 1})
    assert table.iloc[0]["status"].startswith("error:")
    assert "no_such_option" in table.iloc[0]["status"]


def test_a_build_case_is_measured_against_its_reference_and_its_targets():
    case = Case("gen-4x12", "warehouses", "generate:4x12:3", reference=True, target_ratio=1e9)
    row = run_cases([case], build_only=True).iloc[0]
    assert row["status"] == "built" and row["reference_counts"] == "same"
    assert row["prepare_s"] >= 0  # the model's data preparation, reported apart from build
    assert row["build_handoff_s"] == pytest.approx(row["build_s"] + row["handoff_s"])
    assert row["overhead_ratio"] == pytest.approx(row["build_handoff_s"] / row["reference_s"])
    assert [line.endswith("met)") for line in target_lines(case, row.to_dict())] == [True]
