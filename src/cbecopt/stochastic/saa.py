"""Sample average approximation (SAA) and its statistical optimality gap.

The true problem ``min_x E[cost(x, ξ)]`` is replaced by the average over ``n`` sampled
scenarios. The multiple replications procedure of Mak, Morton and Wood (1999) then says how
good a candidate first stage ``x̂`` is: in each of ``m`` independent replications it solves the
SAA of size ``n`` (optimum ``v_r``) and evaluates ``x̂`` on the same sample (``f_r(x̂)``); the gaps
``G_r = f_r(x̂) - v_r`` estimate ``E[cost(x̂)] - v*`` with a bias toward larger values, so

    P( E[cost(x̂)] - v* <= Ḡ + t_{m-1, 1-α} s_G / sqrt(m) ) ≳ 1 - α.

The mean of the ``v_r`` estimates a lower bound on ``v*`` and an independent sample of
``n_eval`` scenarios estimates ``E[cost(x̂)]``, an upper bound; both come with confidence
intervals.

Mak, W.-K., Morton, D. P. and Wood, R. K. (1999), Monte Carlo bounding techniques for
determining solution quality in stochastic programs, *Operations Research Letters* 24, 47-56.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cbecopt.batch import PortableProblem, run_each
from cbecopt.errors import OptionError
from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.limits import OutOfTime
from cbecopt.results import Status
from cbecopt.seeds import stream_seeds
from cbecopt.stochastic.twostage import (
    TwoStageProblem,
    build_extensive_form,
    solve_extensive_form,
    solve_scenarios,
)

log = logging.getLogger(__name__)

Scenarios = list[tuple[str, float, Any]]
Sampler = Callable[[int, int], Scenarios]
"""``sampler(n, seed)``: ``n`` equally likely scenarios drawn with that seed."""
Rebuild = Callable[[Scenarios], TwoStageProblem]
"""The same model over other scenarios."""


def resampler(scenarios: Scenarios) -> Sampler:
    """A sampler drawing from a finite set of scenarios by their probabilities, with replacement."""
    p = np.array([s[1] for s in scenarios], float)
    p = p / p.sum()

    def draw(n: int, seed: int) -> Scenarios:
        picks = np.random.default_rng(seed).choice(len(scenarios), size=n, p=p)
        width = len(str(n))
        return [(f"s{k + 1:0{width}d}", 1.0 / n, scenarios[i][2]) for k, i in enumerate(picks)]

    return draw


@dataclass
class SAAResult:
    """The replications and the MMW estimates."""

    replications: pd.DataFrame
    candidate: np.ndarray | None
    summary: dict[str, float | int | str | None]

    def to_dict(self) -> dict:
        return dict(self.summary)


def saa_sampler(
    problem: TwoStageProblem,
    instance: Instance | None = None,
    model: str | None = None,
    config: Any = None,
) -> Sampler:
    """How SAA draws samples of ``problem``: fresh demand from the instance's means and
    standard deviations when ``model`` (built from ``instance`` with ``config``) has a
    ``demand_sampler``, else the problem's scenarios resampled by their probabilities."""
    from cbecopt.models import MODELS  # the registry imports the models: late

    fresh = MODELS[model].demand_sampler if instance is not None and model is not None else None
    sampler = fresh(instance, config, problem) if fresh is not None else None
    return sampler or resampler(problem.scenarios())


@dataclass(frozen=True)
class SamplingOn:
    """What the tasks of the replications rebuild in a Dask worker
    (:func:`cbecopt.batch.run_each`): the problem from its recipe, then its ``rebuild`` and
    its sampler (:func:`saa_sampler`), as the serial run has them."""

    portable: PortableProblem

    def here(self) -> tuple[Rebuild, Sampler]:
        problem, instance = self.portable.rebuilt()
        sampler = saa_sampler(problem, instance, self.portable.model, self.portable.config)
        return problem.with_scenarios, sampler


def mrp_gap(
    rebuild: Rebuild,
    sampler: Sampler,
    n: int,
    replications: int,
    seed: int = 0,
    options: SolveOptions | None = None,
    confidence: float = 0.95,
    evaluation_n: int = 0,
    travels: PortableProblem | None = None,
) -> SAAResult:
    """Multiple replications procedure: candidate from one SAA, gap estimate from ``replications`` more.

    Parameters
    ----------
    rebuild : the model over a given list of scenarios.
    sampler : draws ``n`` equally likely scenarios from a seed.
    n : scenarios per SAA.
    replications : independent replications ``m`` for the gap estimate (at least 2).
    seed : the call's root seed (``SolveOptions.seed``); every sample's seed is one of its
        ``saa`` stream (:mod:`cbecopt.seeds`), so the result is reproducible.
    confidence : level of the one-sided intervals, ``1 - α``.
    evaluation_n : size of the independent sample that estimates the candidate's true cost
        (0: skip).
    travels : the problem as it travels to Dask workers (:class:`~cbecopt.batch.PortableProblem`)
        when the replications run on a cluster (:func:`cbecopt.batch.running_on`): each task
        rebuilds the problem and its sampler (:func:`saa_sampler`) from it. ``None``:
        ``rebuild`` and ``sampler`` travel as they are, and must pickle.

    The candidate is solved first, in this process, with half of the budget; then each
    replication (its SAA solve, then the candidate on its sample) and the evaluation are one
    step each: serially an equal share of what is left, on a cluster side by side with what is
    left. A step a stop cancelled on the cluster comes back ``no_solution``.
    """
    check_saa_sizes(n, replications, evaluation_n)
    if not 0.5 < confidence < 1:
        raise OptionError(f"confidence must be in (0.5, 1), got {confidence}")
    options = (options or SolveOptions()).begin()
    seeds = stream_seeds(seed, "saa", replications + 2)
    summary: dict[str, float | int | str | None] = {
        "n": n,
        "replications": replications,
        "confidence": confidence,
        "seed": seed,
    }
    log.info("SAA: candidate solution")
    first = rebuild(sampler(n, int(seeds[0])))
    candidate_run = solve_scenarios(
        first, first.scenarios(), options, None, options.budget.share(2)
    )
    candidate = candidate_run.first_stage
    if candidate is None:
        status = candidate_run.outcome.status.value
        summary |= {"status": status, "all_optimal": False, "candidate": status}
        return SAAResult(pd.DataFrame(columns=REPLICATION_COLUMNS), None, summary)
    # (sample size, seed, replication or None for the evaluation sample)
    steps = {
        f"replication {r}/{replications}": (n, int(seeds[r]), r) for r in range(1, replications + 1)
    }
    if evaluation_n:
        steps[f"the candidate on {evaluation_n} scenarios"] = (evaluation_n, int(seeds[-1]), None)
    done = run_each(
        "SAA",
        steps,
        saa_step,
        (rebuild, sampler),
        options,
        arguments=(candidate,),
        travels=None if travels is None else SamplingOn(travels),
    )
    rows = [
        done[name]
        if done[name] is not None
        else {"replication": r, "status": Status.NO_SOLUTION.value}
        for name, (_, _, r) in steps.items()
        if r is not None
    ]
    table = pd.DataFrame(rows, columns=REPLICATION_COLUMNS)
    t = float(stats.t.ppf(confidence, replications - 1))
    gaps = table["gap"].dropna().to_numpy(float)
    lower = table["saa_bound"].dropna().to_numpy(float)
    proved = bool((table["status"] == Status.OPTIMAL.value).all()) and (
        candidate_run.outcome.status == Status.OPTIMAL
    )
    summary |= {
        "status": "optimal" if proved else ("feasible" if len(gaps) >= 2 else "unfinished"),
        "all_optimal": proved,
    }
    if len(gaps) >= 2:
        mean, half = _mean_halfwidth(gaps, t)
        summary |= {
            "gap_estimate": mean,
            "gap_std": float(gaps.std(ddof=1)),
            "gap_ci_upper": mean + half,
        }
    if len(lower) >= 2:
        mean, half = _mean_halfwidth(lower, t)
        summary |= {"lower_bound_estimate": mean, "lower_bound_ci_low": mean - half}
    costs = done[list(steps)[-1]] if evaluation_n else None
    if costs is not None:
        z = NormalDist().inv_cdf(confidence)
        mean = float(costs.mean())
        half = z * float(costs.std(ddof=1)) / math.sqrt(len(costs)) if len(costs) > 1 else math.inf
        summary |= {
            "evaluation_n": evaluation_n,
            "upper_bound_estimate": mean,
            "upper_bound_ci_high": mean + half,
        }
    return SAAResult(table, candidate, summary)


def saa_step(
    context: tuple[Rebuild, Sampler],
    step: tuple[int, int, int | None],
    options: SolveOptions,
    candidate: np.ndarray,
) -> dict | np.ndarray | None:
    """One step of :func:`mrp_gap` within ``options``' budget (here or in a Dask worker): a
    replication's row (its SAA solve with half of the budget, then the candidate on its
    sample), or for the evaluation sample (replication ``None``) the candidate's cost in each
    of its scenarios (``None``: no solution)."""
    rebuild, sampler = context
    size, seed, replication = step
    problem = rebuild(sampler(size, seed))
    if replication is None:
        try:
            form = build_extensive_form(problem, problem.scenarios(), budget=options.budget)
        except OutOfTime:
            return None
        return solve_extensive_form(form, options, candidate).scenario_costs()
    saa = solve_scenarios(problem, problem.scenarios(), options, None, options.budget.share(2))
    at_candidate = (
        solve_extensive_form(saa.form, options, candidate).outcome if saa.form is not None else None
    )
    cost = None if at_candidate is None else at_candidate.objective
    return {
        "replication": replication,
        "status": saa.outcome.status.value,
        "saa_objective": saa.outcome.objective,
        "saa_bound": saa.outcome.bound,
        "candidate_cost": cost,
        # With a MIP gap the SAA optimum is only bracketed: use its bound (conservative).
        "gap": None if cost is None or saa.outcome.bound is None else cost - saa.outcome.bound,
    }


REPLICATION_COLUMNS = (
    "replication",
    "status",
    "saa_objective",
    "saa_bound",
    "candidate_cost",
    "gap",
)
MAX_SAMPLE_SIZE = 1_000_000
"""The most scenarios one sample (n or evaluation_n) may hold."""
MAX_REPLICATIONS = 1000


def check_saa_sizes(n: int, replications: int, evaluation_n: int) -> None:
    """Refuse sample sizes and replication counts that make no sense or cannot fit."""
    if not 1 <= n <= MAX_SAMPLE_SIZE:
        raise OptionError(f"the sample size n must be between 1 and {MAX_SAMPLE_SIZE:,}, got {n}")
    if not 2 <= replications <= MAX_REPLICATIONS:
        raise OptionError(
            f"replications must be between 2 and {MAX_REPLICATIONS}, got {replications}"
        )
    if not 0 <= evaluation_n <= MAX_SAMPLE_SIZE:
        raise OptionError(
            f"evaluation_n must be between 0 (skip) and {MAX_SAMPLE_SIZE:,}, got {evaluation_n}"
        )


def _mean_halfwidth(values: np.ndarray, t: float) -> tuple[float, float]:
    return float(values.mean()), t * float(values.std(ddof=1)) / math.sqrt(len(values))
