"""The standard report of a two-stage model: RP, EV, EEV, WS, EVPI and VSS.

RP   the recourse problem: the optimum of the extensive form over all scenarios.
EV   the expected-value problem: one scenario with every random parameter at its mean.
EEV  the expected cost of EV's first-stage decisions when the scenarios happen.
WS   wait-and-see: the expected optimum if each scenario were known in advance.
EVPI = RP - WS  what perfect information would be worth.
VSS  = EEV - RP what solving the stochastic model is worth compared with planning on means.

All are minimisation values. When a MIP stops with a gap, each quantity is known only within
[bound, incumbent]; the report carries that bracket for every number, and EVPI and VSS get
the widest bracket their parts allow (Birge and Louveaux 2011, ch. 4).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cbecopt.results import Status
from cbecopt.solver import SolveOptions
from cbecopt.stochastic.twostage import (
    StageSolution,
    TwoStageProblem,
    build_extensive_form,
    solve_extensive_form,
)

log = logging.getLogger(__name__)

KEYS = ("rp", "ev", "eev", "ws", "evpi", "vss")


@dataclass(frozen=True)
class Bracket:
    """A value known to lie in [low, high] (low = high when proven optimal)."""

    value: float | None
    low: float | None
    high: float | None

    @classmethod
    def of(cls, solution: StageSolution) -> Bracket:
        out = solution.outcome
        if out.objective is None:
            return cls(None, out.bound, None)
        return cls(
            out.objective, out.bound if out.bound is not None else out.objective, out.objective
        )


@dataclass
class StochasticReport:
    """The six numbers with their brackets, the statuses behind them, and the time taken."""

    values: dict[str, Bracket]
    statuses: dict[str, str]
    seconds: float
    rp_solution: StageSolution
    ev_first_stage: np.ndarray | None

    def to_dict(self) -> dict:
        """JSON-ready: keys rp, ev, eev, ws, evpi, vss, plus brackets and statuses."""
        out: dict = {k: _number(self.values[k].value) for k in KEYS}
        out["brackets"] = {
            k: [_number(self.values[k].low), _number(self.values[k].high)] for k in KEYS
        }
        out["statuses"] = dict(self.statuses)
        out["seconds"] = round(self.seconds, 6)
        return out

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "measure": [k.upper() for k in KEYS],
                "value": [self.values[k].value for k in KEYS],
                "low": [self.values[k].low for k in KEYS],
                "high": [self.values[k].high for k in KEYS],
                "status": [self.statuses.get(k, "") for k in KEYS],
            }
        )


def _number(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def stochastic_report(
    problem: TwoStageProblem,
    options: SolveOptions | None = None,
    rp: StageSolution | None = None,
    deadline: float | None = None,
) -> StochasticReport:
    """Solve RP (unless given), EV, EEV and every wait-and-see problem; derive EVPI and VSS.

    ``deadline`` (a ``time.perf_counter()`` value) bounds all of the solves together: each
    solve gets an equal share of the time left for the solves still to come (time a solve
    does not use passes on), so that a slow first solve cannot starve the rest; a solve cut
    short contributes its bracket [bound, incumbent].
    """
    options = options or SolveOptions()
    start = time.perf_counter()
    scenarios = problem.scenarios()
    pending = 2 + len(scenarios)  # EV, EEV and the wait-and-see problems
    if rp is None:
        log.info("stochastic report: RP")
        rp = solve_extensive_form(
            build_extensive_form(problem, scenarios),
            options,
            None,
            time_share(deadline, pending + 1),
        )
    log.info("stochastic report: EV")
    ev = solve_extensive_form(
        build_extensive_form(problem, [("expected", 1.0, problem.expected_scenario())]),
        options,
        None,
        time_share(deadline, pending),
    )
    pending -= 1
    statuses = {"rp": rp.outcome.status.value, "ev": ev.outcome.status.value}
    values = {"rp": Bracket.of(rp), "ev": Bracket.of(ev)}
    ev_first = ev.first_stage
    if ev_first is not None:
        log.info("stochastic report: EEV")
        eev = solve_extensive_form(rp.form, options, ev_first, time_share(deadline, pending))
        values["eev"] = Bracket.of(eev)
        statuses["eev"] = eev.outcome.status.value
        if (
            eev.outcome.status == Status.INFEASIBLE
        ):  # EV's plan leaves some scenario without recourse
            values["eev"] = Bracket(math.inf, math.inf, math.inf)
    else:
        values["eev"] = Bracket(None, None, None)
        statuses["eev"] = "not solved: EV has no solution"
    values["ws"], statuses["ws"] = _wait_and_see(problem, scenarios, options, deadline)
    values["evpi"] = _difference(values["rp"], values["ws"])
    values["vss"] = _difference(values["eev"], values["rp"])
    return StochasticReport(values, statuses, time.perf_counter() - start, rp, ev_first)


def time_share(deadline: float | None, pending: int, now: float | None = None) -> float | None:
    """The deadline of the next of ``pending`` solves that share what is left before
    ``deadline`` equally (``None``: no limit)."""
    if deadline is None:
        return None
    now = time.perf_counter() if now is None else now
    return now + max(deadline - now, 0.0) / max(pending, 1)


def _wait_and_see(problem, scenarios, options, deadline) -> tuple[Bracket, str]:
    value = low = high = 0.0
    worst = Status.OPTIMAL
    for i, (name, probability, data) in enumerate(scenarios, start=1):
        log.info("stochastic report: wait-and-see, scenario %s (%d/%d)", name, i, len(scenarios))
        alone = solve_extensive_form(
            build_extensive_form(problem, [(name, 1.0, data)]),
            options,
            None,
            time_share(deadline, len(scenarios) - i + 1),
        )
        b = Bracket.of(alone)
        if b.value is None:
            return Bracket(None, None, None), f"scenario {name}: {alone.outcome.status.value}"
        value += probability * b.value
        low += probability * b.low
        high += probability * b.high
        if alone.outcome.status != Status.OPTIMAL:
            worst = alone.outcome.status
    return Bracket(value, low, high), worst.value


def _difference(a: Bracket, b: Bracket) -> Bracket:
    """a - b with the widest bracket: [a.low - b.high, a.high - b.low]."""
    if a.value is None or b.value is None:
        return Bracket(None, None, None)
    return Bracket(a.value - b.value, a.low - b.high, a.high - b.low)
