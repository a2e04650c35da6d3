"""Readers turn a file or folder into a :class:`RawInstance`: metadata plus tables as read.

Every reader leaves typing and validation to :mod:`cbecopt.instance`, so a CSV folder, a
workbook and a published benchmark file all pass the same checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass
class RawInstance:
    """What a reader found, before validation.

    ``sources`` maps a table name to how a person finds it (``nodes.csv`` or
    ``demo.xlsx, sheet 'nodes'``), so problems can name the right place.
    """

    path: Path
    meta: dict
    tables: dict[str, pd.DataFrame]
    sources: dict[str, str] = field(default_factory=dict)

    def source(self, table: str) -> str:
        return self.sources.get(table, table)
