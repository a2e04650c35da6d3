"""Files as a person writes them: every broken shape is an error naming file, row and column.

The small instance of ``helpers`` has the optimum 140 by hand: open w2 alone (fixed 40,
30 x 2 + 40 x 1 = 100 of transport); w1 alone costs 50 + 30 + 120 = 200, both 90 + 70 = 160.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import openpyxl
import pytest

import cbecopt
from helpers import ARCS, DEMAND, NODES, has, load_problems, write_instance

HAND_OPTIMUM = 140.0
INSTANCES = Path(__file__).resolve().parents[1] / "instances"


def solve_objective(path) -> float:
    result = cbecopt.solve(cbecopt.load_instance(path))
    assert result.status == cbecopt.Status.OPTIMAL
    return result.objective


@pytest.mark.component
def test_the_small_instance_solves_to_its_hand_optimum(tmp_path):
    assert solve_objective(write_instance(tmp_path / "x")) == pytest.approx(HAND_OPTIMUM)


# --- CSV: fields per line -----------------------------------------------------------------


@pytest.mark.unit
def test_a_line_one_field_short_is_an_error_naming_the_line(tmp_path):
    # w2's fixed cost missing: read as blank it would be 0 and change the answer
    nodes = NODES.replace("w2,overseas_warehouse,80,40", "w2,overseas_warehouse,80")
    found = load_problems(write_instance(tmp_path / "x", nodes=nodes))
    assert has(found, "nodes.csv, row 3:", "has 3 fields, the header has 4")


@pytest.mark.unit
def test_a_line_with_a_field_too_many_is_an_error_naming_the_line(tmp_path):
    arcs = ARCS.replace("w2,m1,2", "w2,m1,2,7")
    found = load_problems(write_instance(tmp_path / "x", arcs=arcs))
    assert has(found, "arcs.csv, row 4:", "has 4 fields, the header has 3")


@pytest.mark.component
def test_a_trailing_comma_on_every_line_is_dropped_with_a_warning(tmp_path, caplog):
    nodes = "".join(line + ",\n" for line in NODES.splitlines())
    folder = write_instance(tmp_path / "x", nodes=nodes)
    with caplog.at_level(logging.WARNING, logger="cbecopt"):
        assert solve_objective(folder) == pytest.approx(HAND_OPTIMUM)
    assert "nodes.csv: column 5 has no header and no values" in caplog.text


@pytest.mark.unit
def test_a_column_without_a_header_but_with_a_value_is_an_error(tmp_path):
    lines = [line + "," for line in NODES.splitlines()]
    lines[3] += "note"
    found = load_problems(write_instance(tmp_path / "x", nodes="\n".join(lines) + "\n"))
    assert has(found, "nodes.csv, row 1:", "column 5 has no header", "row 4")


@pytest.mark.unit
def test_a_repeated_header_is_an_error_naming_both_positions(tmp_path):
    nodes = NODES.replace("id,kind,capacity,fixed_cost", "id,kind,capacity,capacity")
    found = load_problems(write_instance(tmp_path / "x", nodes=nodes))
    assert has(found, "nodes.csv, row 1, column 'capacity'", "column 3 and column 4")


@pytest.mark.unit
def test_rows_are_the_files_line_numbers(tmp_path):
    # blank lines and a quoted name spanning two lines: the bad capacity is on line 8
    nodes = (
        "id,kind,name,capacity,fixed_cost\n"
        "\n"
        'w1,overseas_warehouse,"Los Angeles\nwest coast",100,50\n'
        "\n"
        "w2,overseas_warehouse,,80,40\n"
        "m1,market,,,\n"
        "m2,market,,abc,\n"
    )
    found = load_problems(write_instance(tmp_path / "x", nodes=nodes))
    assert found == ["nodes.csv, row 8, column 'capacity': 'abc' is not a number"]


@pytest.mark.unit
def test_cross_table_rows_keep_the_line_numbers_too(tmp_path):
    arcs = "origin,destination,unit_cost\n\n\nw1,m1,1\nw1,m2,3\nw2,m1,2\nw2,m9,1\n"
    found = load_problems(write_instance(tmp_path / "x", arcs=arcs))
    assert found == ["arcs.csv, row 7, column 'destination': unknown node 'm9' (not in nodes)"]


@pytest.mark.component
def test_blank_lines_do_not_change_the_answer(tmp_path):
    arcs = ARCS.replace("\n", "\n\n")
    demand = "\n" + DEMAND.replace("m1,30\n", "m1,30\n\n\n")
    folder = write_instance(tmp_path / "x", arcs=arcs, demand=demand)
    assert solve_objective(folder) == pytest.approx(HAND_OPTIMUM)


@pytest.mark.component
@pytest.mark.parametrize(
    ("name", "model"), [("contracts_demo", "contracts"), ("suppliers_demo", "suppliers")]
)
def test_blank_lines_in_every_table_change_no_model_answer(tmp_path, name, model):
    # rows then keep their line numbers as index; the models must not read it by position
    folder = shutil.copytree(INSTANCES / name, tmp_path / name)
    for path in folder.glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        spaced = [line + ("\n" if k % 3 == 0 else "") for k, line in enumerate(lines)]
        path.write_text("\n".join(spaced) + "\n", encoding="utf-8")
    spaced, plain = cbecopt.load_instance(folder), cbecopt.load_instance(INSTANCES / name)
    assert not spaced.tables["demand"].index.equals(plain.tables["demand"].index)
    assert cbecopt.solve(spaced, model).objective == pytest.approx(
        cbecopt.solve(plain, model).objective, rel=1e-9
    )


@pytest.mark.unit
def test_a_file_that_is_not_utf8_names_the_line(tmp_path):
    folder = write_instance(tmp_path / "x")
    (folder / "demand.csv").write_bytes(b"market,quantity\nm1,30\nm\xe9,40\n")
    assert has(load_problems(folder), "demand.csv, row 3:", "is not UTF-8")


@pytest.mark.unit
def test_problems_in_several_files_are_reported_together(tmp_path):
    nodes = NODES.replace("m2,market,,", "m2,market,")
    demand = DEMAND.replace("m2,40", "m2,-40")
    found = load_problems(write_instance(tmp_path / "x", nodes=nodes, demand=demand))
    assert has(found, "nodes.csv, row 5:", "has 3 fields")
    assert has(found, "demand.csv, row 3, column 'quantity'", "below the minimum")


# --- workbooks ----------------------------------------------------------------------------


def workbook(path, sheets: dict[str, list[list]]):
    """A workbook with these sheets (rows of cells; ``None`` leaves a cell blank)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(number, column, value)
    book.save(path)
    return path


def csv_rows(text: str) -> list[list]:
    return [[c if c else None for c in line.split(",")] for line in text.splitlines()]


SHEETS = {
    "meta": [["key", "value"], ["instance.name", "w"]],
    "nodes": csv_rows(NODES),
    "arcs": csv_rows(ARCS),
    "demand": csv_rows(DEMAND),
}


@pytest.mark.component
def test_the_workbook_solves_to_the_hand_optimum(tmp_path):
    assert solve_objective(workbook(tmp_path / "w.xlsx", SHEETS)) == pytest.approx(HAND_OPTIMUM)


@pytest.mark.unit
def test_a_formula_without_a_saved_value_is_an_error(tmp_path):
    # openpyxl writes formulas without computing them, like any program but Excel
    arcs = csv_rows(ARCS)
    arcs[2][2] = "=1+2"
    found = load_problems(workbook(tmp_path / "w.xlsx", {**SHEETS, "arcs": arcs}))
    assert has(
        found,
        "w.xlsx, sheet 'arcs', row 3, column 'unit_cost'",
        "cell C3 holds a formula without a saved value",
        "open and save the workbook in Excel, or type the value",
    )


@pytest.mark.unit
def test_a_value_right_of_the_header_is_an_error_naming_the_column_letter(tmp_path):
    nodes = csv_rows(NODES)
    nodes[2] = [*nodes[2], None, "spare"]
    found = load_problems(workbook(tmp_path / "w.xlsx", {**SHEETS, "nodes": nodes}))
    assert has(found, "w.xlsx, sheet 'nodes', row 3, column 'F'", "right of the header's last")


@pytest.mark.unit
def test_workbook_rows_are_excel_row_numbers(tmp_path):
    demand = [[None], ["market", "quantity"], ["m1", 30], [None], [None], ["m2", "lots"]]
    found = load_problems(workbook(tmp_path / "w.xlsx", {**SHEETS, "demand": demand}))
    assert found == ["w.xlsx, sheet 'demand', row 6, column 'quantity': 'lots' is not a number"]


@pytest.mark.component
def test_blank_workbook_rows_do_not_change_the_answer(tmp_path):
    demand = [["market", "quantity"], [None], ["m1", 30], [None], ["m2", 40]]
    path = workbook(tmp_path / "w.xlsx", {**SHEETS, "demand": demand})
    assert solve_objective(path) == pytest.approx(HAND_OPTIMUM)


@pytest.mark.unit
def test_meta_sheet_rows_keys_and_columns(tmp_path):
    meta = [
        [None],
        ["key", "value"],
        ["instance.name", "w"],
        [None, "orphan"],
        ["instance.name", "again"],
    ]
    found = load_problems(workbook(tmp_path / "w.xlsx", {**SHEETS, "meta": meta}))
    assert has(found, "sheet 'meta', row 4, column 'key'", "a value without a key")
    assert has(found, "sheet 'meta', row 5, column 'key'", "set twice: rows 3 and 5")
    meta = [["key", "value", "note"], ["instance.name", "w", "mine"]]
    found = load_problems(workbook(tmp_path / "v.xlsx", {**SHEETS, "meta": meta}))
    assert found == [
        "v.xlsx, sheet 'meta', column 'note': the meta sheet has the columns key and value only"
    ]
