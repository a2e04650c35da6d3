"""The network generator: reproducible from its seed, sized by its knobs, lanes that join
existing nodes in a role the instance format names, origin-aware first miles, scenario
probabilities that sum to 1, and the bundled ``network_demo`` equal to what the generator
writes for its seed (the bundled files cannot drift from the code)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cbecopt
from cbecopt.errors import OptionError
from cbecopt.highs import SolveOptions
from cbecopt.models.network import solve_network
from cbecopt.models.network.generate import (
    DEMO,
    PLATFORMS,
    generate,
    generate_network,
    network_demo,
)
from network_generated import rough_network_data

DEMO_FOLDER = Path(__file__).resolve().parents[1] / "instances" / "network_demo"
SMALL = dict(n_skus=12, n_suppliers=10, n_provinces=4, months=3, n_scenarios=3)

ROLES = {
    # (origin kind, destination kind): the modes the instance format gives that role
    ("supplier", "overseas_warehouse"): {"truck", "air"},
    ("supplier", "bonded_warehouse"): {"sea_bulk", "air_bulk"},
    ("supplier", "domestic_warehouse"): {"sea_bulk"},
    ("overseas_warehouse", "bonded_warehouse"): {"sea_bulk"},
    ("overseas_warehouse", "domestic_warehouse"): {"sea_bulk"},
    ("bonded_warehouse", "market"): {"last_mile"},
    ("domestic_warehouse", "market"): {"last_mile"},
    ("overseas_warehouse", "market"): {"cbec_parcel", "postal_parcel"},
    ("supplier", "market"): {"cbec_parcel"},
}
"""Every (kind, kind, mode) a generated lane may have, written from the instance format."""

RECEIVES = {
    # overseas warehouse: the brand countries it may receive SKUs of (its region's)
    "OW-LAX": {"US"},
    "OW-EWR": {"US"},
    "OW-FRA": {"FR", "DE", "IT"},
    "OW-RTM": {"FR", "DE", "IT"},
    "OW-TYO": {"JP"},
    "OW-ICN": {"KR"},
    "OW-SYD": {"AU"},
    "OW-HKG": {"US", "JP", "KR", "AU"},
}


def _small(**changes):
    return generate_network(**(SMALL | changes))


def _same_tables(a, b) -> None:
    assert set(a.tables) == set(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(
            a.tables[name].reset_index(drop=True), b.tables[name].reset_index(drop=True)
        )


@pytest.mark.unit
def test_same_seed_same_tables_other_seed_other_tables():
    _same_tables(_small(seed=7), _small(seed=7))
    one, other = _small(seed=7), _small(seed=8)
    for name in ("products", "offers", "demand", "scenarios"):
        assert not one.tables[name].equals(other.tables[name]), name


@pytest.mark.unit
@pytest.mark.parametrize(
    "knobs",
    [
        dict(),
        dict(n_skus=30, n_suppliers=16, n_overseas=3, n_bonded=6, n_provinces=7, months=5),
        dict(n_suppliers=4, n_overseas=1, n_bonded=1, n_provinces=1, months=1, n_scenarios=1),
        dict(platforms=("Tmall Global",), n_scenarios=5),
    ],
)
def test_sizes_follow_the_knobs(knobs):
    want = SMALL | dict(n_overseas=8, n_bonded=5, platforms=PLATFORMS) | knobs
    t = generate_network(**(SMALL | knobs)).tables
    kinds = t["nodes"]["kind"].value_counts()
    assert len(t["products"]) == want["n_skus"]
    assert kinds["supplier"] == want["n_suppliers"]
    assert kinds["overseas_warehouse"] == want["n_overseas"]
    assert kinds["bonded_warehouse"] == want["n_bonded"]
    assert kinds["domestic_warehouse"] == 1
    assert kinds["market"] == want["n_provinces"]
    assert len(t["scenarios"]) == want["n_scenarios"]
    demand = t["demand"]
    assert set(demand["month"]) == set(range(1, want["months"] + 1))
    assert set(demand["platform"]) == set(want["platforms"])
    assert set(demand["scenario"]) == set(t["scenarios"]["scenario"])
    types = set(t["nodes"]["supplier_type"].dropna())
    assert types == {"brand_direct", "distributor", "agent", "grey_market"}


@pytest.mark.unit
@pytest.mark.parametrize("seed", [0, 1, 2026])
def test_every_lane_joins_existing_nodes_in_a_role_of_the_format(seed):
    t = generate_network(n_skus=25, n_suppliers=20, n_provinces=6, months=2, seed=seed).tables
    kind = dict(zip(t["nodes"]["id"], t["nodes"]["kind"], strict=True))
    arcs = t["arcs"]
    assert arcs["origin"].isin(kind).all() and arcs["destination"].isin(kind).all()
    for o, d, mode in zip(arcs["origin"], arcs["destination"], arcs["mode"], strict=True):
        assert mode in ROLES.get((kind[o], kind[d]), set()), (o, d, mode)
    assert not arcs.duplicated(["origin", "destination", "mode"]).any()
    # drop-ship only from brand-direct suppliers; every supplier reaches China by bulk
    supplier_type = dict(zip(t["nodes"]["id"], t["nodes"]["supplier_type"], strict=True))
    drop = arcs[
        arcs["origin"].map(kind).eq("supplier") & arcs["destination"].map(kind).eq("market")
    ]
    assert set(drop["origin"].map(supplier_type)) == {"brand_direct"}
    bulk = arcs[arcs["destination"].map(kind).isin(["bonded_warehouse", "domestic_warehouse"])]
    suppliers = {n for n, k in kind.items() if k == "supplier"}
    assert suppliers <= set(bulk["origin"])


@pytest.mark.unit
@pytest.mark.parametrize("seed", [0, 1, 2026])
def test_an_overseas_warehouse_receives_only_skus_of_its_regions(seed):
    t = generate_network(n_skus=60, n_suppliers=25, n_provinces=2, months=1, seed=seed).tables
    country = {
        sku: name.split()[0]
        for sku, name in zip(t["products"]["sku"], t["products"]["name"], strict=True)
    }
    offers = t["offers"].groupby("supplier")["sku"].apply(set).to_dict()
    kind = dict(zip(t["nodes"]["id"], t["nodes"]["kind"], strict=True))
    arcs = t["arcs"]
    first = arcs[arcs["destination"].map(kind).eq("overseas_warehouse")]
    assert len(first) > 0
    for supplier, warehouse in zip(first["origin"], first["destination"], strict=True):
        # what can arrive at the warehouse on this lane: exactly the supplier's offers
        brought = {country[sku] for sku in offers.get(supplier, set())}
        assert brought <= RECEIVES[warehouse], (supplier, warehouse, brought)
    # and each supplier offers SKUs of one brand region only
    region = {"US": "US", "FR": "EU", "DE": "EU", "IT": "EU", "JP": "JP", "KR": "KR", "AU": "AU"}
    for supplier, skus in offers.items():
        assert len({region[country[sku]] for sku in skus}) == 1, supplier


@pytest.mark.unit
@pytest.mark.parametrize("n_scenarios", [1, 2, 7, 10, 33])
def test_scenario_probabilities_sum_to_one(n_scenarios):
    p = _small(n_scenarios=n_scenarios, n_skus=2).tables["scenarios"]["probability"].to_numpy()
    assert len(p) == n_scenarios
    assert np.all(p > 0)
    assert abs(p.sum() - 1.0) < 1e-9


@pytest.mark.unit
def test_offers_are_all_units_with_breaks_from_zero_and_contracts_on_offers():
    t = _small(n_skus=30, n_suppliers=16).tables
    assert set(t["offers"]["discount"]) == {"all_units"}
    first = t["price_breaks"].groupby(["supplier", "sku"])["from_quantity"].min()
    assert (first == 0).all()
    offered = set(zip(t["offers"]["supplier"], t["offers"]["sku"], strict=True))
    assert set(zip(t["price_breaks"]["supplier"], t["price_breaks"]["sku"], strict=True)) == offered
    contracts = t["contracts"]
    assert len(contracts) > 0
    assert set(zip(contracts["supplier"], contracts["sku"], strict=True)) <= offered
    assert set(contracts["type"]) <= {"quantity_flexibility", "option", "spot"}


@pytest.mark.unit
def test_generate_takes_the_command_options():
    options = dict(
        n_skus=5,
        seed=3,
        n_suppliers=8,
        n_warehouses=2,
        n_bonded=2,
        n_markets=3,
        n_months=2,
        n_scenarios=None,
        platforms=2,
    )
    made, what = generate(options)
    t = made.tables
    kinds = t["nodes"]["kind"].value_counts()
    assert (kinds["overseas_warehouse"], kinds["bonded_warehouse"], kinds["market"]) == (2, 2, 3)
    assert len(t["scenarios"]) == 10  # None: the generator's default
    assert set(t["demand"]["platform"]) == set(PLATFORMS[:2])
    assert "5 SKUs" in what and "8 suppliers" in what
    for option, bad in (("n_warehouses", 9), ("n_markets", 0), ("n_months", 13), ("platforms", 4)):
        with pytest.raises(OptionError) as refused:
            generate(options | {option: bad})
        assert refused.value.option == option  # the command names its own flag for it
    with pytest.raises(OptionError):
        generate_network(**SMALL, platforms=("JD Worldwide", "JD Worldwide"))


@pytest.mark.unit
def test_the_bundled_demo_is_what_the_generator_writes_for_its_seed():
    bundled = cbecopt.load_instance(DEMO_FOLDER)
    written = network_demo()
    _same_tables(bundled, written)
    assert dict(bundled.meta) == dict(written.meta)
    assert bundled.meta["instance"]["seed"] == DEMO["seed"]
    assert bundled.meta["instance"]["generator"].endswith("generate_network")


@pytest.mark.component
def test_a_small_generated_network_solves_in_the_v1_model_below_losing_every_sale():
    """Through a rough v1 reading (tests/network_generated.py): the generated numbers build a
    model HiGHS solves, and buying pays: the optimum is below the closed-form cost of losing
    every sale (sum over scenarios of p x demand x penalty), which is always feasible."""
    data = rough_network_data(
        generate_network(
            n_skus=4,
            n_suppliers=4,
            n_overseas=2,
            n_bonded=1,
            n_provinces=2,
            months=3,
            n_scenarios=2,
            platforms=("Tmall Global",),
            n_breaks=2,
        )
    )
    lose_all = float(np.einsum("s,sjkt,k->", data.probabilities, data.demand, data.lost_penalty))
    _, outcome = solve_network(data, options=SolveOptions(mip_rel_gap=1e-6))
    assert outcome.status.value == "optimal"
    assert 0 < outcome.objective < lose_all


@pytest.mark.unit
def test_a_year_writes_the_months_as_its_calendar_months_and_changes_nothing_else(tmp_path):
    numbered = generate_network(**SMALL)
    dated = generate_network(**SMALL, year=2027)
    assert dated.first_month == "2027-01" and numbered.first_month is None
    _same_tables(numbered, dated)
    cbecopt.save_instance(dated, tmp_path / "dated")
    months = pd.read_csv(tmp_path / "dated" / "demand.csv")["month"]
    assert set(months) == {f"2027-{m:02d}" for m in range(1, SMALL["months"] + 1)}
    with pytest.raises(OptionError, match="year"):
        generate_network(**SMALL, year=0)


@pytest.mark.unit
def test_a_network_without_flexible_terms_has_no_contracts_table_and_loads_back(tmp_path):
    made = generate_network(
        n_skus=2, n_suppliers=4, n_overseas=1, n_bonded=1, n_provinces=1, months=4,
        n_scenarios=1, platforms=("Tmall Global",), n_breaks=1,
    )  # fmt: skip
    assert "contracts" not in made.tables
    cbecopt.save_instance(made, tmp_path / "net")
    _same_tables(made, cbecopt.load_instance(tmp_path / "net"))
