"""User data prints literally: ids, names and paths with brackets are never rich markup.

``[bold]`` in a node id, ``[instance]`` in a folder name or ``[/]`` in an instance name would
otherwise be styled away, or end the command with a markup error; each must appear on the
terminal exactly as typed, in tables, titles, summaries, warnings, errors and "wrote" lines.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cbecopt import save_instance
from cbecopt.cli.run import app  # the Typer application with every command registered
from cbecopt.models.suppliers.generate import generate_suppliers
from helpers import write_instance

pytestmark = pytest.mark.integration

RULES = Path(__file__).resolve().parents[1] / "src" / "cbecopt" / "tax_rules.toml"
NAME = "[b]demo[/b] [/]"
META = f'[instance]\nname = "{NAME}"\n'
NODES = """id,kind,capacity,fixed_cost,[notes]
[bold]w1,overseas_warehouse,100,50,x
[red]w2,overseas_warehouse,80,40,y
m[1],market,,,
m2,market,,,
"""
ARCS = """origin,destination,unit_cost
[bold]w1,m[1],1
[bold]w1,m2,3
[red]w2,m[1],2
[red]w2,m2,1
"""
DEMAND = """market,quantity
m[1],30
m2,40
"""


@pytest.fixture
def bracketed(tmp_path, monkeypatch):
    """An instance whose folder, name, node ids and a column carry brackets; the optimum
    opens [red]w2 alone (40 + 30 x 2 + 40 x 1 = 140, the hand optimum of tests/helpers)."""
    monkeypatch.chdir(tmp_path)
    return write_instance(tmp_path / "[instance]", NODES, ARCS, DEMAND, META)


def run(*args: str):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_the_summary_table_warnings_and_written_path_print_as_typed(bracketed):
    result = run("solve", bracketed, "-o", "out[bold]")
    assert result.exit_code == 0, result.stderr
    assert f"warehouses on {NAME}: optimal" in result.stdout
    assert "objective 140.00" in result.stdout
    assert "[red]w2" in result.stdout
    assert "results written to out[bold]/" in result.stdout
    assert "column '[notes]' is not a cbecopt column" in result.stderr


def test_validate_prints_the_name_and_the_models_as_typed(bracketed):
    result = run("validate", bracketed, "--model", "warehouses")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"{NAME}: 2 overseas_warehouse, 2 market, 4 arcs")


def test_an_error_names_the_bracketed_id_and_path_as_typed(bracketed):
    (bracketed / "demand.csv").write_text(DEMAND + "[bold]nowhere,5\n", encoding="utf-8")
    result = run("solve", bracketed, "-o", "out")
    assert result.exit_code == 2
    assert "demand.csv, row 4, column 'market': unknown node '[bold]nowhere'" in result.stderr
    result = run("solve", "[instance]/missing[/]")
    assert result.exit_code == 2
    assert "[instance]/missing[/]: does not exist" in result.stderr


def test_wrote_lines_and_table_titles_print_as_typed(bracketed):
    result = run("convert", bracketed, "copy[bold].xlsx")
    assert result.exit_code == 0 and "wrote copy[bold].xlsx" in result.stdout
    result = run("generate", "warehouses", "-o", "gen[red]", "--warehouses", "2", "--markets", "3")
    assert result.exit_code == 0 and result.stdout.startswith("wrote gen[red] (2 warehouses")
    shutil.copy(RULES, "[rules].toml")
    result = run("tax", "--value", "425", "--postal-category", "food", "--rules", "[rules].toml")
    assert result.exit_code == 0 and "rules: [rules].toml" in result.stdout


def test_a_comparison_table_title_names_the_instance_as_typed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_instance(generate_suppliers(2, 3, seed=1, offers_per_sku=2, n_breaks=1), "s")
    meta = Path("s/instance.toml")
    meta.write_text(meta.read_text().replace('name = "', 'name = "[i]'), encoding="utf-8")
    result = run("compare-suppliers", "s")
    assert result.exit_code == 0, result.stderr
    assert "sourcing policies on [i]gen-suppliers" in result.stdout
