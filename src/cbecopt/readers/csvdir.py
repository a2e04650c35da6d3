"""An instance folder: ``instance.toml`` plus one CSV file per table."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd

from cbecopt.errors import InputError, Problem
from cbecopt.outputs import recover
from cbecopt.readers import RawInstance

META_FILE = "instance.toml"


def read_csv_table(path: Path) -> pd.DataFrame:
    """Read a CSV file with every cell as text, so nothing is guessed or silently converted."""
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(Problem(path.name, f"cannot be read as CSV: {exc}")) from None


def read_meta(folder: Path) -> dict:
    """Read ``instance.toml``; a missing file is an error, as the folder is then not an instance."""
    path = folder / META_FILE
    if not path.is_file():
        raise InputError(
            Problem(
                META_FILE, f"missing: an instance folder needs {META_FILE} (name, description, ...)"
            )
        )
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(Problem(META_FILE, f"is not valid TOML: {exc}")) from None


def read_csv_folder(folder: Path) -> RawInstance:
    """Read every ``*.csv`` in ``folder`` as a table named after the file."""
    recover(folder)  # a cbecopt write into this folder that a killed run left half done
    meta = read_meta(folder)
    tables = {p.stem: read_csv_table(p) for p in sorted(folder.glob("*.csv"))}
    return RawInstance(folder, meta, tables, {name: f"{name}.csv" for name in tables})
