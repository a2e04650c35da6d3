"""Why a ``network`` plan with fixed decisions is infeasible: :func:`fixing_diagnosis`
(:mod:`cbecopt.fixing_diagnosis` re-solving the network model without the fixings)."""

from __future__ import annotations

from dataclasses import replace

from cbecopt import fixing_diagnosis as shared
from cbecopt.highs import SolveOptions
from cbecopt.models.network.build import NetworkProblem, solve_network


def fixing_diagnosis(problem: NetworkProblem) -> list[str]:
    """Sentences naming the fixings that make ``problem`` infeasible (empty without any)."""
    motion = problem.data.in_motion
    if motion is None:
        return []

    def solve_without(dropped: set[str], options: SolveOptions):
        data = replace(problem.data, in_motion=motion.without(dropped))
        return solve_network(data, options=options)[1].status

    return shared.fixing_diagnosis(motion.fixings, solve_without)
