"""Readers turn a file or folder into a :class:`RawInstance`: metadata plus tables as read.

Every reader leaves typing and validation to :mod:`cbecopt.instance`, so a CSV folder, a
workbook and a published benchmark file all pass the same checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

META_FILE = "instance.toml"


@dataclass
class RawInstance:
    """What a reader found, before validation.

    Attributes
    ----------
    path : the folder or file read.
    meta : the settings, nested as in ``instance.toml``; ``None`` when they could not be read
        (the reader says why in ``problems``).
    tables : each table read, every cell text; its index is the row number minus 2 (see
        :mod:`cbecopt.readers.grid`).
    sources : how a person finds each table (``nodes.csv`` or ``demo.xlsx, sheet 'nodes'``),
        so problems can name the right place.
    problems : what the reader found wrong in files it could otherwise read; a table named in
        ``unreadable`` could not be read as the file shows it and is left out of ``tables``.
    meta_source : where the settings are (``instance.toml`` or the workbook's meta sheet).
    meta_rows : the row of each setting (dotted key) in a workbook's meta sheet.
    """

    path: Path
    meta: dict | None
    tables: dict[str, pd.DataFrame]
    sources: dict[str, str] = field(default_factory=dict)
    problems: list = field(default_factory=list)
    unreadable: set[str] = field(default_factory=set)
    meta_source: str = META_FILE
    meta_rows: dict[str, int] = field(default_factory=dict)

    def source(self, table: str) -> str:
        return self.sources.get(table, table)
