"""The random part of an SMPS problem: the stoch file (``.sto``) with its ``SCENARIOS``,
``INDEP`` and ``BLOCKS`` sections, read into scenarios with their probabilities.

See :mod:`cbecopt.readers.smps` for what is read and how; every problem in the file raises
:class:`~cbecopt.errors.InputError` naming the file, the line and the field.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cbecopt.errors import InputError, Problem
from cbecopt.readers.smps_core import Core, Lines, Stages, fail, header, unquote

PROBABILITY_TOLERANCE = 1e-3
"""How far one distribution's probabilities may sum from 1 and still be used as written:
published files round them (SIPLIB to 6 decimals; POSTS pltexpA2_16 sums to 1.0002)."""
EXACT_TOLERANCE = 1e-9
"""Sums further than this from 1 (within :data:`PROBABILITY_TOLERANCE`) come with a warning."""
MAX_SCENARIOS = 1_000_000
"""The most scenarios ``INDEP`` and ``BLOCKS`` sections may expand to."""
_MODIFIERS = ("REPLACE", "ADD", "MULTIPLY")
"""How a random value combines with the core value: replaces it, is added to it, multiplies it."""

log = logging.getLogger("cbecopt.readers.smps")


@dataclass(frozen=True)
class SmpsScenario:
    """One scenario's random values, as replacements of core values.

    Row indices count the ``.cor`` constraint rows (objective excluded), column indices the
    ``.cor`` columns, both from 0 in file order.

    Attributes
    ----------
    rhs_rows, rhs : right-hand sides of these rows.
    cost_columns, cost : objective coefficients of these columns.
    coef_rows, coef_columns, coef : matrix coefficients at these (row, column) entries.
    """

    rhs_rows: np.ndarray
    rhs: np.ndarray
    cost_columns: np.ndarray
    cost: np.ndarray
    coef_rows: np.ndarray
    coef_columns: np.ndarray
    coef: np.ndarray

    @classmethod
    def from_values(cls, values: dict[tuple, float]) -> SmpsScenario:
        """From {("rhs", row) | ("cost", col) | ("coef", row, col): value}."""

        def pick(kind: str) -> tuple[list, list]:
            keys = sorted(k for k in values if k[0] == kind)
            return [k[1:] for k in keys], [values[k] for k in keys]

        rhs_keys, rhs = pick("rhs")
        cost_keys, cost = pick("cost")
        coef_keys, coef = pick("coef")
        coef_index = np.array(coef_keys, np.int64).reshape(-1, 2)
        return cls(
            np.array([k[0] for k in rhs_keys], np.int64),
            np.array(rhs, float),
            np.array([k[0] for k in cost_keys], np.int64),
            np.array(cost, float),
            coef_index[:, 0].copy(),
            coef_index[:, 1].copy(),
            np.array(coef, float),
        )

    def values(self) -> dict[tuple, float]:
        """The inverse of :meth:`from_values`."""
        out: dict[tuple, float] = {}
        out.update(zip([("rhs", int(r)) for r in self.rhs_rows], self.rhs.tolist(), strict=True))
        out.update(
            zip([("cost", int(c)) for c in self.cost_columns], self.cost.tolist(), strict=True)
        )
        keys = [
            ("coef", int(r), int(c)) for r, c in zip(self.coef_rows, self.coef_columns, strict=True)
        ]
        out.update(zip(keys, self.coef.tolist(), strict=True))
        return out


@dataclass
class _Outcome:
    """One realisation: its probability, the values it sets (modifier applied) and its line."""

    probability: float
    values: dict[tuple, float]
    line: int


@dataclass
class _Distribution:
    """The realisations of one independent random element (``INDEP``) or block (``BLOCKS``)."""

    label: str
    outcomes: list[_Outcome]

    def completed(self) -> list[_Outcome]:
        """The realisations, each holding every element: a later block realisation lists
        only the values that differ from the first realisation's."""
        first = self.outcomes[0]
        return [first] + [
            _Outcome(o.probability, {**first.values, **o.values}, o.line) for o in self.outcomes[1:]
        ]


class _StochReader:
    """Reads a ``.sto`` file: ``SCENARIOS``, or ``INDEP`` and ``BLOCKS`` sections (see the
    module docstring for the layouts)."""

    def __init__(self, src: Lines, core: Core, stages: Stages):
        self.src, self.core = src, core
        self.first_row = stages.first_row
        self.second = stages.periods[1]
        self.kinds: set[str] = set()
        self.section_line = 0
        self.modifier = "REPLACE"
        self.named: dict[str, _Outcome] = {}
        self.distributions: dict[tuple, _Distribution] = {}
        self.owner: dict[tuple, tuple[str, int]] = {}
        self.current: _Outcome | None = None
        self.block: _Distribution | None = None

    def read(self) -> None:
        bare = {"ENDATA", "SCENARIOS", "INDEP", "BLOCKS"}
        section = None
        for line, text, tok in self.src:
            head = header(text, tok, bare, {"STOCH", "SCENARIOS", "INDEP", "BLOCKS"})
            if head == "ENDATA":
                return
            if head is not None:
                if head != "STOCH":
                    self.open_section(head, tok, line)
                section = head
            elif section == "SCENARIOS":
                self.scenario_line(tok, line)
            elif section == "INDEP":
                self.indep_line(tok, line)
            elif section == "BLOCKS":
                self.block_line(tok, line)
            else:
                fail(self.src.name, "data outside a SCENARIOS, INDEP or BLOCKS section", line)
        self.src.truncated(section or "(none)")

    def open_section(self, head: str, tok: list[str], line: int) -> None:
        options = [t.upper() for t in tok[1:]]
        modifiers = [o for o in options if o in _MODIFIERS]
        unknown = [o for o in options if o != "DISCRETE" and o not in _MODIFIERS]
        if unknown or len(modifiers) > 1 or (head != "SCENARIOS" and "DISCRETE" not in options):
            message = (
                f"'{' '.join(tok)}' is not supported: only DISCRETE distributions, with the "
                "modifier REPLACE (the default), ADD or MULTIPLY"
            )
            fail(self.src.name, message, line, "section")
        self.kinds.add("SCENARIOS" if head == "SCENARIOS" else "INDEP/BLOCKS")
        if len(self.kinds) > 1:
            message = "SCENARIOS cannot be combined with INDEP or BLOCKS sections"
            fail(self.src.name, message, line, "section")
        self.modifier = modifiers[0] if modifiers else "REPLACE"
        self.section_line = self.section_line or line
        self.current = self.block = None

    def scenario_line(self, tok: list[str], line: int) -> None:
        """``SC name parent probability [period]``, then ``column row value [row value]``."""
        if tok[0].upper() == "SC":
            if len(tok) not in (4, 5):
                fail(self.src.name, "a scenario line is 'SC name parent probability period'", line)
            name, parent = tok[1], unquote(tok[2])
            if parent.upper() != "ROOT":
                message = f"parent '{parent}' is not ROOT: only two-stage problems are supported"
                fail(self.src.name, message, line, "parent")
            probability = self.probability(tok[3], line)
            if len(tok) == 5:
                self.check_period(tok[4], line)
            if name in self.named:
                fail(self.src.name, f"scenario '{name}' is listed twice", line, "scenario")
            self.current = self.named[name] = _Outcome(probability, {}, line)
            return
        if self.current is None:
            fail(self.src.name, "a value before the first 'SC' line", line)
        for key, value, label in self.entries(tok, line):
            self.set_value(self.current, key, value, label, line)

    def indep_line(self, tok: list[str], line: int) -> None:
        """``column row value period probability``; the period may be left out."""
        if len(tok) not in (4, 5):
            message = "an INDEP line is 'column row value period probability' (period optional)"
            fail(self.src.name, message, line)
        if len(tok) == 5:
            if tok[3] != self.second and tok[4] == self.second:
                message = (
                    f"the period '{tok[4]}' comes after the probability: an INDEP line is "
                    "'column row value period probability'"
                )
                fail(self.src.name, message, line, "period")
            self.check_period(tok[3], line)
        key = self.element(tok[0], tok[1], line)
        label = f"({tok[0]}, {tok[1]})"
        value = self.value(key, tok[2], line)
        probability = self.probability(tok[-1], line)
        distribution = self.distribution(("INDEP", key), f"the INDEP distribution of {label}")
        self.claim(key, label, distribution.label, line)
        distribution.outcomes.append(_Outcome(probability, {key: value}, line))

    def block_line(self, tok: list[str], line: int) -> None:
        """``BL block period probability``, then ``column row value [row value]``."""
        if tok[0].upper() == "BL":
            if len(tok) != 4:
                fail(self.src.name, "a block line is 'BL block period probability'", line)
            self.check_period(tok[2], line)
            self.current = _Outcome(self.probability(tok[3], line), {}, line)
            self.block = self.distribution(("BLOCKS", tok[1]), f"block '{tok[1]}'")
            self.block.outcomes.append(self.current)
            return
        if self.current is None or self.block is None:
            fail(self.src.name, "a value before the first 'BL' line", line)
        first = self.block.outcomes[0]
        for key, value, label in self.entries(tok, line):
            if self.current is first:
                self.claim(key, label, self.block.label, line)
            elif key not in first.values:
                message = (
                    f"{label} is not in the first realisation of {self.block.label} (line "
                    f"{first.line}), which must list every element of the block"
                )
                fail(self.src.name, message, line, "row")
            self.set_value(self.current, key, value, label, line)

    def entries(self, tok: list[str], line: int) -> list[tuple[tuple, float, str]]:
        """(element, value, label) of a ``column row value [row value]`` line."""
        if len(tok) not in (3, 5):
            fail(self.src.name, "a value line is 'column row value [row value]'", line)
        found = []
        for k in range(1, len(tok), 2):
            key = self.element(tok[0], tok[k], line)
            found.append((key, self.value(key, tok[k + 1], line), f"({tok[0]}, {tok[k]})"))
        return found

    def element(self, column: str, row: str, line: int) -> tuple:
        """The random element a (column, row) pair names; the column field of a right-hand
        side is the RHS set name."""
        core, name = self.core, self.src.name
        if column not in core.col_index and (column == core.rhs_set or column.upper() == "RHS"):
            if row == core.objective:
                fail(name, "a random objective constant is not supported", line, "row")
            r = core.row_index.get(row)
            if r is None:
                fail(name, f"unknown row '{row}' (not a .cor constraint row)", line, "row")
            if r < self.first_row:
                message = f"row '{row}' is a stage-1 row: its right-hand side cannot be random"
                fail(name, message, line, "row")
            return ("rhs", r)
        c = core.col_index.get(column)
        if c is None:
            fail(name, f"unknown column '{column}' (not in the .cor file)", line, "column")
        if row == core.objective:
            return ("cost", c)
        r = core.row_index.get(row)
        if r is None:
            fail(name, f"unknown row '{row}' (not a .cor row)", line, "row")
        if r < self.first_row:
            message = f"row '{row}' is a stage-1 row: its coefficients cannot be random"
            fail(name, message, line, "row")
        return ("coef", r, c)

    def value(self, key: tuple, token: str, line: int) -> float:
        """The value a line gives an element, after the section's modifier."""
        value = self.src.number(token, line, "value")
        if self.modifier == "ADD":
            return self.core.value(key) + value
        if self.modifier == "MULTIPLY":
            return self.core.value(key) * value
        return value

    def probability(self, token: str, line: int) -> float:
        probability = self.src.number(token, line, "probability")
        if probability < 0:
            fail(self.src.name, "a probability cannot be negative", line, "probability")
        return probability

    def check_period(self, token: str, line: int) -> None:
        if token != self.second:
            message = f"period '{token}' is not the second period '{self.second}' of the .tim file"
            fail(self.src.name, message, line, "period")

    def distribution(self, identity: tuple, label: str) -> _Distribution:
        return self.distributions.setdefault(identity, _Distribution(label, []))

    def claim(self, key: tuple, label: str, owner: str, line: int) -> None:
        """Make ``owner`` the one distribution or block ``key`` belongs to."""
        first_owner, first_line = self.owner.setdefault(key, (owner, line))
        if first_owner != owner:
            message = (
                f"{label} is already random in {first_owner} (line {first_line}): an element "
                "belongs to one INDEP distribution or one block"
            )
            fail(self.src.name, message, line, "row")

    def set_value(self, outcome: _Outcome, key: tuple, value: float, label: str, line: int):
        if outcome.values.setdefault(key, value) != value:
            message = f"{label} is given twice with different values"
            fail(self.src.name, message, line, "value")

    def scenarios(self, normalize: bool) -> list[tuple[str, float, SmpsScenario]]:
        """The scenarios read: as listed (SCENARIOS), or the product of the independent
        distributions and blocks."""
        file = self.src.name
        if "SCENARIOS" in self.kinds:
            if not self.named:
                fail(file, "has no scenarios (no 'SC' lines in the SCENARIOS section)")
            probabilities = [o.probability for o in self.named.values()]
            groups = [("scenario probabilities", self.section_line, probabilities)]
            (scale,) = _probability_scales(file, groups, normalize)
            return [
                (name, o.probability * scale, SmpsScenario.from_values(o.values))
                for name, o in self.named.items()
            ]
        if not self.distributions:
            fail(file, "has no random values (no SCENARIOS, INDEP or BLOCKS section with values)")
        groups = [
            (
                f"the probabilities of {d.label}",
                d.outcomes[0].line,
                [o.probability for o in d.outcomes],
            )
            for d in self.distributions.values()
        ]
        scales = _probability_scales(file, groups, normalize)
        return _product(file, [d.completed() for d in self.distributions.values()], scales)


def read_stoch(
    path: Path, core: Core, stages: Stages, normalize: bool
) -> list[tuple[str, float, SmpsScenario]]:
    reader = _StochReader(Lines.read(path), core, stages)
    reader.read()
    return reader.scenarios(normalize)


def _probability_scales(
    file: str, groups: list[tuple[str, int, list[float]]], normalize: bool
) -> list[float]:
    """What each group's probabilities are multiplied by: 1, or with ``normalize`` 1 / their sum.

    Without ``normalize``, a group of (what, line, probabilities) summing further than
    :data:`PROBABILITY_TOLERANCE` from 1 is an error, and one further than
    :data:`EXACT_TOLERANCE` is used as written with a warning on the ``cbecopt`` logger.
    """
    problems, off, scales = [], [], []
    for what, line, probabilities in groups:
        total = math.fsum(probabilities)
        if normalize:
            if total <= 0:
                message = f"{what} sum to {total:.10g}: they cannot be rescaled to sum to 1"
                problems.append(Problem(file, message, line, "probability"))
            scales.append(1.0 / total if total > 0 else 1.0)
            continue
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            message = (
                f"{what} sum to {total:.10g}, not 1 (tolerance {PROBABILITY_TOLERANCE:g}); "
                "--normalize-probabilities rescales them to sum to 1"
            )
            problems.append(Problem(file, message, line, "probability"))
        elif abs(total - 1.0) > EXACT_TOLERANCE:
            off.append((what, total))
        scales.append(1.0)
    if problems:
        raise InputError(problems)
    if off:
        sums = [total for _, total in off]
        what = (
            f"{off[0][0]} sum to {sums[0]:.10g}"
            if len(off) == 1
            else f"the probabilities of {len(off)} distributions sum to {min(sums):.10g} to "
            f"{max(sums):.10g}"
        )
        log.warning(
            "%s: %s, not 1: used as written (--normalize-probabilities, or "
            "normalize_probabilities=True in read_smps, rescales them)",
            file,
            what,
        )
    return scales


def _product(
    file: str, distributions: list[list[_Outcome]], scales: list[float]
) -> list[tuple[str, float, SmpsScenario]]:
    """The scenarios of independent distributions and blocks: their Cartesian product.

    Scenario k (``S1``, ``S2``, ...) takes the realisations in :func:`itertools.product`
    order of the distributions in order of first appearance (the last one varies fastest);
    its probability is the product of its realisations' probabilities (each times its
    distribution's scale).
    """
    count = math.prod(len(d) for d in distributions)
    if count > MAX_SCENARIOS:
        message = (
            f"the INDEP and BLOCKS sections expand to {count} scenarios (at most {MAX_SCENARIOS})"
        )
        fail(file, message)
    scenarios = []
    for k, combo in enumerate(itertools.product(*distributions), start=1):
        probability = math.prod(o.probability * s for o, s in zip(combo, scales, strict=True))
        values = {key: v for outcome in combo for key, v in outcome.values.items()}
        scenarios.append((f"S{k}", probability, SmpsScenario.from_values(values)))
    return scenarios
