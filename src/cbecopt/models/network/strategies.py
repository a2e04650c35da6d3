"""What each remedy is worth: the same network solved under seven strategies, each a
restriction or fixing of the one ``network`` model (``models/network.md``, "Strategies").

A strategy is a :class:`Restriction`: the data it is solved on (a change of data: no flexible
terms, no supplier policy, a copy of every overseas warehouse per platform) and the
first-stage decisions it fixes, by family name and label (non-cheapest offers unused, bonded
and domestic warehouses unused). The remedies:

- ``supplier_management``: free choice of supplier and offer, inspection, and the data's
  policy caps; without it, each SKU's cheapest offer (lowest first-segment price) only, no
  inspection, no caps.
- ``shared_warehouses``: overseas warehouses shared as the data say; without it, each
  platform opens its own copy (:func:`per_platform_copies`).
- ``channel_integration``: bonded and domestic warehouses may be used; without it, direct
  mail only (``use_warehouse`` fixed to 0).
- ``flexible_contracts``: the data's flexible terms; without them, firm orders only.

``baseline`` has none, each remedy's strategy has that one alone, ``joint`` has all of them
in one solve, and ``sequential`` decides them one after another (:mod:`.sequential`).

A strategy without ``supplier_management`` does not price authenticity: it decides
*myopically*, on its restriction with no counterfeit penalty (:func:`unpriced_authenticity`),
and is then evaluated under the true data, every first-stage decision fixed and the recourse
re-optimised (:func:`solve_myopic`). Every strategy's cost is the model's full expected cost,
counterfeits included.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from cbecopt.highs import SolveOptions, SolverOutcome
from cbecopt.labelled import family_of
from cbecopt.limits import OutOfTime
from cbecopt.methods.warm_start import solve_warm
from cbecopt.models.network.build import NetworkProblem
from cbecopt.models.network.channels import warehouse_kinds
from cbecopt.models.network.consolidation import consolidate
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.kpis import outlet_platforms
from cbecopt.models.network.platforms import copied_from, with_copies
from cbecopt.results import Status
from cbecopt.stochastic.twostage import ExtensiveForm, RiskOptions, build_extensive_form

log = logging.getLogger(__name__)

REMEDIES = (
    "supplier_management",
    "shared_warehouses",
    "channel_integration",
    "flexible_contracts",
)
"""The four remedies, each a switch of the one model."""

STRATEGIES = ("baseline", *REMEDIES, "sequential", "joint")
"""The strategies of the comparison, in the order of its rows."""
CONSOLIDATION_SHARE = 0.75
"""Most of the time left a first plan's consolidation (:mod:`.consolidation`) may take."""

Fixings = Mapping[str, Mapping]
"""First-stage decisions held at a value: family name -> {label: value}."""


@dataclass(frozen=True)
class Restriction:
    """A strategy as a configuration of the one model: the data it is solved on and the
    first-stage decisions it fixes (:data:`Fixings`)."""

    data: NetworkData
    fixed: Fixings = field(default_factory=dict)

    def fixing(self, more: Fixings) -> Restriction:
        """This restriction with ``more`` decisions fixed too (``more`` wins on a label)."""
        merged = {name: dict(values) for name, values in self.fixed.items()}
        for name, values in more.items():
            merged.setdefault(name, {}).update(values)
        return dataclasses.replace(self, fixed=merged)


def restriction(d: NetworkData, remedies: frozenset[str] | set[str]) -> Restriction:
    """``d`` with only ``remedies`` (a subset of :data:`REMEDIES`) available."""
    unknown = set(remedies) - set(REMEDIES)
    if unknown:
        raise ValueError(f"unknown remedies {sorted(unknown)}; known: {', '.join(REMEDIES)}")
    data, fixed = d, {}
    if "supplier_management" not in remedies:
        data = without_supplier_policy(data)
        fixed.update(cheapest_sources(d))
    if "shared_warehouses" not in remedies:
        data = per_platform_copies(data)
    if "channel_integration" not in remedies:
        fixed["use_warehouse"] = {b: 0.0 for b in data.bonded}
    if "flexible_contracts" not in remedies:
        data = dataclasses.replace(data, terms=())
    return Restriction(data, fixed)


def inert_remedies(d: NetworkData) -> dict[str, str]:
    """The remedies that change nothing on ``d``, with the reason: a strategy that differs
    from another only by these is the same restriction, solved once."""
    inert = {}
    if not any(len(served) > 1 for served in outlet_platforms(d)):
        inert["shared_warehouses"] = "no overseas warehouse serves several platforms"
    if not d.bonded:
        inert["channel_integration"] = "no bonded or domestic warehouse"
    if not d.terms:
        inert["flexible_contracts"] = "no flexible terms"
    return inert


def strategy_remedies(strategy: str) -> frozenset[str]:
    """The remedies a one-solve strategy has (``sequential`` has them all, in steps)."""
    if strategy == "baseline":
        return frozenset()
    if strategy in ("joint", "sequential"):
        return frozenset(REMEDIES)
    if strategy in REMEDIES:
        return frozenset({strategy})
    raise ValueError(f"unknown strategy {strategy!r}; known: {', '.join(STRATEGIES)}")


def strategy_restriction(d: NetworkData, strategy: str) -> Restriction:
    """The restriction of one strategy other than ``sequential``."""
    if strategy == "sequential":
        raise ValueError("sequential is several solves (cbecopt.models.network.sequential)")
    return restriction(d, strategy_remedies(strategy))


def without_supplier_policy(d: NetworkData) -> NetworkData:
    """``d`` buying regardless of authenticity: no counterfeit, late or brand-direct caps and
    no inspection (the expected counterfeit cost stays in the data: a myopic strategy decides
    without it and is evaluated with it, :func:`solve_myopic`)."""
    return dataclasses.replace(
        d,
        counterfeit_cap=1.0,
        max_late_rate=1.0,
        min_brand_direct_share=0.0,
        inspection_cost=None,
        inspected_rate=None,
    )


def prices_authenticity(strategy: str) -> bool:
    """Whether ``strategy`` weighs the counterfeit cost when it decides: only with
    ``supplier_management``; the others decide myopically (:func:`solve_myopic`)."""
    return "supplier_management" in strategy_remedies(strategy)


def unpriced_authenticity(d: NetworkData) -> NetworkData:
    """``d`` as a firm that does not price authenticity sees it: no counterfeit penalty."""
    return dataclasses.replace(d, counterfeit_penalty=np.zeros_like(d.counterfeit_penalty))


def first_prices(d: NetworkData) -> np.ndarray:
    """Per offer, the unit price of its first segment (the one with the lowest ``from``)."""
    price = np.full(len(d.offers), np.inf)
    start = np.full(len(d.offers), np.inf)
    for o, lo, _, p in d.segments:
        if lo < start[o]:
            start[o], price[o] = lo, p
    return price


def cheapest_offers(d: NetworkData) -> dict[int, int]:
    """Per SKU (position) with offers, its cheapest offer: the lowest first-segment price,
    the first offer on a tie."""
    price = first_prices(d)
    best: dict[int, int] = {}
    for o, (_, k) in enumerate(d.offers):
        if k not in best or price[o] < price[best[k]]:
            best[k] = o
    return best


def cheapest_sources(d: NetworkData) -> dict[str, dict]:
    """The fixings of buying from the cheapest sources only: every other offer unused, and
    every supplier without a cheapest offer unqualified (the cheapest are left free, so a
    SKU not worth buying is not bought)."""
    chosen = set(cheapest_offers(d).values())
    keep = {d.offers[o][0] for o in chosen}
    return {
        "use_offer": {
            (d.suppliers[i], d.skus[k]): 0.0 for o, (i, k) in enumerate(d.offers) if o not in chosen
        },
        "use_supplier": {s: 0.0 for i, s in enumerate(d.suppliers) if i not in keep},
    }


def per_platform_copies(d: NetworkData) -> NetworkData:
    """``d`` with every overseas warehouse whose parcels serve several platforms split into
    one copy ``w@p`` per platform (fixed cost, capacity and handling per copy, its own
    first-mile and bulk lanes), each serving its platform only; a warehouse that serves one
    platform (or none) is kept as it is. Without such a warehouse, ``d`` itself."""
    served = outlet_platforms(d)
    if not any(len(plats) > 1 for plats in served):
        return d
    copies, names = [], []
    for w, plats in enumerate(served):
        if len(plats) > 1:
            base = copied_from(d.overseas[w])
            copies += [(w, (d.platforms[p],)) for p in sorted(plats)]
            names += [f"{base}@{d.platforms[p]}" for p in sorted(plats)]
        else:
            copies.append((w, d.shared_by[w] if d.shared_by else ()))
            names.append(d.overseas[w])
    return with_copies(d, copies, names)


@dataclass
class Solved:
    """One solve of a restriction: the form (``None`` when the budget ran out while building)
    and what HiGHS did."""

    restriction: Restriction
    form: ExtensiveForm | None
    outcome: SolverOutcome

    @property
    def data(self) -> NetworkData:
        return self.restriction.data

    @property
    def values(self) -> np.ndarray | None:
        return self.outcome.values

    def decided(self, names: tuple[str, ...]) -> dict[str, dict]:
        """The values of the first-stage families ``names`` the model has, by label, integer
        ones rounded: the fixings that carry these decisions to another solve."""
        if self.values is None:
            return {}
        out = {}
        for name in names:
            if self.form.block.component(name) is None:
                continue
            family = family_of(self.form.block, name)
            compiled = self.form.compile()
            columns = compiled.column_offset(family.component) + np.arange(len(family))
            values = self.values[columns]
            integer = np.isin(columns, compiled.integer_columns)
            values = np.where(integer, np.rint(values), values) + 0.0  # no -0.0
            out[name] = dict(zip(family.labels, values.tolist(), strict=True))
        return out

    def first_stage(self) -> dict[str, dict]:
        """Every first-stage decision by family and label (:meth:`decided`): the plan's
        fixings."""
        if self.form is None:
            return {}
        return self.decided(tuple(f.component.local_name for f in self.form.first.families))


def solve_restriction(
    r: Restriction,
    options: SolveOptions,
    risk: RiskOptions | None = None,
    start: np.ndarray | None = None,
    used: Fixings | None = None,
    consolidated: bool = False,
) -> Solved:
    """Build the model on ``r.data`` over its scenarios, fix ``r.fixed`` and solve, all
    within ``options``' budget, from a plan rounded from the LP relaxation (or from ``used``:
    the fixed-charge decisions to round up, by family and label, every other one closed) or
    ``start`` (a plan of the same model, e.g. another strategy's), the cheaper
    (:func:`cbecopt.methods.warm_start.solve_warm`); a build the budget cuts short is
    ``no_solution``. ``consolidated``: the rounded plan's shared warehouses are first closed
    one at a time while that lowers its cost (:mod:`.consolidation`, in at most
    :data:`CONSOLIDATION_SHARE` of the time left)."""
    options = options.begin()
    problem = NetworkProblem(r.data)
    try:
        form = build_extensive_form(problem, problem.scenarios(), risk, budget=options.budget)
    except OutOfTime as stopped:
        outcome = SolverOutcome(
            Status.NO_SOLUTION, f"{stopped} while building", None, None, None, None, 0.0, 0.0, {}
        )
        return Solved(r, None, outcome)
    compiled = form.compile()
    columns, values = fixed_columns(form, r.fixed)
    fixed = (columns, values) if len(columns) else None
    starts = (start,) if start is not None and len(start) == compiled.n_cols else ()
    rounding = None
    if used is not None:
        rounding = np.zeros(compiled.n_cols)
        columns, values = fixed_columns(form, used)
        rounding[columns] = values
    improve = None
    if consolidated:
        deadline = options.budget.portion(CONSOLIDATION_SHARE)
        bonded = {
            name
            for name, kind in zip(r.data.bonded, warehouse_kinds(r.data), strict=True)
            if kind == "bonded"
        }
        improve = consolidate(form, options, deadline, fixed, bonded)
    return Solved(r, form, solve_warm(compiled, options, fixed, starts, rounding, improve))


def fixed_columns(form: ExtensiveForm, fixed: Fixings) -> tuple[np.ndarray, np.ndarray]:
    """The columns and values of ``fixed`` in ``form``'s compiled model; a family or label
    the model does not have is an error (a fixing that would silently do nothing)."""
    compiled = form.compile()
    columns, values = [], []
    for name, by_label in fixed.items():
        if not by_label:
            continue
        family = family_of(form.block, name)
        labels = list(by_label)
        position = family.labels.get_indexer(labels)
        if (position < 0).any():
            missing = [lab for lab, p in zip(labels, position, strict=True) if p < 0]
            raise KeyError(f"{name} has no entries {missing}")
        columns.append(compiled.column_offset(family.component) + position)
        values.append(np.array(list(by_label.values()), float))
    if not columns:
        return np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(columns), np.concatenate(values)


class ChainedSolves:
    """Solves made one after another for one strategy, the last giving its plan: ``steps``
    (name, solve, and for a step not solved its reason) and ``final`` (the plan's solve, or
    ``None``), with the status and note every such chain reports the same way."""

    steps: list[tuple[str, Solved | None, str]]

    @property
    def final(self) -> Solved | None:
        raise NotImplementedError

    @property
    def status(self) -> Status:
        """``optimal`` when every step solved was proved optimal, ``feasible`` when each
        found a plan, else the status of the first step without one (``no_solution`` when
        the final step was never solved)."""
        solved = [s for _, s, _ in self.steps if s is not None]
        for s in solved:
            if not s.outcome.status.has_solution:
                return s.outcome.status
        if self.final is None:
            return Status.NO_SOLUTION
        if all(s.outcome.status == Status.OPTIMAL for s in solved):
            return Status.OPTIMAL
        return Status.FEASIBLE

    @property
    def note(self) -> str:
        """Which steps a limit stopped or failed, and which were not solved (and why)."""
        parts = []
        for name, s, why in self.steps:
            if s is None:
                parts.append(f"{name} not solved: {why}")
            elif s.outcome.status != Status.OPTIMAL:
                parts.append(f"{name}: {s.outcome.status.value} ({s.outcome.termination})")
        return "; ".join(parts)


@dataclass
class MyopicSolve(ChainedSolves):
    """A strategy decided without pricing authenticity: ``myopic``, its restriction solved
    with no counterfeit penalty, and ``evaluated``, that plan's first stage fixed on the true
    data with the recourse re-optimised (``None`` when the myopic solve found no plan)."""

    myopic: Solved
    evaluated: Solved | None

    @property
    def steps(self) -> list[tuple[str, Solved | None, str]]:
        why = "" if self.evaluated is not None else "the myopic solve found no plan"
        return [("myopic", self.myopic, ""), ("evaluated", self.evaluated, why)]

    @property
    def final(self) -> Solved | None:
        """The evaluated solve: the strategy's plan and cost."""
        return self.evaluated

    @property
    def proved(self) -> bool:
        """Both solves proved optimal: only then is the evaluated cost the cost of the myopic
        optimum (a myopic plan a limit stopped is some plan, not the strategy's)."""
        return all(
            s is not None and s.outcome.status == Status.OPTIMAL
            for s in (self.myopic, self.evaluated)
        )


def solve_myopic(r: Restriction, options: SolveOptions, risk: RiskOptions | None = None):
    """Decide ``r`` without pricing authenticity, then evaluate that plan under ``r.data``:
    the first solve on :func:`unpriced_authenticity` of ``r.data`` with ``r.fixed``, the second
    on ``r.data`` with every first-stage decision of the first fixed, within ``options``'
    budget (the first an equal half of it; time it does not use passes on)."""
    options = options.begin()
    blind = dataclasses.replace(r, data=unpriced_authenticity(r.data))
    myopic = solve_restriction(blind, options.until(options.budget.share(2)), risk)
    if myopic.values is None:
        return MyopicSolve(myopic, None)
    evaluated = solve_restriction(r.fixing(myopic.first_stage()), options, risk)
    return MyopicSolve(myopic, evaluated)
