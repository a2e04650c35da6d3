"""The standard report of a two-stage model: RP, EV, EEV, WS, EVPI and VSS.

RP   the recourse problem: the optimum of the extensive form over all scenarios.
EV   the expected-value problem: one scenario with every random parameter at its mean.
EEV  the expected cost of EV's first-stage decisions when the scenarios happen.
WS   wait-and-see: the expected optimum if each scenario were known in advance.
EVPI = RP - WS  what perfect information would be worth.
VSS  = EEV - RP what solving the stochastic model is worth compared with planning on means.

All are minimisation values, and WS <= RP <= EEV, so EVPI and VSS are never negative. Each
measure carries its own status and bracket [low, high], the interval the true value is proved
to lie in (Birge and Louveaux 2011, ch. 4):

- ``optimal``: proved (the bracket is as narrow as the MIP gap allows);
- ``feasible``: a value was found, the bracket is wider (a solve stopped at a limit, or EEV was
  evaluated at an EV plan that is not proved optimal, whose true EEV is known only to lie above
  RP's bound);
- ``unfinished``: the time ran out (or a stop was requested) before it could be computed;
- otherwise the status of the solve behind it (``infeasible``, ...).

EVPI and VSS get the widest bracket their parts allow.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.results import Status
from cbecopt.stochastic.twostage import (
    StageSolution,
    TwoStageProblem,
    solve_extensive_form,
    solve_scenarios,
)

log = logging.getLogger(__name__)

KEYS = ("rp", "ev", "eev", "ws", "evpi", "vss")
UNFINISHED = "unfinished"


@dataclass(frozen=True)
class Measure:
    """One number of the report: its value, the bracket it is proved to lie in, its status and,
    where the status needs it, a note saying why."""

    value: float | None
    low: float | None
    high: float | None
    status: str
    note: str = ""

    @classmethod
    def of(cls, solution: StageSolution, note: str = "") -> Measure:
        """A solve's incumbent and bound ([bound, incumbent]); no value without a solution."""
        out = solution.outcome
        status = out.status.value
        if out.objective is None:
            if out.status == Status.NO_SOLUTION:
                status = UNFINISHED
            return cls(None, out.bound, None, status, note or out.termination)
        low = out.bound if out.bound is not None else None
        if out.status == Status.OPTIMAL and low is None:
            low = out.objective
        return cls(out.objective, low, out.objective, status, note)

    @classmethod
    def unfinished(cls, note: str) -> Measure:
        return cls(None, None, None, UNFINISHED, note)

    @property
    def proved(self) -> bool:
        return self.status == Status.OPTIMAL.value


@dataclass
class StochasticReport:
    """The six measures, the time taken, and what a caller may reuse."""

    values: dict[str, Measure]
    seconds: float
    rp_solution: StageSolution
    ev_first_stage: np.ndarray | None

    @property
    def statuses(self) -> dict[str, str]:
        return {k: m.status for k, m in self.values.items()}

    def to_dict(self) -> dict:
        """JSON-ready: keys rp, ev, eev, ws, evpi, vss, plus brackets, statuses and notes."""
        out: dict = {k: _number(self.values[k].value) for k in KEYS}
        out["brackets"] = {
            k: [_number(self.values[k].low), _number(self.values[k].high)] for k in KEYS
        }
        out["statuses"] = self.statuses
        out["notes"] = {k: m.note for k, m in self.values.items() if m.note}
        out["seconds"] = round(self.seconds, 6)
        return out

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "measure": [k.upper() for k in KEYS],
                "value": [self.values[k].value for k in KEYS],
                "low": [self.values[k].low for k in KEYS],
                "high": [self.values[k].high for k in KEYS],
                "status": [self.values[k].status for k in KEYS],
                "note": [self.values[k].note for k in KEYS],
            }
        )


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def stochastic_report(
    problem: TwoStageProblem,
    options: SolveOptions | None = None,
    rp: StageSolution | None = None,
) -> StochasticReport:
    """Solve RP (unless given), EV, EEV and every wait-and-see problem; derive EVPI and VSS.

    The solves share the call's time budget (``options.begin()``): RP first, with all of it;
    then each later solve gets an equal share of what is left for the solves still to come
    (time a solve does not use passes on). A solve cut short contributes its bracket; one that
    could not start leaves its measure ``unfinished``.
    """
    options = (options or SolveOptions()).begin()
    budget = options.budget
    started = budget.elapsed()
    scenarios = problem.scenarios()
    pending = 2 + len(scenarios)  # EV, EEV and the wait-and-see problems
    step = _Steps(pending + (rp is None))
    if rp is None:
        step("RP")
        rp = solve_scenarios(problem, scenarios, options)
    values = {"rp": Measure.of(rp)}
    step("EV")
    ev = _solve_alone(problem, ("expected", 1.0, problem.expected_scenario()), options, pending)
    pending -= 1
    values["ev"] = Measure.of(ev)
    ev_first = ev.first_stage
    step("EEV")
    values["eev"] = _eev(rp, ev, options, budget.share(pending), values["rp"])
    values["ws"] = _wait_and_see(problem, scenarios, options, step)
    values["evpi"] = _difference(values, "rp", "ws")
    values["vss"] = _difference(values, "eev", "rp")
    return StochasticReport(values, budget.elapsed() - started, rp, ev_first)


def _solve_alone(problem, scenario, options, pending) -> StageSolution:
    """One scenario's own problem, with its share of the budget."""
    return solve_scenarios(problem, [scenario], options, None, options.budget.share(pending))


class _Steps:
    """Logs each solve of the report as ``stochastic report: what (i/n)``."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0

    def __call__(self, what: str) -> None:
        self.done += 1
        log.info("stochastic report: %s (%d/%d)", what, self.done, self.total)


def _eev(rp: StageSolution, ev: StageSolution, options, deadline, rp_measure: Measure) -> Measure:
    """The expected cost of EV's plan over the scenarios; proved only when that plan is EV's
    proved optimum."""
    if ev.first_stage is None or rp.form is None:
        missing = "EV" if ev.first_stage is None else "RP"
        return Measure.unfinished(f"{missing} has no plan")
    evaluated = solve_extensive_form(rp.form, options, ev.first_stage, deadline)
    if evaluated.outcome.status == Status.INFEASIBLE:
        note = "EV's plan leaves some scenario without a feasible recourse"
        return Measure(math.inf, math.inf, math.inf, Status.INFEASIBLE.value, note)
    measure = Measure.of(evaluated)
    if measure.value is None or ev.outcome.status == Status.OPTIMAL:
        return measure
    note = (
        f"EV's plan is not proved optimal (EV {ev.outcome.status.value}): the value is the "
        "expected cost of the plan found; the true EEV is only known to be at least RP's bound"
    )
    return Measure(measure.value, rp_measure.low, None, Status.FEASIBLE.value, note)


def _wait_and_see(problem, scenarios, options, step: _Steps) -> Measure:
    value = low = high = 0.0
    proved = True
    for i, (name, probability, data) in enumerate(scenarios, start=1):
        step(f"wait-and-see, scenario {name}")
        alone = Measure.of(
            _solve_alone(problem, (name, 1.0, data), options, len(scenarios) - i + 1)
        )
        if alone.value is None:
            return Measure(None, None, None, alone.status, f"scenario {name}: {alone.note}".strip())
        value += probability * alone.value
        low = None if low is None or alone.low is None else low + probability * alone.low
        high += probability * alone.high
        proved &= alone.proved
    if proved:
        return Measure(value, low, high, Status.OPTIMAL.value)
    return Measure(value, low, high, Status.FEASIBLE.value, "some scenario stopped at a limit")


def _difference(values: dict[str, Measure], first: str, second: str) -> Measure:
    """first - second (never below 0) with the widest bracket: [a.low - b.high, a.high - b.low]."""
    a, b = values[first], values[second]
    if a.value is None or b.value is None:
        missing = " and ".join(k.upper() for k, m in ((first, a), (second, b)) if m.value is None)
        return Measure.unfinished(f"needs {missing}")
    low = None if a.low is None or b.high is None else max(a.low - b.high, 0.0)
    high = None if a.high is None or b.low is None else a.high - b.low
    status = Status.OPTIMAL.value if a.proved and b.proved else Status.FEASIBLE.value
    return Measure(a.value - b.value, low, high, status)
