"""The network every model reads: roles, defaults, demand with its scenario axis, copies.

The expected values are read off the hand-made instance below, not computed by the code.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cbecopt
from cbecopt.errors import Problem
from cbecopt.fields import QUANTITY_RESOLUTION
from cbecopt.instance import instance_from_tables
from cbecopt.models.contracts.generate import generate_contracts
from cbecopt.models.routing.generate import generate_routing
from cbecopt.models.suppliers.generate import generate_suppliers
from cbecopt.models.warehouses.generate import generate_warehouses
from cbecopt.network import BASE_SCENARIO, ROLES
from cbecopt.scenarios import sample_scenarios
from cbecopt.schemas import NODE_CAPACITY, SCHEMAS

SRC = Path(cbecopt.__file__).parent

NODES = """id,kind,capacity,fixed_cost,volume_capacity,max_delivery_days,supplier_type
S1,supplier,,,,,brand_direct
OW,overseas_warehouse,500,1000,,,
P,port,,,,,
BW,bonded_warehouse,40,,12.5,,
M1,market,,,,,
M2,market,,,,5,
"""
ARCS = """origin,destination,mode,unit_cost,cost_per_kg,lead_time_days,capacity
S1,OW,sea_bulk,1,,30,
S1,P,,2,0.5,20,100
S1,BW,air_bulk,3,,7,
OW,BW,sea_bulk,4,,25,
BW,M1,last_mile,5,,2,
S1,M1,cbec_parcel,6,1.5,10,
P,M2,postal_parcel,7,,12,
OW,M1,,8,,9,
OW,M2,general_trade,9,,15,
M1,M2,truck,1,,1,
BW,OW,sea_bulk,1,,30,
"""
ROLE_AND_CHANNEL = [
    ("S1", "OW", "first_mile", None),
    ("S1", "P", "first_mile", None),
    ("S1", "BW", "inbound", "bonded"),
    ("OW", "BW", "inbound", "bonded"),
    ("BW", "M1", "last_mile", "bonded"),
    ("S1", "M1", "direct", "cbec_direct"),
    ("P", "M2", "direct", "postal"),
    ("OW", "M1", "direct", None),
    ("OW", "M2", "direct", None),  # general trade is no per-order lane
    ("M1", "M2", "other", None),
    ("BW", "OW", "other", None),
]
DEMAND = """market,sku,quantity,scenario,platform
M1,A,10,,tmall
M1,A,5,high,tmall
M2,A,4,low,jd
M2,B,6,,jd
"""
SCENARIOS = """scenario,probability
low,0.25
high,0.75
"""
PRODUCTS = """sku,price,declared_value,units_per_order
A,100,,
B,,30,2
"""
OFFERS = """supplier,sku,discount,capacity
S1,A,,
S1,B,incremental,50
"""
BREAKS = """supplier,sku,from_quantity,unit_price
S1,A,0,10
S1,B,0,20
"""


def write(folder: Path, **tables: str) -> Path:
    """The hand-made instance as a folder; ``tables`` replace or add tables (None drops one)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "instance.toml").write_text('[instance]\nname = "net"\n')
    given = {
        "nodes": NODES,
        "arcs": ARCS,
        "demand": DEMAND,
        "scenarios": SCENARIOS,
        "products": PRODUCTS,
        "offers": OFFERS,
        "price_breaks": BREAKS,
    }
    for name, text in {**given, **tables}.items():
        if text is not None:
            (folder / f"{name}.csv").write_text(text)
    return folder


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    return cbecopt.load_instance(write(tmp_path_factory.mktemp("n") / "net")).network


@pytest.mark.unit
def test_each_lane_has_the_role_and_channel_of_its_ends_and_mode(network):
    lanes = network.lanes
    got = list(
        lanes[["origin", "destination", "role", "channel"]].itertuples(index=False, name=None)
    )
    assert got == ROLE_AND_CHANNEL
    for role in ROLES:
        expected = [(o, d) for o, d, r, _ in ROLE_AND_CHANNEL if r == role]
        chosen = network.lanes_of(role)
        assert (
            list(chosen[["origin", "destination"]].itertuples(index=False, name=None)) == expected
        )
    from_warehouse = network.lanes_of("direct", origin_kind="overseas_warehouse")
    assert list(from_warehouse["destination"]) == ["M1", "M2"]


@pytest.mark.unit
def test_a_domestic_warehouse_stocks_general_trade(tmp_path):
    """Into and out of a duty-paid domestic warehouse are the inbound and last-mile lanes of
    the general-trade channel, as those of a bonded warehouse are of the bonded channel."""
    nodes = NODES + "DW,domestic_warehouse,,,,,\n"
    arcs = ARCS + "S1,DW,sea_bulk,2,,40,\nDW,M2,last_mile,3,,2,\n"
    lanes = cbecopt.load_instance(write(tmp_path / "dw", nodes=nodes, arcs=arcs)).network.lanes
    got = lanes[["origin", "destination", "role", "channel"]].itertuples(index=False, name=None)
    assert list(got)[-2:] == [
        ("S1", "DW", "inbound", "general_trade"),
        ("DW", "M2", "last_mile", "general_trade"),
    ]


@pytest.mark.unit
def test_lanes_take_the_arcs_defaults_and_keep_their_rows(network):
    lanes = network.lanes.set_index(["origin", "destination"])
    assert lanes.at[("S1", "P"), "mode"] == "default"  # blank mode
    assert lanes.at[("OW", "M1"), "mode"] == "default"
    assert lanes.at[("S1", "OW"), "cost_per_kg"] == 0.0  # blank: nothing per kg
    assert lanes.at[("S1", "P"), "cost_per_kg"] == 0.5
    assert lanes.at[("S1", "OW"), "capacity"] == math.inf  # blank: unlimited
    assert lanes.at[("S1", "P"), "capacity"] == 100
    assert lanes.at[("P", "M2"), "lead_time_days"] == 12
    assert list(network.lanes["row"]) == list(range(11))  # arcs.csv lines 2..12


@pytest.mark.unit
def test_nodes_take_the_schema_defaults(network):
    nodes = network.nodes
    assert list(nodes.index) == ["S1", "OW", "P", "BW", "M1", "M2"]
    assert nodes.at["S1", "capacity"] == math.inf and nodes.at["S1", "fixed_cost"] == 0.0
    assert nodes.at["OW", "capacity"] == 500 and nodes.at["OW", "fixed_cost"] == 1000
    assert nodes.at["BW", "volume_capacity"] == 12.5 and nodes.at["BW", "fixed_cost"] == 0.0
    assert nodes.at["OW", "volume_capacity"] == math.inf
    assert nodes.at["M1", "max_delivery_days"] == math.inf  # blank: no target
    assert nodes.at["M2", "max_delivery_days"] == 5
    assert nodes.at["S1", "supplier_type"] == "brand_direct"
    assert nodes.at["OW", "supplier_type"] is None
    assert list(network.nodes_of("market").index) == ["M1", "M2"]
    assert nodes.at["M2", "row"] == 5  # nodes.csv line 7


@pytest.mark.unit
def test_catalog_tables_take_their_defaults(network):
    products = network.products.set_index("sku")
    assert products.at["B", "price"] == 0.0
    assert products.at["A", "declared_value"] == 100  # blank: the price
    assert products.at["B", "declared_value"] == 30
    assert products.at["A", "units_per_order"] == 1 and products.at["B", "units_per_order"] == 2
    assert products.at["A", "wait_share"] == 1 and products.at["A", "bonded_allowed"] == 1
    assert products.at["A", "salvage_value"] == 0
    # blank: no stated penalty, which the suppliers model reads as the statutory one
    assert math.isnan(products.at["A", "counterfeit_penalty"])
    assert math.isnan(products.at["A", "weight_kg"])  # no default: a model that needs it says so
    offers = network.offers.set_index("sku")
    assert offers.at["A", "discount"] == "all_units" and offers.at["B", "discount"] == "incremental"
    assert offers.at["A", "capacity"] == math.inf and offers.at["B", "capacity"] == 50
    assert offers.at["A", "counterfeit_rate"] == 0 and offers.at["A", "min_order"] == 0
    assert network.contracts is None
    assert network.has_column("products", "declared_value")
    assert not network.has_column("products", "weight_kg")


@pytest.mark.unit
def test_certain_demand_counts_in_every_scenario(network):
    assert network.scenarios.names == ("low", "high")
    assert list(network.scenarios.probabilities) == [0.25, 0.75]
    assert network.stochastic
    assert len(network.demand) == 6  # two certain rows x two scenarios, two scenario rows
    # low: A = 10 + 4, B = 6; high: A = 10 + 5, B = 6
    assert network.demand_array({"sku": ["A", "B"]}).tolist() == [[14, 6], [15, 6]]
    keys, matrix = network.demand_matrix({"market": ["M1", "M2"], "sku": ["A", "B"]})
    assert keys.to_numpy().tolist() == [[0, 0], [1, 0], [1, 1]]
    assert matrix.tolist() == [[10, 4, 6], [15, 0, 6]]
    # expected: M1 = 10 + 0.75 x 5, M2 = 6 + 0.25 x 4
    assert network.expected_demand(["market"]).to_dict() == {"M1": 13.75, "M2": 7.0}
    assert network.expected_demand(["platform"]).to_dict() == {"tmall": 13.75, "jd": 7.0}
    assert network.platforms == ["tmall", "jd"]
    assert network.graph.nodes["M1"]["demand"] == 13.75
    assert network.demand.loc[network.demand["scenario"] == "high", "row"].tolist() == [0, 3, 1]


@pytest.mark.unit
def test_a_deterministic_instance_is_one_scenario(tmp_path):
    folder = write(tmp_path / "d", demand="market,sku,quantity\nM1,A,10\nM2,B,6\n", scenarios=None)
    network = cbecopt.load_instance(folder).network
    assert network.scenarios.names == (BASE_SCENARIO,)
    assert not network.stochastic
    assert network.demand_array({"sku": ["A", "B"]}).tolist() == [[10, 6]]
    assert network.demand["sku"].tolist() == ["A", "B"]
    assert network.demand["month"].isna().all() and network.demand["platform"].isna().all()


@pytest.mark.unit
def test_the_graph_holds_nodes_and_points_to_lanes(network):
    graph = network.graph
    assert graph.number_of_nodes() == 6
    assert graph.nodes["OW"]["capacity"] == 500 and graph.nodes["S1"]["capacity"] == math.inf
    assert graph.edges["S1", "M1"]["lanes"] == {"cbec_parcel": 5}
    assert graph.number_of_edges() == 11


@pytest.mark.unit
def test_a_workbook_gives_the_same_network(tmp_path, network):
    instance = cbecopt.load_instance(write(tmp_path / "n"))
    cbecopt.save_instance(instance, tmp_path / "net.xlsx")
    book = cbecopt.load_instance(tmp_path / "net.xlsx").network
    pd.testing.assert_frame_equal(book.nodes, network.nodes)
    pd.testing.assert_frame_equal(book.lanes, network.lanes)
    pd.testing.assert_frame_equal(book.demand, network.demand)
    pd.testing.assert_frame_equal(book.products, network.products)


@pytest.mark.unit
def test_with_tables_validates_the_copy_and_names_the_rows(tmp_path):
    instance = cbecopt.load_instance(write(tmp_path / "n"))
    demand = instance.tables["demand"]
    with pytest.raises(cbecopt.InputError) as caught:
        instance.with_tables(demand=demand.assign(quantity=[10, -1, 4, 6]))
    assert caught.value.problems == [
        Problem("demand.csv", "-1 is below the minimum 0", 3, "quantity")
    ]
    with pytest.raises(cbecopt.InputError) as caught:
        instance.with_tables(arcs=instance.tables["arcs"].assign(destination="nowhere"))
    assert {p.message for p in caught.value.problems} == {"unknown node 'nowhere' (not in nodes)"}
    only_m2 = instance.with_tables(demand=demand[demand["market"] == "M2"])
    assert only_m2.network.expected_demand(["market"]).to_dict() == {"M2": 7.0}
    assert instance.network.expected_demand(["market"])["M1"] == 13.75  # the original stands
    assert only_m2.network.demand_rows.index.tolist() == [2, 3]  # rows keep their labels


@pytest.mark.unit
def test_with_tables_on_a_workbook_names_the_sheet(tmp_path):
    cbecopt.save_instance(cbecopt.load_instance(write(tmp_path / "n")), tmp_path / "w.xlsx")
    book = cbecopt.load_instance(tmp_path / "w.xlsx")
    nodes = book.tables["nodes"].assign(capacity=[np.nan, 500, np.nan, -40, np.nan, np.nan])
    with pytest.raises(cbecopt.InputError) as caught:
        book.with_tables(nodes=nodes)
    assert caught.value.problems == [
        Problem("w.xlsx, sheet 'nodes'", "-40 is below the minimum 0", 5, "capacity")
    ]


@pytest.mark.unit
def test_sample_scenarios_gives_a_validated_instance(tmp_path):
    folder = write(
        tmp_path / "d", demand="market,sku,quantity,std\nM1,A,10,2\nM2,B,6,0\n", scenarios=None
    )
    instance = cbecopt.load_instance(folder)
    sampled = sample_scenarios(instance, 4, "normal", seed=7)
    assert len(sampled.network.scenarios) == 4
    assert list(sampled.network.scenarios.probabilities) == [0.25] * 4
    assert sampled.meta["scenarios"] == {"distribution": "normal", "n": 4, "seed": 7}
    matrix = sampled.network.demand_array({"sku": ["A", "B"]})
    assert (matrix[:, 1] == 6).all()  # no spread, no change
    assert len(set(matrix[:, 0])) == 4
    again = sample_scenarios(instance, 4, "normal", seed=7).network.demand_array(
        {"sku": ["A", "B"]}
    )
    assert (again == matrix).all()
    with pytest.raises(cbecopt.InputError, match="already has scenarios"):
        sample_scenarios(sampled, 2)


@pytest.mark.unit
def test_draws_too_small_for_the_solver_are_zero(tmp_path):
    """A normal draw of mean 0 and std 1e-6 lands below the quantity resolution about a third
    of the time; such draws are 0, so the sampled instance passes validation."""
    folder = write(
        tmp_path / "d", demand="market,sku,quantity,std\nM1,A,0,0.000001\n", scenarios=None
    )
    sampled = sample_scenarios(cbecopt.load_instance(folder), 60, "normal", seed=1)
    quantity = sampled.network.demand["quantity"].to_numpy()
    assert ((quantity == 0) | (quantity >= QUANTITY_RESOLUTION)).all()
    assert (quantity >= QUANTITY_RESOLUTION).any()


@pytest.mark.parametrize(
    "make",
    [
        lambda: generate_warehouses(3, 4, seed=1, platforms=2),
        lambda: generate_contracts(2, 3, seed=1),
        lambda: generate_routing(2, n_months=2, n_markets=2, seed=1),
        lambda: generate_suppliers(2, 3, seed=1, offers_per_sku=2),
    ],
    ids=["warehouses", "contracts", "routing", "suppliers"],
)
@pytest.mark.unit
def test_generators_build_through_validation(monkeypatch, make):
    """A check across tables that refuses everything reaches every generator."""
    from cbecopt import instance as module

    def refuse(tables, source):
        return [Problem(source("nodes"), "refused by the test")]

    monkeypatch.setattr(
        module, "CROSS_TABLE_CHECKS", (*module.CROSS_TABLE_CHECKS, ((), (), refuse))
    )
    with pytest.raises(cbecopt.InputError, match="refused by the test"):
        make()


@pytest.mark.unit
def test_instances_come_only_from_validation(tmp_path):
    tables = {
        "nodes": pd.DataFrame({"id": ["w", "m"], "kind": ["overseas_warehouse", "market"]}),
        "demand": pd.DataFrame({"market": ["m"], "quantity": [1e-9]}),
    }
    with pytest.raises(cbecopt.InputError, match="too small for the solver"):
        instance_from_tables({"instance": {"name": "x"}}, tables)


@pytest.mark.unit
def test_models_read_only_through_the_network():
    """No model package reads the instance's raw tables or walks its graph (the registry,
    ``models/__init__.py`` and ``models/spec.py``, checks which tables are there). The
    summaries and policies read a result's own tables by ``result.table(name)``, so the
    issue's check, ``grep -rn 'tables\\["' src/cbecopt/models/``, finds nothing at all."""
    forbidden = re.compile(
        r"instance\.(tables|graph)|tables\[\"|\.tables\.get\(|graph\.nodes\[|lane_table"
    )
    found = [
        f"{path.name}:{n}: {line.strip()}"
        for path in sorted((SRC / "models").rglob("*.py"))
        if path.relative_to(SRC).as_posix() not in ("models/__init__.py", "models/spec.py")
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if forbidden.search(line)
    ]
    assert found == []


@pytest.mark.integration
def test_scenarios_does_not_import_instance():
    """The instance <-> scenarios circle is gone: scenarios imports without instance."""
    code = "import sys, cbecopt.scenarios; print('cbecopt.instance' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.unit
def test_capacity_units_are_declared_once_and_documented():
    """Each node kind's capacity unit is in the schema and in the README's table."""
    capacity = SCHEMAS["nodes"].field("capacity")
    assert capacity.default == math.inf
    readme = (SRC.parents[1] / "README.md").read_text()
    for kind, unit in NODE_CAPACITY.items():
        assert f"| `{kind}` | {unit} |" in readme
        assert unit in capacity.unit
    assert SCHEMAS["arcs"].field("capacity").unit == "units per period"
    assert SCHEMAS["nodes"].field("volume_capacity").unit.startswith("m³")
