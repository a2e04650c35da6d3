"""Why a plan with fixed decisions is infeasible: :func:`fixing_diagnosis`.

The frozen decisions, planned shipments and what the goods in motion force are the only rows
of a model that can make it infeasible where the free model is not (lost sales absorb any
shortfall). So the diagnosis re-solves the model without them; when that has a plan, it
re-solves once without each input row's fixings alone and names the rows whose fixing alone
breaks it. Every re-solve shares :data:`DIAGNOSIS_SECONDS`, or what is left of the running
call's time limit when that is less (:func:`~cbecopt.limits.watched_budget`), and stops at the
first plan found.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from cbecopt.highs import SolveOptions
from cbecopt.in_motion import Fixing
from cbecopt.limits import OutOfTime, watched_budget
from cbecopt.results import Status

SolveWithout = Callable[[set[str], SolveOptions], Status]
"""Solves the model without the fixings of the given input rows, within the options."""
DIAGNOSIS_SECONDS = 20.0
"""Seconds all the re-solves of one diagnosis share."""
ROWS_TRIED = 20
"""How many input rows are tried one by one (the first, in input order)."""
FEASIBLE = (Status.OPTIMAL, Status.FEASIBLE)


def fixing_diagnosis(fixings: Sequence[Fixing], solve_without: SolveWithout) -> list[str]:
    """Sentences naming the fixings among ``fixings`` that make a model infeasible (empty
    without any). ``solve_without(dropped, options)`` solves the model without the fixings
    asked for by the input rows ``dropped`` and returns its status."""
    if not fixings:
        return []
    sources = list(dict.fromkeys(f.source for f in fixings))
    call = watched_budget()
    left = None if call is None else call.remaining()
    seconds = DIAGNOSIS_SECONDS if left is None else min(DIAGNOSIS_SECONDS, left)
    if seconds <= 0:
        return [_unknown(sources, "no time was left")]
    options = SolveOptions(time_limit=seconds, mip_rel_gap=0.99).begin()

    def has_plan(dropped: set[str]) -> bool | None:
        """Whether the model without the fixings of ``dropped`` has a plan (None: unknown)."""
        if options.budget.expired():
            return None
        try:
            status = solve_without(dropped, options)
        except OutOfTime:  # the call's own limit ran out while the model was built
            return None
        return True if status in FEASIBLE else False if status == Status.INFEASIBLE else None

    free = has_plan(set(sources))
    if not free:
        return [] if free is False else [_unknown(sources, f"within {seconds:g} s")]
    culprits = [s for s in sources[:ROWS_TRIED] if has_plan({s})]
    reasons = [
        f"the fixed decisions make the plan infeasible: without the fixings of "
        f"{_listed(sources)} it has a plan"
    ]
    for source in culprits:
        fixed = [f for f in fixings if f.source == source]
        what = "; ".join(f"{f.said} = {f.value:g}" for f in fixed)
        reasons.append(f"relaxing {source} alone ({what}) makes it feasible")
    if not culprits:
        reasons.append("no single row's fixing alone breaks it: several fixings conflict")
    return reasons


def _listed(sources: list[str]) -> str:
    return ", ".join(sources)


def _unknown(sources: list[str], why: str) -> str:
    return (
        f"the fixings of {_listed(sources)} may make the plan infeasible: {why} it could not "
        "be told whether it has a plan without them; give a longer --time-limit"
    )
