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


def test_a_method_is_compared_with_the_plain_solve_of_the_same_run():
    import pandas as pd
    from benchmarks.registry import network_methods
    from benchmarks.runner import with_incumbent_ratios

    cases = network_methods(60.0)
    plain = {c.name: c for c in cases if c.method == "extensive_form"}
    warm = [c for c in cases if c.method == "warm_start"]
    assert warm and all(c.versus in plain and c.start == plain[c.versus].start for c in warm)
    assert all(c.time_limit == plain[c.versus].time_limit for c in warm)  # the same limit
    table = pd.DataFrame({"case": [c.name for c in cases], "objective": [100.0, 90.0] * 3})
    table.loc[4, "objective"] = None  # one solve without a plan
    ratios = with_incumbent_ratios(table, cases)["incumbent_ratio"].tolist()
    assert pd.isna(ratios[0]) and ratios[1] == 0.9 and pd.isna(ratios[5])
