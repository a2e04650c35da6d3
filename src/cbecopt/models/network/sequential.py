"""The ``sequential`` strategy: the remedies decided one after another, as separate
departments would, each step a solve of the one ``network`` model on a simplified view that
decides its remedy's first-stage variables and fixes them for the steps after it.

1. ``suppliers`` on :func:`supplier_view` decides ``use_supplier`` and ``use_offer``;
2. ``contracts`` on :func:`contract_view` decides ``quantity`` and ``signed`` (skipped when
   the data have no flexible terms, or the model has no such families);
3. ``warehouses`` on the full data with parcels only (``use_warehouse`` fixed to 0) decides
   ``open``;
4. ``routing`` on the full data with everything before fixed decides the rest (bonded and
   domestic warehouses used, quantities, shipments, deliveries): its cost is the strategy's.

``models/network.md`` ("Strategies") states each view precisely.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cbecopt.highs import SolveOptions
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.strategies import (
    ChainedSolves,
    Restriction,
    Solved,
    solve_restriction,
)
from cbecopt.stochastic.twostage import RiskOptions

AGGREGATE_MARKET = "all"
"""The one market of the suppliers' and contracts' views."""
ANYWHERE = "anywhere"
"""The one free warehouse of those views: every supplier reaches it, it reaches the market."""


def supplier_view(d: NetworkData) -> NetworkData:
    """Suppliers chosen without the network: one scenario whose demand per SKU is the total
    expected demand over markets and months, bought firm only (no flexible terms) under the
    data's supplier policy, delivered in one month through one free, uncapacitated, untaxed
    warehouse that every supplier with a lane in ``d`` reaches at no cost and lead 0."""
    totals = np.tensordot(d.probabilities, d.demand, axes=1).sum(axis=(0, 2))
    view = _without_network(d, ("expected",), np.ones(1), totals[None, :])
    return dataclasses.replace(view, terms=())


def contract_view(d: NetworkData) -> NetworkData:
    """Contract quantities on aggregated demand: every scenario of ``d`` with its demand per
    SKU summed over markets and months, the data's flexible terms, the same free network as
    :func:`supplier_view`."""
    return _without_network(d, d.scenario_names, d.probabilities, d.demand.sum(axis=(1, 3)))


def _without_network(d: NetworkData, names, probabilities, totals: np.ndarray) -> NetworkData:
    """``d``'s suppliers, offers, terms and policy facing ``totals[s, k]`` through one free
    warehouse ``anywhere`` in one month (no warehouse costs, holding, tax or service rows)."""
    nS, nK = totals.shape
    reaches = _suppliers_with_lanes(d)
    return dataclasses.replace(
        d,
        months=1,
        markets=(AGGREGATE_MARKET,),
        scenario_names=tuple(names),
        probabilities=np.asarray(probabilities, float),
        demand=np.asarray(totals, float).reshape(nS, 1, nK, 1),
        overseas=(ANYWHERE,),
        overseas_fixed=np.zeros(1),
        overseas_capacity=np.array([float(totals.sum(axis=1).max()) + 1.0]),
        overseas_handling=np.zeros(1),
        bonded=(),
        bonded_fixed=np.zeros(0),
        bonded_handling=np.zeros(0),
        first_mile=tuple((i, 0, 0.0, 0) for i in reaches),
        inbound=(),
        release=(),
        parcel=((0, 0, 0.0, 0.0),),
        holding=np.zeros(nK),
        warehouse_kind=(),
        bonded_volume_capacity=None,
        overseas_volume_capacity=None,
        listing_cost=None,
        bonded_allowed=None,
        cbec_allowed=None,
        general_trade_allowed=None,
        unit_tax=None,
        supplier_parcel=(),
        postal=(),
        allow_personal_articles=False,
        lane_days=None,
        per_kg=None,
        lane_modes=None,
        lane_pack_size=None,
        wait_share=None,
        max_delivery_days=None,
        cover_weeks=0.0,
        salvage=None,
        shared_by=(),
        platforms=(),
        platform_demand=None,
    )


def _suppliers_with_lanes(d: NetworkData) -> list[int]:
    """Suppliers that can send anything anywhere in ``d`` (a supplier without a lane cannot
    be given one in a view: what the view buys from it could never be shipped)."""
    origins = {i for i, *_ in d.first_mile}
    origins |= {o for kind, o, *_ in d.inbound if kind == "supplier"}
    origins |= {i for i, *_ in d.supplier_parcel}
    origins |= {o for kind, o, *_ in d.postal if kind == "supplier"}
    return sorted(origins)


@dataclass(frozen=True)
class Step:
    """One step of the sequence: its name, the families it decides, and its view of ``d``
    (``None``: the step has nothing to decide on ``d``, with the reason in ``skip``)."""

    name: str
    decides: tuple[str, ...]
    view: Callable[[NetworkData], Restriction]
    skip: Callable[[NetworkData], str]


def _parcels_only(d: NetworkData) -> Restriction:
    return Restriction(d, {"use_warehouse": {b: 0.0 for b in d.bonded}})


STEPS = (
    Step(
        "suppliers",
        ("use_supplier", "use_offer"),
        lambda d: Restriction(supplier_view(d)),
        lambda d: "",
    ),
    Step(
        "contracts",
        ("quantity", "signed"),
        lambda d: Restriction(contract_view(d)),
        lambda d: "" if d.terms else "no flexible terms",
    ),
    Step("warehouses", ("open",), _parcels_only, lambda d: ""),
    Step("routing", (), Restriction, lambda d: ""),
)
"""The sequence, in order."""


@dataclass
class SequentialSolve(ChainedSolves):
    """The steps solved (name, solve; a skipped step's solve is ``None`` with its reason)."""

    steps: list[tuple[str, Solved | None, str]]

    @property
    def final(self) -> Solved | None:
        """The routing step's solve: the strategy's plan (``None`` if never reached)."""
        name, solved, _ = self.steps[-1]
        return solved if name == STEPS[-1].name else None


def solve_sequential(
    d: NetworkData, options: SolveOptions, risk: RiskOptions | None = None
) -> SequentialSolve:
    """Solve the steps in order within ``options``' budget (each step an equal share of what
    is left), each with every decision of the steps before it fixed; stop at a step that
    finds no plan."""
    options = options.begin()
    carried: dict = {}
    steps: list[tuple[str, Solved | None, str]] = []
    for n, step in enumerate(STEPS):
        why = step.skip(d)
        if why:
            steps.append((step.name, None, why))
            continue
        share = options.until(options.budget.share(len(STEPS) - n))
        solved = solve_restriction(step.view(d).fixing(carried), share, risk)
        steps.append((step.name, solved, ""))
        if solved.values is None:
            break
        carried.update(solved.decided(step.decides))
    return SequentialSolve(steps)
