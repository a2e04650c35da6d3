"""What ``cbecopt solve --model suppliers`` prints: landed cost, counterfeit risk, purchases."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from cbecopt.report import money, print_two_stage
from cbecopt.results import Result


def summarize_suppliers(console: Console, result: Result) -> None:
    """The purchase plan of a solved instance."""
    print_two_stage(console, result)
    if result.ok:
        _print_suppliers(console, result)


def _print_suppliers(console: Console, result: Result) -> None:
    """Landed cost split, counterfeit risk, and the purchases."""
    k = result.kpis
    console.print(
        f"landed cost {money(k['landed_cost'])} = fixed {money(k['fixed_cost'])} + purchase "
        f"{money(k['purchase_cost'])} + freight {money(k['freight'])} + tax {money(k['tax'])} + inspection "
        f"{money(k['inspection_cost'])}; counterfeit penalty {money(k['counterfeit_penalty'])}"
    )
    if k.get("units_placed"):
        console.print(
            f"already ordered {k['units_placed']:,.0f} units for {money(k['committed_cost'])} "
            "(sunk: not in the landed cost)"
        )
    rate = k["average_counterfeit_rate"]
    console.print(
        f"expected counterfeit units {k['expected_counterfeit_units']:,.1f}"
        + (f" ({rate:.3%} of {k['units_bought']:,.0f} bought)" if rate is not None else "")
        + f"; brand-direct share {k['brand_direct_share'] or 0:.1%}; suppliers used: {', '.join(k['suppliers_used'])}"
    )
    purchases = result.table("purchases")
    table = Table(title=f"purchases ({len(purchases)} offers used)", title_justify="left")
    for col in ("supplier", "sku", "type", "quantity", "unit price", "counterfeit"):
        table.add_column(col, justify="left" if col in ("supplier", "sku", "type") else "right")
    for row in purchases.head(30).itertuples(index=False):
        table.add_row(
            str(row.supplier),
            str(row.sku),
            str(row.supplier_type),
            f"{row.quantity:,.0f}",
            money(row.unit_price),
            f"{row.expected_counterfeit:,.2f}",
        )
    console.print(table)
    if len(purchases) > 30:
        console.print(f"... {len(purchases) - 30} more in purchases.csv (--out)")
