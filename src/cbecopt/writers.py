"""Write an instance back out as a CSV folder or a workbook, losslessly and atomically.

Numbers are written so that reading them back gives the same float (``repr``), blanks stay
blank, unknown columns and extra tables are kept. Writing follows :mod:`cbecopt.outputs`: only
cbecopt's files are replaced, and never the instance's own source.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pandas as pd
import tomli_w

from cbecopt import outputs
from cbecopt.readers.csvdir import META_FILE
from cbecopt.readers.workbook import META_SHEET, meta_rows


def _cell(value: object) -> object:
    """A table cell as it should be stored: None for blank, floats as exact numbers."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _text_frame(table: pd.DataFrame) -> pd.DataFrame:
    def text(v: object) -> str:
        v = _cell(v)
        if v is None:
            return ""
        return repr(v) if isinstance(v, float) else str(v)

    return table.map(text) if not table.empty else table


def _plain(meta: object) -> object:
    if hasattr(meta, "items"):
        return {k: _plain(v) for k, v in meta.items()}
    return meta


def write_csv_folder(instance, target: Path) -> None:
    """``instance.toml`` and one CSV per table, into the folder ``target``, as one output."""
    _refuse_source(instance, target)
    meta = tomli_w.dumps(_plain(instance.meta))
    files = {META_FILE: lambda path: path.write_text(meta, encoding="utf-8")}
    for name, table in instance.tables.items():
        files[f"{name}.csv"] = outputs.csv_file(_text_frame(table))
    outputs.write_folder(target, files)


def write_workbook(instance, target: Path) -> None:
    """A ``meta`` sheet and one sheet per table, as one workbook marked as cbecopt's."""
    _refuse_source(instance, target)
    book = openpyxl.Workbook(write_only=True)
    meta = book.create_sheet(META_SHEET)
    meta.append(["key", "value"])
    for key, value in meta_rows(_plain(instance.meta)):
        meta.append([key, value])
    for name, table in instance.tables.items():
        sheet = book.create_sheet(name)
        sheet.append(list(table.columns))
        for row in table.itertuples(index=False):
            sheet.append([_cell(v) for v in row])
    outputs.write_workbook(target, book.save)


def _refuse_source(instance, target: Path) -> None:
    if instance.path is not None:
        outputs.refuse_overlap(outputs.output_path(target), Path(instance.path))
