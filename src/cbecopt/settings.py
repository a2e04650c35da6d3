"""The settings of an instance, declared once: ``instance.toml`` or a workbook's ``meta`` sheet.

Each section lists its keys with a kind, a default and bounds; :func:`check_settings` checks
what a file holds against them and returns the values typed. Free-form sections
(``[assumptions]``, ``[scenarios]``) take any key with a single value, for the record.
An unknown section or key is an error with a "did you mean" suggestion, so a misspelt
``single_sorce = true`` cannot be ignored silently.

Coercion is the same for a TOML value and a workbook cell (which arrives as text, a number,
a boolean or a date):

* ``text``: text only.
* ``boolean``: true or false (TOML ``true``/``false``, a TRUE/FALSE cell), never the text
  ``"false"`` or a number.
* ``integer``: a whole number, written ``3`` or ``3.0`` (a workbook may store 3 as 3.0),
  never the text ``"3"``.
* ``number``: a finite number, never text.
* ``date``: a TOML date, a date cell or the text ``YYYY-MM-DD``; kept as ``YYYY-MM-DD``.
* ``choice``: one of the listed words.

A blank cell in the meta sheet leaves its setting unset, as an absent TOML key does.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import math
from dataclasses import dataclass

from cbecopt.errors import Problem

TEXT, BOOLEAN, INTEGER, NUMBER, DATE, CHOICE = (
    "text",
    "boolean",
    "integer",
    "number",
    "date",
    "choice",
)


@dataclass(frozen=True)
class Setting:
    """One key of a section: its kind, default (``None``: not set), bounds and meaning."""

    key: str
    kind: str
    doc: str
    default: object = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Section:
    """A section (TOML table) of settings; ``free_form`` takes any key with a single value."""

    name: str
    doc: str
    settings: tuple[Setting, ...] = ()
    free_form: bool = False

    def setting(self, key: str) -> Setting | None:
        return next((s for s in self.settings if s.key == key), None)


def _rate(key: str, doc: str) -> Setting:
    return Setting(key, NUMBER, doc, minimum=0, maximum=1)


SECTIONS: dict[str, Section] = {
    s.name: s
    for s in (
        Section(
            "instance",
            "what the instance is and where its numbers come from",
            (
                Setting("name", TEXT, "the instance's name", required=True),
                Setting("description", TEXT, "what it models"),
                Setting("currency", TEXT, "currency of every cost (e.g. CNY)"),
                Setting("period", TEXT, "the period quantities refer to (e.g. month)"),
                Setting("units", TEXT, "the unit quantities count (e.g. retail units)"),
                Setting("source", TEXT, "where the numbers come from"),
                Setting("licence", TEXT, "licence of the data (e.g. CC-BY-4.0)"),
                Setting("generator", TEXT, "for synthetic instances: the function that wrote it"),
                Setting(
                    "seed", INTEGER, "for synthetic instances: the generator's seed", minimum=0
                ),
                Setting("format", TEXT, "for benchmark files: the format read"),
                Setting("platforms", INTEGER, "generated warehouses: platforms", minimum=1),
                Setting(
                    "capacity_ratio",
                    NUMBER,
                    "generated warehouses: total capacity / total demand",
                    minimum=0,
                ),
            ),
        ),
        Section(
            "warehouses",
            "the warehouses model (command-line options override them)",
            (
                Setting("single_source", BOOLEAN, "each market served by one warehouse", False),
                Setting("min_open", INTEGER, "fewest warehouses to open", minimum=0),
                Setting("max_open", INTEGER, "most warehouses to open", minimum=0),
            ),
        ),
        Section(
            "routing",
            "the routing model",
            (
                Setting("tax_date", DATE, "the day whose tax rules apply (default: the latest)"),
                Setting(
                    "tax_rules",
                    TEXT,
                    "a tax rules file of your own, relative to the instance folder "
                    "(default: the bundled tax_rules.toml)",
                ),
                Setting(
                    "cover_weeks",
                    NUMBER,
                    "weeks of cover every listed SKU keeps in stock at a warehouse's month end, "
                    "at the month's release rate (default 0: no safety stock)",
                    minimum=0,
                ),
                Setting(
                    "integer_quantities",
                    BOOLEAN,
                    "ship and deliver whole units (default false: quantities may be fractional)",
                    False,
                ),
            ),
        ),
        Section(
            "suppliers",
            "the suppliers model (command-line options override them)",
            (
                Setting(
                    "demand",
                    CHOICE,
                    "buy the demand exactly, or at least it",
                    "exact",
                    choices=("exact", "at_least"),
                ),
                Setting(
                    "counterfeit_penalty",
                    NUMBER,
                    "cost of one counterfeit unit for every SKU (default: products.csv)",
                    minimum=0,
                ),
                _rate("max_counterfeit_rate", "cap on each SKU's average counterfeit rate"),
                _rate("min_brand_direct_share", "least share of each SKU from brand-direct"),
                _rate("max_late_rate", "cap on each SKU's average late-delivery rate"),
                Setting("max_suppliers", INTEGER, "most suppliers used in all", minimum=0),
                _rate("max_supplier_share", "most of one SKU's purchases from one offer"),
            ),
        ),
        Section(
            "network",
            "the network model (command-line options override them)",
            (
                Setting("tax_date", DATE, "the day whose tax rules apply (default: the latest)"),
                Setting(
                    "tax_rules",
                    TEXT,
                    "a tax rules file of your own, relative to the instance folder "
                    "(default: the bundled tax_rules.toml)",
                ),
                Setting(
                    "allow_personal_articles",
                    BOOLEAN,
                    "let postal_parcel lanes carry goods as personal articles (default false: "
                    "commercial goods go by CBEC or general trade)",
                    False,
                ),
                Setting(
                    "cover_weeks",
                    NUMBER,
                    "weeks of expected demand bonded stock covers at each month's end "
                    "(default 0: no safety stock)",
                    minimum=0,
                ),
                _rate("max_counterfeit_rate", "cap on each SKU's average counterfeit rate"),
                _rate("max_late_rate", "cap on each SKU's average late-delivery rate"),
                _rate("min_brand_direct_share", "least share of each SKU from brand-direct"),
                Setting(
                    "inspection",
                    BOOLEAN,
                    "allow third-party inspection where an offer prices it",
                    True,
                ),
                Setting(
                    "integer_quantities",
                    BOOLEAN,
                    "buy, ship and deliver whole units (default false: quantities may be "
                    "fractional)",
                    False,
                ),
            ),
        ),
        Section("assumptions", "free text: the assumption behind each number", free_form=True),
        Section("scenarios", "how sampled scenarios were drawn (for the record)", free_form=True),
    )
}
"""Every section an instance may have, by name."""


def default(section: str, key: str) -> object:
    """The default of a declared setting; a key nobody declared is a programming error."""
    declared = SECTIONS[section].setting(key) if section in SECTIONS else None
    if declared is None:
        raise KeyError(f"setting {section}.{key} is not declared in cbecopt.settings.SECTIONS")
    return declared.default


def check_settings(
    meta: dict, source: str, rows: dict[str, int] | None = None
) -> tuple[dict, list[Problem]]:
    """The settings typed as :data:`SECTIONS` declares them, and every problem with them.

    Parameters
    ----------
    meta : the settings as read, nested by section.
    source : where they are (``instance.toml``, ``a.xlsx, sheet 'meta'``).
    rows : for a workbook, the meta sheet's row of each dotted key.
    """
    typed = copy.deepcopy(meta)
    problems: list[Problem] = []
    at = _Locator(source, rows or {})
    if not isinstance(meta.get("instance"), dict):
        problems.append(at.problem("instance", "needs an [instance] section with at least 'name'"))
    for name, content in meta.items():
        section = SECTIONS.get(name)
        if not isinstance(content, dict):
            problems.append(at.problem(name, _outside_sections(name), "key"))
        elif section is None:
            problems.append(at.problem(name, _unknown_section(name), "key"))
        elif section.free_form:
            problems += [
                at.problem(f"{name}.{key}", _FREE_FORM, "value")
                for key, value in content.items()
                if not _is_single_value(value)
            ]
        else:
            problems += _check_section(section, content, typed[name], at)
    return typed, problems


class _Locator:
    """Problems about one dotted key, placed in the file (and the meta sheet's row)."""

    def __init__(self, source: str, rows: dict[str, int]):
        self.source, self.rows = source, rows
        self.text_hint = (
            " (write it without quotes)"
            if source.endswith(".toml")
            else " (type it into a cell not formatted as text)"
        )

    def problem(self, dotted: str, message: str, column: str | None = None) -> Problem:
        row = self.rows.get(dotted) or next(
            (r for k, r in self.rows.items() if k.startswith(dotted + ".")), None
        )
        return Problem(self.source, f"{dotted}: {message}", row, column if row else None)


def _check_section(section: Section, content: dict, typed: dict, at: _Locator) -> list[Problem]:
    problems = []
    for key, value in content.items():
        dotted = f"{section.name}.{key}"
        setting = section.setting(key)
        if setting is None:
            problems.append(at.problem(dotted, _unknown_key(section, key), "key"))
            continue
        coerced, error = coerce(setting, value)
        if error and isinstance(value, str) and setting.kind not in (TEXT, CHOICE, DATE):
            error += at.text_hint
        if error:
            problems.append(at.problem(dotted, error, "value"))
        else:
            typed[key] = coerced
    problems += [
        at.problem(f"{section.name}.{s.key}", f"required ({s.doc})")
        for s in section.settings
        if s.required and s.key not in content
    ]
    return problems


_FREE_FORM = "must be a single value (text, a number, true/false or a date), not a list or table"


def _is_single_value(value: object) -> bool:
    return isinstance(value, str | int | float | bool | dt.date | dt.time)


def _outside_sections(name: str) -> str:
    home = [s.name for s in SECTIONS.values() if s.setting(name)]
    hint = f": did you mean [{home[0]}] {name}?" if home else ""
    return f"is not in a section{hint}"


def _unknown_section(name: str) -> str:
    known = list(SECTIONS)
    return f"unknown section [{name}]{_suggestion(name, known)}; sections: {', '.join(known)}"


def _unknown_key(section: Section, key: str) -> str:
    known = [s.key for s in section.settings]
    home = [s.name for s in SECTIONS.values() if s.setting(key) and s is not section]
    hint = f": it belongs in [{home[0]}]" if home else _suggestion(key, known)
    return f"unknown key '{key}' in [{section.name}]{hint}; known keys: {', '.join(known)}"


def _suggestion(word: str, known: list[str]) -> str:
    close = difflib.get_close_matches(word, known, n=1)
    return f": did you mean '{close[0]}'?" if close else ""


def coerce(setting: Setting, value: object) -> tuple[object, str | None]:
    """``value`` as ``setting``'s kind, or an error message (the module docstring's rules)."""
    if setting.kind == BOOLEAN:
        if isinstance(value, bool):
            return value, None
        return None, f"must be true or false, got {_shown(value)}"
    if isinstance(value, bool):
        return None, f"must be {_WANTED[setting.kind]}, got {_shown(value)}"
    if setting.kind == TEXT:
        return (value, None) if isinstance(value, str) else (None, _wrong(setting, value))
    if setting.kind == CHOICE:
        if value in setting.choices:
            return value, None
        return None, f"must be one of {', '.join(setting.choices)}, got {_shown(value)}"
    if setting.kind == DATE:
        return _date(value)
    return _number(setting, value)


_WANTED = {
    TEXT: "text",
    INTEGER: "a whole number",
    NUMBER: "a number",
    DATE: "a date YYYY-MM-DD",
    CHOICE: "one of the listed words",
}


def _wrong(setting: Setting, value: object) -> str:
    return f"must be {_WANTED[setting.kind]}, got {_shown(value)}"


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | dt.time):
        return f"the date/time {value}"
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value)
    return f"a {type(value).__name__}"


def _date(value: object) -> tuple[object, str | None]:
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            return None, f"must be a date without a time, got {value}"
        return value.date().isoformat(), None
    if isinstance(value, dt.date):
        return value.isoformat(), None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat(), None
        except ValueError:
            return None, f"must be a date YYYY-MM-DD, got the text '{value}'"
    return None, f"must be a date YYYY-MM-DD, got {_shown(value)}"


def _number(setting: Setting, value: object) -> tuple[object, str | None]:
    if not isinstance(value, int | float):
        return None, _wrong(setting, value)
    if not math.isfinite(value):
        return None, f"must be a finite number, got {value}"
    if setting.kind == INTEGER:
        if not float(value).is_integer():
            return None, f"must be a whole number, got {value:g}"
        value = int(value)
    if setting.minimum is not None and value < setting.minimum:
        return None, f"must be at least {setting.minimum:g}, got {value:g}"
    if setting.maximum is not None and value > setting.maximum:
        return None, f"must be at most {setting.maximum:g}, got {value:g}"
    return value, None
