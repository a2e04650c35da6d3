"""What-if scenarios (``cbecopt whatif``, :mod:`cbecopt.whatif`): each change syntax parsed and
applied to a copy of the tables, every error named where the user wrote it, and on a tiny
warehouses instance the objectives hand-computed, equal to a plain solve of the base and of a
copy changed on disk, with an infeasible scenario shown as such beside the others."""

from __future__ import annotations

import hashlib
import json
import logging
import math

import pytest

import cbecopt
from cbecopt.schemas import SCHEMAS
from cbecopt.whatif import (
    BASE,
    Change,
    apply_changes,
    key_columns,
    kpi_values,
    parse_changes,
    scenarios_of,
    whatif,
)
from helpers import DEMAND, NODES, write_instance
from test_cli import cbecopt as run_cbecopt
from test_cli import cbecopt_in_process

# The tiny instance of helpers.py: w1 (capacity 100, fixed 50) and w2 (80, 40); markets m1
# (demand 30) and m2 (40); unit costs w1->m1 1, w1->m2 3, w2->m1 2, w2->m2 1. By hand, over
# the three open sets (multi-source, every capacity covers the 70 units):
#   {w1}: 50 + 30*1 + 40*3 = 200;  {w2}: 40 + 30*2 + 40*1 = 140;  {w1,w2}: 90 + 30 + 40 = 160.
BASE_OPTIMUM = 140.0
# m2 + 10 (50 units): {w1} 50+30+150 = 230, {w2} 40+60+50 = 150, both 90+30+50 = 170.
MORE_DEMAND_OPTIMUM = 150.0
# w2's fixed cost * 3 (120): {w1} 200, {w2} 120+100 = 220, both 170+70 = 240.
DEAR_W2_OPTIMUM = 200.0
# w2's capacity 0: only w1 serves, 200 (w2 open for nothing would add 40).
NO_W2_OPTIMUM = 200.0

WHATIF_CSV = """scenario,table,key,field,value
more demand,demand,m2,quantity,+10
dear w2,nodes,w2,fixed_cost,*3
"""

OFFERS_LIKE_ARCS = """origin,destination,mode,unit_cost
w1,m1,air,1
w1,m1,sea,0.5
w1,m2,,3
w2,m1,,2
w2,m2,,1
"""


@pytest.fixture
def tiny(tmp_path):
    return cbecopt.load_instance(write_instance(tmp_path / "tiny"))


def _raises(error, match: str):
    return pytest.raises(error, match=match)


# --- parsing -------------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize(
    "text, operation, value",
    [
        ("nodes:w1:capacity=1000", "set", "1000"),
        ("nodes:w1:name=Venlo hub", "set", "Venlo hub"),
        ("nodes:w1:capacity=", "set", None),
        ("products:SKU07:price=*1.1", "multiply", 1.1),
        ("demand:m1:quantity=+25", "add", 25.0),
        ("demand:m1:quantity=-2.5", "add", -2.5),
        ("nodes:w1:capacity= *0.5 ", "multiply", 0.5),
    ],
)
def test_each_syntax_parses_to_its_operation(text, operation, value):
    (change,) = parse_changes(text)
    assert (change.operation, change.value, change.text) == (operation, value, text.strip())
    assert change.table == text.split(":")[0]


@pytest.mark.unit
def test_several_changes_join_by_semicolons_and_a_key_keeps_its_slashes():
    changes = parse_changes("offers:s1/SKU07:unit_price=*1.1; nodes:*:fixed_cost=+5")
    assert [(c.table, c.key, c.field) for c in changes] == [
        ("offers", "s1/SKU07", "unit_price"),
        ("nodes", "*", "fixed_cost"),
    ]


@pytest.mark.unit
@pytest.mark.parametrize(
    "text, message",
    [
        ("garbage", "'garbage': not TABLE:KEY:FIELD=VALUE"),
        ("nodes:w1=5", "'nodes:w1=5': not TABLE:KEY:FIELD=VALUE"),
        ("nodes::capacity=5", "'nodes::capacity=5': not TABLE:KEY:FIELD=VALUE"),
        ("nodes:w1:capacity=*x", "'nodes:w1:capacity=\\*x': 'x' is not a number"),
        ("nodes:w1:capacity=+", "'nodes:w1:capacity=\\+': '\\+' is not a number"),
        ("nodes:w1:capacity=*nan", "'nan' is not a number"),
        (" ; ", "no change given"),
    ],
)
def test_a_malformed_change_names_the_set_text(text, message):
    with _raises(cbecopt.OptionError, message) as caught:
        parse_changes(text)
    assert caught.value.option == "changes"  # the command line names it --set


# --- applying ------------------------------------------------------------------------------


@pytest.mark.unit
def test_set_multiply_add_and_subtract_change_only_the_named_rows(tiny):
    changed = apply_changes(
        tiny,
        "s",
        parse_changes(
            "nodes:w1:capacity=120; nodes:w2:fixed_cost=*1.5; demand:m1:quantity=+5;"
            "demand:m2:quantity=-15"
        ),
    )
    nodes = changed.tables["nodes"].set_index("id")
    assert nodes.loc["w1", "capacity"] == 120 and nodes.loc["w2", "capacity"] == 80
    assert nodes.loc["w2", "fixed_cost"] == 60 and nodes.loc["w1", "fixed_cost"] == 50
    demand = changed.tables["demand"].set_index("market")["quantity"]
    assert (demand["m1"], demand["m2"]) == (35, 25)
    # the network every model reads sees the change too
    assert changed.network.demand.set_index("market").loc["m2", "quantity"] == 25


@pytest.mark.unit
def test_star_key_changes_every_row_and_the_input_is_untouched(tiny):
    before = {name: table.copy() for name, table in tiny.tables.items()}
    changed = apply_changes(tiny, "s", parse_changes("arcs:*:unit_cost=*2"))
    assert list(changed.tables["arcs"]["unit_cost"]) == [2, 6, 4, 2]
    for name, table in before.items():
        assert tiny.tables[name].equals(table)


@pytest.mark.unit
def test_changes_apply_in_order(tiny):
    changed = apply_changes(tiny, "s", parse_changes("nodes:w1:capacity=10; nodes:w1:capacity=*3"))
    assert changed.tables["nodes"].set_index("id").loc["w1", "capacity"] == 30


@pytest.mark.unit
def test_a_blank_cell_changes_from_its_default_and_unlimited_stays_unlimited(tmp_path):
    nodes = NODES.replace("w2,overseas_warehouse,80,40", "w2,overseas_warehouse,,")
    instance = cbecopt.load_instance(write_instance(tmp_path / "t", nodes=nodes))
    changed = apply_changes(
        instance, "s", parse_changes("nodes:w2:fixed_cost=+7; nodes:w2:capacity=*0.5")
    )
    w2 = changed.tables["nodes"].set_index("id").loc["w2"]
    assert w2["fixed_cost"] == 7  # blank fixed cost is 0
    assert math.isnan(w2["capacity"])  # blank capacity is unlimited, half of it too
    back = apply_changes(changed, "s", parse_changes("nodes:w1:capacity="))
    assert math.isnan(back.tables["nodes"].set_index("id").loc["w1", "capacity"])


@pytest.mark.unit
def test_a_compound_key_names_rows_by_its_columns_in_schema_order(tmp_path):
    instance = cbecopt.load_instance(write_instance(tmp_path / "t", arcs=OFFERS_LIKE_ARCS))
    assert key_columns(SCHEMAS["arcs"]) == ("origin", "destination", "mode")
    changed = apply_changes(instance, "s", parse_changes("arcs:w1/m1/sea:unit_cost=0.25"))
    costs = changed.tables["arcs"]["unit_cost"].tolist()
    assert costs == [1, 0.25, 3, 2, 1]
    # a trailing part left off matches any value when one row is left; '*' matches any
    changed = apply_changes(instance, "s", parse_changes("arcs:w2/m2:unit_cost=9"))
    assert changed.tables["arcs"]["unit_cost"].tolist() == [1, 0.5, 3, 2, 9]
    changed = apply_changes(instance, "s", parse_changes("arcs:w1/m1/*:unit_cost=+1"))
    assert changed.tables["arcs"]["unit_cost"].tolist() == [2, 1.5, 3, 2, 1]
    # a blank part is a blank cell
    changed = apply_changes(instance, "s", parse_changes("arcs:w1/m2/:unit_cost=4"))
    assert changed.tables["arcs"]["unit_cost"].tolist() == [1, 0.5, 4, 2, 1]
    with _raises(cbecopt.OptionError, "'w1/m1' is ambiguous: 2 rows of arcs match"):
        apply_changes(instance, "s", parse_changes("arcs:w1/m1:unit_cost=1"))


@pytest.mark.unit
def test_parts_left_off_are_ambiguous_only_when_the_rows_differ_in_them(tmp_path):
    demand = "market,platform,quantity\nm1,p1,10\nm1,p2,20\nm2,p1,40\n"
    instance = cbecopt.load_instance(write_instance(tmp_path / "t", demand=demand))
    with _raises(cbecopt.OptionError, "key 'm1' is ambiguous: 2 rows of demand match"):
        apply_changes(instance, "s", parse_changes("demand:m1:quantity=+1"))
    # m1/* names both of m1's rows (sku, scenario, month left off: blank in both)
    changed = apply_changes(
        instance, "s", parse_changes("demand:m1/*:quantity=+1; demand:m2:quantity=*2")
    )
    assert changed.tables["demand"]["quantity"].tolist() == [11, 21, 80]


@pytest.mark.unit
@pytest.mark.parametrize(
    "text, message",
    [
        ("nodez:w1:capacity=1", "unknown table 'nodez'; tables: nodes, arcs, demand"),
        ("products:SKU07:price=1", "the instance has no products table; it has nodes, arcs"),
        ("nodes:w9:capacity=1", "no row of nodes has the key 'w9' \\(id\\)"),
        ("nodes:w1:capacty=1", "'capacty' is not a column of nodes; its columns: id, kind"),
        ("nodes:w1:kind=*2", "nodes.kind is text: it can only be set, not changed by a factor"),
        ("nodes:w1:kind=+2", "nodes.kind is text: it can only be set, not changed by an amount"),
        ("nodes:w1:capacity=lots", "'lots' is not a number \\(nodes.capacity is numeric\\)"),
        (
            "arcs:w1/m1/x/y:unit_cost=1",
            "key 'w1/m1/x/y' has 4 parts; the key of arcs is origin/destination/mode",
        ),
        ("demand:m1:std=+1", "demand.std is blank in row 2 of demand.csv and has no default"),
    ],
)
def test_every_bad_change_names_its_set_text(tiny, text, message):
    with _raises(cbecopt.OptionError, f"^changes: '{_escaped(text)}': {message}") as caught:
        apply_changes(tiny, "s", parse_changes(text))
    assert caught.value.option == "changes"


def _escaped(text: str) -> str:
    return "".join("\\" + c if c in "*+.()[]" else c for c in text)


@pytest.mark.unit
def test_a_change_that_breaks_the_data_gets_the_usual_problem_naming_the_scenario(tiny):
    with _raises(cbecopt.InputError, "nodes.csv, row 2, column 'capacity'") as caught:
        apply_changes(tiny, "shrink", parse_changes("nodes:w1:capacity=-150"))
    (problem,) = caught.value.problems  # w1 is the first data row: row 2
    assert problem.message.endswith("(what-if 'shrink')")


@pytest.mark.unit
def test_a_scenario_the_model_cannot_plan_is_refused_before_any_solve_naming_it(tiny):
    """Valid data the model's checks refuse (no warehouse left): the model's problem, naming
    the scenario, before anything is built (a unit test: no solver may run)."""
    changes = {"no warehouses": "nodes:w1:kind=supplier; nodes:w2:kind=supplier"}
    with pytest.raises(cbecopt.InputError) as caught:
        whatif(tiny, "warehouses", changes)
    (problem,) = caught.value.problems
    assert problem.message == (
        "the warehouses model needs at least one node of kind overseas_warehouse "
        "(what-if 'no warehouses')"
    )


@pytest.mark.unit
def test_whatif_table_rows_form_named_scenarios_in_order(tmp_path):
    folder = write_instance(tmp_path / "t")
    (folder / "whatif.csv").write_text(
        WHATIF_CSV + "more demand,nodes,w1,capacity,*2\n", encoding="utf-8"
    )
    instance = cbecopt.load_instance(folder)
    scenarios = scenarios_of(instance, ["nodes:w2:capacity=0"])
    assert list(scenarios) == ["more demand", "dear w2", "nodes:w2:capacity=0"]
    assert list(scenarios_of(instance, "nodes:w2:capacity=0")) == list(scenarios)  # one text
    assert [c.text for c in scenarios["more demand"]] == [
        "demand:m2:quantity=+10",
        "nodes:w1:capacity=*2",
    ]
    assert scenarios["dear w2"][0] == Change(
        "nodes", "w2", "fixed_cost", "multiply", 3.0, "nodes:w2:fixed_cost=*3", "whatif.csv", 3
    )


@pytest.mark.unit
def test_whatif_table_problems_name_file_row_and_column(tmp_path):
    folder = write_instance(tmp_path / "t")
    (folder / "whatif.csv").write_text(
        "scenario,table,key,field,value\n"
        "a,nodes,w1,capacity,*y\n"  # row 2
        ",nodes,w1,capacity,1\n"  # row 3
        "base,nodes,w1,capacity,1\n",  # row 4
        encoding="utf-8",
    )
    with pytest.raises(cbecopt.InputError) as caught:
        scenarios_of(cbecopt.load_instance(folder))
    assert [str(p) for p in caught.value.problems] == [
        "whatif.csv, row 2, column 'value': 'y' is not a number",
        "whatif.csv, row 3, column 'scenario': a scenario name is needed",
        "whatif.csv, row 4, column 'scenario': 'base' names the unchanged instance",
    ]
    (folder / "whatif.csv").write_text(
        "scenario,table,key,field,value\n"
        "a,nodez,w1,capacity,1\n"
        "b,nodes,w9,capacity,1\n"
        "b,nodes,w1,capcity,1\n",
        encoding="utf-8",
    )
    instance = cbecopt.load_instance(folder)
    with pytest.raises(cbecopt.InputError) as caught:
        whatif(instance, "warehouses")  # refused before anything is built
    assert [(p.file, p.row, p.column) for p in caught.value.problems] == [
        ("whatif.csv", 2, "table"),
        ("whatif.csv", 3, "key"),
        ("whatif.csv", 4, "field"),
    ]
    (folder / "whatif.csv").write_text("scenario,table,key,value\n", encoding="utf-8")
    with _raises(cbecopt.InputError, "whatif.csv, column 'field': required column is missing"):
        scenarios_of(cbecopt.load_instance(folder))


@pytest.mark.unit
def test_a_whatif_sheet_of_a_workbook_names_its_sheet_and_row(tmp_path):
    folder = write_instance(tmp_path / "t")
    (folder / "whatif.csv").write_text(WHATIF_CSV + "bad,nodes,w9,capacity,1\n", encoding="utf-8")
    workbook = cbecopt.save_instance(cbecopt.load_instance(folder), tmp_path / "plan.xlsx")
    instance = cbecopt.load_instance(workbook)
    assert list(scenarios_of(instance)) == ["more demand", "dear w2", "bad"]
    with pytest.raises(cbecopt.InputError) as caught:
        whatif(instance, "warehouses")
    assert [str(p) for p in caught.value.problems] == [
        "plan.xlsx, sheet 'whatif', row 4, column 'key': no row of nodes has the key 'w9' (id)"
    ]


@pytest.mark.unit
def test_scenario_names_must_be_new_and_some_scenario_given(tmp_path, tiny):
    with _raises(cbecopt.OptionError, "no scenario: give changes"):
        scenarios_of(tiny, [])
    with _raises(cbecopt.OptionError, "scenario 'base' is the name of the unchanged instance"):
        scenarios_of(tiny, {BASE: "nodes:w1:capacity=1"})
    folder = write_instance(tmp_path / "t")
    (folder / "whatif.csv").write_text(WHATIF_CSV, encoding="utf-8")
    with _raises(cbecopt.OptionError, "scenario 'dear w2' is named twice"):
        scenarios_of(cbecopt.load_instance(folder), {"dear w2": "nodes:w1:capacity=1"})


@pytest.mark.unit
def test_the_whatif_table_is_no_demand_scenario_table_and_no_model_warns_about_it(tmp_path):
    folder = write_instance(tmp_path / "t")
    (folder / "whatif.csv").write_text(WHATIF_CSV, encoding="utf-8")
    report = cbecopt.validate(cbecopt.load_instance(folder), "warehouses")
    assert report.feeds == ["warehouses"]
    assert not [w for w in report.checks["warehouses"].warnings if "whatif" in w]


@pytest.mark.unit
def test_headline_kpis_go_to_one_column_each_whatever_the_model_calls_them():
    network = {"tax_paid": 7.0, "fill_rate": 0.9, "lost_sales": 4.0, "plan_cost": 1.0}
    network["units_by_channel"] = {"bonded": 10.0, "postal": 2.0, "lost": 4.0}
    assert kpi_values(network) == {
        "tax": 7.0,
        "fill_rate": 0.9,
        "lost_sales": 4.0,
        "units[bonded]": 10.0,
        "units[postal]": 2.0,
    }
    routing = {"tax_paid": 5.0, "channel_units": {"cbec_direct": 3.0}}
    assert kpi_values(routing) == {"tax": 5.0, "units[cbec_direct]": 3.0}
    assert kpi_values({"tax": 2.0, "landed_cost": 9.0}) == {"tax": 2.0}  # suppliers
    assert kpi_values({"expected_lost_sales": 1.5}) == {"lost_sales": 1.5}  # contracts
    assert kpi_values({}) == {}


# --- solving -------------------------------------------------------------------------------


@pytest.mark.component
def test_scenario_objectives_are_the_hand_computed_ones_and_those_of_changed_copies(
    tmp_path, caplog
):
    folder = write_instance(tmp_path / "t")
    (folder / "whatif.csv").write_text(WHATIF_CSV, encoding="utf-8")
    instance = cbecopt.load_instance(folder)
    with caplog.at_level(logging.INFO, logger="cbecopt"):
        solved = whatif(
            instance,
            "warehouses",
            {"no w2": "nodes:w2:capacity=0", "nothing open": "nodes:*:capacity=0"},
        )
    rows = solved.table.set_index("scenario")
    assert list(rows.index) == [BASE, "more demand", "dear w2", "no w2", "nothing open"]
    expected = {
        BASE: BASE_OPTIMUM,
        "more demand": MORE_DEMAND_OPTIMUM,
        "dear w2": DEAR_W2_OPTIMUM,
        "no w2": NO_W2_OPTIMUM,
    }
    for name, objective in expected.items():
        assert rows.loc[name, "status"] == "optimal"
        assert rows.loc[name, "objective"] == pytest.approx(objective, abs=1e-6)
        assert rows.loc[name, "change"] == pytest.approx(objective - BASE_OPTIMUM, abs=1e-6)
        assert rows.loc[name, "change_pct"] == pytest.approx(
            (objective - BASE_OPTIMUM) / BASE_OPTIMUM, abs=1e-9
        )
    # the infeasible scenario is shown as such; the others solved all the same
    assert rows.loc["nothing open", "status"] == "infeasible"
    assert math.isnan(rows.loc["nothing open", "objective"])
    assert solved.status == "infeasible"
    # the base row is a plain solve; a scenario that of a copy changed on disk
    plain = cbecopt.solve(cbecopt.load_instance(write_instance(tmp_path / "plain")), "warehouses")
    assert rows.loc[BASE, "objective"] == pytest.approx(plain.objective, abs=1e-9)
    on_disk = write_instance(tmp_path / "more", demand=DEMAND.replace("m2,40", "m2,50"))
    more = cbecopt.solve(cbecopt.load_instance(on_disk), "warehouses")
    assert rows.loc["more demand", "objective"] == pytest.approx(more.objective, abs=1e-9)
    # the KPIs and changes of each row; each solve was a numbered step
    assert rows.loc["dear w2", "fixed_cost"] == pytest.approx(50.0)  # w1 open alone
    assert rows.loc["dear w2", "changes"] == "nodes:w2:fixed_cost=*3"
    steps = [r.getMessage() for r in caplog.records if r.getMessage().startswith("whatif:")]
    assert steps == [
        "whatif: base (1/5)",
        "whatif: more demand (2/5)",
        "whatif: dear w2 (3/5)",
        "whatif: no w2 (4/5)",
        "whatif: nothing open (5/5)",
    ]
    assert set(solved.results) == set(rows.index)


@pytest.mark.unit
def test_a_budget_spent_before_the_solves_claims_no_solution_for_any_row(tiny):
    """The solves share the call's one budget: when it is gone (here by the checks of every
    scenario) no row claims a result, and the whole is ``no_solution``."""
    solved = whatif(
        tiny,
        "warehouses",
        ["nodes:w1:capacity=90", "nodes:w2:capacity=70"],
        cbecopt.SolveOptions(time_limit=1e-3),
    )
    assert list(solved.table["status"]) == ["no_solution"] * 3
    assert solved.table["objective"].isna().all() and solved.table["change"].isna().all()
    assert solved.status == "no_solution"


# --- command line --------------------------------------------------------------------------


def _digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.integration
def test_whatif_json_exit_code_chart_and_untouched_inputs(tmp_path):
    folder = write_instance(tmp_path / "t")
    (folder / "whatif.csv").write_text(WHATIF_CSV, encoding="utf-8")
    before = _digests(folder)
    run = run_cbecopt(
        "whatif", str(folder), "--model", "warehouses",
        "--set", "nodes:w2:capacity=0", "--set", "nodes:*:capacity=0",
        "--name", "no w2", "--name", "nothing open",
        "--json", "--out", str(tmp_path / "out"), "--time-limit", "60",
    )  # fmt: skip
    assert run.returncode == 3, run.stderr  # a scenario without a solution: exit 3
    assert "Traceback" not in run.stderr
    out = json.loads(run.stdout)
    assert out["status"] == "infeasible"
    assert {"status", "objective", "bound", "gap"} <= set(out["base"])
    assert out["base"]["objective"] == pytest.approx(BASE_OPTIMUM)
    assert [s["name"] for s in out["scenarios"]] == [
        "more demand",
        "dear w2",
        "no w2",
        "nothing open",
    ]
    for scenario in out["scenarios"]:
        assert {"name", "status", "objective", "bound", "gap", "changes"} <= set(scenario)
    assert out["scenarios"][2]["changes"] == ["nodes:w2:capacity=0"]
    assert out["scenarios"][2]["change"] == pytest.approx(NO_W2_OPTIMUM - BASE_OPTIMUM)
    assert out["scenarios"][3]["status"] == "infeasible"
    assert out["scenarios"][3]["objective"] is None
    assert set(out["timings"]) >= {"load", "total"}
    assert _digests(folder) == before
    png = (tmp_path / "out" / "whatif.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    assert (tmp_path / "out" / "whatif.csv").read_text().startswith("scenario,status,objective")


@pytest.mark.integration
@pytest.mark.parametrize(
    "args, message",
    [
        (["--set", "nodes:w9:capacity=1"], "error: --set: 'nodes:w9:capacity=1': no row of nodes"),
        (["--set", "nodes:w1:capacity=1", "--name", "a", "--name", "b"], "error: --name: 2 names"),
        ([], "error: --set: no scenario"),
        (["--model", "nope", "--set", "nodes:w1:capacity=1"], "nope"),
        (
            ["--set", "nodes:w1:capacity=1", "--integer-quantities"],
            "--integer-quantities applies to routing / network, not warehouses",
        ),
    ],
)
def test_bad_changes_exit_2_with_one_message_and_write_nothing(tmp_path, args, message):
    folder = write_instance(tmp_path / "t")
    run = cbecopt_in_process("whatif", str(folder), *args, "--out", str(tmp_path / "out"))
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.integration
def test_the_table_prints_each_change_as_written(tmp_path):
    """User text prints as it is: ``:key:`` in a change is no emoji code, ``[b]`` no markup."""
    folder = write_instance(tmp_path / "t")
    change = "nodes:w1:name=[b]Hub:key:1"
    run = cbecopt_in_process("whatif", str(folder), "--set", change)
    assert run.returncode == 0, run.stderr
    assert change in run.stdout  # the scenario's name: its changes column is left out
    assert "changes" not in run.stdout
