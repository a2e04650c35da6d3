"""The stocked channels of the routing model against an independent model (``oracles.stocking``).

General trade is bulk import into a duty-paid domestic warehouse, taxed at import on the
customs value; bonded stock is taxed per order on release. Both hold stock, paid on the
average stock of the month, bounded in volume at the month's peak (opening stock plus
arrivals), with a handling fee per order and an optional weeks-of-cover floor. The oracle
writes one SKU's LP out by hand from these rules and enumerates the two warehouses; cbecopt
must reach the same optimum.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracles.stocking import INSURANCE, Sku, Store, cheapest_plan, general_trade_tax
from routing_helpers import solve_routing as solve
from routing_helpers import write_routing_instance

DAYS = 30.4


def lead_days(months: int) -> float:
    """Days on an inbound lane that arrive ``months`` months after shipping."""
    return months * DAYS + 5


def write_case(folder, sku: Sku, bonded: Store, domestic: Store, **product):
    """The oracle's case as a routing instance: supplier FR, warehouses BW (bonded) and DW
    (domestic), market M1, one month per demand entry, the stores' stock on hand in
    ``opening_stock``."""
    stores = {}
    for name, store, kind in (
        (("BW", bonded, "bonded_warehouse")),
        ("DW", domestic, "domestic_warehouse"),
    ):
        stores[name] = {
            "kind": kind,
            "fixed_cost": store.fixed,
            "handling_cost": store.handling,
            "volume_capacity": None if math.isinf(store.volume) else store.volume,
        }
    lanes = [
        ("FR", "BW", "air_bulk", bonded.inbound_cost, lead_days(bonded.lead_months)),
        ("FR", "DW", "sea_bulk", domestic.inbound_cost, lead_days(domestic.lead_months)),
        ("BW", "M1", "last_mile", bonded.last_mile, 2),
        ("DW", "M1", "last_mile", domestic.last_mile, 2),
    ]
    row = {
        "sku": "A",
        "price": sku.price,
        "purchase_cost": sku.purchase,
        "vat_rate": sku.vat,
        "consumption_tax_rate": sku.consumption_tax,
        "tariff_rate": sku.tariff,
        "holding_cost": sku.holding,
        "salvage_value": sku.salvage,
        "lost_sale_penalty": sku.lost_penalty,
        "volume_m3": sku.volume,
        "units_per_order": sku.units_per_order,
        "customs_value": sku.customs_value,
        **product,
    }
    demand = [
        {"market": "M1", "sku": "A", "month": t + 1, "quantity": q}
        for t, q in enumerate(sku.demand)
    ]
    written = write_routing_instance(folder, [row], demand, bonded=stores, lanes=lanes)
    opening = [
        {"warehouse": name, "sku": "A", "quantity": store.opening}
        for name, store in (("BW", bonded), ("DW", domestic))
        if store.opening > 0
    ]
    if opening:
        pd.DataFrame(opening).to_csv(written / "opening_stock.csv", index=False)
    return written


def tolerance(sku: Sku) -> float:
    """cbecopt rounds each tax to the fen per unit (per order on release), the oracle not."""
    return 0.02 * sum(sku.demand) + 1e-6


BONDED = Store(inbound_cost=5, lead_months=0, last_mile=3, handling=4, fixed=100, volume=0.6)
DOMESTIC = Store(inbound_cost=2, lead_months=1, last_mile=2, handling=3, fixed=50)
CASES = {
    # bonded holds 60 units at its peak: the rest by general trade, stocked a month ahead
    "volume_binds": (Sku(demand=(50, 80, 120), holding=2, salvage=10), BONDED, DOMESTIC, 0.0, {}),
    # two weeks of cover, an order of 2 items, consumption tax, a customs value given
    "cover_and_customs_value": (
        Sku(
            demand=(40, 90, 30, 70),
            holding=1.5,
            consumption_tax=0.15,
            units_per_order=2,
            customs_value=150.0,
        ),
        BONDED,
        DOMESTIC,
        2.0,
        {},
    ),
    # infant formula needs registration: no general trade, so what bonded cannot hold is lost
    "no_registration": (
        Sku(demand=(50, 80, 120), holding=2, general_trade_allowed=False),
        BONDED,
        DOMESTIC,
        0.0,
        {"category": "infant_formula"},
    ),
    # stock on hand in both warehouses: the bonded 30 units take half its volume in month 1
    "opening_stock": (
        Sku(demand=(50, 80, 120), holding=2, salvage=10),
        Store(
            inbound_cost=5,
            lead_months=0,
            last_mile=3,
            handling=4,
            fixed=100,
            volume=0.6,
            opening=30,
        ),
        Store(inbound_cost=2, lead_months=1, last_mile=2, handling=3, fixed=50, opening=20),
        0.0,
        {},
    ),  # fmt: skip
    # general trade is cheap here (a low tariff, no fixed cost): it takes everything
    "general_trade_wins": (
        Sku(demand=(30, 30), tariff=0.0, vat=0.09),
        Store(inbound_cost=20, lead_months=0, last_mile=5, fixed=500),
        Store(inbound_cost=1, lead_months=0, last_mile=1),
        0.0,
        {},
    ),
}


@pytest.mark.unit
def test_the_oracle_taxes_as_the_rules_by_hand():
    """Tariff 10%, consumption tax 15%, VAT 13% on 1,000: 100 + 194.1176 + 168.2353 (the
    worked example of ``test_tax``, unrounded); the customs value adds 0.3% insurance."""
    assert general_trade_tax(1000, 0.13, 0.15, 0.10) == pytest.approx(462.3529, abs=1e-4)
    assert pytest.approx(105.315) == (100 + 5) * (1 + INSURANCE)


@pytest.mark.component
@pytest.mark.parametrize("case", list(CASES))
def test_stocked_channels_match_the_independent_model(tmp_path, case):
    sku, bonded, domestic, cover, product = CASES[case]
    plan = cheapest_plan(sku, bonded, domestic, cover)
    result = solve(write_case(tmp_path / case, sku, bonded, domestic, **product), cover_weeks=cover)
    assert result.objective == pytest.approx(plan.cost, abs=tolerance(sku))
    units = result.tables["channel_mix"].groupby("channel")["quantity"].sum()
    assert units.get("lost", 0.0) == pytest.approx(sum(plan.lost), abs=1e-6)
    sold = sum(plan.released["domestic"])  # imported, and the opening stock
    assert units.get("general_trade", 0.0) == pytest.approx(sold, abs=1e-6)


@pytest.mark.component
def test_general_trade_tax_is_reported_at_import(tmp_path):
    """The general_trade_wins case: 60 units imported, each taxed on (100 + 1) x 1.003 at 9%
    VAT, nothing taxed on release; all of it VAT, no duty, in the months the units arrive."""
    sku, bonded, domestic, cover, _ = CASES["general_trade_wins"]
    result = solve(write_case(tmp_path / "x", sku, bonded, domestic))
    tax = result.tables["tax"]
    assert set(tax["channel"]) == {"general_trade"} and tax["units"].sum() == pytest.approx(60)
    assert tax["tax"].sum() == pytest.approx(60 * 0.09 * 101 * 1.003, abs=0.6)
    assert tax["vat"].sum() == pytest.approx(tax["tax"].sum(), rel=1e-9)
    assert tax["duty"].sum() == tax["consumption_tax"].sum() == tax["postal_tax"].sum() == 0
    arrived = result.tables["inbound"].groupby("arrival_month")["quantity"].sum()
    assert tax.set_index("month")["units"].to_dict() == pytest.approx(arrived.to_dict())


costs = st.integers(1, 30).map(float)
stores = st.builds(
    Store,
    inbound_cost=costs,
    lead_months=st.integers(0, 1),
    last_mile=costs,
    handling=st.sampled_from([0.0, 2.0, 6.0]),
    fixed=st.sampled_from([0.0, 80.0, 400.0]),
    volume=st.sampled_from([math.inf, 0.4, 1.0]),
    opening=st.sampled_from([0.0, 0.0, 15.0, 30.0]),  # 0.3 m³ at most: fits every volume
)
skus = st.builds(
    Sku,
    demand=st.lists(st.integers(0, 120).map(float), min_size=2, max_size=3).map(tuple),
    tariff=st.sampled_from([0.0, 0.05, 0.2]),
    holding=st.sampled_from([0.0, 1.0, 4.0]),
    salvage=st.sampled_from([0.0, 20.0]),
    units_per_order=st.integers(1, 3),
)


@pytest.mark.component
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sku=skus, bonded=stores, domestic=stores, cover=st.sampled_from([0.0, 1.0, 3.0]))
def test_random_stocked_cases_match_the_independent_model(
    tmp_path_factory, sku, bonded, domestic, cover
):
    if not any(sku.demand):
        sku = Sku(
            demand=(10.0, *sku.demand[1:]),
            **{f: getattr(sku, f) for f in ("tariff", "holding", "salvage", "units_per_order")},
        )
    plan = cheapest_plan(sku, bonded, domestic, cover)
    folder = write_case(tmp_path_factory.mktemp("stock"), sku, bonded, domestic)
    result = solve(folder, cover_weeks=cover)
    assert result.objective == pytest.approx(plan.cost, abs=tolerance(sku))
