"""An instance as one ``.xlsx`` workbook: one sheet per table plus a ``meta`` sheet.

The ``meta`` sheet has two columns, ``key`` and ``value``; keys are dotted paths into the
``instance.toml`` structure (``instance.name``, ``warehouses.single_source``).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd

from cbecopt.errors import InputError, Problem
from cbecopt.readers import RawInstance

META_SHEET = "meta"


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def read_workbook(path: Path) -> RawInstance:
    """Read every sheet of the workbook; cells are kept as text exactly as a CSV would hold them."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many unrelated types for a broken file
        raise InputError(
            Problem(path.name, f"cannot be opened as an .xlsx workbook: {exc}")
        ) from None
    try:
        sheets = {
            ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets
        }
    finally:
        book.close()
    if META_SHEET not in sheets:
        raise InputError(Problem(path.name, f"has no '{META_SHEET}' sheet (columns key, value)"))
    meta = _meta_from_rows(sheets.pop(META_SHEET), f"{path.name}, sheet '{META_SHEET}'")
    tables = {name: _frame(rows) for name, rows in sheets.items()}
    sources = {name: f"{path.name}, sheet '{name}'" for name in tables}
    return RawInstance(path, meta, tables, sources)


def _frame(rows: list[list]) -> pd.DataFrame:
    rows = [r for r in rows if any(c is not None and str(c).strip() != "" for c in r)]
    if not rows:
        return pd.DataFrame()
    header = [_cell_text(c) for c in rows[0]]
    while header and header[-1] == "":
        header.pop()
    body = [
        [_cell_text(c) for c in r[: len(header)]] + [""] * (len(header) - len(r)) for r in rows[1:]
    ]
    return pd.DataFrame(body, columns=header, dtype=object)


def _meta_from_rows(rows: list[list], source: str) -> dict:
    meta: dict = {}
    problems = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or row[0] is None:
            continue
        key, value = str(row[0]).strip(), row[1] if len(row) > 1 else None
        if value is None:
            continue
        parts = key.split(".")
        target = meta
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                problems.append(
                    Problem(source, f"key '{key}' clashes with a value set earlier", number, "key")
                )
                break
        else:
            target[parts[-1]] = value
    if problems:
        raise InputError(problems)
    return meta


def meta_rows(meta: dict, prefix: str = "") -> list[tuple[str, object]]:
    """Flatten nested metadata into ``(dotted key, value)`` rows for the ``meta`` sheet."""
    rows: list[tuple[str, object]] = []
    for key, value in meta.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(meta_rows(value, dotted + "."))
        else:
            rows.append((dotted, value))
    return rows
