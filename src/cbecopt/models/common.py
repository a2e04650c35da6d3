"""Building blocks shared by every formulation.

Variable and constraint families come from :mod:`cbecopt.labelled` (re-exported here, where
the models have always imported them): large families are array-backed Pyomo components
(:mod:`cbecopt.linear`) built from numpy, by label or by position, in milliseconds instead of
the ~10 µs per row of Pyomo's expression system, and the model stays a Pyomo model every Pyomo
writer and solver interface takes. Small families can be written as ordinary decorator-style
Pyomo constraints; the solver module handles both.
"""

from __future__ import annotations

import numpy as np

from cbecopt.labelled import (
    LinearRows,
    LinearTerms,
    Terms,
    VarFamily,
    add_family,
    add_rows,
    add_var_family,
    linear_objective,
    terms,
)

__all__ = [
    "LinearRows",
    "LinearTerms",
    "Terms",
    "VarFamily",
    "add_family",
    "add_rows",
    "add_var_family",
    "linear_objective",
    "terms",
    "scenario_rows",
]


def scenario_rows(names, probabilities, matrix: np.ndarray) -> list[tuple[str, float, np.ndarray]]:
    """Scenarios as the two-stage layer lists them, ``(name, probability, demand row)``, from
    names, probabilities and a scenarios x demand-keys matrix (e.g. what a sampler draws)."""
    return [
        (name, float(p), matrix[s])
        for s, (name, p) in enumerate(zip(names, probabilities, strict=True))
    ]
