"""What ``cbecopt solve --model contracts`` prints: the two-stage summary with the contracts
used as its first-stage decisions."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cbecopt.report import money, print_two_stage
from cbecopt.results import Result


def summarize_contracts(console: Console, result: Result) -> None:
    """The two-stage summary, the contracts used as its decisions."""
    print_two_stage(console, result, _print_contracts_used)


def _print_contracts_used(console: Console, result: Result) -> None:
    """The contracts committed to or bought from later."""
    if "contracts" not in result.tables:
        return
    used = result.table("contracts")
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
            money(row.expected_cost),
        )
    console.print(table)
