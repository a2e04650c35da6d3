"""Sharing warehouses: the saving, the two cost splits and the core check.

The Shapley values are checked against numbers derived by hand and, on tiny random
instances, against coalition costs from the brute-force enumeration with the Shapley value
computed the other way round (average marginal cost over every joining order).
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cbecopt
import cbecopt.batch
from brute_force import multi_source_optimum
from cbecopt.sharing import compare_sharing
from helpers import write_instance


def _shared(folder) -> cbecopt.Result:
    result = compare_sharing(cbecopt.load_instance(folder))
    assert result.kpis["comparison_proven"]
    return result


def _costs(result) -> pd.DataFrame:
    return result.tables["platform_costs"].set_index("platform")


@pytest.mark.component
def test_one_warehouse_shapley_halves_the_fixed_cost(tmp_path):
    """One warehouse (fixed 100) serves a's 10 units at 1 and b's 20 units at 2.

    c(a) = 110, c(b) = 140, c(ab) = 150: Shapley charges each half the fixed cost plus its
    own transport (60, 90); by use splits the fixed cost 1:2 by units (43.33, 106.67).
    """
    folder = write_instance(
        tmp_path / "x",
        nodes="id,kind,capacity,fixed_cost\nw,overseas_warehouse,100,100\nm1,market,,\nm2,market,,\n",
        arcs="origin,destination,unit_cost\nw,m1,1\nw,m2,2\n",
        demand="market,platform,quantity\nm1,a,10\nm2,b,20\n",
    )
    result = _shared(folder)
    costs = _costs(result)
    assert costs["shapley_cost"].to_dict() == pytest.approx({"a": 60.0, "b": 90.0})
    assert costs["allocated_cost"].to_dict() == pytest.approx(
        {"a": 10 + 100 / 3, "b": 40 + 200 / 3}
    )
    assert costs["independent_cost"].to_dict() == pytest.approx({"a": 110.0, "b": 140.0})
    assert result.kpis["sharing_saving"] == pytest.approx(100.0)
    assert result.kpis["by_use_in_core"] is True and result.kpis["shapley_in_core"] is True
    # two platforms: the nucleolus splits the saving equally too; least-core epsilon -100/2
    assert costs["nucleolus_cost"].to_dict() == pytest.approx({"a": 60.0, "b": 90.0})
    assert result.kpis["least_core_epsilon"] == pytest.approx(-50.0)
    assert result.kpis["core_nonempty"] is True


@pytest.mark.component
def test_split_by_use_can_leave_the_core(tmp_path):
    """a alone uses a small warehouse (cost 20); together both use the big one (cost 1100).

    By use a pays 10 + 1000 x 10/100 = 110 > 20, so a would rather leave: outside the core.
    Shapley: a = (20 + (1100 - 1090)) / 2 = 15, b = (1090 + (1100 - 20)) / 2 = 1085, in the core.
    """
    folder = write_instance(
        tmp_path / "x",
        nodes=(
            "id,kind,capacity,fixed_cost\nsmall,overseas_warehouse,10,10\n"
            "big,overseas_warehouse,100,1000\nm1,market,,\nm2,market,,\n"
        ),
        arcs="origin,destination,unit_cost\nsmall,m1,1\nsmall,m2,100\nbig,m1,1\nbig,m2,1\n",
        demand="market,platform,quantity\nm1,a,10\nm2,b,90\n",
    )
    result = _shared(folder)
    costs = _costs(result)
    assert costs["independent_cost"].to_dict() == pytest.approx({"a": 20.0, "b": 1090.0})
    assert costs.at["a", "allocated_cost"] == pytest.approx(110.0)
    assert costs["shapley_cost"].to_dict() == pytest.approx({"a": 15.0, "b": 1085.0})
    assert result.kpis["by_use_in_core"] is False and result.kpis["shapley_in_core"] is True
    assert costs["nucleolus_cost"].to_dict() == pytest.approx({"a": 15.0, "b": 1085.0})
    assert result.kpis["least_core_epsilon"] == pytest.approx(-5.0)
    coalitions = result.tables["coalitions"].set_index("coalition")
    assert coalitions.at["a", "by_use_excess"] == pytest.approx(20.0 - 110.0)


@pytest.mark.component
def test_airport_game_shapley_and_nucleolus_by_hand(tmp_path):
    """Warehouses of fixed cost 6, 12 and 30 nested like runways: a can use any, b the two
    larger, c only the largest; no transport cost. c(S) = the dearest need in S: the airport
    game (Littlechild and Owen 1973). Shapley: the 6 split three ways, the next 6 two ways,
    the last 18 to c: (2, 5, 23). Nucleolus: savings 6 - y_a, 12 - y_b, y_a + y_b, 12 - y_a
    - y_b, y_b, y_a; the least is largest at y_a = 3 (6 - y_a = y_a), then y_b = 4.5
    (y_b = 9 - y_b): (3, 4.5, 22.5), with least-core epsilon -3.
    """
    nodes = "id,kind,capacity,fixed_cost\n" + "".join(
        f"{w},overseas_warehouse,10,{f}\n" for w, f in (("w6", 6), ("w12", 12), ("w30", 30))
    )
    nodes += "ma,market,,\nmb,market,,\nmc,market,,\n"
    lanes = [
        ("w6", "ma"),
        ("w12", "ma"),
        ("w12", "mb"),
        ("w30", "ma"),
        ("w30", "mb"),
        ("w30", "mc"),
    ]
    arcs = "origin,destination,unit_cost\n" + "".join(f"{w},{m},0\n" for w, m in lanes)
    demand = "market,platform,quantity\nma,a,1\nmb,b,1\nmc,c,1\n"
    result = _shared(write_instance(tmp_path / "x", nodes=nodes, arcs=arcs, demand=demand))
    costs = _costs(result)
    assert costs["independent_cost"].to_dict() == pytest.approx({"a": 6, "b": 12, "c": 30})
    assert costs["shapley_cost"].to_dict() == pytest.approx({"a": 2, "b": 5, "c": 23})
    assert costs["nucleolus_cost"].to_dict() == pytest.approx({"a": 3, "b": 4.5, "c": 22.5})
    assert result.kpis["least_core_epsilon"] == pytest.approx(-3.0)
    assert result.kpis["shapley_in_core"] is True and result.kpis["core_nonempty"] is True


@pytest.mark.component
def test_a_coalition_stopped_at_a_limit_leaves_only_bounds(tmp_path, monkeypatch):
    """The airport game again, with coalition {b} stopped at a limit: incumbent 14 (its
    optimum is 12), bound 9. c(b) is then known only within [9, 14], so each Shapley value
    only within an interval, by hand: b's weight on c(b) is +1/3 and on c(ab), c(bc) etc.
    unchanged, so b lies in [5 - 3/3, 5 + 2/3]; a and c weigh c(b) by -1/6 each:
    a in [2 - 2/6, 2 + 3/6], c in [23 - 2/6, 23 + 3/6]. The nucleolus, the least-core
    epsilon and the core verdicts are not proved, so none is reported as a plain number."""
    import dataclasses

    import cbecopt.sharing as sharing

    nodes = "id,kind,capacity,fixed_cost\n" + "".join(
        f"{w},overseas_warehouse,10,{f}\n" for w, f in (("w6", 6), ("w12", 12), ("w30", 30))
    )
    nodes += "ma,market,,\nmb,market,,\nmc,market,,\n"
    lanes = [("w6", "ma"), ("w12", "ma"), ("w12", "mb"), ("w30", "ma"), ("w30", "mb")]
    lanes.append(("w30", "mc"))
    arcs = "origin,destination,unit_cost\n" + "".join(f"{w},{m},0\n" for w, m in lanes)
    demand = "market,platform,quantity\nma,a,1\nmb,b,1\nmc,c,1\n"
    folder = write_instance(tmp_path / "x", nodes=nodes, arcs=arcs, demand=demand)
    solve = sharing.solve

    def stopped_for_b(instance, *args, **kwargs):
        result = solve(instance, *args, **kwargs)
        if instance.name.endswith("[b]"):
            return dataclasses.replace(
                result, status=cbecopt.Status.FEASIBLE, objective=14.0, bound=9.0, gap=5 / 14
            )
        return result

    monkeypatch.setattr(sharing, "solve", stopped_for_b)  # the grand coalition
    monkeypatch.setattr(cbecopt.batch, "solve", stopped_for_b)  # the others
    result = compare_sharing(cbecopt.load_instance(folder))
    costs = _costs(result)
    assert costs["shapley_low"].to_dict() == pytest.approx(
        {"a": 2 - 2 / 6, "b": 4, "c": 23 - 2 / 6}
    )
    assert costs["shapley_high"].to_dict() == pytest.approx(
        {"a": 2 + 3 / 6, "b": 5 + 2 / 3, "c": 23 + 3 / 6}
    )
    k = result.kpis
    assert k["comparison_proven"] is False and k["unproven_coalitions"] == ["b"]
    assert k["least_core_epsilon"] is None and k["core_nonempty"] is None
    assert k["by_use_in_core"] is None and k["shapley_in_core"] is None
    assert any("not proved optimal" in d for d in result.diagnosis)
    coalitions = result.tables["coalitions"].set_index("coalition")
    assert coalitions.at["b", "status"] == "feasible"


@st.composite
def shared_instances(draw):
    """2-3 warehouses, 2-4 markets, 3 platforms each owning a random part of each market."""
    m, n = draw(st.integers(2, 3)), draw(st.integers(2, 4))

    def ints(lo, hi, size):
        return np.array(draw(st.lists(st.integers(lo, hi), min_size=size, max_size=size)), float)

    own = ints(0, 8, 3 * n).reshape(3, n)
    own[:, own.sum(axis=0) == 0] = 1.0  # every market has some demand
    capacity = np.full(m, own.sum() + 1.0)  # any one warehouse can serve everyone
    return ints(0, 60, m), capacity, own, ints(1, 20, m * n).reshape(m, n)


def _write(folder, fixed, capacity, own, unit_cost):
    m, n = unit_cost.shape
    nodes = "id,kind,capacity,fixed_cost\n" + "".join(
        f"w{i},overseas_warehouse,{capacity[i]:g},{fixed[i]:g}\n" for i in range(m)
    )
    nodes += "".join(f"m{j},market,,\n" for j in range(n))
    arcs = "origin,destination,unit_cost\n" + "".join(
        f"w{i},m{j},{unit_cost[i, j]:g}\n" for i in range(m) for j in range(n)
    )
    demand = "market,platform,quantity\n" + "".join(
        f"m{j},p{p},{own[p, j]:g}\n" for p in range(3) for j in range(n) if own[p, j] > 0
    )
    return write_instance(folder, nodes=nodes, arcs=arcs, demand=demand)


@pytest.mark.component
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=shared_instances())
def test_shapley_agrees_with_brute_force(tmp_path_factory, data):
    fixed, capacity, own, unit_cost = data
    folder = _write(tmp_path_factory.mktemp("s"), fixed, capacity, own, unit_cost)
    present = [p for p in range(3) if own[p].sum() > 0]

    @functools.cache  # a coalition's cost, enumerated once (it has no order)
    def cost(members: frozenset) -> float:
        return multi_source_optimum(fixed, capacity, own[sorted(members)].sum(axis=0), unit_cost)

    def c(coalition) -> float:
        return cost(frozenset(coalition))

    expected = {}
    for p in present:  # average marginal cost over every joining order
        total = 0.0
        for order in itertools.permutations(present):
            before = order[: order.index(p)]
            total += c(before + (p,)) - (c(before) if before else 0.0)
        expected[f"p{p}"] = total / math.factorial(len(present))
    result = _shared(folder)
    costs = _costs(result)
    assert costs["shapley_cost"].to_dict() == pytest.approx(expected, rel=1e-7, abs=1e-6)
    assert costs["shapley_cost"].sum() == pytest.approx(result.objective, rel=1e-9)
    assert costs["allocated_cost"].sum() == pytest.approx(result.objective, rel=1e-9)
    assert costs["nucleolus_cost"].sum() == pytest.approx(result.objective, rel=1e-9)
    assert result.kpis["core_nonempty"] is _core_is_nonempty(c, present, result.objective)
    coalitions = result.tables["coalitions"]
    assert len(coalitions) == 2 ** len(present) - 1
    if result.kpis["core_nonempty"]:  # then the nucleolus lies in it
        assert (coalitions["nucleolus_excess"] >= -1e-6 * result.objective).all()
    for row in coalitions.itertuples(index=False):
        members = tuple(int(name[1:]) for name in row.coalition.split(";"))
        assert row.cost == pytest.approx(c(members), rel=1e-7, abs=1e-6)


@pytest.mark.component
def test_each_coalition_solve_is_announced(tmp_path, caplog):
    import logging

    folder = write_instance(
        tmp_path / "x",
        nodes="id,kind,capacity,fixed_cost\nw,overseas_warehouse,100,100\nm1,market,,\nm2,market,,\n",
        arcs="origin,destination,unit_cost\nw,m1,1\nw,m2,2\n",
        demand="market,platform,quantity\nm1,a,10\nm2,b,20\n",
    )
    with caplog.at_level(logging.INFO, logger="cbecopt"):
        _shared(folder)
    assert [r.getMessage() for r in caplog.records if r.name == "cbecopt.compare"] == [
        "sharing: platforms a alone (1/2)",
        "sharing: platforms b alone (2/2)",
    ]


def _core_is_nonempty(c, players, total) -> bool:
    """Bondareva-Shapley with the minimal balanced collections of two or three players:
    the core is not empty iff every balanced collection's weighted cost is at least c(N)."""
    tolerance = 1e-6 * abs(total)
    if len(players) == 1:
        return True
    if len(players) == 2:
        collections = [sum(c((i,)) for i in players)]
    else:
        collections = [
            sum(c((i,)) for i in players),
            *(c((i,)) + c(tuple(j for j in players if j != i)) for i in players),
            sum(c(pair) for pair in itertools.combinations(players, 2)) / 2,
        ]
    return all(value >= total - tolerance for value in collections)


SHARING_NODES = "id,kind,capacity,fixed_cost\nw,overseas_warehouse,100,{fixed}\nm1,market,,\n"


@pytest.mark.unit
def test_sharing_without_demand_or_platforms_names_the_demand_file(tmp_path):
    """All demand 0 leaves nothing to share (no division by a zero cost); demand without
    platforms has no one to share with. Both name the file, or the workbook's sheet."""
    arcs = "origin,destination,unit_cost\nw,m1,1\n"
    folder = write_instance(
        tmp_path / "zero",
        nodes=SHARING_NODES.format(fixed=10),
        arcs=arcs,
        demand="market,platform,quantity\nm1,a,0\nm1,b,0\n",
    )
    with pytest.raises(cbecopt.InputError) as caught:
        compare_sharing(cbecopt.load_instance(folder))
    assert [str(p) for p in caught.value.problems] == [
        "demand.csv, column 'quantity': every quantity is 0: there is no demand to share, "
        "so sharing can save nothing"
    ]
    folder = write_instance(
        tmp_path / "mono",
        nodes=SHARING_NODES.format(fixed=10),
        arcs=arcs,
        demand="market,quantity\nm1,5\n",
    )
    book = tmp_path / "mono.xlsx"
    cbecopt.save_instance(cbecopt.load_instance(folder), book)
    with pytest.raises(cbecopt.InputError) as caught:
        compare_sharing(cbecopt.load_instance(book))
    assert [str(p) for p in caught.value.problems] == [
        "mono.xlsx, sheet 'demand', column 'platform': comparing shared and independent "
        "warehouses needs a 'platform' column"
    ]


@pytest.mark.component
def test_sharing_what_costs_nothing_saves_no_share(tmp_path):
    """Free warehouse and lane: every cost is 0, so the saving is 0 and its share undefined."""
    folder = write_instance(
        tmp_path / "free",
        nodes=SHARING_NODES.format(fixed=0),
        arcs="origin,destination,unit_cost\nw,m1,0\n",
        demand="market,platform,quantity\nm1,a,5\nm1,b,5\n",
    )
    result = _shared(folder)
    assert result.kpis["sharing_saving"] == 0.0
    assert result.kpis["sharing_saving_pct"] is None
    assert result.tables["platform_costs"]["saving_pct"].isna().all()
