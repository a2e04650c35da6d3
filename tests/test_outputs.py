"""Outputs on the command line: never destroy what cbecopt did not write, never half a result.

Real runs are killed (SIGKILL) and interrupted (SIGINT) at every step of their write, made
observable by the test hook ``CBECOPT_TEST_WRITE_PAUSE=STEP:SECONDS`` (see cbecopt.outputs).
Expected folder contents are the files each test puts there; hashes are computed here.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import cbecopt
from cbecopt.cli.run import app  # the Typer application with every command registered
from cbecopt.models.contracts.generate import generate_contracts
from cbecopt.models.routing.generate import generate_routing
from cbecopt.models.suppliers.generate import generate_suppliers
from cbecopt.results import read_result
from helpers import write_instance

pytestmark = pytest.mark.integration

SHARED = "market,platform,quantity\nm1,a,10\nm1,b,20\nm2,a,25\nm2,b,15\n"
WAREHOUSE_FILES = {"result.json", "open.csv", "flows.csv", "markets.csv"}
SHARING_FILES = WAREHOUSE_FILES | {"platform_costs.csv", "coalitions.csv"}


def invoke(*args) -> object:
    """Run the command line in this process (fast; monkeypatching works)."""
    return CliRunner().invoke(app, [str(a) for a in args])


def start(*args, pause: str | None = None, **popen) -> subprocess.Popen:
    """Start the command line in its own process, stderr readable line by line."""
    env = {**os.environ, **({"CBECOPT_TEST_WRITE_PAUSE": pause} if pause else {})}
    return subprocess.Popen(
        [sys.executable, "-m", "cbecopt", *map(str, args)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def paused(process: subprocess.Popen) -> bool:
    """Wait until the process pauses in its write; False if it ended without pausing."""
    return any("write paused at step" in line for line in process.stderr)


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (bytes) and folder (None) under ``folder``, by relative path."""
    return {
        str(p.relative_to(folder)): None if p.is_dir() else p.read_bytes()
        for p in sorted(folder.rglob("*"))
    }


def leftovers(folder: Path) -> list[str]:
    """Temporaries or a journal of cbecopt's in ``folder``."""
    return [n for n in os.listdir(folder) if n.endswith(".tmp") or n == ".cbecopt-journal.json"]


def users_folder(folder: Path) -> dict[str, bytes | None]:
    """A folder holding a user's note and subfolder; their contents, to compare later."""
    (folder / "sub").mkdir(parents=True)
    (folder / "notes.txt").write_bytes(b"my notes\n")
    (folder / "sub" / "open.csv").write_bytes(b"a user's file\n")
    return tree(folder)


def kept(folder: Path, before: dict) -> bool:
    now = tree(folder)
    return {k: now.get(k, "missing") for k in before} == before


@pytest.fixture(scope="module")
def instances(tmp_path_factory):
    """A shared-warehouse instance (solved with --independent: six files) and a plain one
    (four files, other numbers), with reference results written once each."""
    root = tmp_path_factory.mktemp("instances")
    shared, plain = write_instance(root / "shared", demand=SHARED), write_instance(root / "plain")
    assert invoke("solve", shared, "--independent", "-o", root / "old").exit_code == 0
    assert invoke("solve", plain, "-o", root / "new").exit_code == 0
    return {"shared": shared, "plain": plain, "old": root / "old", "new": root / "new"}


def one_complete_result(folder: Path, instances) -> str:
    """'old' or 'new': which whole result ``folder`` holds (read back, so a journal a killed
    run left is completed first); fails on a mix."""
    saved = read_result(folder)
    names = {n for n in os.listdir(folder) if n not in ("notes.txt", "sub")}
    for which, files in (("old", SHARING_FILES), ("new", WAREHOUSE_FILES)):
        reference = instances[which]
        if names == files and saved.data["objective"] == read_result(reference).data["objective"]:
            assert all(
                (folder / n).read_bytes() == (reference / n).read_bytes()
                for n in files - {"result.json"}
            )
            return which
    raise AssertionError(f"neither the old nor the new result: {sorted(names)}")


# --- foreign files and earlier results ------------------------------------------------------


def test_foreign_files_survive_and_a_rerun_replaces_exactly_the_earlier_result(tmp_path, instances):
    out = tmp_path / "reports"
    before = users_folder(out)
    assert invoke("solve", instances["shared"], "--independent", "-o", out).exit_code == 0
    assert set(os.listdir(out)) == SHARING_FILES | {"notes.txt", "sub"}
    run = invoke("solve", instances["plain"], "-o", out)
    assert run.exit_code == 0, run.output
    assert set(os.listdir(out)) == WAREHOUSE_FILES | {"notes.txt", "sub"}
    assert kept(out, before)
    files = json.loads((out / "result.json").read_text())["manifest"]["files"]
    assert files == {
        n: "sha256:" + hashlib.sha256((out / n).read_bytes()).hexdigest()
        for n in WAREHOUSE_FILES - {"result.json"}
    }


def small_instances(root: Path) -> dict[str, Path]:
    """Small instances of each model, for the commands that need them."""
    made = {
        "contracts": generate_contracts(2, 4, seed=1),
        "contracts_mean": generate_contracts(2, 0, seed=1),
        "routing": generate_routing(2, 2, 1, 1, 2, 0, seed=1),
        "suppliers": generate_suppliers(2, 3, seed=1, offers_per_sku=2),
    }
    for name, instance in made.items():
        cbecopt.save_instance(instance, root / name)
    return {name: root / name for name in made} | {"warehouses": write_instance(root / "w")}


COMMANDS = {
    "solve": ["solve", "{warehouses}"],
    "solve-xlsx-input": ["solve", "{warehouses}.xlsx"],
    "compare-contracts": ["compare-contracts", "{contracts}"],
    "compare-routing": ["compare-routing", "{routing}"],
    "compare-suppliers": ["compare-suppliers", "{suppliers}"],
    "frontier": ["frontier", "{contracts}", "--points", "2"],
    "pareto": ["pareto", "{suppliers}", "--points", "2"],
    "saa": ["saa", "{contracts}", "--n", "3", "--replications", "2", "--evaluation-n", "10"],
    "convert": ["convert", "{warehouses}"],
    "generate": ["generate", "warehouses", "--warehouses", "2", "--markets", "3"],
    "scenarios": ["scenarios", "{contracts_mean}", "--n", "3"],
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    paths = small_instances(root)
    cbecopt.save_instance(cbecopt.load_instance(paths["warehouses"]), f"{paths['warehouses']}.xlsx")
    return {name: str(path) for name, path in paths.items()}


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_writes_only_its_own_files(tmp_path, inputs, command):
    out = tmp_path / "out"
    before = users_folder(out)
    args = [a.format(**inputs) for a in COMMANDS[command]]
    where = [out] if command == "convert" else ["-o", out]
    holder = "result.json" if command.startswith("solve") else ".cbecopt-manifest.json"
    manifests = []
    for _ in range(2):  # the second run replaces the first one's files
        run = invoke(*args, *where)
        assert run.exit_code == 0, run.output
        manifests.append(json.loads((out / holder).read_text())["manifest"])
    assert kept(out, before)
    assert not leftovers(out) and not leftovers(tmp_path)
    assert manifests[0] == manifests[1]  # byte-identical files on a rerun
    files = manifests[-1]["files"]
    assert set(os.listdir(out)) == {*files, holder, "notes.txt", "sub"}
    assert all(
        d == "sha256:" + hashlib.sha256((out / n).read_bytes()).hexdigest()
        for n, d in files.items()
    )


def not_cbecopt(solve_called):
    def solve(*args, **kwargs):
        solve_called.append(True)
        raise AssertionError("solved although the output was refused")

    return solve


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("solve", "result.json"),
        ("solve", "plan.xlsx"),
        ("convert", "instance.toml"),
        ("convert", "plan.xlsx"),
    ],
)
def test_a_foreign_file_under_our_name_is_refused_before_solving(
    tmp_path, monkeypatch, command, name
):
    import cbecopt.pipeline
    import cbecopt.sharing  # noqa: F401  (imported first, it keeps the real solve)

    called = []
    monkeypatch.setattr(cbecopt.pipeline, "solve", not_cbecopt(called))
    (tmp_path / name).write_text("a user's file\n")
    before = tree(tmp_path)
    out = tmp_path / name if name.endswith(".xlsx") else tmp_path
    instance = write_instance(tmp_path.parent / f"{tmp_path.name}-x")
    run = invoke(command, instance, *([] if command == "convert" else ["-o"]), out)
    assert run.exit_code == 2 and f"{name}: not" in run.output and not called
    assert tree(tmp_path) == before


def test_a_foreign_table_file_is_refused_after_solving_and_the_result_rescued(
    tmp_path, monkeypatch, instances
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "flows.csv").write_text("a user's flows\n")
    before = tree(out)
    run = invoke("solve", instances["plain"], "-o", out, "--json")
    assert run.exit_code == 2 and "flows.csv: not written by cbecopt" in run.output
    assert tree(out) == before
    (rescued,) = (tmp_path / "tmp").iterdir()
    assert f"written to {rescued}" in run.output
    assert read_result(rescued).data["objective"] == read_result(instances["new"]).data["objective"]


# --- output against input -------------------------------------------------------------------


def bundled_copy(tmp_path, monkeypatch) -> Path:
    """A bundled 'demo' that is a copy in tmp_path, so the real one is never at risk."""
    import cbecopt.bundled

    root = tmp_path / "bundled"
    shutil.copytree(cbecopt.bundled.resolve_path("demo"), root / "demo")
    monkeypatch.setattr(cbecopt.bundled, "bundled_root", lambda: root)
    return root / "demo"


def overlap_cases(tmp_path, monkeypatch, benchmarks):
    folder = write_instance(tmp_path / "inst")
    book = tmp_path / "inst.xlsx"
    cbecopt.save_instance(cbecopt.load_instance(folder), book)
    cap = tmp_path / "cap71.txt"
    shutil.copy(benchmarks / "orlib_cap" / "cap71.txt", cap)
    (tmp_path / "link").symlink_to(folder)
    monkeypatch.chdir(folder)
    return {
        "the folder": ([folder], folder),
        "the folder, relative": ([folder], "."),
        "the folder through ..": ([folder], "../inst/sub/.."),
        "the folder through a symlink": ([folder], tmp_path / "link"),
        "inside it": ([folder], folder / "results"),
        "a workbook inside it": ([folder], folder / "plan.xlsx"),
        "containing it": ([folder], tmp_path),
        "the same workbook": ([book], book),
        "the same benchmark file": ([cap, "--format", "orlib-cap"], cap),
        "the bundled folder": (["demo"], bundled_copy(tmp_path, monkeypatch)),
    }


CASES = [
    "the folder",
    "the folder, relative",
    "the folder through ..",
    "the folder through a symlink",
    "inside it",
    "a workbook inside it",
    "containing it",
    "the same workbook",
    "the same benchmark file",
    "the bundled folder",
]


@pytest.mark.parametrize("case", CASES)
def test_an_output_overlapping_the_input_is_refused(tmp_path, monkeypatch, benchmarks, case):
    source, out = overlap_cases(tmp_path, monkeypatch, benchmarks)[case]
    before = tree(tmp_path)
    for command in (["solve", *source, "-o", out], ["convert", *source, out]):
        run = invoke(*command)
        assert run.exit_code == 2, run.output
        assert "cbecopt never writes into its input" in run.output
        assert tree(tmp_path) == before


# --- paths, modes, failures -----------------------------------------------------------------


def test_out_dot_writes_into_the_current_folder(tmp_path, instances):
    cwd = tmp_path / "work"
    before = users_folder(cwd)
    run = subprocess.run(
        [sys.executable, "-m", "cbecopt", "solve", str(instances["plain"]), "-o", "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert set(os.listdir(cwd)) == WAREHOUSE_FILES | {"notes.txt", "sub"}
    assert kept(cwd, before) and not leftovers(tmp_path)


def test_an_empty_output_is_a_clear_error(tmp_path, inputs, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for command in (
        ["solve", inputs["warehouses"], "--out", ""],
        ["solve", inputs["warehouses"], "-o", ""],
        ["compare-suppliers", inputs["suppliers"], "-o", ""],
        ["generate", "warehouses", "--output", ""],
        ["scenarios", inputs["contracts_mean"], "-o", ""],
        ["convert", inputs["warehouses"], ""],
    ):
        run = invoke(*command)
        assert run.exit_code == 2 and "the output path is empty" in run.output, command
    assert os.listdir(tmp_path) == []


def test_files_and_folders_are_made_with_the_umask(tmp_path, instances):
    for args in (["-o", tmp_path / "a" / "b"], ["-o", tmp_path / "c" / "plan.xlsx"]):
        run = subprocess.run(
            [sys.executable, "-m", "cbecopt", "solve", str(instances["plain"]), *map(str, args)],
            capture_output=True,
            umask=0o022,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr
    modes = {str(p.relative_to(tmp_path)): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*")}
    files = {f"a/b/{n}": 0o644 for n in WAREHOUSE_FILES}
    assert modes == {"a": 0o755, "a/b": 0o755, **files, "c": 0o755, "c/plan.xlsx": 0o644}


@pytest.mark.parametrize("out", ["file", "file/sub", "file/plan.xlsx", "readonly/sub"])
def test_an_unwritable_output_fails_at_once_before_solving(tmp_path, monkeypatch, out):
    import cbecopt.pipeline
    import cbecopt.sharing  # noqa: F401  (imported first, it keeps the real solve)

    if out.startswith("readonly") and os.geteuid() == 0:
        pytest.skip("root writes into read-only folders")
    called = []
    monkeypatch.setattr(cbecopt.pipeline, "solve", not_cbecopt(called))
    (tmp_path / "file").write_text("a file, not a folder\n")
    (tmp_path / "readonly").mkdir(mode=0o555)
    instance = write_instance(tmp_path.parent / f"{tmp_path.name}-x")
    before = tree(tmp_path)
    run = invoke("solve", instance, "-o", tmp_path / out)
    assert run.exit_code == 2 and "cannot" in run.output and not called, run.output
    assert tree(tmp_path) == before


def test_a_disk_that_fails_after_solving_loses_nothing_exit_5(tmp_path, monkeypatch, instances):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "full" / "out"
    to_csv = pd.DataFrame.to_csv

    def disk_full(self, path=None, *args, **kwargs):
        if Path(path).parent == out:
            raise OSError(errno.ENOSPC, "No space left on device")
        return to_csv(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    run = invoke("solve", instances["plain"], "-o", out, "--json")
    assert run.exit_code == 5, run.output
    assert "No space left on device" in run.output
    (rescued,) = (tmp_path / "tmp").iterdir()
    assert f"written to {rescued}" in run.output
    assert set(os.listdir(rescued)) == WAREHOUSE_FILES
    assert read_result(rescued).data["objective"] == read_result(instances["new"]).data["objective"]
    assert os.listdir(tmp_path) == ["tmp"]  # the folders made for the output are gone again


# --- kill -9, Ctrl-C, two runs at once ------------------------------------------------------


def old_result_in(out: Path, instances) -> None:
    assert invoke("solve", instances["shared"], "--independent", "-o", out).exit_code == 0


def write_steps() -> dict[str, list[int]]:
    """The steps of writing the plain result over the shared one, by kind (cbecopt.outputs):
    each file staged (the tables, then result.json), the journal staged, the journal
    committed, each table renamed, each file of the old result only removed, result.json
    renamed, the journal removed."""
    staged, removed = len(WAREHOUSE_FILES), len(SHARING_FILES - WAREHOUSE_FILES)
    numbers = iter(range(1, 100))
    kinds = {
        "table staged": staged - 1,
        "result.json staged": 1,
        "journal staged": 1,
        "journal committed": 1,
        "table renamed": staged - 1,
        "old file removed": removed,
        "result.json renamed": 1,
        "journal removed": 1,
    }
    return {kind: [next(numbers) for _ in range(n)] for kind, n in kinds.items()}


def test_kill_9_at_every_kind_of_step_of_the_write_leaves_the_old_or_the_new_result(
    tmp_path, instances
):
    """Killed at a step, the folder holds the old or the new result once a reader (odd steps)
    or the next writer (even steps) has completed what the run left. Every kind of step is
    killed at, and a kind with several steps at its first two, one completed each way: the
    third staged table and the third rename are the same kind of step as the first two (each
    a kill process of ~3 s). The step after the last must be the write's end: a write with
    other steps fails here."""
    steps = write_steps()
    chosen = sorted(n for numbers in steps.values() for n in numbers[:2])
    end = max(steps["journal removed"]) + 1
    out = tmp_path / "out"
    before = users_folder(out)
    seen = set()
    for step in [*chosen, end]:
        old_result_in(out, instances)
        with start("solve", instances["plain"], "-o", out, pause=f"{step}:60") as writing:
            if not paused(writing):  # past the last step: the write finished
                assert writing.wait(timeout=60) == 0
                break
            assert step != end, f"the write has a step {end}: write_steps() is out of date"
            writing.kill()
        if step % 2:  # a reader completes what the killed run left...
            seen.add(one_complete_result(out, instances))
        else:  # ...or the next run writing the folder does
            assert invoke("solve", instances["shared"], "--independent", "-o", out).exit_code == 0
            assert one_complete_result(out, instances) == "old"
        assert kept(out, before)
        assert invoke("solve", instances["plain"], "-o", out).exit_code == 0
        assert one_complete_result(out, instances) == "new" and not leftovers(out)
    assert seen == {"old", "new"} and step == end


@pytest.mark.parametrize("step", [2, 6, 9])
def test_ctrl_c_during_the_write_finishes_the_write_then_exits_130(tmp_path, instances, step):
    """A first Ctrl-C asks the command to stop, not to drop what it is writing: the write
    (slowed to 3 s at one step) completes, and the command exits 130."""
    out = tmp_path / "out"
    before = users_folder(out)
    old_result_in(out, instances)
    with start("solve", instances["plain"], "-o", out, pause=f"{step}:3") as writing:
        assert paused(writing)
        writing.send_signal(signal.SIGINT)
        assert writing.wait(timeout=60) == 130
        assert "Traceback" not in writing.stderr.read()
    assert not leftovers(out) and kept(out, before)
    assert one_complete_result(out, instances) == "new"


@pytest.mark.parametrize("step", [2, 6, 9])
def test_a_second_ctrl_c_during_the_write_leaves_a_whole_result_and_no_temporaries(
    tmp_path, instances, step
):
    """A second Ctrl-C leaves at once: before the journal is committed (step 6 of this write)
    the old result stays, after it the next reader completes the new one."""
    out = tmp_path / "out"
    before = users_folder(out)
    old_result_in(out, instances)
    with start("solve", instances["plain"], "-o", out, pause=f"{step}:60") as writing:
        assert paused(writing)
        writing.send_signal(signal.SIGINT)
        time.sleep(0.5)
        writing.send_signal(signal.SIGINT)
        assert writing.wait(timeout=60) == 130
        stderr = writing.stderr.read()
        assert "Traceback" not in stderr and "aborted" in stderr
    assert not leftovers(out) and kept(out, before)
    assert one_complete_result(out, instances) == ("old" if step < 6 else "new")


def test_kill_9_while_replacing_a_workbook_leaves_the_old_one(tmp_path, instances):
    plan = tmp_path / "plan.xlsx"
    assert invoke("solve", instances["shared"], "-o", plan).exit_code == 0
    old = plan.read_bytes()
    with start("solve", instances["plain"], "-o", plan, pause="1:60") as writing:
        assert paused(writing)
        writing.kill()
    assert plan.read_bytes() == old and len(leftovers(tmp_path)) == 1
    assert invoke("solve", instances["plain"], "-o", plan).exit_code == 0
    assert os.listdir(tmp_path) == ["plan.xlsx"]
    summary = pd.read_excel(plan, sheet_name="summary").set_index("key")["value"]
    assert float(summary["objective"]) == read_result(instances["new"]).data["objective"]


def test_two_runs_writing_one_folder_at_once_leave_one_complete_result(tmp_path, instances):
    out = tmp_path / "out"
    before = users_folder(out)
    runs = [
        start("solve", instances["shared"], "--independent", "-o", out, pause="2:1"),
        start("solve", instances["plain"], "-o", out, pause="2:1"),
    ]
    for run in runs:
        with run:
            assert run.wait(timeout=300) == 0, run.stderr.read()
    assert one_complete_result(out, instances) in ("old", "new")
    assert kept(out, before) and not leftovers(out)
