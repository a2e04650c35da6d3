"""Checks of the demand rows that several models share, read through the instance's network.

Each returns the problems it finds (empty: fine), naming the demand file or sheet, the row as
a person counts it and the column, so a model's check step reports every problem at once.
"""

from __future__ import annotations

from cbecopt.errors import Problem
from cbecopt.instance import Instance


def scenario_demand_problems(instance: Instance, model: str) -> list[Problem]:
    """A model that plans for one demand cannot take demand given by scenario: the problem at
    the first demand row with a scenario (empty when there is none)."""
    rows = instance.network.demand_rows
    uncertain = rows.index[rows["scenario"].notna()]
    if not len(uncertain):
        return []
    return [
        instance.problem(
            "demand",
            f"the {model} model plans for one demand; demand by scenario is for the contracts "
            "and routing models",
            uncertain[0],
            "scenario",
        )
    ]


def demand_sku_problems(instance: Instance, model: str) -> list[Problem]:
    """A model that plans per SKU needs the ``sku`` column of demand, filled on every row."""
    network = instance.network
    if not network.has_column("demand", "sku"):
        return [instance.problem("demand", f"the {model} model needs this column", column="sku")]
    rows = network.demand_rows
    return [
        instance.problem("demand", f"the {model} model needs the SKU of every demand row", i, "sku")
        for i in rows.index[rows["sku"].isna()]
    ]
