"""Building blocks shared by every formulation.

Variable and constraint families come from :mod:`cbecopt.labelled` (re-exported here, where
the models have always imported them): large families are array-backed Pyomo components
(:mod:`cbecopt.linear`) built from numpy, by label or by position, in milliseconds instead of
the ~10 µs per row of Pyomo's expression system, and the model stays a Pyomo model every Pyomo
writer and solver interface takes. Small families can be written as ordinary decorator-style
Pyomo constraints; the solver module handles both. Checks of the inputs that several models
share are here too.
"""

from __future__ import annotations

import numpy as np

from cbecopt.errors import Problem
from cbecopt.instance import Instance
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
    "demand_sku_problems",
    "scenario_demand_problems",
    "scenario_rows",
]


def scenario_demand_problems(instance: Instance, model: str) -> list[Problem]:
    """A model that plans for one demand cannot take demand given by scenario: the problem at
    the first demand row with a scenario (empty when there is none)."""
    demand = instance.tables["demand"]
    if "scenario" not in demand or not demand["scenario"].notna().any():
        return []
    first = demand.index[demand["scenario"].notna()][0]
    return [
        instance.problem(
            "demand",
            f"the {model} model plans for one demand; demand by scenario is for the contracts "
            "and routing models",
            first,
            "scenario",
        )
    ]


def demand_sku_problems(instance: Instance, model: str) -> list[Problem]:
    """A model that plans per SKU needs the ``sku`` column of demand, filled on every row."""
    demand = instance.tables["demand"]
    if "sku" not in demand.columns:
        return [instance.problem("demand", f"the {model} model needs this column", column="sku")]
    return [
        instance.problem("demand", f"the {model} model needs the SKU of every demand row", i, "sku")
        for i in demand.index[demand["sku"].isna()]
    ]


def scenario_rows(names, probabilities, matrix: np.ndarray) -> list[tuple[str, float, np.ndarray]]:
    """Scenarios as the two-stage layer lists them, ``(name, probability, demand row)``, from
    names, probabilities and a scenarios x demand-keys matrix (e.g. what a sampler draws)."""
    return [
        (name, float(p), matrix[s])
        for s, (name, p) in enumerate(zip(names, probabilities, strict=True))
    ]
