"""What ``cbecopt solve --model warehouses`` prints: the cost split, the open warehouses and,
with ``--independent``, what sharing saves and how its cost splits."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cbecopt.report import money, pct, print_two_stage
from cbecopt.results import Result


def summarize_warehouses(console: Console, result: Result) -> None:
    """The cost split and the open warehouses; the sharing comparison when there is one."""
    k = result.kpis
    if result.ok:
        console.print(
            f"cost: fixed {money(k['fixed_cost'])} + transport {money(k['transport_cost'])}"
            f" = {money(k['total_cost'])}"
        )
        opened = result.table("open")
        opened = opened[opened["open"] == 1]
        table = Table(title=f"{k['open_count']} warehouses open", title_justify="left")
        for col in ("warehouse", "fixed cost", "capacity", "throughput", "utilisation"):
            table.add_column(col, justify="left" if col == "warehouse" else "right")
        for row in opened.itertuples(index=False):
            table.add_row(
                str(row.warehouse),
                money(row.fixed_cost),
                "unlimited" if row.capacity != row.capacity else f"{row.capacity:,.0f}",
                f"{row.throughput:,.0f}",
                "—" if row.utilisation != row.utilisation else f"{row.utilisation:.1%}",
            )
        console.print(table)
    if "platform_costs" in result.tables:
        _print_sharing(console, result)
    print_two_stage(console, result)


def _print_sharing(console: Console, result: Result) -> None:
    k = result.kpis
    console.print(
        f"sharing: shared {money(k['shared_cost'])} vs independent {money(k['independent_cost'])}"
        f" — saves {money(k['sharing_saving'])} ({k['sharing_saving_pct']:.2%})"
    )
    table = Table(
        title="cost per platform: the shared cost split by use, by Shapley value and by the nucleolus",
        title_justify="left",
    )
    columns = ("platform", "demand", "independent", "by use", "Shapley", "nucleolus")
    for col in columns:
        table.add_column(col, justify="left" if col == "platform" else "right")
    proven = k.get("comparison_proven", True)
    for row in result.table("platform_costs").itertuples(index=False):
        shapley = f"{money(row.shapley_cost)} ({pct(1 - row.shapley_cost / row.independent_cost)})"
        if not proven:
            shapley = f"{money(row.shapley_low)} .. {money(row.shapley_high)}"
        table.add_row(
            str(row.platform),
            f"{row.demand:,.0f}",
            money(row.independent_cost),
            f"{money(row.allocated_cost)} ({pct(1 - row.allocated_cost / row.independent_cost)})",
            shapley,
            f"{money(row.nucleolus_cost)} ({pct(1 - row.nucleolus_cost / row.independent_cost)})"
            + ("" if proven else ", unproven"),
        )
    console.print(table)
    console.print(
        "(saving against running alone in brackets)"
        if proven
        else "(not every coalition solve was proved optimal: Shapley as the interval it is "
        "proved to lie in; the nucleolus from the incumbents, unproven)"
    )
    nonempty = k["core_nonempty"]
    core = {
        True: f"the core is not empty (least-core epsilon {money(k['least_core_epsilon'])})",
        False: "the core is EMPTY: every split leaves some group paying more than alone"
        f" (by at least {money(k['least_core_epsilon'])})",
        None: "the core was not checked"
        + ("" if proven else " (not every coalition cost was proved)"),
    }[nonempty]
    console.print(
        f"{core}; in the core: by use {_verdict(k['by_use_in_core'])},"
        f" Shapley {_verdict(k['shapley_in_core'])}" + (", nucleolus yes" if nonempty else "")
    )


def _verdict(in_core: bool | None) -> str:
    return {True: "yes", False: "NO", None: "not checked"}[in_core]
