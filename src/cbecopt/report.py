"""A readable summary of a result for the terminal (used by the CLI only): the lines every
result has, then its model's own summary (``ModelSpec.summarize``, ``models/<key>/summary.py``).

Everything taken from the data (names, ids, messages) prints literally: colour comes from
rich ``Text`` styles, never from markup in a string, so an instance or a node named
``[bold]`` shows as ``[bold]`` (the CLI's consoles interpret no markup).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cbecopt.results import Result, Status

_STYLE = {Status.OPTIMAL: "green", Status.FEASIBLE: "yellow"}


MARGINAL_SHOWN = 5
"""Rows of the ``marginal_values`` table the summary prints (the table has them all)."""


def print_marginal_values(console: Console, result: Result) -> None:
    """Where one more unit of capacity (m³, units per month, a supplier's units) is worth most
    (``--marginal-values``): the first :data:`MARGINAL_SHOWN` capacity rows of positive value,
    with their labels; the table has every binding row."""
    table = result.tables.get("marginal_values")
    if table is None or not len(table):
        return
    capacities = table["family"].astype(str).str.contains("capacity|volume")
    worth = table[capacities & (table["value"] > 0)].head(MARGINAL_SHOWN)
    if not len(worth):
        return
    labels = [c for c in table.columns if c not in ("family", "value", "slack")]
    console.print(
        f"capacity worth most, per unit more ({len(worth)} of the {len(table)} binding rows "
        "in marginal_values):"
    )
    for row in worth.to_dict("records"):
        where = ", ".join(f"{c} {row[c]}" for c in labels if _given(row[c]))
        console.print(
            f"  {row['family']}" + (f" ({where})" if where else "") + f": {money(row['value'])}"
        )


def _given(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value))


def money(value: float | None) -> str:
    """An amount with thousands separators and cents; a dash when there is none."""
    return "—" if value is None or np.isnan(value) else f"{value:,.2f}"


def pct(value: float | None) -> str:
    """A share as a percentage; a dash when there is none."""
    return "—" if value is None or np.isnan(value) else f"{value:.2%}"


def labelled(label: str, style: str, text: str) -> Text:
    """``label`` in ``style``, then ``text`` exactly as it is (``error:``, ``warning:``)."""
    return Text.assemble((label, style), " ", text)


def print_warnings(console: Console, warnings) -> None:
    """One line per warning (what the instance holds that the model does not read)."""
    for warning in warnings:
        console.print(labelled("warning:", "yellow", warning))


def print_summary(console: Console, result: Result, out_dir: Path | None) -> None:
    """Status, objective, the model's own summary (its registered ``summarize``; the two-stage
    summary for a problem of no model, e.g. an SMPS file), timings and where files went."""
    from cbecopt.models import MODELS  # the model packages print with this module: import late

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
        line = f"objective {money(result.objective)}"
        if result.gap is not None:
            line += f"   bound {money(result.bound)}   gap {result.gap:.4%}"
        console.print(line)
    for cause in result.diagnosis:
        console.print(Text.assemble("  ", ("-", "red"), " ", cause))
    spec = MODELS.get(result.model)
    (print_two_stage if spec is None else spec.summarize)(console, result)
    console.print("time: " + "  ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()))
    if out_dir is not None:
        console.print(
            f"results written to {out_dir} (a summary sheet and {len(result.tables)} table sheets)"
            if out_dir.suffix.lower() == ".xlsx"
            else f"results written to {out_dir}/ (result.json and {len(result.tables)} CSV tables)"
        )


def print_two_stage(
    console: Console,
    result: Result,
    decisions: Callable[[Console, Result], None] | None = None,
) -> None:
    """Expected cost, its risk, the model's first-stage decisions (``decisions`` prints them as
    a table) and the stochastic report; nothing for a result without an expected cost."""
    k = result.kpis
    if "expected_cost" not in k:
        return
    n = len(result.tables["scenarios"])
    if n > 1:
        console.print(
            f"{n} scenarios: expected cost {money(k['expected_cost'])}"
            f" (first stage {money(k['first_stage_cost'])});"
            f" VaR {money(k['cost_var'])}, CVaR {money(k['cost_cvar'])} at alpha {k['alpha']:g}"
        )
    if "expected_profit" in k:
        console.print(
            f"expected profit {money(k['expected_profit'])}, fill rate {k['fill_rate']:.2%}, "
            f"lost sales {k['expected_lost_sales']:,.1f}, leftover {k['expected_leftover']:,.1f} units"
        )
    if decisions is not None:
        decisions(console, result)
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
                money(report[key]),
                _interval(*report["brackets"][key]),
                report["statuses"].get(key, ""),
                notes.get(key, ""),
            )
        console.print(table)


def _interval(low: float | None, high: float | None) -> str:
    """[low, high] with an open side shown as infinite."""
    left = "-inf" if low is None else money(low)
    right = "+inf" if high is None else money(high)
    return f"[{left}, {right}]"
