"""The floor: a model built straight from numpy arrays into highspy, with no modelling layer.

Each reference builds the same rows and columns as the model cbecopt builds from the same
instance (the runner checks the row, column and nonzero counts agree). The model's data
arrays are read before the clock starts, so the time is the array-to-HiGHS floor alone; the
runner reports our whole build + handoff as a ratio to it. :data:`REFERENCES` holds one per
model that has one.
"""

from __future__ import annotations

import time

import highspy
import numpy as np

from cbecopt.channels import DIRECT_MAIL
from cbecopt.instance import Instance
from cbecopt.models import MODELS
from cbecopt.models.contracts.build import ContractsConfig, ContractsData
from cbecopt.models.suppliers.build import SuppliersConfig
from cbecopt.models.suppliers.data import SuppliersData
from cbecopt.models.warehouses.build import WarehousesData


class Coo:
    """A model written straight as arrays: column blocks (cost, bounds, integrality) and row
    blocks (COO triplets with row numbers local to the block, and row bounds), then passed to
    HiGHS row-wise in one ``passModel``."""

    def __init__(self) -> None:
        self.cost, self.lower, self.upper, self.integer = [], [], [], []
        self.row, self.col, self.val, self.row_lower, self.row_upper = [], [], [], [], []
        self.n_cols = self.n_rows = 0

    def columns(self, n: int, cost=0.0, upper=np.inf, integer: bool = False) -> int:
        """Add ``n`` columns (lower bound 0); return the position of the first."""
        first = self.n_cols
        self.cost.append(np.broadcast_to(np.asarray(cost, float), n))
        self.lower.append(np.zeros(n))
        self.upper.append(np.broadcast_to(np.asarray(upper, float), n))
        if integer:
            self.integer.append(np.arange(first, first + n))
        self.n_cols += n
        return first

    def rows(self, n: int, lower, upper, *entries: tuple) -> None:
        """Add ``n`` rows with bounds ``lower`` and ``upper`` (``None``: unbounded) and the
        entries ``(row, column, value)`` given, rows counted from 0 within this block."""
        for row, col, val in entries:
            row, col = np.broadcast_arrays(np.asarray(row), np.asarray(col))
            self.row.append(self.n_rows + row)
            self.col.append(col)
            self.val.append(np.broadcast_to(np.asarray(val, float), row.shape))
        for bounds, bound, default in (
            (self.row_lower, lower, -np.inf),
            (self.row_upper, upper, np.inf),
        ):
            bounds.append(
                np.broadcast_to(np.asarray(default if bound is None else bound, float), n)
            )
        self.n_rows += n

    def highs(self) -> highspy.Highs:
        """The model in a fresh HiGHS, silent."""
        row, col, val = (np.concatenate(a) for a in (self.row, self.col, self.val))
        order = np.lexsort((col, row))
        starts = np.zeros(self.n_rows + 1, np.int64)
        np.cumsum(np.bincount(row, minlength=self.n_rows), out=starts[1:])
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_cols, self.n_rows
        lp.col_cost_ = np.concatenate(self.cost)
        lp.col_lower_ = np.concatenate(self.lower)
        lp.col_upper_ = np.minimum(np.concatenate(self.upper), inf)
        lp.row_lower_ = np.maximum(np.concatenate(self.row_lower), -inf)
        lp.row_upper_ = np.minimum(np.concatenate(self.row_upper), inf)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = starts.astype(np.int32)
        lp.a_matrix_.index_ = col[order].astype(np.int32)
        lp.a_matrix_.value_ = val[order]
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.passModel(lp)
        if self.integer:
            integer = np.concatenate(self.integer).astype(np.int32)
            kinds = np.full(len(integer), highspy.HighsVarType.kInteger.value, dtype=np.uint8)
            highs.changeColsIntegrality(len(integer), integer, kinds)
        return highs


def every_scenario(n_s: int, n_rows: int, row, col, val, stride: int) -> tuple:
    """Entries of one scenario's ``n_rows`` rows (``row`` local to them) repeated for each of
    ``n_s`` scenarios, whose rows follow one another: ``stride`` is how far a column moves from
    one scenario to the next (0: a first-stage column, the same in every scenario)."""
    row, col = np.broadcast_arrays(np.asarray(row), np.asarray(col))
    val = np.broadcast_to(np.asarray(val, float), row.shape)
    scenario = np.arange(n_s)[:, None]
    return (
        (scenario * n_rows + row).ravel(),
        (scenario * stride + col).ravel(),
        np.broadcast_to(val, (n_s, len(row))).ravel(),
    )


def build_reference(instance: Instance) -> tuple[highspy.Highs, float]:
    """The multi-source facility location model. Columns: y (binary) then x per lane; rows:
    demand, capacity, linking. Returns (highs, seconds)."""
    d = WarehousesData.from_instance(instance)
    start = time.perf_counter()
    n_w, n_l, n_j = len(d.WAREHOUSES), len(d.LANES), len(d.MARKETS)
    lanes = np.arange(n_l)
    limited = np.flatnonzero(np.isfinite(d.capacity))
    cap_row = np.full(n_w, -1)
    cap_row[limited] = np.arange(len(limited))
    coo = Coo()
    y = coo.columns(n_w, d.fixed_cost, 1.0, integer=True)
    x = coo.columns(n_l, d.unit_cost, d.lane_capacity)
    coo.rows(n_j, d.demand, d.demand, (d.lane_market, x + lanes, 1.0))
    capped = cap_row[d.lane_warehouse] >= 0
    coo.rows(
        len(limited),
        None,
        0.0,
        (cap_row[d.lane_warehouse][capped], x + lanes[capped], 1.0),
        (np.arange(len(limited)), y + limited, -d.capacity[limited]),
    )
    coo.rows(
        n_l,
        None,
        0.0,
        (lanes, x + lanes, 1.0),
        (lanes, y + d.lane_warehouse, -np.minimum(d.demand[d.lane_market], d.lane_capacity)),
    )
    return coo.highs(), time.perf_counter() - start


def suppliers_reference(instance: Instance) -> tuple[highspy.Highs, float]:
    """The supplier selection model (cost objective, no cost or counterfeit limit). Columns:
    use_supplier, use_offer, purchase, segment_quantity, segment_used, inspected, shipment;
    rows in the order the model adds its families. Returns (highs, seconds)."""
    config = SuppliersConfig().resolved(instance)
    if config.objective != "cost" or config.counterfeit_limit or config.cost_limit:
        raise NotImplementedError("the reference builds the cost objective without limits")
    d = SuppliersData.from_instance(instance, config)
    start = time.perf_counter()
    n_s, n_o, n_g, n_k = len(d.SUPPLIERS), len(d.OFFERS), len(d.SEGMENTS), len(d.SKUS)
    offers, segments, insp = np.arange(n_o), np.arange(n_g), d.inspectable
    rate, unchecked = d.counterfeit_rate, (d.counterfeit_rate - d.inspected_rate)[insp]
    coo = Coo()
    w = coo.columns(n_s, d.fixed_cost, 1.0, integer=True)
    u = coo.columns(n_o, 0.0, 1.0, integer=True)
    q = coo.columns(n_o, d.tax[d.offer_sku] + d.penalty[d.offer_sku] * rate, d.upper)
    y = coo.columns(n_g, d.unit_price, d.segment_to)
    z = coo.columns(n_g, 0.0, 1.0, integer=True)
    i = coo.columns(len(insp), d.inspection_cost[insp] - d.penalty[d.offer_sku[insp]] * unchecked)
    exact = config.demand == "exact"
    if d.SHIPMENTS:
        n_x, n_j = len(d.SHIPMENTS), len(d.MARKETS)
        x = coo.columns(n_x, d.freight)
        coo.rows(
            n_o, 0.0, 0.0, (d.shipment_offer, x + np.arange(n_x), 1.0), (offers, q + offers, -1.0)
        )
        need = d.demand.T.ravel()
        wanted = np.flatnonzero(need > 0)
        row_of = np.full(len(need), -1)
        row_of[wanted] = np.arange(len(wanted))
        pair = d.offer_sku[d.shipment_offer] * n_j + d.shipment_market
        coo.rows(
            len(wanted),
            need[wanted],
            need[wanted] if exact else None,
            (row_of[pair], x + np.arange(n_x), 1.0),
        )
    else:
        coo.rows(n_k, d.demand[0], d.demand[0] if exact else None, (d.offer_sku, q + offers, 1.0))
    coo.rows(n_o, 0.0, 0.0, (offers, q + offers, 1.0), (d.segment_offer, y + segments, -1.0))
    seg = np.flatnonzero(d.discount[d.segment_offer] == "all_units")
    if len(seg):
        local = np.arange(len(seg))
        coo.rows(len(seg), 0.0, None, (local, y + seg, 1.0), (local, z + seg, -d.segment_from[seg]))
        coo.rows(len(seg), None, 0.0, (local, y + seg, 1.0), (local, z + seg, -d.segment_to[seg]))
        priced, row_of = np.unique(d.segment_offer[seg], return_inverse=True)
        coo.rows(
            len(priced),
            None,
            0.0,
            (row_of, z + seg, 1.0),
            (np.arange(len(priced)), u + priced, -1.0),
        )
    seg = np.flatnonzero(d.discount[d.segment_offer] == "incremental")
    if len(seg):
        width = d.segment_to - d.segment_from
        later, first = seg[d.segment_index[seg] > 0], seg[d.segment_index[seg] == 0]
        local = np.arange(len(seg))
        coo.rows(len(seg), None, 0.0, (local, y + seg, 1.0), (local, z + seg, -width[seg]))
        local = np.arange(len(later))
        coo.rows(
            len(later),
            0.0,
            None,
            (local, y + later - 1, 1.0),
            (local, z + later, -width[later - 1]),
        )
        local = np.arange(len(first))
        coo.rows(
            len(first),
            None,
            0.0,
            (local, z + first, 1.0),
            (local, u + d.segment_offer[first], -1.0),
        )
    moq = np.flatnonzero(d.min_order > 0)
    if len(moq):
        local = np.arange(len(moq))
        coo.rows(len(moq), 0.0, None, (local, q + moq, 1.0), (local, u + moq, -d.min_order[moq]))
    coo.rows(n_o, None, 0.0, (offers, u + offers, 1.0), (offers, w + d.offer_supplier, -1.0))
    limited = np.flatnonzero(np.isfinite(d.supplier_capacity))
    if len(limited):
        row_of = np.full(n_s, -1)
        row_of[limited] = np.arange(len(limited))
        inside = np.flatnonzero(row_of[d.offer_supplier] >= 0)
        coo.rows(
            len(limited),
            None,
            0.0,
            (row_of[d.offer_supplier[inside]], q + inside, 1.0),
            (np.arange(len(limited)), w + limited, -d.supplier_capacity[limited]),
        )
    if len(insp):
        local = np.arange(len(insp))
        coo.rows(len(insp), None, 0.0, (local, i + local, 1.0), (local, q + insp, -1.0))
    per_sku = {
        "max_counterfeit_rate": (None, 0.0),
        "min_brand_direct_share": (0.0, None),
        "max_late_rate": (None, 0.0),
    }
    for option, (lower, upper) in per_sku.items():
        cap = getattr(config, option)
        if cap is None:
            continue
        coef = {
            "max_counterfeit_rate": rate - cap,
            "min_brand_direct_share": d.brand_direct - cap,
            "max_late_rate": d.late_rate - cap,
        }[option]
        entries = [(d.offer_sku, q + offers, coef)]
        if option == "max_counterfeit_rate":
            entries.append((d.offer_sku[insp], i + np.arange(len(insp)), -unchecked))
        coo.rows(n_k, lower, upper, *entries)
    if config.max_suppliers is not None:
        coo.rows(1, None, config.max_suppliers, (0, w + np.arange(n_s), 1.0))
    if config.max_supplier_share is not None:
        share = config.max_supplier_share
        by_sku = np.argsort(d.offer_sku, kind="stable")
        first_of = np.searchsorted(d.offer_sku[by_sku], d.offer_sku)
        count = np.bincount(d.offer_sku, minlength=n_k)[d.offer_sku]
        row = np.repeat(offers, count)
        col = by_sku[
            np.repeat(first_of, count)
            + np.arange(count.sum())
            - np.repeat(np.cumsum(count) - count, count)
        ]
        coo.rows(n_o, None, 0.0, (row, q + col, np.where(row == col, 1.0 - share, -share)))
    return coo.highs(), time.perf_counter() - start


def contracts_reference(instance: Instance) -> tuple[highspy.Highs, float]:
    """The contracts model's risk-neutral extensive form over all its scenarios at once.
    Columns: quantity and signed (first stage), then bought, sales, lost and leftover of every
    scenario; rows: the first stage's, then each second-stage family for every scenario.
    Returns (highs, seconds)."""
    d = ContractsData.from_instance(instance, ContractsConfig())
    start = time.perf_counter()
    n_s, n_k = d.demand.shape
    committed, called = d.committed, d.called
    n_q, n_b = len(committed), len(called)
    skus = np.arange(n_k)
    kind = d.contract_type
    coo = Coo()
    first_cost = np.where(kind[committed] == "firm", d.unit_price[committed], 0.0)
    first_cost = np.where(kind[committed] == "option", d.premium[committed], first_cost)
    q = coo.columns(n_q, first_cost, d.capacity[committed] / d.reservation_factor(committed))
    minimum = np.flatnonzero(d.min_order[committed] > 0)
    contracts = committed[minimum]
    sigma = coo.columns(len(minimum), 0.0, 1.0, integer=True)
    if len(minimum):
        largest = d.demand.max(axis=0)[d.contract_sku[contracts]]
        keep = np.where(
            kind[contracts] == "quantity_flexibility", 1.0 - d.flex_down[contracts], 1.0
        )
        useful = np.where(keep > 0, largest / np.where(keep > 0, keep, 1.0), largest)
        big = np.where(
            np.isfinite(d.capacity[contracts]),
            d.capacity[contracts] / d.reservation_factor(contracts),
            np.maximum(d.min_order[contracts], useful),
        )
        local = np.arange(len(minimum))
        for bound, lower in ((d.min_order[contracts], True), (big, False)):
            coo.rows(
                len(minimum),
                0.0 if lower else None,
                None if lower else 0.0,
                (local, q + minimum, 1.0),
                (local, sigma + local, -bound),
            )
    spot = np.flatnonzero(kind[called] == "spot")
    with_spot = np.unique(d.contract_supplier[called[spot]][d.contract_supplier[called[spot]] >= 0])
    row_of = np.full(len(d.SUPPLIERS), -1)
    row_of[with_spot] = np.arange(len(with_spot))
    without = np.setdiff1d(np.arange(len(d.SUPPLIERS)), with_spot)
    row_of_without = np.full(len(d.SUPPLIERS), -1)
    row_of_without[without] = np.arange(len(without))
    supplier_q = d.contract_supplier[committed]
    if len(without):
        inside = np.flatnonzero((supplier_q >= 0) & (row_of_without[supplier_q] >= 0))
        coo.rows(
            len(without),
            None,
            d.supplier_capacity[without],
            (
                row_of_without[supplier_q[inside]],
                q + inside,
                d.reservation_factor(committed[inside]),
            ),
        )
    p = d.probabilities[:, None]
    call_price = np.where(kind[called] == "option", d.exercise_price[called], d.unit_price[called])
    b = coo.columns(
        n_s * n_b,
        (p * call_price).ravel(),
        np.tile(np.where(kind[called] == "spot", d.capacity[called], np.inf), n_s),
    )
    y = coo.columns(n_s * n_k, (p * -d.price).ravel(), d.demand.ravel())
    lost = coo.columns(n_s * n_k, (p * d.lost_sale_penalty).ravel())
    z = coo.columns(n_s * n_k, (p * -d.salvage_value).ravel())
    q_pos = np.full(len(d.CONTRACTS), -1)
    q_pos[committed] = np.arange(n_q)
    for family, factor, lower in (
        ("quantity_flexibility", 1.0 - d.flex_down, True),
        ("quantity_flexibility", 1.0 + d.flex_up, False),
        ("option", np.ones(len(d.CONTRACTS)), False),
    ):
        rows = np.flatnonzero(kind[called] == family)
        if len(rows):
            local, contract = np.arange(len(rows)), called[rows]
            coo.rows(
                n_s * len(rows),
                0.0 if lower else None,
                None if lower else 0.0,
                every_scenario(n_s, len(rows), local, b + rows, 1.0, n_b),
                every_scenario(n_s, len(rows), local, q + q_pos[contract], -factor[contract], 0),
            )
    firm = np.flatnonzero(kind[committed] == "firm")
    coo.rows(
        n_s * n_k,
        0.0,
        0.0,
        every_scenario(n_s, n_k, d.contract_sku[committed[firm]], q + firm, 1.0, 0),
        every_scenario(n_s, n_k, d.contract_sku[called], b + np.arange(n_b), 1.0, n_b),
        every_scenario(n_s, n_k, skus, y + skus, -1.0, n_k),
        every_scenario(n_s, n_k, skus, z + skus, -1.0, n_k),
    )
    coo.rows(
        n_s * n_k,
        d.demand.ravel(),
        d.demand.ravel(),
        every_scenario(n_s, n_k, skus, y + skus, 1.0, n_k),
        every_scenario(n_s, n_k, skus, lost + skus, 1.0, n_k),
    )
    if len(with_spot):
        n_r = len(with_spot)
        inside_q = np.flatnonzero((supplier_q >= 0) & (row_of[np.maximum(supplier_q, 0)] >= 0))
        supplier_b = d.contract_supplier[called[spot]]
        inside_b = np.flatnonzero((supplier_b >= 0) & (row_of[np.maximum(supplier_b, 0)] >= 0))
        coo.rows(
            n_s * n_r,
            None,
            np.tile(d.supplier_capacity[with_spot], n_s),
            every_scenario(
                n_s,
                n_r,
                row_of[supplier_q[inside_q]],
                q + inside_q,
                d.reservation_factor(committed[inside_q]),
                0,
            ),
            every_scenario(n_s, n_r, row_of[supplier_b[inside_b]], b + spot[inside_b], 1.0, n_b),
        )
    return coo.highs(), time.perf_counter() - start


def routing_reference(instance: Instance) -> tuple[highspy.Highs, float]:
    """The routing model's risk-neutral extensive form over all its scenarios at once, rows
    found by integer codes. Columns: use_bonded, listed and inbound (first stage), then stock,
    release, direct and lost of every scenario; rows: the first stage's, then each
    second-stage family for every scenario. Returns (highs, seconds)."""
    d = MODELS["routing"].build(instance).data
    start = time.perf_counter()
    n_s, n_d = d.demand.shape
    n_b, n_k, n_t, n_j = len(d.BONDED), len(d.SKUS), len(d.MONTHS), len(d.MARKETS)
    inbound, listing, release, stock, direct = (
        d.inbound.frame,
        d.listing.frame,
        d.release.frame,
        d.stock.frame,
        d.direct.frame,
    )
    n_in, n_a, n_r, n_st, n_g = (len(f) for f in (inbound, listing, release, stock, direct))
    stock_b, stock_k = (stock[c].to_numpy(np.int64) for c in ("b", "k"))
    coo = Coo()
    used = coo.columns(n_b, d.fixed_cost * n_t, 1.0, integer=True)
    listed = coo.columns(n_a, listing["cost"].to_numpy(float), 1.0, integer=True)
    shipped = coo.columns(n_in, inbound["cost"].to_numpy(float))
    p = d.probabilities[:, None]
    last = stock["t"].to_numpy() == n_t - 1
    # average stock: h on each month-end stock but the last, h / 2 on the last (salvaged);
    # the arrivals' half is in the inbound cost
    holding = np.where(
        last, d.holding_cost[stock_k] / 2 - d.salvage_value[stock_k], d.holding_cost[stock_k]
    )
    held = coo.columns(n_s * n_st, (p * holding).ravel())
    released = coo.columns(n_s * n_r, (p * release["cost"].to_numpy(float)).ravel())
    sent = coo.columns(n_s * n_g, (p * direct["cost"].to_numpy(float)).ravel())
    keys = d.demand_keys.frame
    lost = coo.columns(n_s * n_d, (p * d.lost_cost[keys["k"].to_numpy()]).ravel())

    def listing_of(frame) -> np.ndarray:
        code = np.full(n_b * n_k, -1)
        code[listing["b"].to_numpy() * n_k + listing["k"].to_numpy()] = np.arange(n_a)
        return code[frame["b"].to_numpy() * n_k + frame["k"].to_numpy()]

    def stock_of(b, k, t) -> np.ndarray:
        code = np.full(n_b * n_k * n_t, -1)
        code[(stock_b * n_k + stock_k) * n_t + stock["t"].to_numpy()] = np.arange(n_st)
        return code[(b * n_k + k) * n_t + t]

    def per_month(n_places: int, capacity, place, frame, stride, first, coef) -> tuple | None:
        """Rows (place, month) of the places with a finite capacity: the entries of the
        family whose rows are ``frame`` (columns from ``first``), and the row positions."""
        limited = np.flatnonzero(np.isfinite(capacity))
        row_of = np.full(n_places, -1)
        row_of[limited] = np.arange(len(limited))
        inside = np.flatnonzero(row_of[place] >= 0)
        row = row_of[place[inside]] * n_t + frame["t"].to_numpy()[inside]
        return limited, every_scenario(
            n_s, len(limited) * n_t, row, first + inside, coef[inside], stride
        )

    a = np.arange(n_a)
    coo.rows(n_a, None, 0.0, (a, listed + a, 1.0), (a, used + listing["b"].to_numpy(), -1.0))
    coo.rows(
        n_a,
        None,
        0.0,
        (listing_of(inbound), shipped + np.arange(n_in), 1.0),
        (a, listed + a, -d.demand_bound[listing["k"].to_numpy()] * (1 + d.cover)),
    )
    lanes_in = inbound["lane"].to_numpy()
    limited = np.unique(lanes_in)[np.isfinite(d.lane_capacity[np.unique(lanes_in)])]
    if len(limited):
        row_of = np.full(len(d.lanes), -1)
        row_of[limited] = np.arange(len(limited))
        inside = np.flatnonzero(row_of[lanes_in] >= 0)
        row = row_of[lanes_in[inside]] * n_t + inbound["t"].to_numpy()[inside]
        coo.rows(
            len(limited) * n_t,
            None,
            np.repeat(d.lane_capacity[limited], n_t),
            (row, shipped + inside, 1.0),
        )
    st = np.arange(n_st)
    previous = np.flatnonzero(stock["t"].to_numpy() > 0)
    arrival = stock_of(
        inbound["b"].to_numpy(), inbound["k"].to_numpy(), inbound["arrive"].to_numpy()
    )
    leaving = stock_of(release["b"].to_numpy(), release["k"].to_numpy(), release["t"].to_numpy())
    coo.rows(
        n_s * n_st,
        0.0,
        0.0,
        every_scenario(n_s, n_st, st, held + st, 1.0, n_st),
        every_scenario(n_s, n_st, previous, held + previous - 1, -1.0, n_st),
        every_scenario(n_s, n_st, arrival, shipped + np.arange(n_in), -1.0, 0),
        every_scenario(n_s, n_st, leaving, released + np.arange(n_r), 1.0, n_r),
    )
    r, g, dk = np.arange(n_r), np.arange(n_g), np.arange(n_d)
    if d.cover > 0 and n_t > 1:  # weeks of cover: c x releases - stock <= 0 but the last month
        row_of = np.full(n_st, -1)
        covered = np.flatnonzero(~last)
        row_of[covered] = np.arange(len(covered))
        out = np.flatnonzero(row_of[leaving] >= 0)
        coo.rows(
            n_s * len(covered),
            None,
            0.0,
            every_scenario(n_s, len(covered), np.arange(len(covered)), held + covered, -1.0, n_st),
            every_scenario(n_s, len(covered), row_of[leaving[out]], released + out, d.cover, n_r),
        )
    coo.rows(
        n_s * n_d,
        d.demand.ravel(),
        d.demand.ravel(),
        every_scenario(n_s, n_d, release["d"].to_numpy(), released + r, 1.0, n_r),
        every_scenario(n_s, n_d, direct["d"].to_numpy(), sent + g, 1.0, n_g),
        every_scenario(n_s, n_d, dk, lost + dk, 1.0, n_d),
    )
    waiting = np.flatnonzero(d.wait_share[keys["k"].to_numpy()] < 1)
    if len(waiting):
        row_of = np.full(n_d, -1)
        row_of[waiting] = np.arange(len(waiting))
        to = direct["d"].to_numpy()
        mail = np.flatnonzero(
            np.isin(direct["channel"].to_numpy(), DIRECT_MAIL) & (row_of[to] >= 0)
        )
        coo.rows(
            n_s * len(waiting),
            None,
            (d.wait_share[keys["k"].to_numpy()[waiting]] * d.demand[:, waiting]).ravel(),
            every_scenario(n_s, len(waiting), row_of[to[mail]], sent + mail, 1.0, n_g),
        )
    if np.isfinite(d.max_days).any():
        market = keys["j"].to_numpy()
        entries = []
        for frame, first, n in ((release, released, n_r), (direct, sent, n_g)):
            j = market[frame["d"].to_numpy()]
            coef = frame["lead_time_days"].to_numpy(float) - d.max_days[j]
            targeted, rows = per_month(n_j, d.max_days, j, frame, n, first, coef)
            entries.append(rows)
        coo.rows(n_s * len(targeted) * n_t, None, 0.0, *entries)
    release_k = release["k"].to_numpy()
    for capacity, parts in (
        # peak stock: month-end stock plus the month's releases (= opening + arrivals)
        (
            d.volume_capacity,
            ((stock, held, n_st, d.volume[stock_k]), (release, released, n_r, d.volume[release_k])),
        ),
        (d.release_capacity, ((release, released, n_r, np.ones(n_r)),)),
    ):
        if np.isfinite(capacity).any():
            entries = []
            for frame, first, n, coef in parts:
                limited, rows = per_month(
                    n_b, capacity, frame["b"].to_numpy(), frame, n, first, coef
                )
                entries.append(rows)
            every = np.arange(len(limited) * n_t)
            coo.rows(
                n_s * len(every),
                None,
                0.0,
                *entries,
                every_scenario(
                    n_s,
                    len(every),
                    every,
                    used + np.repeat(limited, n_t),
                    -np.repeat(capacity[limited], n_t),
                    0,
                ),
            )
    lane = {"release": release["lane"].to_numpy(), "direct": direct["lane"].to_numpy()}
    on = np.unique(np.concatenate(list(lane.values())))
    capacity = np.full(len(d.lanes), np.inf)
    capacity[on] = d.lane_capacity[on]
    if np.isfinite(capacity).any():
        entries = []
        for frame, first, n in ((release, released, n_r), (direct, sent, n_g)):
            limited, rows = per_month(
                len(d.lanes),
                capacity,
                frame["lane"].to_numpy(),
                frame,
                n,
                first,
                np.ones(len(frame)),
            )
            entries.append(rows)
        coo.rows(
            n_s * len(limited) * n_t,
            None,
            np.tile(np.repeat(capacity[limited], n_t), n_s),
            *entries,
        )
    return coo.highs(), time.perf_counter() - start


REFERENCES = {
    "warehouses": build_reference,
    "contracts": contracts_reference,
    "routing": routing_reference,
    "suppliers": suppliers_reference,
}
"""Model key -> its numpy-to-highspy reference build (instance -> (highs, seconds))."""


def counts(highs: highspy.Highs) -> tuple[int, int, int]:
    """Rows, columns and nonzeros of the model ``highs`` holds."""
    lp = highs.getLp()
    return lp.num_row_, lp.num_col_, len(lp.a_matrix_.value_)
