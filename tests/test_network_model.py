"""The ``network`` model against brute force: every choice of its binaries (suppliers
qualified, overseas warehouses opened, bonded warehouses used, one price segment or none per
offer), each continuous remainder solved as an LP written here from the data with
``scipy.optimize.linprog``, never from cbecopt's matrices; the best of them is the optimum."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import linprog

from cbecopt.highs import SolveOptions
from cbecopt.models.network import NetworkData, NetworkProblem, solve_network, with_platforms
from cbecopt.results import Status
from cbecopt.stochastic.twostage import RiskOptions, build_extensive_form
from network_helpers import EVERY_ROW, platform_markets, tiny, tiny_channels, tiny_supply


class _LP:
    """A small two-stage LP in the making: columns with their cost and stage (``None``: first
    stage, else the scenario), equality and inequality rows."""

    def __init__(self):
        self.cost: list[float] = []
        self.stage: list[int | None] = []
        self.bounds: list[tuple[float | None, float | None]] = []
        self.eq: list[tuple[dict, float]] = []
        self.le: list[tuple[dict, float]] = []

    def var(self, cost: float, lo=0.0, hi=None, scenario: int | None = None) -> int:
        self.cost.append(cost)
        self.stage.append(scenario)
        self.bounds.append((lo, hi))
        return len(self.cost) - 1

    def solve(self, fixed: float, probabilities, weight: float, alpha: float) -> float | None:
        """The least (1 - weight) E[cost] + weight CVaR_alpha(cost), CVaR as Rockafellar and
        Uryasev's LP, ``fixed`` a first-stage constant; None when infeasible."""
        cost = np.array(self.cost)
        stage = list(self.stage)
        objective = [
            (1 - weight) * c * (1.0 if t is None else probabilities[t])
            for c, t in zip(cost, stage, strict=True)
        ]
        if weight > 0:
            eta = self.var(0.0, None, None)
            objective.append(weight)
            for s, p in enumerate(probabilities):
                xi = self.var(0.0)
                objective.append(weight * p / (1 - alpha))
                row = {
                    j: c
                    for j, (c, t) in enumerate(zip(cost, stage, strict=True))
                    if t is None or t == s
                }
                row[eta], row[xi] = -1.0, -1.0
                self.le.append((row, -fixed))
        n = len(self.cost)

        def dense(rows):
            a = np.zeros((len(rows), n))
            for r, (coefs, _) in enumerate(rows):
                for j, c in coefs.items():
                    a[r, j] += c
            return (a, [b for _, b in rows]) if rows else (None, None)

        a_eq, b_eq = dense(self.eq)
        a_ub, b_ub = dense(self.le)
        res = linprog(objective, a_ub, b_ub, a_eq, b_eq, bounds=self.bounds, method="highs")
        self.x = res.x if res.status == 0 else None
        return float(res.fun) + (1 - weight) * fixed if res.status == 0 else None


def _add(coefs: dict, j: int, c: float) -> None:
    coefs[j] = coefs.get(j, 0.0) + c


def _lp_solution(d: NetworkData, qualified, opened, used, segment, risk):
    """The least cost with these binaries (``segment[o]``: the segment pricing offer o, or
    None) and the units bought of each offer at it (``{offer position: units}``), or None
    when infeasible."""
    lp = _LP()
    fixed = (
        np.dot(d.supplier_fixed, qualified)
        + np.dot(d.overseas_fixed, opened)
        + np.dot(d.bonded_fixed, used)
    )
    nK, nT = len(d.skus), d.months
    quantity = {}
    for o, (_, k) in enumerate(d.offers):
        r = segment[o]
        if r is None:
            continue
        _, lo, hi, price = d.segments[r]
        cost = price + d.counterfeit_penalty[k] * d.counterfeit_rate[o]
        quantity[o] = lp.var(cost, max(lo, d.min_order[o]), hi)
    # shipments: (role, origin kind, origin, destination, k, t, lead) -> column
    ships = []
    for i, w, cost, lead in d.first_mile:
        ships.append(("fm", "supplier", i, w, cost, lead))
    for kind, o, b, cost, lead in d.inbound:
        extra = d.overseas_handling[o] if kind == "overseas" else 0.0
        ships.append(("in", kind, o, b, cost + extra, lead))
    col = {}
    for n, (role, kind, o, dest, cost, lead) in enumerate(ships):
        for k in range(nK):
            for t in range(nT - lead):
                if kind == "supplier" and (o, k) not in d.offers:
                    continue
                shut = (role == "fm" and not opened[dest]) or (role == "in" and not used[dest])
                paid = cost + d.holding[k] / 2  # half a month's holding on arrival
                col[n, k, t] = lp.var(paid, 0.0, 0.0 if shut else None)
    for o, (i, k) in enumerate(d.offers):
        out = {
            col[key]: 1.0
            for key in col
            if ships[key[0]][1] == "supplier" and ships[key[0]][2] == i and key[1] == k
        }
        if o in quantity:
            out[quantity[o]] = -1.0
        lp.eq.append((out, 0.0))
    for i in range(len(d.suppliers)):
        lp.le.append(
            (
                {quantity[o]: 1.0 for o in quantity if d.offers[o][0] == i},
                d.supplier_capacity[i] * qualified[i],
            )
        )
    if d.counterfeit_cap < 1.0:
        for k in range(nK):
            lp.le.append(
                (
                    {
                        quantity[o]: d.counterfeit_rate[o] - d.counterfeit_cap
                        for o in quantity
                        if d.offers[o][1] == k
                    },
                    0.0,
                )
            )
    outlets = [("release", b, j, c, tax, d.bonded_handling[b]) for b, j, c, tax in d.release]
    outlets += [("parcel", w, j, c, tax, d.overseas_handling[w]) for w, j, c, tax in d.parcel]
    for s in range(len(d.probabilities)):
        x = {
            (n, k, t): lp.var(c + tax * d.retail_price[k] + h, scenario=s)
            for n, (_, _, _, c, tax, h) in enumerate(outlets)
            for k in range(nK)
            for t in range(nT)
        }
        for kind, nodes in (("overseas", d.overseas), ("bonded", d.bonded)):
            for v in range(len(nodes)):
                stock = {
                    (k, t): lp.var(d.holding[k] * (0.5 if t == nT - 1 else 1.0), scenario=s)
                    for k in range(nK)
                    for t in range(nT)
                }
                for k, t in stock:
                    row = {stock[k, t]: 1.0}
                    if t > 0:
                        _add(row, stock[k, t - 1], -1.0)
                    for (n, kk, tt), j in col.items():
                        role, okind, o, dest, _, lead = ships[n]
                        arrives = kk == k and tt + lead == t and dest == v
                        if arrives and (role == "fm") == (kind == "overseas"):
                            _add(row, j, -1.0)
                        if (
                            kind == "overseas"
                            and okind == "overseas"
                            and o == v
                            and (kk, tt) == (k, t)
                        ):
                            _add(row, j, 1.0)
                    for (n, kk, tt), j in x.items():
                        role, origin = outlets[n][0], outlets[n][1]
                        if (
                            (role == "release") == (kind == "bonded")
                            and origin == v
                            and (kk, tt) == (k, t)
                        ):
                            _add(row, j, 1.0)
                    lp.eq.append((row, 0.0))
                if kind == "overseas":
                    for t in range(nT):
                        out = {
                            j: 1.0
                            for (n, _, tt), j in col.items()
                            if ships[n][1] == "overseas" and ships[n][2] == v and tt == t
                        }
                        out |= {
                            j: 1.0
                            for (n, _, tt), j in x.items()
                            if outlets[n][0] == "parcel" and outlets[n][1] == v and tt == t
                        }
                        lp.le.append((out, d.overseas_capacity[v] * opened[v]))
        for jj in range(len(d.markets)):
            for k in range(nK):
                for t in range(nT):
                    row = {x[n, k, t]: 1.0 for n in range(len(outlets)) if outlets[n][2] == jj}
                    row[lp.var(d.lost_penalty[k], scenario=s)] = 1.0
                    lp.eq.append((row, float(d.demand[s, jj, k, t])))
    value = lp.solve(fixed, d.probabilities, *risk)
    if value is None:
        return None
    return value, {o: float(lp.x[j]) for o, j in quantity.items()}


def brute_force(d: NetworkData, risk=(0.0, 0.95)) -> float:
    """The least cost over every choice of the binaries."""
    return brute_force_plan(d, risk)[0]


def brute_force_plan(d: NetworkData, risk=(0.0, 0.95)) -> tuple[float, dict[int, float]]:
    """The least cost over every choice of the binaries and the units bought of each offer
    (by position in ``d.offers``; an offer not bought is 0) at it."""
    d = platform_markets(d)
    choices = []
    for o in range(len(d.offers)):
        choices.append([None, *[r for r, seg in enumerate(d.segments) if seg[0] == o]])
    best, plan = np.inf, {}
    for qualified in itertools.product((0, 1), repeat=len(d.suppliers)):
        for opened in itertools.product((0, 1), repeat=len(d.overseas)):
            for used in itertools.product((0, 1), repeat=len(d.bonded)):
                for segment in itertools.product(*choices):
                    if any(
                        r is not None and not qualified[d.offers[o][0]]
                        for o, r in enumerate(segment)
                    ):
                        continue
                    solution = _lp_solution(d, qualified, opened, used, segment, risk)
                    if solution is not None and solution[0] < best:
                        best, bought = solution
                        plan = {o: bought.get(o, 0.0) for o in range(len(d.offers))}
    return best, plan


CASES = {
    "base": {},
    "no counterfeit cap": {"counterfeit_cap": 1.0},
    "cheap warehouse": {"overseas_fixed": np.array([10.0]), "bonded_fixed": np.array([900.0])},
    "grey capped": {"counterfeit_cap": 0.1, "supplier_fixed": np.array([900.0, 0.0])},
    "grey binding cap": {
        "counterfeit_penalty": np.array([5.0]),
        "supplier_fixed": np.array([300.0, 0.0]),
        "counterfeit_cap": 0.2,
    },
    "small brand order": {
        "demand": np.array([[[[0.0, 10.0]]], [[[0.0, 30.0]]]]),
        "supplier_fixed": np.array([0.0, 500.0]),
    },
    "three months": {
        "months": 3,
        "demand": np.array([[[[5.0, 40.0, 60.0]]], [[[20.0, 90.0, 10.0]]]]),
        "overseas_capacity": np.array([30.0]),
    },
}


@pytest.mark.component
@pytest.mark.parametrize("case", CASES)
def test_network_optimum_is_the_brute_force_optimum(case):
    d = tiny(**CASES[case])
    _, outcome = solve_network(d)
    assert outcome.objective == pytest.approx(brute_force(d), rel=1e-6, abs=1e-6)


@pytest.mark.component
@pytest.mark.parametrize("weight, alpha", [(1.0, 0.5), (0.4, 0.6)])
def test_mean_cvar_optimum_is_the_brute_force_optimum(weight, alpha):
    """With the shared ``cvar`` family: (1 - weight) E[cost] + weight CVaR_alpha(cost), against
    brute force with Rockafellar and Uryasev's LP written here."""
    d = tiny(**CASES["three months"])
    _, outcome = solve_network(d, RiskOptions(weight=weight, alpha=alpha))
    expected = brute_force(d, (weight, alpha))
    assert outcome.objective == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert expected > brute_force(d)  # the tail costs more than the mean


def _on_two_platforms(d: NetworkData) -> NetworkData:
    """``d`` sold on two platforms (60/40), each with its own copy of every unshared warehouse."""
    demand = np.stack([d.demand * 0.6, d.demand * 0.4], axis=2)
    return with_platforms(d, ("tmall", "jd"), demand)


@pytest.mark.component
def test_network_md_names_every_family_the_model_builds():
    """``models/network.md`` (section "Built so far") names every variable and constraint
    family on ``m.network`` and its scenario blocks, and every family it lists is built (by
    the tiny network, the one with every channel and every optional row, the one with every
    supply-side feature, one sold on two platforms, or one in whole units and cases)."""
    built = set()
    for d in (
        tiny(),
        tiny_channels(**EVERY_ROW),
        tiny_supply(),
        tiny_channels(**EVERY_ROW, terms=tiny_supply().terms),
        tiny_supply(terms=((*tiny_supply().terms[0], 30.0), *tiny_supply().terms[1:])),
        _on_two_platforms(tiny_channels(**EVERY_ROW, shared_by=(("jd",),))),
        tiny_supply(
            integer_quantities=True,
            pack_size=np.array([5.0]),
            lane_pack_size={"first_mile": np.array([12.0, np.nan])},
        ),
    ):
        form = build_extensive_form(NetworkProblem(d), NetworkProblem(d).scenarios())
        block = form.block
        built |= {c.local_name for c in block.component_objects(descend_into=False)}
        built |= {c.local_name for c in block.scenario["low"].component_objects(descend_into=False)}
    built -= {"SCENARIOS", "scenario", "expected_cost"}
    text = (Path(__file__).parents[1] / "models" / "network.md").read_text(encoding="utf-8")
    section = text[text.index("## Built so far") :]
    named = set(re.findall(r"`([a-z_]+)`", section.split("Not built yet")[0]))
    assert built <= named, sorted(built - named)
    table = {
        n
        for line in section.splitlines()
        if line.startswith("| `")
        for n in re.findall(r"`([a-z_]+)`", line.split("|")[1])
    }
    assert table <= built, sorted(table - built)


@pytest.mark.unit
@pytest.mark.parametrize(
    "change, field",
    [
        ({"parcel": ((3, 0, 4.0, 0.1),)}, "parcel"),
        ({"segments": ((5, 0.0, 1.0, 1.0),)}, "segments"),
        ({"inbound": (("port", 0, 0, 1.0, 1),)}, "inbound"),
        ({"probabilities": np.array([0.7, 0.7])}, "probabilities"),
    ],
)
def test_data_referring_to_nothing_is_refused(change, field):
    with pytest.raises(ValueError, match=field):
        tiny(**change)


@pytest.mark.unit
def test_scenarios_resampled_and_averaged_over_markets_skus_months():
    """The network problem's scenario methods (shared with contracts and routing) keep the
    markets x SKUs x months shape: the expected scenario of the tiny network is the mean of
    its two equally likely months-1 demands, 40 and 90, by hand; a rebuilt problem carries the
    scenarios it is given."""
    problem = NetworkProblem(tiny())
    assert problem.expected_scenario().tolist() == [[[0.0, 65.0]]]
    rebuilt = problem.with_scenarios([("only", 1.0, np.array([[[1.0, 2.0]]]))])
    assert rebuilt.data.scenario_names == ("only",)
    assert rebuilt.data.demand.shape == (1, 1, 1, 2)
    assert [name for name, _, _ in rebuilt.scenarios()] == ["only"]


@pytest.mark.component
@pytest.mark.parametrize("case", ["base", "grey binding cap", "three months"])
def test_the_warm_start_method_reaches_the_brute_force_optimum(case, caplog):
    """HiGHS started from the rounded plan (:mod:`cbecopt.methods.warm_start`) still proves
    the optimum brute force finds: the start only changes where the search begins."""
    from cbecopt.methods.warm_start import solve_from_rounded_plan

    d = tiny(**CASES[case])
    problem = NetworkProblem(d)
    form = build_extensive_form(problem, problem.scenarios(), None)
    with caplog.at_level("DEBUG", logger="cbecopt.methods.warm_start"):
        solution = solve_from_rounded_plan(form, SolveOptions(mip_rel_gap=0))
    assert solution.outcome.status == Status.OPTIMAL
    assert solution.outcome.objective == pytest.approx(brute_force(d), rel=1e-6, abs=1e-6)
    assert "the whole model from a plan of" in caplog.text


@pytest.mark.unit
def test_a_rounded_plan_better_than_the_stopped_search_is_kept_with_the_search_s_bound():
    from cbecopt.highs import SolverOutcome
    from cbecopt.methods.warm_start import _better

    def outcome(status, objective, bound, values):
        return SolverOutcome(status, "time limit reached", objective, bound, None, values, 0, 0, {})

    rounded = outcome(Status.OPTIMAL, 100.0, 100.0, np.array([1.0]))
    stopped = outcome(Status.FEASIBLE, 120.0, 90.0, np.array([0.0]))
    kept = _better(stopped, rounded)
    assert (kept.status, kept.objective, kept.bound) == (Status.FEASIBLE, 100.0, 90.0)
    assert kept.gap == pytest.approx(0.1) and kept.values[0] == 1.0
    improved = outcome(Status.OPTIMAL, 95.0, 95.0, np.array([2.0]))
    assert _better(improved, rounded) is improved
    proved = outcome(Status.OPTIMAL, 100.0 + 1e-7, 100.0, np.array([3.0]))  # within the gap
    assert _better(proved, rounded) is proved
    assert _better(outcome(Status.NO_SOLUTION, None, None, None), rounded).objective == 100.0


@pytest.mark.unit
def test_a_large_model_s_lp_relaxation_goes_to_interior_point_unless_the_user_chose():
    from types import SimpleNamespace

    from cbecopt.methods.warm_start import INTERIOR_POINT_FROM, _lp_options

    small, large = (SimpleNamespace(n_cols=n) for n in (10, INTERIOR_POINT_FROM))
    options = SolveOptions()
    assert _lp_options(options, small) is options
    assert _lp_options(options, large).highs_options == {"solver": "ipm", "run_crossover": "off"}
    chosen = SolveOptions(highs_options={"solver": "simplex"})
    assert _lp_options(chosen, large).highs_options["solver"] == "simplex"
