"""Rows written by label: each alignment rule on a small family, the expected rows by hand.

The family ``flow`` is keyed (warehouse, market, mode) over five lanes, its levels declared
in the model's order (warehouse B before A, so a by-label sum must not sort alphabetically):

    lane  warehouse  market  mode
    0     B          m1      sea
    1     A          m1      air
    2     B          m2      air
    3     A          m2      sea
    4     A          m1      sea
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest

from cbecopt.labelled import add_family, add_var_family, stacked
from helpers import dense_rows

WAREHOUSES = ["B", "A"]
MARKETS = ["m1", "m2", "m3"]
LANES = [("B", "m1", "sea"), ("A", "m1", "air"), ("B", "m2", "air"), ("A", "m2", "sea")]
LANES.append(("A", "m1", "sea"))


def _families():
    m = pyo.ConcreteModel()
    labels = pd.MultiIndex(
        levels=[WAREHOUSES, MARKETS, ["sea", "air"]],
        codes=[[0, 1, 0, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]],
        names=["warehouse", "market", "mode"],
    )
    flow = add_var_family(m, "flow", LANES, labels=labels)
    open_ = add_var_family(
        m, "open", WAREHOUSES, domain=pyo.Binary, labels=pd.Index(WAREHOUSES, name="warehouse")
    )
    return m, flow, open_


def _dense(m, name: str, rows) -> tuple[list, list[list[float]], list, list]:
    """``rows`` added to m as (row keys, dense matrix over flow then open columns, lower, upper)."""
    return dense_rows(add_family(m, name, rows))


@pytest.mark.component
def test_a_sum_by_key_groups_in_the_declared_order():
    m, flow, _ = _families()
    by_warehouse = flow.sum(by="warehouse")
    assert list(by_warehouse.labels) == ["B", "A"]
    keys, dense, _, upper = _dense(m, "outflow", by_warehouse <= 10)
    assert keys == ["B", "A"] and upper == [10, 10]
    assert dense == [[1, 0, 1, 0, 0], [0, 1, 0, 1, 1]]
    pairs = flow.sum(by=["warehouse", "market"])
    assert list(pairs.labels) == [("B", "m1"), ("B", "m2"), ("A", "m1"), ("A", "m2")]


@pytest.mark.component
def test_rows_against_a_series_follow_the_series_and_keep_a_market_no_lane_reaches():
    m, flow, _ = _families()
    demand = pd.Series([5.0, 7.0, 2.0], index=pd.Index(["m2", "m1", "m3"], name="market"))
    keys, dense, lower, upper = _dense(m, "demand", flow.sum(by="market") == demand)
    assert keys == ["m2", "m1", "m3"]
    assert dense == [[0, 0, 1, 1, 0], [1, 1, 0, 0, 1], [0, 0, 0, 0, 0]]
    assert lower == [5, 7, 2] and upper == [5, 7, 2]  # m3: 0 == 2, infeasible


@pytest.mark.component
def test_a_series_missing_a_label_of_the_terms_is_an_error():
    _, flow, _ = _families()
    demand = pd.Series([5.0], index=pd.Index(["m1"], name="market"))
    with pytest.raises(ValueError, match="no right-hand side for 'm2'"):
        flow.sum(by="market") == demand  # noqa: B015


@pytest.mark.component
def test_selecting_labels_keeps_their_order_and_sums_nothing_for_a_missing_one():
    m, flow, open_ = _families()
    capacity = pd.Series([40.0, 30.0], index=pd.Index(WAREHOUSES, name="warehouse"))
    chosen = pd.Index(["A", "C"], name="warehouse")
    rows = flow.sum(by="warehouse")[chosen] <= 0
    keys, dense, _, _ = _dense(m, "chosen", rows)
    assert keys == ["A", "C"] and dense == [[0, 1, 0, 1, 1], [0, 0, 0, 0, 0]]
    limited = capacity.index[[1]]
    keys, dense, lower, upper = _dense(
        m, "capacity", flow.sum(by="warehouse")[limited] <= capacity[limited] * open_[limited]
    )
    # flow columns 0-4, then open: B (5), A (6)
    assert keys == ["A"] and dense == [[0, 1, 0, 1, 1, 0, -30]]
    assert lower == [-np.inf] and upper == [0]


@pytest.mark.component
def test_a_family_keyed_by_fewer_columns_is_broadcast_over_the_lanes():
    m, flow, open_ = _families()
    usable = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=flow.labels)
    keys, dense, _, upper = _dense(m, "linking", flow <= usable * open_)
    assert keys == LANES and upper == [0] * 5
    expected = np.hstack([np.eye(5), np.zeros((5, 2))])
    for lane, (warehouse, _, _) in enumerate(LANES):
        expected[lane, 5 + WAREHOUSES.index(warehouse)] = -(lane + 1.0)
    assert dense == expected.tolist()


@pytest.mark.component
def test_a_coefficient_keyed_by_fewer_columns_reaches_every_row_it_names():
    m, flow, _ = _families()
    weight = pd.Series([2.0, 3.0], index=pd.Index(["m1", "m2"], name="market"))
    _, dense, _, _ = _dense(m, "weighted", weight * flow >= 1)
    assert np.diag(np.array(dense)).tolist() == [2, 2, 3, 3, 2]


@pytest.mark.component
def test_terms_with_different_labels_add_up_over_the_union_of_rows():
    m, flow, _ = _families()
    by_market = flow.sum(by="market")
    first = by_market[pd.Index(["m1"], name="market")]
    second = by_market[pd.Index(["m2", "m1"], name="market")]
    keys, dense, _, _ = _dense(m, "union", first - second == 0)
    assert keys == ["m1", "m2"]
    # m1: lanes 0, 1, 4 once minus once, added up to 0; m2: minus lanes 2 and 3
    assert dense == [[0, 0, 0, 0, 0], [0, 0, -1, -1, 0]]


@pytest.mark.component
def test_misaligned_keys_and_constants_are_refused():
    _, flow, open_ = _families()
    markets = flow.sum(by="market")
    with pytest.raises(ValueError, match="cannot align"):
        markets + open_  # noqa: B018
    with pytest.raises(ValueError, match="no coefficient for"):
        pd.Series([1.0], index=pd.Index(["m1"], name="market")) * flow  # noqa: B018
    with pytest.raises(TypeError, match="right-hand side"):
        markets + 1.0  # noqa: B018
    with pytest.raises(ValueError, match=r"no key column \['port'\]"):
        flow.sum(by=["market", "port"])


@pytest.mark.component
def test_a_mask_selects_rows_in_order_and_terms_sum_by_a_key_column():
    m, flow, _ = _families()
    by_sea = flow[flow.labels.get_level_values("mode") == "sea"].sum(by="warehouse")
    keys, dense, _, _ = _dense(m, "sea", by_sea <= 0)
    # sea lanes: 0 (B), 3 and 4 (A); warehouses in declared order B, A
    assert keys == ["B", "A"] and dense == [[1, 0, 0, 0, 0], [0, 0, 0, 1, 1]]


@pytest.mark.component
def test_within_keeps_the_rows_a_shorter_key_names_and_rename_renames_key_columns():
    m, flow, _ = _families()
    pairs = flow.sum(by=["warehouse", "market"])
    kept = pairs.within(pd.Index(["m2"], name="market"))
    assert list(kept.labels) == [("B", "m2"), ("A", "m2")]
    renamed = kept.rename({"market": "province"})
    assert list(renamed.labels.names) == ["warehouse", "province"]
    keys, dense, _, _ = _dense(m, "m2", renamed <= 0)
    assert dense == [[0, 0, 1, 0, 0], [0, 0, 0, 1, 0]]


@pytest.mark.component
def test_stacked_adds_up_each_rows_terms_and_the_same_alignment_twice_gives_the_same_rows():
    m, flow, open_ = _families()
    total = stacked(pd.Index(["all"]), [(2.0 * flow).parts + open_.terms().parts])
    keys, dense, _, upper = _dense(m, "total", total <= 9)
    assert keys == ["all"] and dense == [[2, 2, 2, 2, 2, 1, 1]] and upper == [9]
    with pytest.raises(ValueError, match="2 rows of terms for 1 labels"):
        stacked(pd.Index(["all"]), [(), ()])
    chosen = pd.Index(["A"], name="warehouse")
    once, twice = (_dense(m, f"again{k}", flow.sum(by="warehouse")[chosen] <= 1) for k in (1, 2))
    assert once == twice == (["A"], [[0, 1, 0, 1, 1]], [-np.inf], [1])
