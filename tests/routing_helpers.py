"""Write small routing instances for tests: origin FR, bonded warehouses, markets, lanes by role."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

PRODUCT = {
    "price": 200.0,
    "purchase_cost": 100.0,
    "vat_rate": 0.13,
    "consumption_tax_rate": 0.0,
    "tariff_rate": 0.1,
    "postal_rate": 0.13,
    "origin": "FR",
}


def write_routing_instance(
    folder: Path,
    products: list[dict],
    demand: list[dict],
    bonded: dict[str, dict] | None = None,
    markets: dict[str, dict] | None = None,
    lanes: list[tuple] | None = None,
    scenarios: list[tuple[str, float]] | None = None,
) -> Path:
    """``lanes`` are (origin, destination, mode, unit_cost, lead_time_days[, cost_per_kg[,
    capacity]]); blank (None) is 0 per kg and an unlimited capacity."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.toml").write_text('[instance]\nname = "r"\n', encoding="utf-8")
    bonded = {"BW": {"fixed_cost": 0.0}} if bonded is None else bonded
    markets = markets or {"M1": {}}
    nodes = [{"id": "FR", "kind": "supplier"}]
    nodes += [{"id": b, "kind": "bonded_warehouse", **attrs} for b, attrs in bonded.items()]
    nodes += [{"id": m, "kind": "market", **attrs} for m, attrs in markets.items()]
    pd.DataFrame(nodes).to_csv(folder / "nodes.csv", index=False)
    rows = [
        {
            "origin": lane[0],
            "destination": lane[1],
            "mode": lane[2],
            "unit_cost": lane[3],
            "lead_time_days": lane[4],
            "cost_per_kg": lane[5] if len(lane) > 5 else None,
            "capacity": lane[6] if len(lane) > 6 else None,
        }
        for lane in lanes or []
    ]
    pd.DataFrame(
        rows,
        columns=[
            "origin",
            "destination",
            "mode",
            "unit_cost",
            "lead_time_days",
            "cost_per_kg",
            "capacity",
        ],
    ).to_csv(folder / "arcs.csv", index=False)
    pd.DataFrame([{**PRODUCT, **p} for p in products]).to_csv(folder / "products.csv", index=False)
    pd.DataFrame(demand).to_csv(folder / "demand.csv", index=False)
    if scenarios is not None:
        pd.DataFrame(scenarios, columns=["scenario", "probability"]).to_csv(
            folder / "scenarios.csv", index=False
        )
    return folder


def solve_routing(folder, **config):
    """Solve the routing instance in ``folder`` to proven optimality (gap 0) with the
    RoutingConfig ``config``; the result must be optimal."""
    import cbecopt
    from cbecopt.models.routing.build import RoutingConfig

    result = cbecopt.solve(
        cbecopt.load_instance(folder),
        "routing",
        cbecopt.SolveOptions(mip_rel_gap=0),
        RoutingConfig(**config),
    )
    assert result.status == cbecopt.Status.OPTIMAL, result.diagnosis
    return result
