"""What ``cbecopt solve --model routing`` prints: the two-stage summary, then the channel
mix, tax by regime, the cost breakdown and the stocking warehouses used."""

from __future__ import annotations

import pandas as pd
from rich.console import Console
from rich.table import Table

from cbecopt.report import money, print_marginal_values, print_two_stage
from cbecopt.results import Result


def summarize_routing(console: Console, result: Result) -> None:
    """The two-stage summary; the plan of a solved instance."""
    print_two_stage(console, result)
    if result.ok:
        _print_routing(console, result)
        print_marginal_values(console, result)


def _print_routing(console: Console, result: Result) -> None:
    """Channel mix, tax by regime, stocking warehouses and the cost breakdown."""
    k = result.kpis
    console.print(
        f"profit {money(k['profit'])} on revenue {money(k['revenue'])}; tax paid {money(k['tax_paid'])}"
        f" (rules {k['tax_rules']}); fill rate {k['fill_rate']:.2%}; "
        f"average delivery {k['average_delivery_days'] or 0:.1f} days"
    )
    mix = result.table("channel_mix").groupby("channel")["quantity"].sum()
    console.print(
        "channel mix: " + ", ".join(f"{c} {q:,.0f} ({q / mix.sum():.1%})" for c, q in mix.items())
    )
    by_channel = result.table("tax").groupby(["channel", "regime"], sort=False)
    shown = {"tax": by_channel[["units", "tax"]].sum().reset_index()}
    for name, title in (("tax", "tax by channel and regime"), ("cost_breakdown", "cost breakdown")):
        frame = shown.get(name, result.tables[name])
        table = Table(title=title, title_justify="left")
        for col in frame.columns:
            numeric = pd.api.types.is_numeric_dtype(frame[col])
            table.add_column(col, justify="right" if numeric else "left")
        for row in frame.itertuples(index=False):
            table.add_row(*(v if isinstance(v, str) else f"{v:,.2f}" for v in row))
        console.print(table)
    bonded = result.table("bonded")
    used = bonded[bonded["used"] == 1]
    console.print(
        "warehouses used (bonded, or domestic for general trade): "
        + (
            ", ".join(f"{r.bonded_warehouse} ({r.skus_listed} SKUs)" for r in used.itertuples())
            or "none"
        )
    )
