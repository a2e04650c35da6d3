"""Calendar months (``2027-01``) as the time key, and planning windows (``--start``/``--horizon``).

A calendar instance is numbered from its demand's first month on loading; its results speak
calendar months again; a window cuts the horizon, checked against the independent stocked-
channels model of ``oracles.stocking`` on the window's months alone.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import cbecopt
from cbecopt.errors import InputError, OptionError
from cbecopt.months import (
    label_months,
    month_index,
    month_label,
    month_number,
    number_months,
    shift_label,
)
from oracles.stocking import Sku, Store, cheapest_plan
from routing_helpers import solve_routing
from test_cli import cbecopt_in_process
from test_routing_stocking import tolerance, write_case

CALENDAR = ("2027-11", "2027-12", "2028-01", "2028-02")


@pytest.mark.unit
def test_calendar_months_count_across_the_year_end():
    assert month_index("2028-01") - month_index("2027-12") == 1
    assert month_label(month_index("2027-11") + 3) == "2028-02"
    assert shift_label("2027-03", -4) == "2026-11"
    assert month_number("2028-02", "2027-11") == 4
    assert month_number("3", None) == 3
    with pytest.raises(OptionError, match="numbers its months"):
        month_number("2027-01", None)
    with pytest.raises(OptionError, match="neither a calendar month"):
        month_number("March", "2027-01")


@pytest.mark.unit
def test_labels_become_month_numbers_from_the_demand_s_first_month():
    tables = {
        "demand": pd.DataFrame({"month": ["2028-01", "2027-11", "2027-12"]}),
        "other": pd.DataFrame({"ship_month": ["2027-10", "2028-01"]}),
    }
    fields = {"demand": ("month",), "other": ("ship_month",)}
    out, first, problems = number_months(tables, fields, str)
    assert (first, problems) == ("2027-11", [])
    assert list(out["demand"]["month"]) == ["3", "1", "2"]
    assert list(out["other"]["ship_month"]) == ["0", "3"]
    assert list(tables["demand"]["month"]) == ["2028-01", "2027-11", "2027-12"]  # input kept


@pytest.mark.unit
def test_a_column_mixing_labels_and_numbers_is_named_by_row():
    tables = {"demand": pd.DataFrame({"month": ["2027-01", "2", "2027-03"]})}
    _, _, problems = number_months(tables, {"demand": ("month",)}, lambda t: f"{t}.csv")
    assert [(p.file, p.row, p.column) for p in problems] == [("demand.csv", 3, "month")]
    assert "write it as YYYY-MM" in problems[0].message


@pytest.mark.unit
def test_a_calendar_month_typed_among_month_numbers_is_named_by_row():
    tables = {"demand": pd.DataFrame({"month": ["1", "2", "2027-01", "3"]})}
    out, first, problems = number_months(tables, {"demand": ("month",)}, lambda t: f"{t}.csv")
    assert first is None and list(out["demand"]["month"]) == ["1", "2", "2027-01", "3"]
    assert [(p.row, p.column) for p in problems] == [(4, "month")]
    assert "a calendar month among month numbers" in problems[0].message


@pytest.mark.unit
def test_labels_elsewhere_while_demand_numbers_its_months_is_a_problem():
    tables = {
        "demand": pd.DataFrame({"month": ["1", "2"]}),
        "other": pd.DataFrame({"ship_month": ["2027-10"]}),
    }
    fields = {"demand": ("month",), "other": ("ship_month",)}
    _, first, problems = number_months(tables, fields, lambda t: f"{t}.csv")
    assert first is None
    assert [p.file for p in problems] == ["other.csv"] and "write every month" in problems[
        0
    ].message


@pytest.mark.unit
def test_results_get_their_calendar_months_back():
    table = pd.DataFrame(
        {"month": [1.0, 3.0, None], "ship_month": [0, 2, 14], "quantity": [1, 2, 3]}
    )
    labelled = label_months(table, "2027-11")
    assert list(labelled["month"]) == ["2027-11", "2028-01", None]
    assert list(labelled["ship_month"]) == ["2027-10", "2027-12", "2028-12"]
    assert label_months(table, None) is table


SKU = Sku(demand=(50, 80, 120, 60), holding=2, salvage=10)
BONDED = Store(inbound_cost=5, lead_months=0, last_mile=3, handling=4, fixed=100, volume=0.6)
DOMESTIC = Store(inbound_cost=2, lead_months=1, last_mile=2, handling=3, fixed=50)


def calendar_case(folder):
    """The stocking oracle's case with its four months written as calendar months."""
    write_case(folder, SKU, BONDED, DOMESTIC)
    demand = pd.read_csv(folder / "demand.csv")
    demand["month"] = [CALENDAR[int(m) - 1] for m in demand["month"]]
    demand.to_csv(folder / "demand.csv", index=False)
    return folder


@pytest.mark.component
def test_a_calendar_instance_solves_as_the_numbered_one_and_answers_in_calendar_months(tmp_path):
    numbered = solve_routing(write_case(tmp_path / "n", SKU, BONDED, DOMESTIC))
    instance = cbecopt.load_instance(calendar_case(tmp_path / "c"))
    assert instance.first_month == "2027-11"
    result = cbecopt.solve(instance, "routing", cbecopt.SolveOptions(mip_rel_gap=0))
    assert result.objective == pytest.approx(numbered.objective, rel=1e-9)
    months = set(result.table("channel_mix")["month"])
    assert months <= set(CALENDAR) and "2028-01" in months


@pytest.mark.component
@pytest.mark.parametrize(
    ("start", "horizon", "months"), [("2027-12", 2, (1, 2)), (3, None, (2, 3))]
)
def test_a_window_solves_the_independent_model_of_its_months(tmp_path, start, horizon, months):
    instance = cbecopt.load_instance(calendar_case(tmp_path / "c")).window(start, horizon)
    first = CALENDAR[months[0]]
    assert instance.first_month == first
    plan = cheapest_plan(
        Sku(demand=SKU.demand[months[0] : months[-1] + 1], holding=2, salvage=10), BONDED, DOMESTIC
    )
    result = cbecopt.solve(instance, "routing", cbecopt.SolveOptions(mip_rel_gap=0))
    assert result.objective == pytest.approx(plan.cost, abs=tolerance(SKU))
    assert min(result.table("channel_mix")["month"]) == first


@pytest.mark.unit
def test_a_window_outside_the_demand_is_refused_with_the_months_named(tmp_path):
    instance = cbecopt.load_instance(calendar_case(tmp_path / "c"))
    with pytest.raises(OptionError, match=r"2027-10 is outside the demand's months \(2027-11 to"):
        instance.window("2027-10", 2)
    with pytest.raises(OptionError, match="run to 2028-03, past the demand's last month 2028-02"):
        instance.window("2028-01", 3)


@pytest.mark.unit
def test_a_calendar_instance_is_saved_in_calendar_months(tmp_path):
    instance = cbecopt.load_instance(calendar_case(tmp_path / "c"))
    cbecopt.save_instance(instance, tmp_path / "copy")
    assert set(pd.read_csv(tmp_path / "copy" / "demand.csv")["month"]) == set(CALENDAR)
    assert (
        cbecopt.load_instance(tmp_path / "copy").tables["demand"].equals(instance.tables["demand"])
    )


@pytest.mark.unit
def test_other_calendar_spellings_are_still_refused_with_the_form_to_use(tmp_path):
    folder = calendar_case(tmp_path / "c")
    demand = pd.read_csv(folder / "demand.csv")
    demand["month"] = ["Nov 2027", "Dec 2027", "Jan 2028", "Feb 2028"]
    demand.to_csv(folder / "demand.csv", index=False)
    with pytest.raises(InputError, match=r"write calendar months as YYYY-MM \(2027-01\)"):
        cbecopt.load_instance(folder)


@pytest.mark.integration
def test_the_command_line_solves_a_window_and_refuses_one_past_the_demand(tmp_path):
    folder = calendar_case(tmp_path / "c")
    done = cbecopt_in_process(
        "solve",
        str(folder),
        "--model",
        "routing",
        "--start",
        "2027-12",
        "--horizon",
        "2",
        "--gap",
        "0",
        "--json",
    )
    plan = cheapest_plan(Sku(demand=(80, 120), holding=2, salvage=10), BONDED, DOMESTIC)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["objective"] == pytest.approx(plan.cost, abs=tolerance(SKU))
    refused = cbecopt_in_process(
        "solve", str(folder), "--model", "routing", "--start", "2028-02", "--horizon", "2"
    )
    assert refused.returncode == 2
    assert "horizon: 2 months from 2028-02 run to 2028-03" in refused.stderr
    assert "Traceback" not in refused.stderr
