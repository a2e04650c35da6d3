"""Fewer shared warehouses in a first plan: keep one bonded zone, then close the bonded,
domestic and overseas warehouses it opened while closing one lowers its cost.

The SKU blocks' plan pass (:mod:`cbecopt.methods.network_blocks`) starts from every
fixed-charge decision some SKU's own relaxation used. Each relaxation pays a share of a
warehouse's fixed cost, so SKUs pick different bonded zones where the whole plan pays for
each in full: on ``network_demo`` the relaxations used four zones and the best plan found
uses one. HiGHS finds such a plan only late (a sub-MIP after its root cut rounds, about 70 s
on the demo), so this pass looks for it directly:

1. every SKU is listed at every open stocking warehouse that may list it (a listing costs
   little beside a warehouse; those a plan does not use are closed when it is priced);
2. with several bonded zones open, one plan per zone keeping that zone alone (the others
   closed with their listings);
3. from the cheapest plan so far, each open warehouse (``use_warehouse`` of a bonded or
   domestic warehouse, ``open`` of an overseas one or its copy), costliest first, is closed
   when that lowers the cost, in passes until a pass closes none or the time given runs out.

Each plan is priced by the model with every fixed-charge decision held
(:func:`cbecopt.methods.warm_start.solve_rounded`: the plan's step 2, with the decisions the
plan does not need closed after), the rest (price segments where free, offers, quantities)
re-optimised; each plan is priced once. Measured on the demo's plan pass: 641,203,086 (the
union of the SKUs' plans) to 631,796,088 in 9 priced plans, 17 s.

Every plan priced is a plan of the model, so the pass only ever returns a plan at most as
costly as the one it got; the model's bound is untouched.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cbecopt.highs import SolveOptions, SolverOutcome
from cbecopt.labelled import family_of
from cbecopt.methods.warm_start import USED, solve_rounded
from cbecopt.stochastic.twostage import ExtensiveForm

log = logging.getLogger(__name__)

STOCKING = "use_warehouse"
"""Bonded and domestic warehouses used (their SKUs are listed there)."""
OVERSEAS = "open"
"""Overseas warehouses (or per-platform copies) opened."""
LISTED = "listed"
"""SKUs listed at a stocking warehouse, labelled (warehouse, SKU)."""
IMPROVEMENT = 1e-9
"""Relative drop in cost a move must bring to be kept."""


@dataclass(frozen=True)
class Warehouse:
    """A warehouse a move may close: its column and, for a stocking warehouse, the column of
    each SKU's listing there."""

    name: str
    column: int
    listings: dict[str, int]


def consolidate(
    form: ExtensiveForm,
    options: SolveOptions,
    deadline: float | None,
    fixed_columns: tuple[np.ndarray, np.ndarray] | None,
    bonded: set[str],
) -> Callable[[np.ndarray, SolverOutcome], SolverOutcome]:
    """The pass of the module on ``form``'s model, as a ``warm_start`` ``improve`` step:
    ``improve(used, rounded)`` returns the cheapest plan found from ``rounded`` (the plan of
    the fixed-charge decisions ``used``), its moves priced by ``deadline``. ``bonded``: the
    names of the bonded warehouses (those the first step keeps one of)."""
    warehouses = closable(form)
    compiled = form.compile()
    by_cost = sorted(warehouses, key=lambda w: -compiled.col_cost[w.column])

    def improve(used: np.ndarray, rounded: SolverOutcome) -> SolverOutcome:
        search = Search(compiled, options, deadline, fixed_columns, used, rounded)
        zones = [w for w in warehouses if w.name in bonded and search.used[w.column]]
        start = listed_everywhere(search.used, warehouses)
        search.try_plan(start)
        if len(zones) > 1:
            for keep in zones:
                trial = start
                for w in zones:
                    if w is not keep:
                        trial = closed(trial, w)
                search.try_plan(trial)
        accepted = True
        while accepted:
            accepted = False
            for w in by_cost:
                if search.used[w.column]:
                    accepted |= search.try_plan(closed(search.used, w))
        log.debug(
            "consolidation: %d plans priced in %.1f s, %s -> %s",
            search.priced,
            time.perf_counter() - search.started,
            f"{rounded.objective:,.2f}",
            f"{search.best.objective:,.2f}",
        )
        return dataclasses.replace(
            search.best,
            handoff_seconds=rounded.handoff_seconds + search.handoff,
            solve_seconds=rounded.solve_seconds + search.solve_seconds,
        )

    return improve


class Search:
    """The plan kept so far (``used``, ``best``) and the plans priced, each once."""

    def __init__(self, compiled, options, deadline, fixed_columns, used, rounded):
        self.compiled, self.options = compiled, options
        self.deadline, self.fixed_columns = deadline, fixed_columns
        self.used, self.best = np.where(used > USED, 1.0, 0.0), rounded
        self.seen = {np.flatnonzero(self.used).tobytes()}
        self.priced, self.handoff, self.solve_seconds = 0, 0.0, 0.0
        self.started = time.perf_counter()

    def try_plan(self, trial: np.ndarray) -> bool:
        """Price ``trial`` (fixed-charge decisions) and keep it when it costs less than the
        plan kept; ``False`` when it does not, was priced before, or the time is up."""
        key = np.flatnonzero(trial).tobytes()
        if key in self.seen or self.options.budget.expired():
            return False
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return False
        self.seen.add(key)
        outcome = solve_rounded(
            self.compiled, self.options, self.deadline, self.fixed_columns, trial
        )
        self.priced += 1
        self.handoff += outcome.handoff_seconds
        self.solve_seconds += outcome.solve_seconds
        target = self.best.objective
        log.debug("consolidation: plan %d costs %s", self.priced, outcome.objective)
        if outcome.values is None or outcome.objective >= target - IMPROVEMENT * abs(target):
            return False
        self.used, self.best = trial, outcome
        return True


def closable(form: ExtensiveForm) -> list[Warehouse]:
    """The stocking and overseas warehouses of ``form``'s first stage, each with its column
    and its listings' columns."""
    compiled = form.compile()
    block = form.block

    def columns(name: str) -> dict:
        if block.component(name) is None:
            return {}
        family = family_of(block, name)
        offset = compiled.column_offset(family.component)
        return {label: offset + i for i, label in enumerate(family.labels)}

    listings: dict[str, dict[str, int]] = {}
    for (warehouse, sku), column in columns(LISTED).items():
        listings.setdefault(warehouse, {})[sku] = column
    return [
        *(Warehouse(str(w), c, listings.get(w, {})) for w, c in columns(STOCKING).items()),
        *(Warehouse(str(w), c, {}) for w, c in columns(OVERSEAS).items()),
    ]


def closed(used: np.ndarray, warehouse: Warehouse) -> np.ndarray:
    """``used`` with ``warehouse`` closed, and its listings."""
    trial = used.copy()
    trial[[warehouse.column, *warehouse.listings.values()]] = 0.0
    return trial


def listed_everywhere(used: np.ndarray, warehouses: list[Warehouse]) -> np.ndarray:
    """``used`` with every SKU listed at every open stocking warehouse that may list it: a
    listing costs little beside a warehouse, and those a plan does not use are closed after
    it is priced (:func:`cbecopt.methods.warm_start.unneeded_closed`)."""
    trial = used.copy()
    for w in warehouses:
        if w.listings and used[w.column]:
            trial[list(w.listings.values())] = 1.0
    return trial
