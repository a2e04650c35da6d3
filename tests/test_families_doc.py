"""models/families.md documents the shared families, and each models/<model>.md says which
shared family each of its families is (the names both ways: tests/test_conformance.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pyomo.environ as pyo
import pytest

import cbecopt
from cbecopt import families
from cbecopt.models.contracts.generate import generate_contracts
from cbecopt.models.routing.generate import generate_routing
from cbecopt.models.suppliers.build import SuppliersConfig
from cbecopt.models.suppliers.generate import generate_suppliers
from cbecopt.models.warehouses.build import WarehousesConfig, build_warehouses
from cbecopt.stochastic.twostage import RiskOptions, build_extensive_form
from helpers import write_instance

ROOT = Path(__file__).resolve().parents[1]
MODELS_DIR = ROOT / "models"
SOURCES = {
    "warehouses": ["models/warehouses/build.py"],
    "suppliers": ["models/suppliers/build.py"],
    "contracts": ["models/contracts/build.py", "families.py"],
    "routing": ["models/routing/build.py"],
}
"""The modules that name each model's constraint families (CVaR's are named in families.py)."""


def family_table(model: str) -> dict[str, str | None]:
    """The table of section "Families" of ``models/<model>.md``: each constraint family and
    the shared family it is (``None`` for "—")."""
    text = (MODELS_DIR / f"{model}.md").read_text(encoding="utf-8")
    section = re.search(r"^## Families\n(.*?)(?=^## )", text, re.M | re.S)
    assert section, f"models/{model}.md has no section 'Families'"
    rows = re.findall(r"^\| `(\w+)` \| (?:`(\w+)`|—) \|$", section.group(1), re.M)
    assert rows, f"models/{model}.md: the section 'Families' has no table"
    return {family: shared or None for family, shared in rows}


def constraint_names(model: pyo.Block) -> set[str]:
    return {c.local_name for c in model.component_objects(pyo.Constraint, descend_into=True)}


def quoted_names(model: str) -> set[str]:
    """Every string literal in the modules that build ``model``."""
    names = set()
    for path in SOURCES[model]:
        tree = ast.parse((ROOT / "src" / "cbecopt" / path).read_text(encoding="utf-8"))
        names |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)}
    return {n for n in names if isinstance(n, str)}


def built_models(model: str, tmp_path) -> list[pyo.Block]:
    """Models of ``model`` built with options that between them use most of its families."""
    if model == "warehouses":
        instance = cbecopt.load_instance(write_instance(tmp_path / "x"))
        configs = (WarehousesConfig(), WarehousesConfig(single_source=True, min_open=1, max_open=2))
        return [build_warehouses(instance, c).model for c in configs]
    if model == "suppliers":
        configs = (
            SuppliersConfig(max_late_rate=0.2, max_suppliers=20, max_supplier_share=0.8),
            SuppliersConfig(objective="counterfeit", cost_limit=1e12, counterfeit_limit=1e9),
        )
        instances = (cbecopt.load_instance("instances/suppliers_demo"), generate_suppliers(20, 8))
        build = cbecopt.MODELS["suppliers"].build
        return [build(i, c).model for i in instances for c in configs]
    instances = {
        "contracts": (cbecopt.load_instance("instances/contracts_demo"), generate_contracts(5, 3)),
        "routing": (
            cbecopt.load_instance("instances/routing_demo"),
            generate_routing(5, n_months=3, n_bonded=2, n_markets=3, seed=1),
        ),
    }[model]
    forms = []
    for instance in instances:
        problem = cbecopt.MODELS[model].build(instance, None)
        for risk in (RiskOptions(), RiskOptions(0.5, 0.9)) if model == "contracts" else (None,):
            forms.append(build_extensive_form(problem, problem.scenarios(), risk).model)
    return forms


@pytest.mark.unit
def test_families_md_documents_every_shared_family_and_nothing_else():
    text = (MODELS_DIR / "families.md").read_text(encoding="utf-8")
    documented = re.findall(r"^## `(\w+)`$", text, re.M)
    assert sorted(documented) == sorted(families.__all__)
    for name in families.__all__:
        assert callable(getattr(families, name))


@pytest.mark.component
@pytest.mark.parametrize("model", sorted(SOURCES))
def test_the_families_table_names_the_code_families_and_their_shared_family(model, tmp_path):
    table = family_table(model)
    built = set().union(*(constraint_names(m) for m in built_models(model, tmp_path)))
    assert built <= set(table), f"not in models/{model}.md's Families: {sorted(built - set(table))}"
    quoted = quoted_names(model)
    assert set(table) <= quoted, f"documented, not in the code: {sorted(set(table) - quoted)}"
    shared = {s for s in table.values() if s is not None}
    assert shared <= set(families.__all__), sorted(shared - set(families.__all__))
