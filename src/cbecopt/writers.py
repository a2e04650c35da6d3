"""Write an instance back out as a CSV folder or a workbook, losslessly and atomically.

Numbers are written so that reading them back gives the same float (``repr``), blanks stay
blank, unknown columns and extra tables are kept.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pandas as pd
import tomli_w

from cbecopt.atomic import atomic_directory, atomic_file
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
    with atomic_directory(target) as folder:
        (folder / META_FILE).write_text(tomli_w.dumps(_plain(instance.meta)), encoding="utf-8")
        for name, table in instance.tables.items():
            _text_frame(table).to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")


def write_workbook(instance, target: Path) -> None:
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
    with atomic_file(target) as staging:
        book.save(staging)
