"""The shared overseas warehouses model: capacitated facility location over the network's
warehouses and markets (multi- or single-source), its check step, diagnosis and generator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbecopt.instance import Instance
from cbecopt.models.spec import UNREPRESENTABLE, ModelSpec, by_family
from cbecopt.models.warehouses.build import (
    WarehousesConfig,
    WarehousesData,
    build_warehouses,
    extract_warehouses,
)
from cbecopt.models.warehouses.policies import COMPARISON
from cbecopt.models.warehouses.summary import summarize_warehouses


def _check_warehouses(
    instance: Instance, config: WarehousesConfig | None, seed: int = 0
) -> WarehousesData:
    (config or WarehousesConfig()).resolved(instance)
    return WarehousesData.from_instance(instance)


def _diagnose_warehouses(built) -> list[str]:
    from cbecopt.models.warehouses.diagnose import diagnose_warehouses

    return diagnose_warehouses(built.data, built.config)


def _generate_warehouses(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.models.warehouses.generate import generate_warehouses

    made = generate_warehouses(
        o["n_warehouses"],
        o["n_markets"],
        seed=o["seed"],
        platforms=1 if o["platforms"] is None else o["platforms"],
        capacity_ratio=o["capacity_ratio"],
    )
    return made, f"{o['n_warehouses']} warehouses x {o['n_markets']} markets"


SPEC = ModelSpec(
    "warehouses",
    "shared overseas warehouse location (capacitated facility location, multi- or single-source)",
    WarehousesConfig,
    _check_warehouses,
    build_warehouses,
    by_family(extract_warehouses),
    _diagnose_warehouses,
    tables=("nodes", "arcs", "demand"),
    reads={
        "nodes": ("id", "kind", "capacity", "fixed_cost"),
        "arcs": ("origin", "destination", "mode", "unit_cost", "capacity"),
        "demand": ("market", "quantity", "platform"),
    },
    unbounded="the warehouses model cannot be unbounded: every flow is capped by its "
    f"market's demand and every other variable is binary; {UNREPRESENTABLE}",
    generate=_generate_warehouses,
    summarize=summarize_warehouses,
    comparisons=(COMPARISON,),
)
