"""What ``cbecopt solve --model network`` prints: the two-stage summary, then the plan's fill
rate, units by channel, the sites used, the cost breakdown and what was committed before."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cbecopt.report import money, print_marginal_values, print_two_stage
from cbecopt.results import Result


def summarize_network(console: Console, result: Result) -> None:
    """The two-stage summary; the plan of a solved instance."""
    print_two_stage(console, result)
    if result.ok:
        _print_network(console, result)
        print_marginal_values(console, result)


def _print_network(console: Console, result: Result) -> None:
    k = result.kpis
    fill = k["fill_rate"]
    console.print(
        f"plan cost {money(k['plan_cost'])}; fill rate "
        + (f"{fill:.2%}" if fill is not None else "n/a")
        + f"; lost sales {k['lost_sales']:,.1f} units; tax rules {k['tax_rules']}"
    )
    units = k["units_by_channel"]
    console.print(
        "units by channel: " + (", ".join(f"{c} {q:,.0f}" for c, q in units.items()) or "none")
    )
    for label, key in (
        ("suppliers used", "suppliers_used"),
        ("overseas warehouses open", "overseas_open"),
        ("bonded/domestic warehouses used", "warehouses_used"),
    ):
        console.print(f"{label}: " + (", ".join(map(str, k[key])) or "none"))
    table = Table(title="cost breakdown", title_justify="left")
    table.add_column("component")
    table.add_column("cost", justify="right")
    for row in result.table("cost_breakdown").itertuples(index=False):
        table.add_row(row.component, f"{row.cost:,.2f}")
    console.print(table)
    if "committed_cost" in k:
        console.print(
            f"committed before the horizon (placed orders, sunk, not in the plan cost): "
            f"{money(k['committed_cost'])}"
        )
