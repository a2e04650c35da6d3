"""The ``tax`` command: import tax on one order under each regime (CBEC, postal, general trade)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from cbecopt.cli.app import JsonOpt, app, fail, out, print_frame
from cbecopt.errors import CbecoptError
from cbecopt.tax import landed_taxes
from cbecopt.tax_rules import load_tax_rules


@app.command()
def tax(
    value: Annotated[
        float, typer.Option(help="Dutiable value of the order (price, freight, insurance), RMB.")
    ],
    vat: Annotated[float, typer.Option(help="Statutory VAT rate (0.13 = 13%).")] = 0.13,
    consumption_tax: Annotated[
        float, typer.Option(help="Ad valorem consumption tax rate (0 for most goods).")
    ] = 0.0,
    tariff: Annotated[float, typer.Option(help="Tariff rate under general trade.")] = 0.0,
    postal_rate: Annotated[
        float, typer.Option(help="Postal articles tax rate: 0.13, 0.20 or 0.50 by category.")
    ] = 0.20,
    rules: Annotated[
        Path | None, typer.Option(help="Tax rules TOML file (default: the bundled rules).")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(help="Use the rules in force on this date, YYYY-MM-DD (default: latest)."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import tax on one order under CBEC retail, postal articles and general trade."""
    try:
        rule_set = load_tax_rules(rules, date)
        taxes = landed_taxes(value, vat, consumption_tax, tariff, postal_rate, rule_set)
    except CbecoptError as exc:
        fail(exc, as_json)
    if as_json:
        print(json.dumps({**taxes, "rules": rule_set.effective.isoformat()}, ensure_ascii=False))
        return
    title = f"import tax on RMB {value:,.2f} (rules in force from {rule_set.effective})"
    print_frame(_table(taxes, value), title, percent=("of value",))
    out.print(f"rules: {rule_set.file}")


def _table(taxes: dict[str, dict], value: float) -> pd.DataFrame:
    """One row per regime: whether it applies, each tax, the total and a note."""
    postal = taxes["postal"]
    postal_note = f"{postal['category'] or 'rate'} {postal['rate']:.0%}"
    if postal["exempt"]:
        postal_note += f", {postal['assessed']:,.2f} exempt"
    notes = {
        "cbec": taxes["cbec"]["reason"],
        "postal": "; ".join(filter(None, [postal_note, postal["reason"]])),
        "general_trade": "",
    }
    return pd.DataFrame(
        [
            {
                "regime": regime,
                "applies": "yes" if entry["allowed"] else "no",
                "tariff": entry.get("tariff"),
                "consumption tax": entry.get("consumption_tax"),
                "VAT": entry.get("vat"),
                "postal tax": entry.get("assessed"),
                "total": entry["total"],
                "of value": entry["total"] / value if value else None,
                "note": notes[regime],
            }
            for regime, entry in taxes.items()
        ]
    )
