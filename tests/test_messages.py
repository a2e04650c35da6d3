"""Error messages as a user reads them: literal text, long lists capped, the same in JSON."""

from __future__ import annotations

import json

import pytest

import cbecopt
from cbecopt.errors import InputError, OptionError, Problem
from helpers import write_instance
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process

BAD_ROWS = 300


def many_bad_quantities(tmp_path):
    """An instance whose demand.csv has 300 rows with 'abc' as the quantity."""
    nodes = "id,kind\nw1,overseas_warehouse\n" + "".join(f"m{k},market\n" for k in range(BAD_ROWS))
    arcs = "origin,destination,unit_cost\n" + "".join(f"w1,m{k},1\n" for k in range(BAD_ROWS))
    demand = "market,quantity\n" + "".join(f"m{k},abc\n" for k in range(BAD_ROWS))
    return write_instance(tmp_path / "x", nodes=nodes, arcs=arcs, demand=demand)


@pytest.mark.unit
def test_a_long_list_shows_the_first_50_and_counts_the_rest(tmp_path):
    with pytest.raises(InputError) as caught:
        cbecopt.load_instance(many_bad_quantities(tmp_path))
    error = caught.value
    assert len(error.problems) == BAD_ROWS
    lines = str(error).splitlines()
    assert lines[0] == "300 problems in the input:"
    assert lines[1] == "  - demand.csv, row 2, column 'quantity': 'abc' is not a number"
    assert sum(line.startswith("  - ") for line in lines) == 50
    assert lines[-2:] == [
        "  and 250 more:",
        "    250 x \"'…' is not a number\" in demand.csv, column 'quantity'",
    ]


@pytest.mark.unit
def test_problems_of_different_kinds_are_counted_apart():
    problems = [Problem("a.csv", f"'{k}' is not a number", k, "q") for k in range(60)]
    problems += [Problem("a.csv", f"{k} is below the minimum 0", k, "q") for k in range(5)]
    text = str(InputError(problems))
    assert "    10 x \"'…' is not a number\" in a.csv, column 'q'" in text
    assert "    5 x \"N is below the minimum N\" in a.csv, column 'q'" in text


@pytest.mark.integration
def test_json_errors_carry_the_first_50_problems_and_the_counts(tmp_path):
    run = run_cbecopt("solve", str(many_bad_quantities(tmp_path)), "--json")
    assert run.returncode == 2
    data = json.loads(run.stdout)
    assert data["status"] == "error" and data["problem_count"] == BAD_ROWS
    assert len(data["problems"]) == 50
    assert data["problems"][0] == {
        "file": "demand.csv",
        "message": "'abc' is not a number",
        "row": 2,
        "column": "quantity",
    }
    assert data["more"] == [
        {"count": 250, "kind": "'…' is not a number", "file": "demand.csv", "column": "quantity"}
    ]


@pytest.mark.integration
def test_bracketed_text_is_printed_literally(tmp_path):
    folder = write_instance(tmp_path / "x", meta="[warehouses]\nmax_open = 2\n")
    run = run_cbecopt("validate", str(folder))
    assert run.returncode == 2
    assert "needs an [instance] section" in run.stderr
    assert "Traceback" not in run.stderr


@pytest.mark.unit
def test_errors_survive_pickling_between_processes():
    import pickle

    error = pickle.loads(pickle.dumps(InputError([Problem("a.csv", "bad", 2, "q")])))
    assert [str(p) for p in error.problems] == ["a.csv, row 2, column 'q': bad"]
    option = pickle.loads(pickle.dumps(OptionError("must be > 0", "n_skus")))
    assert str(option.naming({"n_skus": "--skus"})) == "--skus: must be > 0"
