"""The ``tax`` command: import tax on one order under each regime (CBEC, postal, general trade)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from cbecopt.cli.app import JsonOpt, app, fail, out, print_frame
from cbecopt.errors import CbecoptError, OptionError
from cbecopt.tax import PostalClass, landed_taxes, postal_class
from cbecopt.tax_rules import TaxRules, load_tax_rules


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
    postal_category: Annotated[
        str | None,
        typer.Option(
            help="Postal articles class (postal_13, postal_20, postal_50) or goods named in the "
            "rules (e.g. food, handbags, high_end_cosmetics). Default: postal_50 for goods with "
            "consumption tax; other goods need this or --postal-rate."
        ),
    ] = None,
    postal_rate: Annotated[
        float | None,
        typer.Option(help="Postal articles tax rate, in place of --postal-category."),
    ] = None,
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
        postal = _postal_class(rule_set, consumption_tax, postal_category, postal_rate)
        taxes = landed_taxes(value, vat, consumption_tax, tariff, postal, rule_set)
    except CbecoptError as exc:
        fail(exc, as_json)
    if as_json:
        print(json.dumps({**taxes, "rules": rule_set.effective.isoformat()}, ensure_ascii=False))
        return
    title = f"import tax on RMB {value:,.2f} (rules in force from {rule_set.effective})"
    print_frame(_table(taxes, value), title, percent=("of value",))
    out.print(f"rules: {rule_set.file}")


def _postal_class(
    rules: TaxRules, consumption_tax: float, category: str | None, rate: float | None
) -> PostalClass:
    """The goods' postal class from the options; goods without consumption tax and without
    --postal-category or --postal-rate are refused, as their class cannot be told."""
    if category is not None and rate is not None:
        raise OptionError(
            "give --postal-category or --postal-rate, not both (the category gives the rate)"
        )
    found = postal_class(rules, consumption_tax, category, rate)
    if found is None:
        raise OptionError(
            "the postal class of goods without consumption tax cannot be told from their "
            "rates: give --postal-category (a class: "
            f"{', '.join(rules.postal_rates)}; or goods named in the rules, e.g. food, "
            "handbags) or --postal-rate"
        )
    return found


def _table(taxes: dict[str, dict], value: float) -> pd.DataFrame:
    """One row per regime: whether it applies, each tax, the total and a note."""
    postal = taxes["postal"]
    postal_note = f"{postal['category'] or 'rate'} {postal['rate']:.0%} ({postal['basis']})"
    if postal["warning"]:
        postal_note += f"; warning: {postal['warning']}"
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
