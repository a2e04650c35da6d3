"""The ``network`` model's supply side (supplier policy and flexible contract terms) against
brute force, published optima and closed forms.

Brute force: every choice of the binaries (suppliers qualified, warehouses opened or used,
one price segment or none per offer), each continuous remainder an LP written here from the
data with ``scipy.optimize.linprog`` (inspection, the policy caps, quantity-flexibility and
option quantities, units bought under the terms by month and shipped from their supplier),
never from cbecopt's matrices. Slices: with one month, one scenario, one market and free
lanes through one free warehouse, the network is the ``suppliers`` model (Ravindran and
Warsing's Exercise 5.5, LINDO's QdiscSupL); with one supplier, one SKU and demand scenarios it
is the ``contracts`` newsvendor, firm only and with call options, whose optimum on a discrete
distribution is its critical fractiles.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from cbecopt.highs import SolveOptions
from cbecopt.models.network import NetworkData, solve_network
from cbecopt.models.network.kpis import expected_counterfeit as kpi_counterfeit
from network_helpers import tiny
from oracles.inventory import newsvendor_normal, normal_ppf, options_newsvendor_normal
from test_network_model import _LP, _add

NAN, INF = float("nan"), float("inf")
EXACT = SolveOptions(mip_rel_gap=1e-9, threads=1)


def _finite(values, n: int) -> np.ndarray:
    return np.full(n, np.nan) if values is None else np.asarray(values, float)


def _minimum(term) -> float:
    """A term's minimum order (its optional ninth number; 0 when none)."""
    return float(np.nan_to_num(term[8])) if len(term) > 8 else 0.0


def _first_price(d: NetworkData, o: int) -> float:
    """What a unit of offer o bought per order costs: the price of its segment starting
    lowest, plus its expected counterfeit cost."""
    _, _, _, price = min((seg for seg in d.segments if seg[0] == o), key=lambda seg: seg[1])
    k = d.offers[o][1]
    return price + d.counterfeit_penalty[k] * d.counterfeit_rate[o]


def _outlets(d: NetworkData) -> list[tuple]:
    """Every delivery lane as ``(kind, origin, market, cost per unit by SKU, SKUs it may
    carry)``: releases from the bonded warehouse, parcels from the overseas one, and parcels
    (9610, or postal with personal articles allowed) straight from a supplier, which carry its
    offers at their first price; tax per unit by channel where the data give it, else the
    lane's rate on the retail price."""
    nK = len(d.skus)
    every = np.ones(nK, bool)

    def tax(channel: str, rate: float) -> np.ndarray:
        if d.unit_tax is not None:
            return np.asarray(d.unit_tax[channel], float)
        return rate * np.asarray(d.retail_price, float)

    out = [
        ("release", b, j, c + tax("bonded", r) + d.bonded_handling[b], every)
        for b, j, c, r in d.release
    ]
    out += [
        ("parcel", w, j, c + tax("parcel", r) + d.overseas_handling[w], every)
        for w, j, c, r in d.parcel
    ]
    per_order = [(i, j, c, "parcel") for i, j, c, _ in d.supplier_parcel]
    if d.allow_personal_articles:
        assert all(kind == "supplier" for kind, *_ in d.postal), "postal from a supplier only"
        per_order += [(i, j, c, "postal") for _, i, j, c, _ in d.postal]
    for i, j, c, channel in per_order:
        price, offered = np.zeros(nK), np.zeros(nK, bool)
        for o, (ii, k) in enumerate(d.offers):
            if ii == i:
                price[k], offered[k] = _first_price(d, o), True
        out.append(("supplier", i, j, c + tax(channel, np.nan) + price, offered))
    return out


def _lp_value(d: NetworkData, qualified, opened, used, segment, signed=()) -> float | None:
    """The least expected cost with these binaries (``segment[o]``: the segment pricing
    offer o, or None; ``signed``: per term with a minimum order, in order, whether it is
    signed), or None when infeasible."""
    lp = _LP()
    nK, nT, nO = len(d.skus), d.months, len(d.offers)
    fixed = (
        np.dot(d.supplier_fixed, qualified)
        + np.dot(d.overseas_fixed, opened)
        + np.dot(d.bonded_fixed, used)
    )
    pen = d.counterfeit_penalty
    rate = np.asarray(d.counterfeit_rate, float)
    inspection = _finite(d.inspection_cost, nO)
    caught = _finite(d.inspected_rate, nO)
    caught = np.where(np.isnan(caught), rate, caught)
    late = np.zeros(nO) if d.late_rate is None else np.asarray(d.late_rate, float)
    brand = [bool(d.supplier_type) and d.supplier_type[i] == "brand_direct" for i, _ in d.offers]
    # firm purchases and inspection
    q, insp = {}, {}
    for o, (_, k) in enumerate(d.offers):
        if segment[o] is None:
            continue
        _, lo, hi, price = d.segments[segment[o]]
        q[o] = lp.var(price + pen[k] * rate[o], max(lo, d.min_order[o]), hi)
        if np.isfinite(inspection[o]):
            insp[o] = lp.var(inspection[o] - pen[k] * (rate[o] - caught[o]))
            lp.le.append(({insp[o]: 1.0, q[o]: -1.0}, 0.0))

    def caps(bought: dict, checked: dict) -> None:
        """The policy caps per SKU over the firm purchases and the ``bought`` columns (column:
        offer: units bought under terms or per order), less the inspected units of the
        ``checked`` columns (column: offer)."""
        for k in range(nK):
            mine = [o for o in q if d.offers[o][1] == k]
            extra = [(j, o) for j, o in bought.items() if d.offers[o][1] == k]
            if d.counterfeit_cap < 1.0:
                row = {q[o]: rate[o] - d.counterfeit_cap for o in mine}
                row |= {insp[o]: -(rate[o] - caught[o]) for o in mine if o in insp}
                row |= {j: rate[o] - d.counterfeit_cap for j, o in extra}
                row |= {
                    j: -(rate[o] - caught[o]) for j, o in checked.items() if d.offers[o][1] == k
                }
                lp.le.append((row, 0.0))
            if d.max_late_rate < 1.0:
                row = {q[o]: late[o] - d.max_late_rate for o in mine}
                lp.le.append(({**row, **{j: late[o] - d.max_late_rate for j, o in extra}}, 0.0))
            if d.min_brand_direct_share > 0.0:
                beta = d.min_brand_direct_share
                row = {q[o]: beta - brand[o] for o in mine}
                lp.le.append(({**row, **{j: beta - brand[o] for j, o in extra}}, 0.0))

    outlets = _outlets(d)
    per_order = any(kind == "supplier" for kind, *_ in outlets)
    if not d.terms and not per_order:
        caps({}, {})
    # terms: first-stage quantities of quantity-flexibility and option terms, a term with a
    # minimum order either signed (at least that much) or not (nothing)
    commit, sign = {}, iter(signed)
    for c, (o, kind, _, premium, _, up, _, cap, *_) in enumerate(d.terms):
        if kind == "spot":
            continue
        reserve = 1.0 + up if kind == "quantity_flexibility" else 1.0
        i = d.offers[o][0]
        hi = min(cap, d.supplier_capacity[i]) / reserve if qualified[i] else 0.0
        lo = 0.0
        if _minimum(d.terms[c]) > 0:
            if next(sign):
                lo = _minimum(d.terms[c])
                if lo > hi:
                    return None
            else:
                hi = 0.0
        commit[c] = lp.var(premium if kind == "option" else 0.0, lo, hi)
    # first-stage lanes: (role, origin kind, origin, destination, cost, lead)
    lanes = [("fm", "supplier", i, w, cost, lead) for i, w, cost, lead in d.first_mile]
    lanes += [
        ("in", kind, o, b, cost + (d.overseas_handling[o] if kind == "overseas" else 0.0), lead)
        for kind, o, b, cost, lead in d.inbound
    ]

    def shut(n: int) -> bool:
        role, dest = lanes[n][0], lanes[n][3]
        return not (opened[dest] if role == "fm" else used[dest])

    def lane_columns(offered, scenario=None) -> dict:
        """A column per lane, SKU its origin ships and month whose arrival is in time."""
        return {
            (n, k, t): lp.var(
                cost + d.holding[k] / 2, 0.0, 0.0 if shut(n) else None, scenario=scenario
            )
            for n, (_, kind, o, _, cost, lead) in enumerate(lanes)
            for k in range(nK)
            for t in range(nT - lead)
            if kind == "overseas" or (o, k) in offered
        }

    ship = lane_columns(set(d.offers))
    for o, (i, k) in enumerate(d.offers):
        row = {
            j: 1.0 for (n, kk, _), j in ship.items() if lanes[n][1:3] == ("supplier", i) and kk == k
        }
        if o in q:
            row[q[o]] = -1.0
        lp.eq.append((row, 0.0))
    termed = {d.offers[o] for o, *_ in d.terms}
    offer_of = {key: o for o, key in enumerate(d.offers)}
    for s in range(len(d.probabilities)):
        bought = {
            (c, t): lp.var(
                (exercise if kind == "option" else price) + pen[d.offers[o][1]] * rate[o],
                scenario=s,
            )
            for c, (o, kind, price, _, exercise, *_) in enumerate(d.terms)
            for t in range(nT)
        }
        checked = {}  # units bought under a term of an inspectable offer, inspected
        for c, (o, *_) in enumerate(d.terms):
            if np.isfinite(inspection[o]):
                k = d.offers[o][1]
                checked[c] = lp.var(inspection[o] - pen[k] * (rate[o] - caught[o]), scenario=s)
                lp.le.append(({checked[c]: 1.0, **{bought[c, t]: -1.0 for t in range(nT)}}, 0.0))
        x = {
            (n, k, t): lp.var(unit[k], scenario=s)
            for n, (_, _, _, unit, carried) in enumerate(outlets)
            for k in np.flatnonzero(carried)
            for t in range(nT)
        }
        direct = {
            j: offer_of[outlets[n][1], k]
            for (n, k, _), j in x.items()
            if outlets[n][0] == "supplier"
        }
        if d.terms or per_order:
            caps(
                {**{j: d.terms[c][0] for (c, _), j in bought.items()}, **direct},
                {checked[c]: d.terms[c][0] for c in checked},
            )
        recourse = lane_columns(termed, s)
        recourse = {key: j for key, j in recourse.items() if lanes[key[0]][1] == "supplier"}
        for c, (_, kind, _, _, _, up, down, cap, *_) in enumerate(d.terms):
            total = {bought[c, t]: 1.0 for t in range(nT)}
            if kind == "quantity_flexibility":
                lp.le.append(({**{j: -1.0 for j in total}, commit[c]: 1.0 - down}, 0.0))
                lp.le.append(({**total, commit[c]: -(1.0 + up)}, 0.0))
            elif kind == "option":
                lp.le.append(({**total, commit[c]: -1.0}, 0.0))
            elif np.isfinite(cap):
                lp.le.append((total, cap))
        for i, k in termed:
            for t in range(nT):
                row = {
                    bought[c, t]: 1.0 for c, (o, *_) in enumerate(d.terms) if d.offers[o] == (i, k)
                }
                for (n, kk, tt), j in recourse.items():
                    if lanes[n][2] == i and (kk, tt) == (k, t):
                        row[j] = -1.0
                lp.eq.append((row, 0.0))
        for i in range(len(d.suppliers)):
            row = {q[o]: 1.0 for o in q if d.offers[o][0] == i}
            for (c, _), j in bought.items():
                if d.offers[d.terms[c][0]][0] == i:
                    row[j] = 1.0
            row |= {j: 1.0 for j, o in direct.items() if d.offers[o][0] == i}
            lp.le.append((row, d.supplier_capacity[i] * qualified[i]))
        for role, kind, count in (
            ("fm", "parcel", len(d.overseas)),
            ("in", "release", len(d.bonded)),
        ):
            for v in range(count):
                stock = {
                    (k, t): lp.var(d.holding[k] * (0.5 if t == nT - 1 else 1.0), scenario=s)
                    for k in range(nK)
                    for t in range(nT)
                }
                for k, t in stock:
                    row = {stock[k, t]: 1.0}
                    if t > 0:
                        _add(row, stock[k, t - 1], -1.0)
                    for columns in (ship, recourse):
                        for (n, kk, tt), j in columns.items():
                            lane = lanes[n]
                            if lane[0] == role and lane[3] == v and (kk, tt + lane[5]) == (k, t):
                                _add(row, j, -1.0)
                            if role == "fm" and lane[1:3] == ("overseas", v) and (kk, tt) == (k, t):
                                _add(row, j, 1.0)
                    for (n, kk, tt), j in x.items():
                        if outlets[n][:2] == (kind, v) and (kk, tt) == (k, t):
                            _add(row, j, 1.0)
                    lp.eq.append((row, 0.0))
                if role == "fm":
                    for t in range(nT):
                        out = {
                            j: 1.0
                            for (n, _, tt), j in ship.items()
                            if lanes[n][1:3] == ("overseas", v) and tt == t
                        }
                        out |= {
                            j: 1.0
                            for (n, _, tt), j in x.items()
                            if outlets[n][:2] == ("parcel", v) and tt == t
                        }
                        lp.le.append((out, d.overseas_capacity[v] * opened[v]))
        for jj in range(len(d.markets)):
            for k in range(nK):
                for t in range(nT):
                    row = {
                        j: 1.0
                        for (n, kk, tt), j in x.items()
                        if (kk, tt) == (k, t) and outlets[n][2] == jj
                    }
                    row[lp.var(d.lost_penalty[k], scenario=s)] = 1.0
                    lp.eq.append((row, float(d.demand[s, jj, k, t])))
    return lp.solve(fixed, d.probabilities, 0.0, 0.5)


def brute_force(d: NetworkData) -> float:
    """The least expected cost over every choice of the binaries."""
    signable = sum(_minimum(term) > 0 for term in d.terms)
    choices = [
        [None, *[r for r, seg in enumerate(d.segments) if seg[0] == o]]
        for o in range(len(d.offers))
    ]
    best = np.inf
    for qualified in itertools.product((0, 1), repeat=len(d.suppliers)):
        for opened in itertools.product((0, 1), repeat=len(d.overseas)):
            for used in itertools.product((0, 1), repeat=len(d.bonded)):
                for segment in itertools.product(*choices):
                    if any(
                        r is not None and not qualified[d.offers[o][0]]
                        for o, r in enumerate(segment)
                    ):
                        continue
                    for signed in itertools.product((0, 1), repeat=signable):
                        value = _lp_value(d, qualified, opened, used, segment, signed)
                        if value is not None:
                            best = min(best, value)
    return best


QF = (0, "quantity_flexibility", 9.0, NAN, NAN, 0.5, 0.3, INF)
OPTION = (0, "option", NAN, 0.8, 8.5, NAN, NAN, 80.0)
GREY_OPTION = (1, "option", NAN, 0.5, 6.5, NAN, NAN, 40.0)
SPOT = (0, "spot", 13.0, NAN, NAN, NAN, NAN, 50.0)
SMALL_FIRM = ((0, 0.0, 30.0, 10.0), (1, 0.0, 60.0, 6.0))
"""The brand's firm offer ends at 30 units, below what its quantity-flexibility term sells."""
INSPECTION = {"inspection_cost": np.array([NAN, 1.0]), "inspected_rate": np.array([NAN, 0.02])}
CHEAP_GREY = {"supplier_fixed": np.array([100.0, 0.0]), "counterfeit_penalty": np.array([0.0])}
THREE_MONTHS = {"months": 3, "demand": np.array([[[[5.0, 40.0, 60.0]]], [[[20.0, 90.0, 10.0]]]])}

GREY_SPOT = (1, "spot", 5.0, NAN, NAN, NAN, NAN, 60.0)
SPOT_ONLY = {  # the grey supplier sells spot, cheap: without caps the plan buys nothing firm
    "terms": (GREY_SPOT,),
    "counterfeit_penalty": np.array([0.0]),
    "counterfeit_cap": 1.0,
    "supplier_fixed": np.array([300.0, 0.0]),
}

TAX = {"bonded": np.array([2.73]), "parcel": np.array([2.73]), "postal": np.array([1.0])}
PER_ORDER = {  # the grey supplier ships 9610 parcels straight to the market, cheap
    "supplier_parcel": ((1, 0, 2.0, 5.0),),
    "unit_tax": TAX,
    "counterfeit_penalty": np.array([0.0]),
    "counterfeit_cap": 1.0,
    "supplier_fixed": np.array([300.0, 0.0]),
}
POSTAL = {  # the same by personal-articles postal parcels
    **PER_ORDER,
    "supplier_parcel": (),
    "allow_personal_articles": True,
    "postal": (("supplier", 1, 0, 1.5, 20.0),),
}

CASES = {  # (changes to the tiny network, the same network without the feature, +1: costs more)
    "inspection": (
        {**INSPECTION, "counterfeit_cap": 0.1, "supplier_fixed": np.array([300.0, 0.0])},
        {"counterfeit_cap": 0.1, "supplier_fixed": np.array([300.0, 0.0])},
        -1,
    ),
    "late cap": (
        {**CHEAP_GREY, "late_rate": np.array([0.05, 0.4]), "max_late_rate": 0.2},
        CHEAP_GREY,
        +1,
    ),
    "brand-direct share": (
        {
            **CHEAP_GREY,
            "supplier_type": ("brand_direct", "grey_market"),
            "min_brand_direct_share": 0.6,
        },
        CHEAP_GREY,
        +1,
    ),
    "quantity flexibility": ({"terms": (QF,)}, {}, -1),
    "option": ({"terms": (OPTION,)}, {}, -1),
    "spot": ({"terms": (SPOT,)}, {}, -1),
    "counterfeit cap over spot units": ({**SPOT_ONLY, "counterfeit_cap": 0.1}, SPOT_ONLY, +1),
    "late cap over spot units": (
        {**SPOT_ONLY, "max_late_rate": 0.1, "late_rate": np.array([0.0, 0.4])},
        SPOT_ONLY,
        +1,
    ),
    "brand-direct share over spot units": (
        {
            **SPOT_ONLY,
            "min_brand_direct_share": 0.8,
            "supplier_type": ("brand_direct", "grey_market"),
        },
        SPOT_ONLY,
        +1,
    ),
    "a term selling beyond its firm offer's capacity": (
        {"terms": (QF,), "segments": SMALL_FIRM},
        {"segments": SMALL_FIRM},
        -1,
    ),
    "minimum order on a quantity-flexibility term": (
        {"terms": ((*QF, 80.0),)},
        {"terms": (QF,)},
        +1,
    ),
    "minimum order on an option term": ({"terms": ((*OPTION, 60.0),)}, {"terms": (OPTION,)}, +1),
    "inspection of option units": (
        {**INSPECTION, "terms": (GREY_OPTION,), "counterfeit_cap": 0.1, **CHEAP_GREY},
        {"terms": (GREY_OPTION,), "counterfeit_cap": 0.1, **CHEAP_GREY},
        -1,
    ),
    "inspection of spot units": (
        {**INSPECTION, **SPOT_ONLY, "counterfeit_cap": 0.1},
        {**SPOT_ONLY, "counterfeit_cap": 0.1},
        -1,
    ),
    "counterfeit cap over supplier parcels": ({**PER_ORDER, "counterfeit_cap": 0.1}, PER_ORDER, +1),
    "late cap over supplier parcels": (
        {**PER_ORDER, "max_late_rate": 0.1, "late_rate": np.array([0.0, 0.4])},
        PER_ORDER,
        +1,
    ),
    "brand-direct share over supplier parcels": (
        {
            **PER_ORDER,
            "min_brand_direct_share": 0.8,
            "supplier_type": ("brand_direct", "grey_market"),
        },
        PER_ORDER,
        +1,
    ),
    "counterfeit cap over postal parcels from a supplier": (
        {**POSTAL, "counterfeit_cap": 0.1},
        POSTAL,
        +1,
    ),
    "everything, three months": (
        {
            **THREE_MONTHS,
            **INSPECTION,
            "terms": (QF, GREY_OPTION, SPOT),
            "late_rate": np.array([0.05, 0.4]),
            "max_late_rate": 0.3,
            "supplier_type": ("brand_direct", "grey_market"),
            "min_brand_direct_share": 0.3,
            "supplier_fixed": np.array([300.0, 0.0]),
            "counterfeit_penalty": np.array([20.0]),
        },
        {
            **THREE_MONTHS,
            "supplier_fixed": np.array([300.0, 0.0]),
            "counterfeit_penalty": np.array([20.0]),
        },
        -1,
    ),
    "everything with supplier parcels and minimum orders, three months": (
        {
            **THREE_MONTHS,
            **INSPECTION,
            "terms": ((*QF, 30.0), (*GREY_OPTION, 20.0), SPOT),
            "supplier_parcel": ((1, 0, 2.0, 5.0), (0, 0, 6.0, 3.0)),
            "unit_tax": TAX,
            "late_rate": np.array([0.05, 0.4]),
            "max_late_rate": 0.3,
            "supplier_type": ("brand_direct", "grey_market"),
            "min_brand_direct_share": 0.3,
            "supplier_fixed": np.array([300.0, 0.0]),
            "counterfeit_penalty": np.array([20.0]),
        },
        {
            **THREE_MONTHS,
            "unit_tax": TAX,
            "supplier_fixed": np.array([300.0, 0.0]),
            "counterfeit_penalty": np.array([20.0]),
        },
        -1,
    ),
}


@pytest.mark.component
@pytest.mark.parametrize("case", CASES)
def test_supply_optimum_is_the_brute_force_optimum(case):
    """The optimum equals brute force, and the feature moves it (a cap costs, a way to buy or
    to inspect saves), so its rows are there and bind."""
    changes, without, direction = CASES[case]
    d = tiny(**changes)
    _, outcome = solve_network(d, options=EXACT)
    expected = brute_force(d)
    assert outcome.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert direction * (expected - brute_force(tiny(**without))) > 1.0


@pytest.mark.component
@pytest.mark.parametrize(
    "changes, message",
    [
        ({"terms": ((0, "firm", 9.0, NAN, NAN, NAN, NAN, INF),)}, "unknown type"),
        ({"terms": (SPOT, SPOT)}, "one term per offer and type"),
        (
            {
                "discount": ("incremental", "all_units"),
                "segments": ((0, 0.0, 50.0, 10.0), (1, 0.0, 60.0, 6.0), (0, 50.0, 200.0, 8.0)),
            },
            "slices must follow each other",
        ),
    ],
)
def test_terms_and_slices_that_cannot_be_read_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        solve_network(tiny(**changes))


# --- The supplier slice: published optima of the suppliers model ---------------------------


def _supplier_slice(fixed, capacity, segments, discount, need) -> NetworkData:
    """One SKU, month, scenario and market; every supplier ships free to one free warehouse,
    which ships free to the market; what is bought beyond the need stays in stock, free."""
    n = len(fixed)
    return NetworkData(
        skus=("X",),
        months=1,
        markets=("M",),
        scenario_names=("only",),
        probabilities=np.array([1.0]),
        demand=np.array([[[[need]]]]),
        suppliers=tuple(f"S{i + 1}" for i in range(n)),
        supplier_fixed=np.array(fixed, float),
        supplier_capacity=np.array(capacity, float),
        offers=tuple((i, 0) for i in range(n)),
        min_order=np.zeros(n),
        counterfeit_rate=np.zeros(n),
        segments=tuple(segments),
        overseas=("W",),
        overseas_fixed=np.zeros(1),
        overseas_capacity=np.array([float(sum(capacity))]),
        overseas_handling=np.zeros(1),
        bonded=(),
        bonded_fixed=np.zeros(0),
        bonded_handling=np.zeros(0),
        first_mile=tuple((i, 0, 0.0, 0) for i in range(n)),
        inbound=(),
        release=(),
        parcel=((0, 0, 0.0, 0.0),),
        retail_price=np.zeros(1),
        lost_penalty=np.array([1e6]),
        holding=np.zeros(1),
        counterfeit_penalty=np.zeros(1),
        discount=tuple(discount),
    )


def _bought(d: NetworkData):
    form, outcome = solve_network(d, options=EXACT)
    return outcome.objective, form.values_of(outcome.values, form.block.component("purchase"))


@pytest.mark.component
def test_supplier_slice_is_ravindran_warsing_exercise_5_5():
    """Ravindran and Warsing, Supply Chain Engineering, Exercise 5.5: buy 2000; S1 fixed 100,
    capacity 600, 10 then 7 from 300; S2 fixed 500, capacity 800, 2; S3 fixed 300, capacity
    1200, 6 then 4 from 500 (incremental discounts). Published optimum 8200 buying
    (0, 800, 1200)."""
    d = _supplier_slice(
        fixed=(100, 500, 300),
        capacity=(600, 800, 1200),
        segments=[
            (0, 0.0, 300.0, 10.0),
            (0, 300.0, 600.0, 7.0),
            (1, 0.0, 800.0, 2.0),
            (2, 0.0, 500.0, 6.0),
            (2, 500.0, 1200.0, 4.0),
        ],
        discount=("incremental",) * 3,
        need=2000.0,
    )
    cost, bought = _bought(d)
    assert cost == pytest.approx(8200.0, rel=1e-9)
    assert bought == pytest.approx([0.0, 800.0, 1200.0], abs=1e-6)


@pytest.mark.component
def test_supplier_slice_is_lindo_qdiscsupl():
    """LINDO's QdiscSupL: need at least 6000; vendor A all-units 9, 8, 7, 5, 3 from 0, 1000,
    2500, 7500, 15000 (no capacity: 40000 here, never reached); vendor B incremental 8, 7, 6,
    4, 2 from 0, 1200, 3000, 7500, 14000, capacity 20000. Published optimum 37,500 buying
    7,500 from A: more than needed, to reach A's break (the rest stays in stock)."""
    a_from, a_price = (0, 1000, 2500, 7500, 15000, 40000), (9, 8, 7, 5, 3)
    b_from, b_price = (0, 1200, 3000, 7500, 14000, 20000), (8, 7, 6, 4, 2)
    segments = [(0, a_from[r], a_from[r + 1], a_price[r]) for r in range(5)]
    segments += [(1, b_from[r], b_from[r + 1], b_price[r]) for r in range(5)]
    d = _supplier_slice(
        fixed=(0, 0),
        capacity=(40000, 20000),
        segments=[(o, float(lo), float(hi), float(p)) for o, lo, hi, p in segments],
        discount=("all_units", "incremental"),
        need=6000.0,
    )
    cost, bought = _bought(d)
    assert cost == pytest.approx(37500.0, rel=1e-9)
    assert bought == pytest.approx([7500.0, 0.0], abs=1e-6)


# --- The contracts slice: newsvendor closed forms on a discrete demand distribution ---------


def _grid(mean: float, std: float, n: int) -> np.ndarray:
    """n equally likely demands at the normal's quantiles (s + 1/2)/n, increasing."""
    return np.array([normal_ppf((s + 0.5) / n, mean, std) for s in range(n)])


def _contracts_slice(demand: np.ndarray, price: float, lost: float, terms=()) -> NetworkData:
    """One supplier of one SKU (firm price ``price``, capacity beyond any demand), one free
    warehouse and market, one month; equally likely demand scenarios; a unit short costs
    ``lost``; nothing costs holding."""
    n, big = len(demand), 10.0 * float(demand.max())
    return NetworkData(
        skus=("A",),
        months=1,
        markets=("M",),
        scenario_names=tuple(f"s{s}" for s in range(n)),
        probabilities=np.full(n, 1.0 / n),
        demand=demand.reshape(n, 1, 1, 1),
        suppliers=("s1",),
        supplier_fixed=np.zeros(1),
        supplier_capacity=np.array([big]),
        offers=((0, 0),),
        min_order=np.zeros(1),
        counterfeit_rate=np.zeros(1),
        segments=((0, 0.0, big, price),),
        overseas=("W",),
        overseas_fixed=np.zeros(1),
        overseas_capacity=np.array([big]),
        overseas_handling=np.zeros(1),
        bonded=(),
        bonded_fixed=np.zeros(0),
        bonded_handling=np.zeros(0),
        first_mile=((0, 0, 0.0, 0),),
        inbound=(),
        release=(),
        parcel=((0, 0, 0.0, 0.0),),
        retail_price=np.zeros(1),
        lost_penalty=np.array([lost]),
        holding=np.zeros(1),
        counterfeit_penalty=np.zeros(1),
        terms=tuple(terms),
    )


def _fractile(sorted_demand: np.ndarray, ratio: float) -> float:
    """The least demand whose distribution function (equally likely values) reaches ``ratio``."""
    return float(sorted_demand[math.ceil(ratio * len(sorted_demand)) - 1])


def _spacing(sorted_demand: np.ndarray, value: float) -> float:
    """The wider gap between ``value`` (a point of the grid) and its neighbours."""
    i = int(np.searchsorted(sorted_demand, value))
    return float(np.diff(sorted_demand[max(i - 1, 0) : i + 2]).max())


@pytest.mark.component
def test_contracts_slice_firm_only_is_the_critical_fractile():
    """Snyder and Shen's Example 4.3 (overage h = 0.18, underage p = 0.70, D ~ N(50, 8)) as a
    firm price w = h with a unit short costing h + p: the order is the p / (p + h) fractile of
    the discrete demand, the cost the newsvendor's, and the order within a grid step of the
    normal closed form 56.60."""
    h, p, n = 0.18, 0.70, 100
    demand = _grid(50.0, 8.0, n)
    form, outcome = solve_network(_contracts_slice(demand, h, h + p), options=EXACT)
    order = float(form.values_of(outcome.values, form.block.component("purchase"))[0])
    q = _fractile(demand, p / (p + h))
    assert order == pytest.approx(q, abs=1e-6)
    cost = np.mean(h * q + (h + p) * np.maximum(demand - q, 0.0))
    assert outcome.objective == pytest.approx(cost, rel=1e-9)
    closed = newsvendor_normal(50.0, 8.0, h, p).order
    assert abs(order - closed) <= _spacing(demand, q)


@pytest.mark.component
def test_contracts_slice_firm_and_options_are_the_two_fractiles():
    """Firm units at w = 50 and call options (premium o = 10, exercise e = 45), a unit short
    costing p = 100, no salvage, D ~ N(1000, 300): firm units at the (o + e - w) / e fractile,
    firm plus options at the (p - e - o) / (p - e) fractile, each within a grid step of the
    normal closed form (the options newsvendor of models/contracts.md)."""
    w, o, e, p, n = 50.0, 10.0, 45.0, 100.0, 100
    demand = _grid(1000.0, 300.0, n)
    d = _contracts_slice(demand, w, p, terms=[(0, "option", NAN, o, e, NAN, NAN, INF)])
    form, outcome = solve_network(d, options=EXACT)
    firm = float(form.values_of(outcome.values, form.block.component("purchase"))[0])
    options = float(form.values_of(outcome.values, form.block.component("quantity"))[0])
    q, top = _fractile(demand, (o + e - w) / e), _fractile(demand, (p - e - o) / (p - e))
    assert (firm, firm + options) == pytest.approx((q, top), abs=1e-6)
    short = np.maximum(demand - q, 0.0)
    cost = np.mean(
        w * q + o * (top - q) + e * np.minimum(short, top - q) + p * (short - (top - q)).clip(0)
    )
    assert outcome.objective == pytest.approx(cost, rel=1e-9)
    closed = options_newsvendor_normal(1000.0, 300.0, p, w, o, e, 0.0)
    assert abs(firm - closed.firm) <= _spacing(demand, q)
    assert abs(firm + options - (closed.firm + closed.options)) <= _spacing(demand, top)


# --- Minimum orders on terms, inspection of term units, units shipped per order -------------


@pytest.mark.component
@pytest.mark.parametrize("least", [0.0, NAN])
def test_terms_without_a_minimum_order_build_the_same_model(least):
    """A ninth number of 0 or nan is no minimum: the same rows, columns and optimum as the
    eight numbers of a term without one (no ``signed``)."""
    plain = tiny(terms=(QF, OPTION, SPOT))
    given = tiny(terms=((*QF, least), (*OPTION, least), SPOT))
    shapes = []
    for d in (plain, given):
        form, outcome = solve_network(d, options=EXACT)
        assert form.block.component("signed") is None
        compiled = form.compile()
        shapes.append((compiled.n_rows, compiled.n_cols, round(outcome.objective, 9)))
    assert shapes[0] == shapes[1]


@pytest.mark.component
def test_a_signed_term_commits_at_least_its_minimum_or_nothing():
    """The option term with a minimum of 60 (the optimum reserves 40 without one) reserves
    60 or nothing; with a minimum of 80, its whole capacity, 80 or nothing; the optimum is
    brute force's either way."""
    for least in (60.0, 80.0):
        d = tiny(terms=((*OPTION, least),))
        form, outcome = solve_network(d, options=EXACT)
        reserved = float(form.values_of(outcome.values, form.block.component("quantity"))[0])
        signed = round(float(form.values_of(outcome.values, form.block.component("signed"))[0]))
        assert reserved == pytest.approx(least * signed, abs=1e-6)
        assert outcome.objective == pytest.approx(brute_force(d), rel=1e-6)


@pytest.mark.component
@pytest.mark.parametrize(
    "changes, message",
    [
        ({"terms": ((*SPOT, 10.0),)}, "not spot"),
        ({"terms": ((0, "option", NAN, 0.8),)}, "entry 1 has 4 values"),
    ],
)
def test_terms_minimums_that_cannot_be_read_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        solve_network(tiny(**changes))


DROP_SHIP_ONLY = {  # no stock anywhere: the market is served by the grey supplier's parcels
    "first_mile": (),
    "inbound": (),
    "release": (),
    "parcel": (),
    "supplier_parcel": ((1, 0, 2.0, 5.0),),
    "unit_tax": TAX,
    "counterfeit_penalty": np.array([0.0]),
    "supplier_fixed": np.array([300.0, 0.0]),
    "counterfeit_cap": 1.0,
}


@pytest.mark.component
def test_expected_counterfeit_counts_supplier_parcels():
    """Only grey's parcels reach the market (unit cost 6 + 2 + 2.73 < the lost-sales 35):
    it sells min(demand, its capacity 60) = 40 or 60, so the expected counterfeit units are
    0.3 x (40 + 60) / 2 = 15 (none of it shows in firm purchases)."""
    d = tiny(**DROP_SHIP_ONLY)
    form, outcome = solve_network(d, options=EXACT)
    assert outcome.objective == pytest.approx(brute_force(d), rel=1e-6)
    assert kpi_counterfeit(d, form, outcome.values) == pytest.approx(15.0, abs=1e-6)


@pytest.mark.component
def test_expected_counterfeit_counts_inspected_spot_units():
    """Grey sells spot at 5 (capacity 60) and its units can be inspected at 1, cutting the
    rate 0.3 to 0.02 (worth 40 x 0.28 = 11.2 a unit); the brand costs too much to qualify.
    Every unit is bought spot and inspected: 40 or 60 units, so the expected counterfeit
    units are 0.02 x 50 = 1."""
    d = tiny(
        **INSPECTION,
        terms=(GREY_SPOT,),
        supplier_fixed=np.array([5000.0, 0.0]),
        counterfeit_cap=1.0,
    )
    form, outcome = solve_network(d, options=EXACT)
    assert outcome.objective == pytest.approx(brute_force(d), rel=1e-6)
    firm = form.values_of(outcome.values, form.block.component("purchase"))
    assert firm == pytest.approx([0.0, 0.0], abs=1e-6)
    assert kpi_counterfeit(d, form, outcome.values) == pytest.approx(1.0, abs=1e-6)
