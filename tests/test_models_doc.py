"""models/<model>.md and the code name the same components."""

from __future__ import annotations

import re
from pathlib import Path

import pyomo.environ as pyo
import pytest

import cbecopt
from cbecopt.formulations.warehouses import WarehousesConfig, build_warehouses
from helpers import write_instance

MODELS_DIR = Path(__file__).resolve().parents[1] / "models"


def documented_names(model: str) -> set[str]:
    """Every `backticked` identifier in the formulation document."""
    return set(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", (MODELS_DIR / f"{model}.md").read_text()))


def component_names(model: pyo.ConcreteModel) -> set[str]:
    kinds = (pyo.Var, pyo.Constraint, pyo.Objective)
    return {c.local_name for c in model.component_objects(kinds, descend_into=True)}


@pytest.mark.unit
def test_every_model_has_a_formulation_document():
    for key in cbecopt.MODELS:
        assert (MODELS_DIR / f"{key}.md").is_file(), f"models/{key}.md is missing"


@pytest.mark.component
def test_warehouses_document_names_every_component_and_nothing_else(tmp_path):
    instance = cbecopt.load_instance(write_instance(tmp_path / "x"))
    names: set[str] = set()
    for config in (
        WarehousesConfig(),
        WarehousesConfig(single_source=True, min_open=1, max_open=2),
    ):
        names |= component_names(build_warehouses(instance, config).model)
    documented = documented_names("warehouses")
    assert names <= documented, (
        f"in the code but not in models/warehouses.md: {sorted(names - documented)}"
    )
    data_fields = set(build_warehouses(instance).data.__dataclass_fields__)
    families = {
        n
        for n in documented
        if re.search(rf"^`{n}` —", (MODELS_DIR / "warehouses.md").read_text(), re.M)
    }
    assert families <= names, (
        f"documented constraint families the code lacks: {sorted(families - names)}"
    )
    parameters = {
        "fixed_cost",
        "capacity",
        "demand",
        "unit_cost",
        "lane_capacity",
        "WAREHOUSES",
        "MARKETS",
        "LANES",
    }
    assert parameters <= documented and parameters <= data_fields
