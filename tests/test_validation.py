"""Bad input: every problem is reported at once, naming file, row and column."""

from __future__ import annotations

import pytest

import cbecopt
from helpers import ARCS, DEMAND, NODES, write_instance


def problems_of(path, **kwargs) -> list[cbecopt.Problem]:
    with pytest.raises(cbecopt.InputError) as caught:
        cbecopt.load_instance(path, **kwargs)
    return caught.value.problems


def has(problems, file, row, column, text) -> bool:
    return any(
        p.file == file and p.row == row and p.column == column and text in p.message
        for p in problems
    )


@pytest.mark.unit
def test_a_valid_instance_loads(tmp_path):
    instance = cbecopt.load_instance(write_instance(tmp_path / "ok"))
    assert instance.graph.number_of_nodes() == 4
    assert instance.graph.nodes["m2"]["demand"] == 40


@pytest.mark.unit
def test_missing_table_and_missing_meta(tmp_path):
    folder = write_instance(tmp_path / "x", demand=None)
    assert has(problems_of(folder), "demand.csv", None, None, "missing")
    (folder / "instance.toml").unlink()
    assert has(problems_of(folder), "instance.toml", None, None, "missing")


@pytest.mark.unit
def test_missing_column(tmp_path):
    folder = write_instance(tmp_path / "x", arcs=ARCS.replace("unit_cost", "cost"))
    assert has(problems_of(folder), "arcs.csv", None, "unit_cost", "required column is missing")


@pytest.mark.unit
def test_every_problem_is_reported_at_once(tmp_path):
    nodes = NODES + "w1,overseas_warehouse,abc,-5\nm9,planet,,\n"
    folder = write_instance(tmp_path / "x", nodes=nodes)
    found = problems_of(folder)
    assert has(found, "nodes.csv", 6, "id", "appears more than once")
    assert has(found, "nodes.csv", 6, "capacity", "'abc' is not a number")
    assert has(found, "nodes.csv", 6, "fixed_cost", "below the minimum 0")
    assert has(found, "nodes.csv", 7, "kind", "'planet' is not one of")
    assert len(found) >= 4


@pytest.mark.unit
def test_unknown_nodes_and_wrong_kinds(tmp_path):
    arcs = ARCS + "w1,m7,1\nw9,m1,2\n"
    demand = DEMAND + "w1,5\nm8,5\n"
    found = problems_of(write_instance(tmp_path / "x", arcs=arcs, demand=demand))
    assert has(found, "arcs.csv", 6, "destination", "unknown node 'm7'")
    assert has(found, "arcs.csv", 7, "origin", "unknown node 'w9'")
    assert has(found, "demand.csv", 4, "market", "is of kind 'overseas_warehouse', not 'market'")
    assert has(found, "demand.csv", 5, "market", "unknown node 'm8'")


@pytest.mark.unit
@pytest.mark.parametrize("bad", ["nan", "inf", "-inf", "1e400"])
def test_nan_and_infinity_are_rejected(tmp_path, bad):
    demand = DEMAND.replace("m2,40", f"m2,{bad}")
    found = problems_of(write_instance(tmp_path / "x", demand=demand))
    assert any(p.file == "demand.csv" and p.row == 3 and p.column == "quantity" for p in found), (
        found
    )


@pytest.mark.unit
def test_negative_numbers_and_blank_required_values(tmp_path):
    arcs = ARCS.replace("w1,m2,3", "w1,m2,-3").replace("w2,m1,2", "w2,m1,")
    found = problems_of(write_instance(tmp_path / "x", arcs=arcs))
    assert has(found, "arcs.csv", 3, "unit_cost", "below the minimum")
    assert has(found, "arcs.csv", 4, "unit_cost", "value is missing")


@pytest.mark.unit
def test_empty_table_and_duplicate_lane(tmp_path):
    found = problems_of(write_instance(tmp_path / "x", demand="market,quantity\n"))
    assert has(found, "demand.csv", None, None, "no data rows")
    found = problems_of(write_instance(tmp_path / "y", arcs=ARCS + "w1,m1,9\n"))
    assert has(found, "arcs.csv", 6, None, "duplicate row")


@pytest.mark.component
def test_unknown_columns_are_kept_and_unicode_ids_work(tmp_path):
    nodes = (
        "id,kind,capacity,fixed_cost,备注\n"
        "w1,overseas_warehouse,100,50,\nw2,overseas_warehouse,80,40,\n"
        "广东,market,,,省会广州\nm2,market,,,\n"
    )
    arcs = ARCS.replace("m1", "广东")
    demand = DEMAND.replace("m1", "广东")
    instance = cbecopt.load_instance(
        write_instance(tmp_path / "x", nodes=nodes, arcs=arcs, demand=demand)
    )
    assert "备注" in instance.tables["nodes"].columns
    assert instance.graph.nodes["广东"]["demand"] == 30
    result = cbecopt.solve(instance)
    assert result.status == cbecopt.Status.OPTIMAL


@pytest.mark.unit
def test_workbook_without_sheets(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "nodes"
    path = tmp_path / "bad.xlsx"
    book.save(path)
    found = problems_of(path)
    assert has(found, "bad.xlsx", None, None, "no 'meta' sheet")
    book.create_sheet("meta").append(["key", "value"])
    book["meta"].append(["instance.name", "w"])
    book.save(path)
    found = problems_of(path)
    assert has(found, "bad.xlsx, sheet 'demand'", None, None, "missing")


@pytest.mark.unit
def test_arcs_are_optional_for_the_instance_but_needed_by_warehouses(tmp_path):
    instance = cbecopt.load_instance(write_instance(tmp_path / "x", arcs=None))
    with pytest.raises(cbecopt.InputError, match="arcs.csv: missing: the warehouses model needs"):
        cbecopt.solve(instance, "warehouses")


@pytest.mark.integration
def test_truncated_benchmark_files(tmp_path, benchmarks):
    source = (benchmarks / "orlib_cap" / "cap41.txt").read_text()
    cut = tmp_path / "cap41.txt"
    cut.write_text(source[: len(source) // 2])
    assert any(
        "truncated" in p.message and p.file == "cap41.txt"
        for p in problems_of(cut, fmt="orlib-cap")
    )
    source = (benchmarks / "holmberg_sscflp" / "p1").read_bytes()
    cut = tmp_path / "p1"
    cut.write_bytes(source[: len(source) // 3])
    assert any("truncated" in p.message for p in problems_of(cut, fmt="holmberg"))
    cut.write_text("3 x\n")
    assert any("two whole numbers" in p.message for p in problems_of(cut, fmt="holmberg"))


@pytest.mark.component
def test_inputs_are_never_modified(tmp_path):
    folder = write_instance(tmp_path / "x")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    instance = cbecopt.load_instance(folder)
    cbecopt.solve(instance)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
