"""The routing strategies ``cbecopt compare-routing`` solves: bonded only, direct mail only,
postal only and the hybrid plan over every channel, and their chart."""

from __future__ import annotations

import dataclasses

import pandas as pd

from cbecopt.highs import SolveOptions
from cbecopt.in_motion import refuse_in_motion
from cbecopt.instance import Instance
from cbecopt.models.routing.build import RoutingConfig
from cbecopt.models.spec import Comparison

ROUTING_STRATEGIES: dict[str, tuple[str, ...]] = {
    "bonded_only": ("bonded",),
    "direct_mail_only": ("cbec_direct", "postal"),
    "postal_only": ("postal",),
    "hybrid": ("bonded", "cbec_direct", "postal", "general_trade"),
}
"""Channels each routing strategy may use; ``hybrid`` is the optimised plan over all four."""

ROUTING_COLUMNS = (
    "strategy",
    "channels",
    "status",
    "cost",
    "profit",
    "tax",
    "average_delivery_days",
    "fill_rate",
    "lost_sales",
    "gap",
)


def compare_routing(
    instance: Instance, options: SolveOptions | None = None, config: RoutingConfig | None = None
) -> pd.DataFrame:
    """Solve ``instance`` under each of :data:`ROUTING_STRATEGIES`; one row per strategy.

    ``cost`` is the plan's expected cost with lost sales at their price and penalty, so the
    strategies compare on the same demand; demand a strategy cannot reach is lost. Each
    strategy plans from scratch, so the tables of what is already in motion are refused.
    """
    from cbecopt.compare import solve_policies  # it solves through the registry: import late

    refuse_in_motion(
        instance,
        "the channel comparison plans each strategy from scratch and does not take what is "
        "already in motion into account; solve with --model routing, or leave this table out",
    )

    config = config or RoutingConfig()
    configs = {s: dataclasses.replace(config, channels=c) for s, c in ROUTING_STRATEGIES.items()}
    every_channel = configs["hybrid"]
    rows = []
    for strategy, result in solve_policies(instance, "routing", configs, every_channel, options):
        k = result.kpis
        rows.append(
            {
                "strategy": strategy,
                "channels": "+".join(ROUTING_STRATEGIES[strategy]),
                "status": result.status.value,
                "cost": k.get("expected_cost"),
                "profit": k.get("profit"),
                "tax": k.get("tax_paid"),
                "average_delivery_days": k.get("average_delivery_days"),
                "fill_rate": k.get("fill_rate"),
                "lost_sales": k.get("lost_sales"),
                "gap": result.gap,
            }
        )
    return pd.DataFrame(rows, columns=list(ROUTING_COLUMNS))


def plot_routing(table: pd.DataFrame, target, title: str = ""):
    """Bar chart of profit, tax and lost sales per strategy; written as a PNG atomically."""
    import numpy as np

    from cbecopt.plots import figure, save_png

    fig, axes = figure(3, (11, 3.8))
    x = np.arange(len(table))
    for ax, column, label in (
        (axes[0], "profit", "profit (CNY)"),
        (axes[1], "tax", "tax paid (CNY)"),
        (axes[2], "fill_rate", "fill rate"),
    ):
        ax.bar(x, table[column].fillna(0.0), color="#1f5f8b")
        ax.set_xticks(x, table["strategy"], rotation=20, ha="right", fontsize=8)
        ax.set_title(label, fontsize=10)
        ax.grid(True, axis="y", alpha=0.3)
    fig.suptitle(title or "routing strategies")
    return save_png(fig, target)


COMPARISON = Comparison(
    name="routing",
    policies=tuple(ROUTING_STRATEGIES),
    run=compare_routing,
    help="Solve the routing model bonded-only, direct-mail-only, postal-only and hybrid "
    "(optimised): cost, profit, tax, average delivery days, fill rate and lost sales per "
    "strategy, with a chart.",
    shown={
        "strategy": "strategy",
        "status": "status",
        "cost": "cost",
        "profit": "profit",
        "tax": "tax",
        "average_delivery_days": "delivery days",
        "fill_rate": "fill rate",
        "lost_sales": "lost",
    },
    caption="routing strategies on {instance}",
    options=("--samples", "--distribution"),
    percent=("fill_rate",),
    rows_key="strategies",
    chart=plot_routing,
    out="results/compare-routing",
)
"""The comparison ``cbecopt compare --model routing`` (``compare-routing``) runs."""
