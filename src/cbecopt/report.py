"""A readable summary of a result for the terminal (used by the CLI only).

Everything taken from the data (names, ids, messages) prints literally: colour comes from
rich ``Text`` styles, never from markup in a string, so an instance or a node named
``[bold]`` shows as ``[bold]`` (the CLI's consoles interpret no markup).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cbecopt.results import Result, Status

_STYLE = {Status.OPTIMAL: "green", Status.FEASIBLE: "yellow"}


def _money(value: float | None) -> str:
    return "—" if value is None or np.isnan(value) else f"{value:,.2f}"


def _pct(value: float | None) -> str:
    return "—" if value is None or np.isnan(value) else f"{value:.2%}"


def labelled(label: str, style: str, text: str) -> Text:
    """``label`` in ``style``, then ``text`` exactly as it is (``error:``, ``warning:``)."""
    return Text.assemble((label, style), " ", text)


def print_warnings(console: Console, warnings) -> None:
    """One line per warning (what the instance holds that the model does not read)."""
    for warning in warnings:
        console.print(labelled("warning:", "yellow", warning))


def print_summary(console: Console, result: Result, out_dir: Path | None) -> None:
    """Status, objective, cost split, the model's main table, timings and where files went."""
    style = _STYLE.get(result.status, "red")
    console.print(
        Text.assemble(
            (result.model, "bold"),
            " on ",
            (result.instance, "bold"),
            ": ",
            (result.status.value, style),
            f" ({result.termination})",
        )
    )
    if result.ok:
        line = f"objective {_money(result.objective)}"
        if result.gap is not None:
            line += f"   bound {_money(result.bound)}   gap {result.gap:.4%}"
        console.print(line)
    for cause in result.diagnosis:
        console.print(Text.assemble("  ", ("-", "red"), " ", cause))
    k = result.kpis
    if result.model == "warehouses" and result.ok:
        console.print(
            f"cost: fixed {_money(k['fixed_cost'])} + transport {_money(k['transport_cost'])}"
            f" = {_money(k['total_cost'])}"
        )
        opened = result.tables["open"]
        opened = opened[opened["open"] == 1]
        table = Table(title=f"{k['open_count']} warehouses open", title_justify="left")
        for col in ("warehouse", "fixed cost", "capacity", "throughput", "utilisation"):
            table.add_column(col, justify="left" if col == "warehouse" else "right")
        for row in opened.itertuples(index=False):
            table.add_row(
                str(row.warehouse),
                _money(row.fixed_cost),
                "unlimited" if row.capacity != row.capacity else f"{row.capacity:,.0f}",
                f"{row.throughput:,.0f}",
                "—" if row.utilisation != row.utilisation else f"{row.utilisation:.1%}",
            )
        console.print(table)
    if "platform_costs" in result.tables:
        _print_sharing(console, result)
    if "expected_cost" in k:
        _print_two_stage(console, result)
    if result.model == "routing" and result.ok:
        _print_routing(console, result)
    if result.model == "suppliers" and result.ok:
        _print_suppliers(console, result)
    console.print("time: " + "  ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()))
    if out_dir is not None:
        console.print(
            f"results written to {out_dir} (a summary sheet and {len(result.tables)} table sheets)"
            if out_dir.suffix.lower() == ".xlsx"
            else f"results written to {out_dir}/ (result.json and {len(result.tables)} CSV tables)"
        )


def _print_sharing(console: Console, result: Result) -> None:
    k = result.kpis
    console.print(
        f"sharing: shared {_money(k['shared_cost'])} vs independent {_money(k['independent_cost'])}"
        f" — saves {_money(k['sharing_saving'])} ({k['sharing_saving_pct']:.2%})"
    )
    table = Table(
        title="cost per platform: the shared cost split by use, by Shapley value and by the nucleolus",
        title_justify="left",
    )
    columns = ("platform", "demand", "independent", "by use", "Shapley", "nucleolus")
    for col in columns:
        table.add_column(col, justify="left" if col == "platform" else "right")
    proven = k.get("comparison_proven", True)
    for row in result.tables["platform_costs"].itertuples(index=False):
        shapley = (
            f"{_money(row.shapley_cost)} ({_pct(1 - row.shapley_cost / row.independent_cost)})"
        )
        if not proven:
            shapley = f"{_money(row.shapley_low)} .. {_money(row.shapley_high)}"
        table.add_row(
            str(row.platform),
            f"{row.demand:,.0f}",
            _money(row.independent_cost),
            f"{_money(row.allocated_cost)} ({_pct(1 - row.allocated_cost / row.independent_cost)})",
            shapley,
            f"{_money(row.nucleolus_cost)} ({_pct(1 - row.nucleolus_cost / row.independent_cost)})"
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
        True: f"the core is not empty (least-core epsilon {_money(k['least_core_epsilon'])})",
        False: "the core is EMPTY: every split leaves some group paying more than alone"
        f" (by at least {_money(k['least_core_epsilon'])})",
        None: "the core was not checked"
        + ("" if proven else " (not every coalition cost was proved)"),
    }[nonempty]
    console.print(
        f"{core}; in the core: by use {_verdict(k['by_use_in_core'])},"
        f" Shapley {_verdict(k['shapley_in_core'])}" + (", nucleolus yes" if nonempty else "")
    )


def _verdict(in_core: bool | None) -> str:
    return {True: "yes", False: "NO", None: "not checked"}[in_core]


def _print_suppliers(console: Console, result: Result) -> None:
    """Landed cost split, counterfeit risk, and the purchases."""
    k = result.kpis
    console.print(
        f"landed cost {_money(k['landed_cost'])} = fixed {_money(k['fixed_cost'])} + purchase "
        f"{_money(k['purchase_cost'])} + freight {_money(k['freight'])} + tax {_money(k['tax'])} + inspection "
        f"{_money(k['inspection_cost'])}; counterfeit penalty {_money(k['counterfeit_penalty'])}"
    )
    rate = k["average_counterfeit_rate"]
    console.print(
        f"expected counterfeit units {k['expected_counterfeit_units']:,.1f}"
        + (f" ({rate:.3%} of {k['units_bought']:,.0f} bought)" if rate is not None else "")
        + f"; brand-direct share {k['brand_direct_share'] or 0:.1%}; suppliers used: {', '.join(k['suppliers_used'])}"
    )
    purchases = result.tables["purchases"]
    table = Table(title=f"purchases ({len(purchases)} offers used)", title_justify="left")
    for col in ("supplier", "sku", "type", "quantity", "unit price", "counterfeit"):
        table.add_column(col, justify="left" if col in ("supplier", "sku", "type") else "right")
    for row in purchases.head(30).itertuples(index=False):
        table.add_row(
            str(row.supplier),
            str(row.sku),
            str(row.supplier_type),
            f"{row.quantity:,.0f}",
            _money(row.unit_price),
            f"{row.expected_counterfeit:,.2f}",
        )
    console.print(table)
    if len(purchases) > 30:
        console.print(f"... {len(purchases) - 30} more in purchases.csv (--out)")


def _print_routing(console: Console, result: Result) -> None:
    """Channel mix, tax by regime, bonded warehouses and the cost breakdown."""
    k = result.kpis
    console.print(
        f"profit {_money(k['profit'])} on revenue {_money(k['revenue'])}; tax paid {_money(k['tax_paid'])}"
        f" (rules {k['tax_rules']}); fill rate {k['fill_rate']:.2%}; "
        f"average delivery {k['average_delivery_days'] or 0:.1f} days"
    )
    mix = result.tables["channel_mix"].groupby("channel")["quantity"].sum()
    console.print(
        "channel mix: " + ", ".join(f"{c} {q:,.0f} ({q / mix.sum():.1%})" for c, q in mix.items())
    )
    for name, title in (("tax", "tax by channel and regime"), ("cost_breakdown", "cost breakdown")):
        frame = result.tables[name]
        table = Table(title=title, title_justify="left")
        for col in frame.columns:
            numeric = pd.api.types.is_numeric_dtype(frame[col])
            table.add_column(col, justify="right" if numeric else "left")
        for row in frame.itertuples(index=False):
            table.add_row(*(v if isinstance(v, str) else f"{v:,.2f}" for v in row))
        console.print(table)
    bonded = result.tables["bonded"]
    used = bonded[bonded["used"] == 1]
    console.print(
        "bonded warehouses used: "
        + (
            ", ".join(f"{r.bonded_warehouse} ({r.skus_listed} SKUs)" for r in used.itertuples())
            or "none"
        )
    )


def _print_two_stage(console: Console, result: Result) -> None:
    """Expected cost, its risk, and the model's first-stage decisions."""
    k = result.kpis
    n = len(result.tables["scenarios"])
    if n > 1:
        console.print(
            f"{n} scenarios: expected cost {_money(k['expected_cost'])}"
            f" (first stage {_money(k['first_stage_cost'])});"
            f" VaR {_money(k['cost_var'])}, CVaR {_money(k['cost_cvar'])} at alpha {k['alpha']:g}"
        )
    if "expected_profit" in k:
        console.print(
            f"expected profit {_money(k['expected_profit'])}, fill rate {k['fill_rate']:.2%}, "
            f"lost sales {k['expected_lost_sales']:,.1f}, leftover {k['expected_leftover']:,.1f} units"
        )
    if "contracts" in result.tables:
        used = result.tables["contracts"]
        used = used[(used["quantity"].fillna(0) > 1e-9) | (used["expected_bought"] > 1e-9)]
        table = Table(title=f"contracts used ({len(used)})", title_justify="left")
        for col in ("supplier", "sku", "type", "committed", "expected later", "expected cost"):
            table.add_column(col, justify="left" if col in ("supplier", "sku", "type") else "right")
        for row in used.itertuples(index=False):
            table.add_row(
                str(row.supplier),
                str(row.sku),
                str(row.type),
                "—" if row.quantity != row.quantity else f"{row.quantity:,.1f}",
                f"{row.expected_bought:,.1f}",
                _money(row.expected_cost),
            )
        console.print(table)
    if "first_stage_nonzero" in k:
        console.print("first stage nonzero: " + (", ".join(k["first_stage_nonzero"]) or "none"))
    if "stochastic" in result.reports:
        report = result.reports["stochastic"]
        table = Table(title="stochastic report (minimisation values)", title_justify="left")
        for col in ("measure", "value", "proved to lie in", "status", "note"):
            table.add_column(
                col, justify="right" if col in ("value", "proved to lie in") else "left"
            )
        notes = report.get("notes", {})
        for key in ("rp", "ev", "eev", "ws", "evpi", "vss"):
            table.add_row(
                key.upper(),
                _money(report[key]),
                _interval(*report["brackets"][key]),
                report["statuses"].get(key, ""),
                notes.get(key, ""),
            )
        console.print(table)


def _interval(low: float | None, high: float | None) -> str:
    """[low, high] with an open side shown as infinite."""
    left = "-inf" if low is None else _money(low)
    right = "+inf" if high is None else _money(high)
    return f"[{left}, {right}]"
