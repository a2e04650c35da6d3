"""The comparison ``cbecopt compare --model warehouses`` (alias ``compare-sharing``) runs:
platforms sharing overseas warehouses against each running its own (:mod:`cbecopt.sharing`)."""

from __future__ import annotations

import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.instance import Instance
from cbecopt.models.spec import Comparison
from cbecopt.models.warehouses.build import WarehousesConfig

SHARING_POLICIES = ("shared", "independent")
"""The rows of the sharing comparison: the platforms sharing warehouses, then each running
its own."""


def compare_shared_independent(
    instance: Instance, options: SolveOptions | None = None, config: WarehousesConfig | None = None
) -> pd.DataFrame:
    """:func:`cbecopt.sharing.shared_vs_independent`: one row for the shared warehouses, one for
    the platforms each alone."""
    from cbecopt.sharing import shared_vs_independent  # it reads the registry: import late

    return shared_vs_independent(instance, options, config)


COMPARISON = Comparison(
    name="sharing",
    policies=SHARING_POLICIES,
    run=compare_shared_independent,
    help="Platforms sharing overseas warehouses vs each platform running its own: total cost, "
    "warehouses open and what sharing saves (the cost splits: solve --independent).",
    shown={
        "policy": "policy",
        "status": "status",
        "cost": "cost",
        "warehouses_open": "open",
        "saving": "saving",
        "saving_pct": "saving %",
    },
    caption="shared vs independent warehouses on {instance}",
    options=("--single-source/--multi-source", "--min-open", "--max-open"),
    percent=("saving_pct",),
    note="saving = the independent cost (every platform alone) minus the row's cost",
)
"""The comparison ``cbecopt compare --model warehouses`` (``compare-sharing``) runs."""
