"""Marginal values (``SolveOptions.marginal_values``): the duals of the LP left when a plan's
integer decisions are fixed, against a finite difference of the optimal cost and a hand
computation on a network with one binding capacity."""

from __future__ import annotations

import numpy as np
import pytest

import cbecopt
from cbecopt.errors import OptionError
from cbecopt.marginal import _slack, _tidy
from network_io_helpers import write_network_instance

PRICE, INBOUND, RELEASE, PARCEL = 10.0, 2.0, 1.0, 7.0
VOLUME = 0.1
"""m3 per unit: the bonded zone's 6 m3 take 60 units a month."""
OPTIONS = cbecopt.SolveOptions(mip_rel_gap=1e-9, marginal_values=True)


def bonded_or_parcel(folder, volume_capacity: float, scenarios=(("base", 1.0),)):
    """One supplier S selling at 10, one market SH wanting 100 units in month 1 (in every
    scenario), two ways there: through the bonded zone NB (2 in, 1 out: 13 a unit, fixed
    cost 100, ``volume_capacity`` m3 of 0.1 m3 units) or a 9610 parcel straight from S (7:
    17 a unit). No tax, no holding, lost sales far dearer."""
    return write_network_instance(
        folder,
        nodes=[
            {"id": "S", "kind": "supplier", "fixed_cost": 0},
            {
                "id": "NB",
                "kind": "bonded_warehouse",
                "fixed_cost": 100,
                "volume_capacity": volume_capacity,
            },
            {"id": "SH", "kind": "market"},
        ],
        arcs=[
            ("S", "NB", "sea_bulk", INBOUND, 5),
            ("NB", "SH", "domestic_express", RELEASE, 2),
            ("S", "SH", "cbec_parcel", PARCEL, 8),
        ],
        products=[
            {
                "sku": "k",
                "category": "apparel",
                "price": 100,
                "lost_sale_penalty": 500,
                "holding_cost": 0,
                "volume_m3": VOLUME,
                "vat_rate": 0.0,
                "consumption_tax_rate": 0.0,
                "tariff_rate": 0.0,
            }
        ],  # fmt: skip
        offers=[{"supplier": "S", "sku": "k"}],
        breaks=[("S", "k", 0, PRICE)],
        demand=[
            {"market": "SH", "sku": "k", "month": 1, "scenario": s, "quantity": 100}
            for s, _ in scenarios
        ],
        scenarios=list(scenarios),
        settings="",
    )


def solved(folder) -> cbecopt.Result:
    return cbecopt.solve(cbecopt.load_instance(folder), "network", OPTIONS)


def rows_of(result: cbecopt.Result, family: str):
    table = result.table("marginal_values")
    return table[table["family"] == family]


@pytest.mark.component
def test_one_more_m3_saves_the_finite_difference_and_the_hand_computed_value(tmp_path):
    """6 m3 take 60 units through NB at 13, the other 40 go by parcel at 17: 100 + 60 x 13 +
    40 x 17 = 1560. One more m3 moves 1 / 0.1 = 10 units from parcel to bonded, saving
    (17 - 13) / 0.1 = 40 per m3: the dual of ``bonded_volume``, and the cost falls by as much
    from 6 to 7 m3 with the same warehouse in use. One more unit of demand costs a parcel,
    17: ``demand_served`` is worth -17."""
    tight = solved(bonded_or_parcel(tmp_path / "six", 6.0))
    wider = solved(bonded_or_parcel(tmp_path / "seven", 7.0))
    assert tight.objective == pytest.approx(100 + 60 * 13 + 40 * 17)
    hand = ((PRICE + PARCEL) - (PRICE + INBOUND + RELEASE)) / VOLUME
    volume = rows_of(tight, "bonded_volume")
    assert volume[["bonded", "month", "scenario"]].values.tolist() == [["NB", 1, "base"]]
    assert volume["value"].iloc[0] == pytest.approx(hand) == 40.0
    assert volume["slack"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    used = [r.table("warehouses")["used"].tolist() for r in (tight, wider)]
    assert used[0] == used[1] == [1]  # the same plan decisions: the finite difference holds them
    assert tight.objective - wider.objective == pytest.approx(volume["value"].iloc[0])
    demand = rows_of(tight, "demand_served")
    assert demand["value"].tolist() == pytest.approx([-(PRICE + PARCEL)])
    values = tight.table("marginal_values")["value"]
    assert (values.abs() > 1e-6).all() and list(values) == sorted(values, reverse=True)
    assert tight.timings["marginal_values"] > 0


@pytest.mark.component
def test_a_scenarios_rows_are_worth_their_share_and_add_up_to_the_capacitys_value(tmp_path):
    """Two equally likely scenarios with the same demand: the first-stage shipment into NB
    fills both scenarios' ``bonded_volume`` rows alike, so how the 40 one more m3 saves is
    split between them is the solver's choice, but the scenarios' rows add up to it, the
    finite difference of raising the capacity in both; each demand row is worth half of -17."""
    scenarios = (("a", 0.5), ("b", 0.5))
    result = solved(bonded_or_parcel(tmp_path / "x", 6.0, scenarios))
    volume = rows_of(result, "bonded_volume")
    assert set(volume["scenario"]) <= {"a", "b"} and (volume["value"] > 0).all()
    assert volume["value"].sum() == pytest.approx(40.0)
    demand = rows_of(result, "demand_served")
    assert demand["value"].tolist() == pytest.approx([-17.0 / 2, -17.0 / 2])
    wider = cbecopt.solve(
        cbecopt.load_instance(bonded_or_parcel(tmp_path / "y", 7.0, scenarios)), "network"
    )
    assert result.objective - wider.objective == pytest.approx(volume["value"].sum())


@pytest.mark.component
def test_routing_one_more_unit_released_saves_the_parcel_premium(tmp_path):
    """Routing (the cases of ``test_routing_capacity``, no tax): a bonded zone releasing 10
    units a month, 30 wanted; bonded costs 100 + 5 + 3 = 108 a unit, a parcel 100 + 20 = 120.
    One more unit of release capacity saves 12: the dual of ``bonded_release_capacity`` and
    the fall of the cost from 10 to 11."""
    from routing_helpers import write_routing_instance

    def release(folder, capacity: float) -> cbecopt.Result:
        write_routing_instance(
            folder,
            [{"sku": "A", "vat_rate": 0.0, "tariff_rate": 0.0, "postal_rate": 0.0}],
            [{"market": "M1", "sku": "A", "quantity": 30}],
            bonded={"BW": {"fixed_cost": 0, "capacity": capacity}},
            lanes=[
                ("FR", "BW", "air_bulk", 5, 5),
                ("BW", "M1", "last_mile", 3, 2),
                ("FR", "M1", "cbec_parcel", 20, 10),
            ],
        )
        return cbecopt.solve(cbecopt.load_instance(folder), "routing", OPTIONS)

    tight, wider = release(tmp_path / "ten", 10.0), release(tmp_path / "eleven", 11.0)
    assert tight.objective == pytest.approx(10 * 108 + 20 * 120)
    rows = rows_of(tight, "bonded_release_capacity")
    assert rows["bonded"].tolist() == ["BW"]
    assert rows["value"].tolist() == pytest.approx([120.0 - 108.0])
    assert tight.objective - wider.objective == pytest.approx(rows["value"].iloc[0])


@pytest.mark.component
def test_a_closed_sites_rows_are_left_out(tmp_path):
    """With room for every unit (60 m3) NB's volume row does not bind: no ``bonded_volume``
    row. With a bonded zone dearer than parcels (fixed cost 1000) the plan keeps NB unused,
    and the rows that only keep its flows at zero (holding ``use_warehouse`` = 0) are not
    listed either."""
    roomy = solved(bonded_or_parcel(tmp_path / "roomy", 60.0))
    assert rows_of(roomy, "bonded_volume").empty
    folder = bonded_or_parcel(tmp_path / "closed", 6.0)
    nodes = (
        (folder / "nodes.csv")
        .read_text()
        .replace("NB,bonded_warehouse,100", "NB,bonded_warehouse,1000")
    )
    (folder / "nodes.csv").write_text(nodes)
    closed = solved(folder)
    assert closed.table("warehouses")["used"].tolist() == [0]
    families = set(closed.table("marginal_values")["family"])
    assert not families & {"bonded_volume", "listing_open", "listing_link"}


@pytest.mark.component
def test_a_time_limit_spent_before_the_re_solve_leaves_a_warning_not_a_table(tmp_path):
    """The re-solve counts within the limit: a budget already spent leaves no table and says
    why in the warnings."""
    from cbecopt.limits import Budget

    folder = bonded_or_parcel(tmp_path / "x", 6.0)
    budget = Budget(60.0)
    budget.request_stop("test")
    from cbecopt.marginal import marginal_values
    from cbecopt.models.network import NetworkProblem, read_network
    from cbecopt.stochastic.twostage import build_extensive_form

    problem = NetworkProblem(read_network(cbecopt.load_instance(folder)))
    form = build_extensive_form(problem, problem.scenarios())
    values = np.zeros(form.compile().n_cols)
    stopped = cbecopt.SolveOptions(marginal_values=True, budget=budget)
    table, why = marginal_values(form, values, stopped)
    assert table is None and "not solved to optimality" in why


@pytest.mark.unit
def test_a_model_without_marginal_values_refuses_them(tmp_path):
    folder = bonded_or_parcel(tmp_path / "x", 6.0)
    with pytest.raises(OptionError, match="routing and network models, not warehouses"):
        cbecopt.solve(cbecopt.load_instance(folder), "warehouses", OPTIONS)


@pytest.mark.unit
def test_solving_by_sku_blocks_refuses_them():
    """SKU blocks solve many models: there is no one LP whose duals to report."""
    from cbecopt.models.routing.build import RoutingConfig
    from cbecopt.models.routing.generate import generate_routing

    instance = generate_routing(2, n_months=2, n_bonded=1, n_origins=1, n_markets=2, seed=1)
    with pytest.raises(OptionError, match="SKU blocks"):
        cbecopt.solve(instance, "routing", OPTIONS, RoutingConfig(sku_blocks=1))


@pytest.mark.unit
def test_slack_is_the_distance_to_the_nearest_finite_bound():
    lower = np.array([-np.inf, 2.0, 1.0, 5.0])
    upper = np.array([10.0, np.inf, 1.0, 9.0])
    activity = np.array([7.5, 2.0, 1.0, 8.0])
    np.testing.assert_allclose(_slack(lower, upper, activity), [2.5, 0.0, 0.0, 1.0])


@pytest.mark.unit
def test_the_table_puts_labels_between_scenario_and_value_most_valuable_first():
    import pandas as pd

    frames = [
        pd.DataFrame({"family": "a", "scenario": None, "bonded": ["NB"], "month": [0],
                      "value": [1.0], "slack": [0.0]}),
        pd.DataFrame({"family": "b", "scenario": "s", "supplier": ["S"], "value": [5.0],
                      "slack": [0.0]}),
    ]  # fmt: skip
    table = _tidy(frames)
    assert list(table.columns) == ["family", "scenario", "bonded", "month", "supplier", "value",
                                   "slack"]  # fmt: skip
    assert table["family"].tolist() == ["b", "a"]
    assert str(table["month"].dtype) == "Int64"
