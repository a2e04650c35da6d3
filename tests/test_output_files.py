"""Outputs through the API: only cbecopt's files are touched, and a result appears whole.

The expected manifests are SHA-256 sums computed here with hashlib from the bytes on disk;
the expected folder contents are the files each test puts there by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import cbecopt
from cbecopt import outputs
from cbecopt.outputs import OutputRefused
from cbecopt.results import Result, Status, read_result
from helpers import write_instance


def result(objective: float, **tables: list[float]) -> Result:
    """A result with one-column tables, by hand."""
    made = Result("warehouses", "t", Status.OPTIMAL, "Optimal", objective, objective, 0.0)
    made.tables = {name: pd.DataFrame({"quantity": values}) for name, values in tables.items()}
    return made


def tree(folder) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


def sha256(path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def foreign(folder):
    """A user's folder: a note and a subfolder with a file named like one of ours."""
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_bytes(b"my notes\n")
    (folder / "sub" / "flows.csv").write_bytes(b"not cbecopt's\n")
    return tree(folder)


def dead_pid() -> int:
    """The id of a process that has ended."""
    child = subprocess.Popen([sys.executable, "-c", ""])
    child.wait()
    return child.pid


@pytest.mark.unit
def test_to_dir_keeps_foreign_files_and_lists_its_own_with_their_sha256(tmp_path):
    out = tmp_path / "out"
    before = foreign(out)
    result(5.0, open=[1.0], flows=[2.0, 3.0]).to_dir(out)
    assert {k: v for k, v in tree(out).items() if k in before} == before
    assert set(os.listdir(out)) == {"notes.txt", "sub", "result.json", "open.csv", "flows.csv"}
    saved = json.loads((out / "result.json").read_text())
    assert saved["manifest"]["files"] == {
        "open.csv": sha256(out / "open.csv"),
        "flows.csv": sha256(out / "flows.csv"),
    }
    assert saved["objective"] == 5.0


@pytest.mark.unit
def test_a_rerun_replaces_exactly_the_earlier_result(tmp_path):
    out = tmp_path / "out"
    before = foreign(out)
    result(1.0, open=[1.0], flows=[1.0], extra=[1.0]).to_dir(out)
    result(2.0, open=[7.0], flows=[8.0]).to_dir(out)
    assert set(os.listdir(out)) == {"notes.txt", "sub", "result.json", "open.csv", "flows.csv"}
    assert {k: v for k, v in tree(out).items() if k in before} == before
    assert (out / "open.csv").read_text() == "quantity\n7.0\n"
    assert json.loads((out / "result.json").read_text())["objective"] == 2.0


def changed_open(out):
    result(1.0, open=[1.0]).to_dir(out)
    (out / "open.csv").write_text("quantity\n99\n")  # a planner's edit


def folder_named_open(out):
    (out / "open.csv").mkdir()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("arrange", "named"),
    [
        (lambda out: (out / "flows.csv").write_text("mine\n"), "flows.csv: not written"),
        (lambda out: (out / "result.json").write_text("{}\n"), "result.json: not written"),
        (changed_open, "open.csv: changed since"),
        (folder_named_open, "open.csv: not written"),
    ],
)
def test_a_file_cbecopt_did_not_write_is_never_replaced(tmp_path, arrange, named):
    out = tmp_path / "out"
    out.mkdir()
    arrange(out)
    before = tree(out)
    with pytest.raises(OutputRefused, match=named):
        result(2.0, open=[2.0], flows=[2.0]).to_dir(out)
    assert tree(out) == before


@pytest.mark.unit
def test_a_manifest_naming_files_outside_the_folder_is_not_cbecopts(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    out = tmp_path / "out"
    out.mkdir()
    manifest = {"files": {"../victim.txt": sha256(victim)}}
    (out / "result.json").write_text(json.dumps({"manifest": manifest}))
    with pytest.raises(OutputRefused, match="result.json: not written"):
        result(1.0, open=[1.0]).to_dir(out)
    assert victim.read_text() == "keep me\n"


@pytest.mark.unit
def test_a_failed_or_interrupted_write_leaves_the_previous_result_and_no_temporaries(tmp_path):
    out = tmp_path / "out"
    result(1.0, open=[1.0], flows=[1.0]).to_dir(out)
    before = tree(out)

    def fail_with(error):
        def write(path):
            path.write_text("half")
            raise error

        return write

    for error in (OSError(28, "No space left on device"), KeyboardInterrupt()):
        files = {
            "open.csv": outputs.csv_file(pd.DataFrame({"q": [2]})),
            "flows.csv": fail_with(error),
        }
        with pytest.raises(type(error)):
            outputs.write_folder(out, files, outputs.RESULT_FILE, {"objective": 2.0})
        assert tree(out) == before


@pytest.mark.unit
def test_read_result_gives_back_result_json_and_the_tables(tmp_path):
    written = result(3.5, open=[1.0, 2.0], flows=[0.5])
    written.tables["nothing"] = pd.DataFrame()
    written.to_dir(tmp_path / "out")
    saved = read_result(tmp_path / "out")
    assert saved.data == json.loads(json.dumps(written.to_dict()))
    assert set(saved.tables) == {"open", "flows", "nothing"}
    assert saved.tables["open"]["quantity"].tolist() == [1.0, 2.0]
    assert saved.tables["nothing"].empty


@pytest.mark.unit
def test_read_result_refuses_a_folder_without_a_result_or_with_a_changed_file(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(cbecopt.InputError, match="holds no cbecopt result"):
        read_result(tmp_path / "plain")
    result(1.0, open=[1.0]).to_dir(tmp_path / "out")
    (tmp_path / "out" / "open.csv").write_text("quantity\n2.0\n")
    with pytest.raises(cbecopt.InputError, match="open.csv: changed or removed"):
        read_result(tmp_path / "out")


@pytest.mark.integration
@pytest.mark.parametrize("renamed_before_the_kill", [0, 1, 2])
def test_a_journal_left_by_a_killed_run_is_completed_by_the_next_reader(
    tmp_path, renamed_before_the_kill
):
    """The state a run killed after its commit leaves, built by hand as the module documents
    it: the new files under temporary names of a dead process, and the journal."""
    out, scratch = tmp_path / "out", tmp_path / "scratch"
    before = foreign(out)
    result(1.0, open=[1.0], flows=[1.0]).to_dir(out)
    result(2.0, open=[2.0], markets=[2.0]).to_dir(scratch)
    pid = dead_pid()
    renames = []
    for i, name in enumerate(["open.csv", "markets.csv", "result.json"]):
        temporary = f".cbecopt-{pid}-{i:04x}-{name}.tmp"
        shutil.copy(scratch / name, out / (name if i < renamed_before_the_kill else temporary))
        renames.append([temporary, name])
    (out / ".cbecopt-journal.json").write_text(
        json.dumps({"renames": renames, "removals": ["flows.csv"]})
    )
    (out / f".cbecopt-{pid}-beef-open.csv.tmp").write_text("a temporary never committed")
    saved = read_result(out)
    assert saved.data["objective"] == 2.0 and set(saved.tables) == {"open", "markets"}
    assert tree(out) == {**before, **{n: (scratch / n).read_bytes() for n in os.listdir(scratch)}}


@pytest.mark.unit
def test_temporaries_of_a_running_process_are_left_alone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    running = out / f".cbecopt-{os.getpid()}-abcd-open.csv.tmp"
    running.write_text("being written")
    result(1.0, open=[1.0]).to_dir(out)
    assert running.read_text() == "being written"


@pytest.mark.unit
def test_a_journal_cbecopt_did_not_write_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".cbecopt-journal.json").write_text(
        json.dumps({"renames": [["notes.txt", "../x"]], "removals": []})
    )
    with pytest.raises(OutputRefused, match="not a journal cbecopt can complete"):
        result(1.0, open=[1.0]).to_dir(out)


@pytest.mark.unit
def test_files_and_folders_follow_the_umask(tmp_path):
    umask = os.umask(0o022)
    try:
        result(1.0, open=[1.0]).to_dir(tmp_path / "a" / "b")
        result(1.0, open=[1.0]).to_workbook(tmp_path / "c" / "plan.xlsx")
        os.umask(0o007)
        result(1.0, open=[1.0]).to_dir(tmp_path / "d")
    finally:
        os.umask(umask)
    modes = {str(p.relative_to(tmp_path)): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*")}
    assert modes == {
        "a": 0o755,
        "a/b": 0o755,
        "a/b/result.json": 0o644,
        "a/b/open.csv": 0o644,
        "c": 0o755,
        "c/plan.xlsx": 0o644,
        "d": 0o770,
        "d/result.json": 0o660,
        "d/open.csv": 0o660,
    }


@pytest.mark.unit
def test_a_workbook_is_replaced_only_when_cbecopt_wrote_it_and_it_did_not_change(tmp_path):
    plan = tmp_path / "plan.xlsx"
    result(1.0, open=[1.0]).to_workbook(plan)
    result(2.0, open=[2.0]).to_workbook(plan)
    assert pd.read_excel(plan, sheet_name="open")["quantity"].tolist() == [2.0]
    book = openpyxl.load_workbook(plan)  # opened and saved by another program
    book.save(plan)
    edited = plan.read_bytes()
    with pytest.raises(OutputRefused, match="not a workbook written by cbecopt"):
        result(3.0, open=[3.0]).to_workbook(plan)
    assert plan.read_bytes() == edited
    (tmp_path / "folder.xlsx").mkdir()
    with pytest.raises(OutputRefused, match="is a folder"):
        result(3.0, open=[3.0]).to_workbook(tmp_path / "folder.xlsx")
    assert sorted(os.listdir(tmp_path)) == ["folder.xlsx", "plan.xlsx"]


@pytest.mark.unit
def test_a_table_longer_than_a_sheet_is_refused_and_nothing_is_written(tmp_path, monkeypatch):
    from cbecopt import results
    from cbecopt.errors import OptionError

    monkeypatch.setattr(results, "EXCEL_MAX_ROWS", 3)  # header + 2 rows per sheet
    with pytest.raises(OptionError, match="flows"):
        result(1.0, flows=[1.0, 2.0, 3.0]).to_workbook(tmp_path / "plan.xlsx")
    assert list(tmp_path.iterdir()) == []
    result(1.0, flows=[1.0, 2.0]).to_workbook(tmp_path / "plan.xlsx")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.xlsx"]


@pytest.mark.unit
def test_an_empty_output_path_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputRefused, match="the output path is empty"):
        result(1.0, open=[1.0]).to_dir("")
    with pytest.raises(OutputRefused, match="the output path is empty"):
        result(1.0, open=[1.0]).to_workbook("")
    assert os.listdir(tmp_path) == []


@pytest.mark.unit
def test_save_instance_never_writes_into_its_own_source(tmp_path):
    folder = write_instance(tmp_path / "x")
    before = tree(folder)
    instance = cbecopt.load_instance(folder)
    for target in (folder, folder / "copy", tmp_path, folder / "copy.xlsx"):
        with pytest.raises(OutputRefused, match="input"):
            cbecopt.save_instance(instance, target)
    assert tree(folder) == before


@pytest.mark.unit
def test_save_png_writes_whole_files_with_the_umask_and_leaves_no_temporary(tmp_path):
    from cbecopt.plots import figure, save_png

    umask = os.umask(0o022)
    try:
        fig, _ = figure()
        save_png(fig, tmp_path / "chart.png")
        fig, _ = figure()

        def disk_full(path, **_):
            Path(path).write_bytes(b"\x89PNG half")
            raise OSError(28, "No space left on device")

        fig.savefig = disk_full
        with pytest.raises(OSError):
            save_png(fig, tmp_path / "chart.png")
    finally:
        os.umask(umask)
    assert os.listdir(tmp_path) == ["chart.png"]
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "chart.png").stat().st_mode & 0o777 == 0o644


@pytest.mark.unit
def test_a_result_workbook_is_made_for_people_and_reads_back_unchanged(tmp_path):
    """Frozen bold headers, number formats, widths and a cost chart change only how cells look:
    pandas reads back exactly the tables written."""
    breakdown = pd.DataFrame(
        {"component": ["purchase", "freight", "tax"], "cost": [1e6, 2.5e5, 3.1]}
    )
    plan = pd.DataFrame(
        {"sku": ["A", "B"], "units": [3, 12], "price": [1234.5, 7.25], "fill_rate": [0.5, 1.0]}
    )
    empty = pd.DataFrame({"sku": pd.Series([], dtype=object), "units": pd.Series([], dtype=int)})
    tables = {"cost_breakdown": breakdown, "plan": plan, "nothing": empty}
    made = Result("routing", "t", Status.OPTIMAL, "Optimal", 1.25e6, 1.25e6, 0.0)
    made.tables = tables
    made.to_workbook(tmp_path / "plan.xlsx")
    sheets = pd.read_excel(tmp_path / "plan.xlsx", sheet_name=None)
    assert list(sheets) == ["summary", "cost_breakdown", "plan", "nothing"]
    pd.testing.assert_frame_equal(sheets["plan"], plan)
    pd.testing.assert_frame_equal(sheets["cost_breakdown"], breakdown)
    book = openpyxl.load_workbook(tmp_path / "plan.xlsx")
    assert all(sheet.freeze_panes == "A2" and sheet["A1"].font.b for sheet in book.worksheets)
    sheet = book["plan"]
    assert [sheet.cell(2, c).number_format for c in range(1, 5)] == [
        "General",
        "#,##0",
        "#,##0.00",
        "0.00%",
    ]
    assert sheet.column_dimensions["C"].width == len("1,234.50") + 2
    (chart,) = book["summary"]._charts
    assert chart.title is not None and len(chart.series) == 1
