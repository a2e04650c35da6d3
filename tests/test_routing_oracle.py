"""The routing model on a plan derived by hand from the tax rules as published, without the
package's tax and eligibility code (``cbecopt.tax``, ``channels``, ``routing_data``).

Rules used (the sources ``src/cbecopt/tax_rules.toml`` cites):

- CBEC retail (MOF/GACC/SAT 2016 No. 18): tariff 0; VAT and consumption tax at 70% of the
  statutory amounts, so an order of value V at 13% VAT and no consumption tax pays 0.091 V.
- Single-transaction limit (MOF/GACC/SAT 2018 No. 49): RMB 5,000. An order of several items
  above it may not use CBEC; a single indivisible item above it may, at full tariff and VAT.
- General trade (bulk import into a duty-paid warehouse): tariff T = V t, VAT = (V + T) v on
  the customs value V, here given per SKU (``customs_value``, the declared value).
- Postal articles (Shuiweihui [2019] 17; GACC 2010 No. 43): tax = parcel value x rate, not
  collected when RMB 50 or less; a parcel of several items above RMB 1,000 is not allowed.

An order (CBEC) or parcel (postal) holds ``units_per_order`` items: its tax, divided by its
items, is the tax per unit.

- Stock (``models/routing.md``): goods arrive at a month's start and leave evenly through it,
  so holding is paid on (opening + arrivals + closing) / 2 and the volume capacity bounds the
  peak, opening + arrivals.

The instance: one supplier FR, one bonded warehouse BW, one duty-paid warehouse DW, one market
M1, two months; all demand falls in month 2 (month 1 has zero rows). Lanes, per unit: FR->BW
sea_bulk 3 (10 days: arrives the month it ships; at most 100 units a month), BW->M1 last_mile
2, FR->DW sea_bulk 12 (10 days), DW->M1 last_mile 0, FR->M1 cbec_parcel 9, postal_parcel 6.
Purchase cost 0, prices (lost sales) RMB 10,000, holding 1 a unit-month, so a unit stocked for
its month of arrival alone costs 0.50. Only E is on the positive list for bonded, so the
warehouse's 13 m3 hold E alone (130 units). VAT 13%, no consumption tax, tariff 10%
throughout.

Per unit, freight + tax (x: channel closed, why; * the cheapest):

==========  ==================  =============  ===============  ===============  ===========
SKU         order               bonded         cbec_direct      postal           general
==========  ==================  =============  ===============  ===============  ===========
A (40)      4 x RMB 100         x (list)       9 + 9.10 *       6 + 80/4         12.50 + 24.30
B (30)      2 x RMB 100         x (list)       9 + 9.10         6 + 0 *          12.50 + 24.30
C (10)      2 x RMB 3,000       x (list)       x (limit)        x (ceiling)      12.50 + 729 *
D (5)       1 x RMB 6,000       x (list)       9 + 1458 *       6 + 3000         12.50 + 1458
E (150)     1 x RMB 200         5.50 + 18.20 * 9 + 18.20        6 + 100          12.50 + 48.60
==========  ==================  =============  ===============  ===============  ===========

A: CBEC 0.091 x 400 = 36.40 an order; postal 0.20 x 400 = 80 > 50 is collected.
B: postal 0.20 x 200 = 40 <= 50 is exempt.
C: 6,000 > 5,000 with 2 items: no CBEC; postal 6,000 > 1,000 with 2 items is not allowed;
   general trade T = 300, VAT = 3,300 x 0.13 = 429.
D: one item of 6,000: CBEC at full tax, T = 600, VAT = 6,600 x 0.13 = 858, as general trade
   but on the cheaper parcel lane; postal at 50% = 3,000.
E: CBEC 0.091 x 200 = 18.20; general trade T = 20, VAT = 220 x 0.13 = 28.60; postal 0.50 x
   200 = 100. The lane carries 100 in month 2, so more bonded units ship in month 1 and wait:
   0.50 in month 1, 0.50 + 0.50 for the stock at its end, 23.20 + 1.50 = 24.70 < 27.20 still.
   The 13 m3 hold 13 / 0.1 = 130 units at the peak, month 2's opening stock plus its
   arrivals: 130 go bonded (30 shipped in month 1, 100 in month 2), 20 by parcel.

Cost: A 40 x 18.10 = 724; B 30 x 6 = 180; C 10 x 741.50 = 7,415; D 5 x 1,467 = 7,335;
E 130 x 23.20 + holding (month 1 average 30, month 2 (30 + 100) / 2 = 65) 95 + 20 x 27.20 =
3,655: 19,309 in all. Tax: 40 x 9.10 + 0 + 10 x 729 (at import) + 5 x 1,458 + 150 x 18.20
= 17,674.

Each rule moves the optimum: counting every item as its own order makes A's parcel exempt (A
by post, 484 less) and C's order 3,000 (CBEC, 4,595 less); without the exemption B goes by
CBEC parcel (363 more); without the limit's closure C goes by CBEC at full tax (35 less),
without its full tax D pays 546 (4,560 less); without the volume capacity all of E goes
bonded (50 less: 150 x 23.20 + holding 50 + 75).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cbecopt

pytestmark = pytest.mark.component

NODES = """id,kind,volume_capacity
FR,supplier,
BW,bonded_warehouse,13
DW,domestic_warehouse,
M1,market,
"""
ARCS = """origin,destination,mode,unit_cost,lead_time_days,capacity
FR,BW,sea_bulk,3,10,100
BW,M1,last_mile,2,3,
FR,M1,cbec_parcel,9,10,
FR,M1,postal_parcel,6,20,
FR,DW,sea_bulk,12,10,
DW,M1,last_mile,0,5,
"""
PRODUCTS = """sku,origin,price,purchase_cost,declared_value,units_per_order,vat_rate,\
consumption_tax_rate,tariff_rate,postal_rate,bonded_allowed,cbec_allowed,volume_m3,holding_cost,\
customs_value
A,FR,10000,0,100,4,0.13,0,0.10,0.20,0,1,0.1,1,100
B,FR,10000,0,100,2,0.13,0,0.10,0.20,0,1,0.1,1,100
C,FR,10000,0,3000,2,0.13,0,0.10,0.20,0,1,0.1,1,3000
D,FR,10000,0,6000,1,0.13,0,0.10,0.50,0,1,0.1,1,6000
E,FR,10000,0,200,1,0.13,0,0.10,0.50,1,1,0.1,1,200
"""
DEMAND = {"A": 40, "B": 30, "C": 10, "D": 5, "E": 150}

HAND_OBJECTIVE = 19_309.00
HAND_TAX = 17_674.00
HAND_CHANNELS = {
    ("A", "cbec_direct"): 40.0,
    ("B", "postal"): 30.0,
    ("C", "general_trade"): 10.0,
    ("D", "cbec_direct"): 5.0,
    ("E", "bonded"): 130.0,
    ("E", "cbec_direct"): 20.0,
}


def write_instance(folder: Path) -> Path:
    """The instance of the module docstring as a CSV folder."""
    folder.mkdir()
    demand = ["market,sku,month,quantity"]
    for sku, quantity in DEMAND.items():
        demand += [f"M1,{sku},1,0", f"M1,{sku},2,{quantity}"]
    for name, text in (
        ("instance.toml", '[instance]\nname = "routing-oracle"\n'),
        ("nodes.csv", NODES),
        ("arcs.csv", ARCS),
        ("products.csv", PRODUCTS),
        ("demand.csv", "\n".join(demand) + "\n"),
    ):
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def plan(tmp_path_factory) -> cbecopt.Result:
    instance = cbecopt.load_instance(write_instance(tmp_path_factory.mktemp("oracle") / "x"))
    result = cbecopt.solve(instance, "routing", cbecopt.SolveOptions(mip_rel_gap=0))
    assert result.status == cbecopt.Status.OPTIMAL, result.diagnosis
    return result


def channels(plan: cbecopt.Result, sku: str) -> dict[str, float]:
    """Units of ``sku`` by channel (lost included), over the horizon."""
    mix = plan.tables["channel_mix"]
    units = mix[mix["sku"] == sku].groupby("channel", sort=False)["quantity"].sum()
    return units.round(6).to_dict()


def expected(sku: str) -> dict[str, float]:
    return {channel: units for (k, channel), units in HAND_CHANNELS.items() if k == sku}


def test_the_plan_costs_what_the_published_rules_give_by_hand(plan):
    assert plan.objective == pytest.approx(HAND_OBJECTIVE, abs=1e-6)
    assert plan.kpis["tax_paid"] == pytest.approx(HAND_TAX, abs=1e-6)


def test_a_multi_item_postal_parcel_pays_on_the_parcel_value(plan):
    """A: 4 items of RMB 100 are one parcel of 400, taxed 80 (not 4 exempt parcels of 20)."""
    assert channels(plan, "A") == expected("A")


def test_a_postal_tax_of_50_or_less_is_not_collected(plan):
    """B: the parcel of 2 x 100 is assessed 40, exempt: post beats the CBEC parcel."""
    assert channels(plan, "B") == expected("B")


def test_the_single_transaction_limit_closes_cbec_or_charges_full_tax(plan):
    """C: 2 items of 3,000 exceed RMB 5,000 (no CBEC, no post); D: one item of 6,000 goes
    through CBEC at the full tax (the objective holds the amount)."""
    assert channels(plan, "C") == expected("C")
    assert channels(plan, "D") == expected("D")
    tax = plan.tables["tax"].groupby(["channel", "regime"])[["units", "tax"]].sum().round(6)
    assert tax.loc[("cbec_direct", "cbec_full_tax")].to_dict() == {"units": 5.0, "tax": 7290.0}
    assert tax.loc[("general_trade", "general_trade")].to_dict() == {"units": 10.0, "tax": 7290.0}


def test_the_bonded_volume_capacity_binds(plan):
    """E: 30 units held at the end of month 1, 100 shipped in month 2 (13 m3 at the peak), 20
    by parcel."""
    assert channels(plan, "E") == expected("E")
    stock = plan.tables["stock"]
    assert stock[["bonded_warehouse", "sku", "month", "stock"]].round(6).to_dict("records") == [
        {"bonded_warehouse": "BW", "sku": "E", "month": 1, "stock": 30.0}
    ]
    inbound = plan.tables["inbound"]
    bonded = inbound[inbound["bonded_warehouse"] == "BW"]
    assert bonded.groupby("ship_month")["quantity"].sum().round(6).to_dict() == {1: 30.0, 2: 100.0}
    assert plan.tables["bonded"].set_index("bonded_warehouse").at["BW", "peak_volume_m3"] == (
        pytest.approx(13.0)
    )
