"""Write small contracts instances for tests: one supplier per contract, one market."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

CONTRACT_COLUMNS = (
    "supplier",
    "sku",
    "type",
    "unit_price",
    "premium",
    "exercise_price",
    "flex_up",
    "flex_down",
    "capacity",
    "min_order",
)


def write_contracts_instance(
    folder: Path,
    products: list[dict],
    contracts: list[dict],
    demand: list[dict],
    scenarios: list[tuple[str, float]] | None = None,
    supplier_capacity: dict[str, float] | None = None,
) -> Path:
    """Write an instance folder; suppliers are taken from the contracts, market ``m1``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.toml").write_text('[instance]\nname = "c"\n', encoding="utf-8")
    suppliers = list(dict.fromkeys(c["supplier"] for c in contracts)) or ["s1"]
    capacity = supplier_capacity or {}
    nodes = pd.DataFrame(
        {
            "id": [*suppliers, "m1"],
            "kind": ["supplier"] * len(suppliers) + ["market"],
            "capacity": [capacity.get(s) for s in suppliers] + [None],
        }
    )
    nodes.to_csv(folder / "nodes.csv", index=False)
    pd.DataFrame(products).to_csv(folder / "products.csv", index=False)
    pd.DataFrame(contracts, columns=list(CONTRACT_COLUMNS)).to_csv(
        folder / "contracts.csv", index=False
    )
    rows = [{"market": "m1", **d} for d in demand]
    pd.DataFrame(rows).to_csv(folder / "demand.csv", index=False)
    if scenarios is not None:
        pd.DataFrame(scenarios, columns=["scenario", "probability"]).to_csv(
            folder / "scenarios.csv", index=False
        )
    return folder
