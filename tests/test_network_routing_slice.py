"""The routing slice of the ``network`` model: a routing instance written here (one origin FR,
a bonded warehouse BW, a duty-paid domestic warehouse DW, two markets, two months, 9610 and
postal parcels from FR) and the same network written here as a ``NetworkData`` have the same
optimum, solved by the two models, and the same fill rate and average delivery days (the
network's :func:`service_kpis` against routing's KPIs).

What has to be equal for this (the translation below):

- one free supplier FR (no fixed cost, capacity beyond any demand) with one offer per SKU at
  its purchase cost, a single price segment and no minimum order: routing's purchase cost,
  paid in its inbound and direct lane costs, is the network's segment price;
- routing's bulk lanes FR → warehouse are bulk-inbound lanes of the supplier, with lead
  months floor(days / 30.4); its direct lanes from FR are supplier parcels (``cbec_parcel``)
  and postal parcels from the supplier (personal articles allowed); no overseas warehouse
  (routing's overseas nodes are transit points without stock, the network's hold stock);
- routing's fixed cost per month x months is the network's fixed cost over the horizon; its
  handling per order / units per order (1 here) is the network's handling per unit; its lost
  cost (price + penalty) is the network's lost penalty;
- the tax per unit by channel is worked by hand from the published rules (as
  ``test_routing_oracle.py``): VAT 13%, no consumption tax, tariff 10%; CBEC 0.7 x 13% of the
  declared value; postal at the class rate, not collected at RMB 50 or less; general trade
  T = V t, VAT = (V + T) v on the customs value;
- listing costs at the bonded warehouse only, the positive lists, the wait share, the
  delivery-day targets (per market and month), the bonded volume, weeks of cover and salvage
  are data of both.

Where the definitions differ, the slice is kept to their common part:

- routing charges general-trade duty per unit imported into the domestic warehouse (on a
  customs value that may depend on the lane), the network per unit delivered from it. They
  agree when the customs value is given (not lane-dependent) and no duty-paid stock is left at
  the end, so the instance with the domestic warehouse is deterministic (one scenario: nothing
  bought is left over, salvage being below the untaxed landed cost), and the two-scenario
  instance has no domestic warehouse (stock bought for the high scenario is left in the low
  one);
- the network has no lane or release capacity in units (routing's ``lane_capacity``,
  ``inbound_lane_capacity``, ``bonded_release_capacity``), so the routing instance has none;
- routing's listing bound is the most demand any scenario asks (times 1 + cover), the
  network's what the suppliers can sell: neither binds, since buying beyond demand loses money.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cbecopt
from cbecopt.models.network import NetworkData, NetworkProblem, solve_network
from cbecopt.models.network.build import service_kpis
from cbecopt.models.routing.build import RoutingConfig

pytestmark = pytest.mark.component

NODES = """id,kind,fixed_cost,volume_capacity,handling_cost,max_delivery_days
FR,supplier,,,,
BW,bonded_warehouse,10,9,0.5,
DW,domestic_warehouse,20,,0.3,
M1,market,,,,8
M2,market,,,,
"""
ARCS = """origin,destination,mode,unit_cost,lead_time_days
FR,BW,sea_bulk,3,35
FR,BW,air_bulk,7,5
FR,DW,sea_bulk,4,10
BW,M1,last_mile,2,3
BW,M2,last_mile,2.5,4
DW,M1,last_mile,1,5
DW,M2,last_mile,1,5
FR,M1,cbec_parcel,9,12
FR,M2,cbec_parcel,8,14
FR,M1,postal_parcel,6,20
FR,M2,postal_parcel,6,20
"""
PRODUCTS = """sku,origin,price,purchase_cost,declared_value,units_per_order,vat_rate,\
consumption_tax_rate,tariff_rate,postal_rate,bonded_allowed,cbec_allowed,general_trade_allowed,\
volume_m3,holding_cost,customs_value,listing_cost,salvage_value,wait_share,lost_sale_penalty
A,FR,300,100,100,1,0.13,0,0.10,0.20,1,1,1,0.1,1,100,30,20,0.5,50
B,FR,800,300,400,1,0.13,0,0.10,0.20,0,1,1,0.2,2,400,30,0,1,100
C,FR,500,150,200,1,0.13,0,0.10,0.20,1,0,0,0.1,1,200,60,0,1,80
"""
# Per unit, by hand (units_per_order 1): CBEC 0.091 x V; postal 0.20 x V unless <= 50;
# general trade 0.1 V + 1.1 V x 0.13 = 0.243 V.
UNIT_TAX = {
    "bonded": np.array([9.10, 36.40, 18.20]),
    "parcel": np.array([9.10, 36.40, 18.20]),
    "postal": np.array([0.0, 80.0, 0.0]),
    "general_trade": np.array([24.30, 97.20, 48.60]),
}
DEMAND = {  # (market, sku): units in months 1 and 2, per scenario
    "low": {("M1", "A"): (30, 50), ("M2", "A"): (10, 20), ("M1", "B"): (5, 10),
            ("M2", "B"): (8, 4), ("M1", "C"): (20, 10), ("M2", "C"): (0, 15)},
    "high": {("M1", "A"): (60, 80), ("M2", "A"): (30, 20), ("M1", "B"): (10, 25),
             ("M2", "B"): (8, 12), ("M1", "C"): (40, 30), ("M2", "C"): (10, 15)},
}  # fmt: skip
SKUS, MARKETS = ("A", "B", "C"), ("M1", "M2")


def write_instance(folder: Path, scenarios: tuple[str, ...], domestic: bool) -> Path:
    """The routing instance: ``scenarios`` of DEMAND (equally likely); without ``domestic``,
    no DW and no lane of it."""
    folder.mkdir()
    nodes = [line for line in NODES.splitlines() if domestic or not line.startswith("DW")]
    arcs = [line for line in ARCS.splitlines() if domestic or "DW" not in line]
    rows = [
        {"market": j, "sku": k, "month": t + 1, "quantity": q[t]}
        | ({"scenario": s} if len(scenarios) > 1 else {})
        for s in scenarios
        for (j, k), q in DEMAND[s].items()
        for t in range(2)
    ]
    (folder / "instance.toml").write_text('[instance]\nname = "slice"\n', encoding="utf-8")
    (folder / "nodes.csv").write_text("\n".join(nodes) + "\n", encoding="utf-8")
    (folder / "arcs.csv").write_text("\n".join(arcs) + "\n", encoding="utf-8")
    (folder / "products.csv").write_text(PRODUCTS, encoding="utf-8")
    pd.DataFrame(rows).to_csv(folder / "demand.csv", index=False)
    if len(scenarios) > 1:
        probabilities = [(s, 1.0 / len(scenarios)) for s in scenarios]
        pd.DataFrame(probabilities, columns=["scenario", "probability"]).to_csv(
            folder / "scenarios.csv", index=False
        )
    return folder


def as_network(scenarios: tuple[str, ...], domestic: bool, cover_weeks: float) -> NetworkData:
    """The same network as a ``NetworkData``, by hand from the tables above."""
    demand = np.zeros((len(scenarios), 2, 3, 2))
    for n, s in enumerate(scenarios):
        for (j, k), q in DEMAND[s].items():
            demand[n, MARKETS.index(j), SKUS.index(k)] = q
    purchase = np.array([100.0, 300.0, 150.0])
    price = np.array([300.0, 800.0, 500.0])
    big = 1e5
    bonded = ("BW", "DW") if domestic else ("BW",)
    release = [(0, 0, 2.0, np.nan), (0, 1, 2.5, np.nan)]
    days = [3.0, 4.0]
    inbound = [("supplier", 0, 0, 3.0, 1), ("supplier", 0, 0, 7.0, 0)]
    if domestic:
        release += [(1, 0, 1.0, np.nan), (1, 1, 1.0, np.nan)]
        days += [5.0, 5.0]
        inbound += [("supplier", 0, 1, 4.0, 0)]
    nB = len(bonded)
    return NetworkData(
        skus=SKUS,
        months=2,
        markets=MARKETS,
        scenario_names=scenarios,
        probabilities=np.full(len(scenarios), 1.0 / len(scenarios)),
        demand=demand,
        suppliers=("FR",),
        supplier_fixed=np.zeros(1),
        supplier_capacity=np.array([big]),
        offers=((0, 0), (0, 1), (0, 2)),
        min_order=np.zeros(3),
        counterfeit_rate=np.zeros(3),
        segments=tuple((k, 0.0, big, purchase[k]) for k in range(3)),
        overseas=(),
        overseas_fixed=np.zeros(0),
        overseas_capacity=np.zeros(0),
        overseas_handling=np.zeros(0),
        bonded=bonded,
        bonded_fixed=np.array([10.0 * 2, 20.0 * 2])[:nB],
        bonded_handling=np.array([0.5, 0.3])[:nB],
        first_mile=(),
        inbound=tuple(inbound),
        release=tuple(release),
        parcel=(),
        retail_price=price,
        lost_penalty=price + np.array([50.0, 100.0, 80.0]),
        holding=np.array([1.0, 2.0, 1.0]),
        counterfeit_penalty=np.zeros(3),
        warehouse_kind=("bonded", "domestic")[:nB],
        bonded_volume_capacity=np.array([9.0, np.inf])[:nB],
        volume=np.array([0.1, 0.2, 0.1]),
        listing_cost=np.array([30.0, 30.0, 60.0]),
        bonded_allowed=np.array([True, False, True]),
        cbec_allowed=np.array([True, True, False]),
        general_trade_allowed=np.array([True, True, False]),
        unit_tax=UNIT_TAX,
        supplier_parcel=((0, 0, 9.0, 12.0), (0, 1, 8.0, 14.0)),
        postal=(("supplier", 0, 0, 6.0, 20.0), ("supplier", 0, 1, 6.0, 20.0)),
        allow_personal_articles=True,
        lane_days={"release": np.array(days)},
        wait_share=np.array([0.5, 1.0, 1.0]),
        max_delivery_days=np.array([8.0, np.inf]),
        cover_weeks=cover_weeks,
        salvage=np.array([20.0, 0.0, 0.0]),
    )


@pytest.mark.parametrize(
    "scenarios, domestic, cover_weeks",
    [
        (("high",), True, 0.0),
        (("high",), True, 2.0),
        (("low", "high"), False, 0.0),
        (("low", "high"), False, 2.0),
    ],
)
def test_network_optimum_is_the_routing_optimum(tmp_path, scenarios, domestic, cover_weeks):
    folder = write_instance(tmp_path / "routing", scenarios, domestic)
    routing = cbecopt.solve(
        cbecopt.load_instance(folder),
        "routing",
        cbecopt.SolveOptions(mip_rel_gap=0),
        RoutingConfig(cover_weeks=cover_weeks),
    )
    assert routing.status == cbecopt.Status.OPTIMAL, routing.diagnosis
    d = as_network(scenarios, domestic, cover_weeks)
    form, outcome = solve_network(d)
    assert outcome.objective == pytest.approx(routing.objective, rel=1e-7)
    service = service_kpis(NetworkProblem(d), form, outcome.values)
    for kpi in ("fill_rate", "average_delivery_days"):
        assert service[kpi] == pytest.approx(routing.kpis[kpi], rel=1e-6), kpi
