"""Outputs appear whole or not at all."""

from __future__ import annotations

import pytest

from cbecopt.atomic import atomic_directory, atomic_file

pytestmark = pytest.mark.unit


def test_a_crash_leaves_the_previous_result_and_no_temporaries(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as folder:
        (folder / "result.json").write_text("first")
    with pytest.raises(RuntimeError), atomic_directory(target) as folder:
        (folder / "result.json").write_text("half")
        raise RuntimeError("crash while writing")
    assert (target / "result.json").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_new_result_replaces_the_old_one_whole(tmp_path):
    target = tmp_path / "out"
    with atomic_directory(target) as folder:
        (folder / "a.csv").write_text("old")
    with atomic_directory(target) as folder:
        (folder / "b.csv").write_text("new")
    assert [p.name for p in target.iterdir()] == ["b.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_atomic_file(tmp_path):
    target = tmp_path / "book.xlsx"
    with pytest.raises(ValueError), atomic_file(target) as staging:
        staging.write_text("partial")
        raise ValueError
    assert list(tmp_path.iterdir()) == []
    with atomic_file(target) as staging:
        staging.write_text("whole")
    assert target.read_text() == "whole" and len(list(tmp_path.iterdir())) == 1


def test_a_table_longer_than_a_sheet_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    import pandas as pd

    from cbecopt import results
    from cbecopt.errors import OptionError

    monkeypatch.setattr(results, "EXCEL_MAX_ROWS", 3)  # header + 2 rows per sheet
    result = results.Result("warehouses", "t", results.Status.OPTIMAL)
    result.tables["flows"] = pd.DataFrame({"quantity": [1.0, 2.0, 3.0]})
    with pytest.raises(OptionError, match="flows"):
        result.to_workbook(tmp_path / "plan.xlsx")
    assert list(tmp_path.iterdir()) == []
    result.tables["flows"] = result.tables["flows"].head(2)
    result.to_workbook(tmp_path / "plan.xlsx")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]
