"""Scenarios: which ones exist, how likely each is, and how to sample them.

Any table may carry a ``scenario`` column (demand first); ``scenarios.csv`` lists each
scenario once with its probability, and the probabilities sum to 1 (within 1e-6). Scenarios
can also be sampled from per-row means and standard deviations (normal, lognormal) or by
resampling the periods of a history table (empirical): :func:`sample_scenarios` gives the
sampled instance, validated like any other; the command ``cbecopt scenarios`` and the
models' ``samples`` option both call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cbecopt import checks
from cbecopt.errors import InputError, OptionError, Problem
from cbecopt.fields import QUANTITY_RESOLUTION
from cbecopt.schemas import WHATIF_TABLE

if TYPE_CHECKING:
    from cbecopt.instance import Instance

PROBABILITY_TOLERANCE = 1e-6
HISTORY_TABLE = "demand_history"


@dataclass(frozen=True)
class ScenarioSet:
    """Scenario names and probabilities, in a fixed order."""

    names: tuple[str, ...]
    probabilities: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


def check_scenarios(tables: dict[str, pd.DataFrame], source: Callable[[str], str]) -> list[Problem]:
    """Probabilities valid and summing to 1; every scenario a table refers to is defined
    (the ``whatif`` table's scenarios are what-if scenarios, not demand scenarios)."""
    problems: list[Problem] = []
    defined = tables.get("scenarios")
    if defined is not None and not defined.empty:
        total = float(defined["probability"].sum())
        if abs(total - 1.0) > PROBABILITY_TOLERANCE:
            problems.append(
                Problem(
                    source("scenarios"),
                    f"probabilities sum to {total:.9g}, not 1 (tolerance {PROBABILITY_TOLERANCE:g})",
                    column="probability",
                )
            )
    names = set(defined["scenario"]) if defined is not None else set()
    for name, table in tables.items():
        if name in ("scenarios", WHATIF_TABLE) or "scenario" not in table.columns:
            continue  # a what-if scenario is a set of changes, not a demand scenario
        used = table["scenario"].dropna()
        if used.empty:
            continue
        if defined is None:
            problems.append(
                Problem(
                    source(name),
                    "has a scenario column but the instance has no scenarios table "
                    "(scenarios.csv: scenario, probability)",
                    column="scenario",
                )
            )
            continue
        for idx in used.index[~used.isin(names)]:
            problems.append(
                Problem(
                    source(name),
                    f"scenario '{used[idx]}' is not defined in the scenarios table",
                    idx + 2,
                    "scenario",
                )
            )
    return problems


def scenario_set(tables) -> ScenarioSet | None:
    """The instance's scenarios, or ``None`` when it has none."""
    defined = tables.get("scenarios")
    if defined is None or defined.empty:
        return None
    return ScenarioSet(tuple(defined["scenario"]), defined["probability"].to_numpy(float))


DISTRIBUTIONS = ("normal", "lognormal", "empirical")


MAX_SAMPLES = 1_000_000
"""The most demand scenarios a model samples (``samples``): each is a copy of the second
stage in the extensive form, and a million already makes one beyond any machine's memory
for all but the smallest instances (the sampled table is also limited to
:data:`cbecopt.checks.MAX_ROWS` rows: demand rows x samples)."""


def check_sampling(samples: int | None, distribution: str) -> None:
    """The sampling options a model takes: a count from 1 to :data:`MAX_SAMPLES`, a
    parametric distribution (an :class:`OptionError` naming ``samples`` or ``distribution``)."""
    if samples is not None and samples < 1:
        raise OptionError(f"samples must be at least 1, got {samples}", "samples")
    if samples is not None and samples > MAX_SAMPLES:
        raise OptionError(
            f"samples must be at most {MAX_SAMPLES:,} (each is a scenario of the model), "
            f"got {samples:,}",
            "samples",
        )
    if distribution not in DISTRIBUTIONS[:2]:
        raise OptionError(
            f"distribution must be normal or lognormal, got '{distribution}'", "distribution"
        )


def generate_demand_scenarios(
    demand: pd.DataFrame,
    n: int,
    distribution: str,
    seed: int,
    history: pd.DataFrame | None = None,
    source: str = "demand.csv",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sample ``n`` equally likely demand scenarios; return (demand with scenario column, scenarios).

    normal : each row ~ N(quantity, std), truncated at 0 (negative draws become 0).
    lognormal : each row lognormal with mean ``quantity`` and standard deviation ``std``.
    empirical : each scenario is one period of the history table drawn at random (with
        replacement), so the rows keep the correlation they had in the past.

    A draw below :data:`~cbecopt.fields.QUANTITY_RESOLUTION` is 0: the solver cannot tell it
    from 0, and a demand table may not hold it.
    """
    n = checks.count("n", n, 1)
    seed = checks.seed(seed)
    if distribution not in DISTRIBUTIONS:
        raise OptionError(
            f"unknown '{distribution}'; choose {', '.join(DISTRIBUTIONS)}", "distribution"
        )
    checks.rows("the sampled demand table", {"demand rows": len(demand), "n": n}, blame="n")
    if "scenario" in demand and demand["scenario"].notna().any():
        raise InputError(
            Problem(
                source, "already has scenarios; generate from a table of means", column="scenario"
            )
        )
    rng = np.random.default_rng(seed)
    names = [f"s{k + 1:0{len(str(n))}d}" for k in range(n)]
    keys = [c for c in ("market", "platform", "sku", "month") if c in demand.columns]
    base = demand[keys].reset_index(drop=True)
    if distribution == "empirical":
        draws = _empirical_draws(base, keys, history, n, rng)
    else:
        if "std" not in demand.columns:
            raise InputError(
                Problem(source, f"a {distribution} distribution needs a 'std' column", column="std")
            )
        missing = demand.index[demand["std"].isna()]
        if len(missing):
            raise InputError(
                [Problem(source, "standard deviation is missing", i + 2, "std") for i in missing]
            )
        mean = demand["quantity"].to_numpy(float)
        std = demand["std"].to_numpy(float)
        draws = _parametric_draws(mean, std, n, distribution, rng)
    draws = np.where(draws < QUANTITY_RESOLUTION, 0.0, draws)
    rows = pd.concat(
        [base.assign(scenario=name, quantity=draws[:, k]) for k, name in enumerate(names)],
        ignore_index=True,
    )
    scenarios = pd.DataFrame({"scenario": names, "probability": np.full(n, 1.0 / n)})
    return rows, scenarios


def _parametric_draws(mean, std, n, distribution, rng) -> np.ndarray:
    """Rows x scenarios array of sampled quantities."""
    if distribution == "normal":
        return np.maximum(rng.normal(mean[:, None], std[:, None], size=(len(mean), n)), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma2 = np.log1p(np.where(mean > 0, (std / mean) ** 2, 0.0))
    mu = np.log(np.where(mean > 0, mean, 1.0)) - sigma2 / 2
    draws = rng.lognormal(mu[:, None], np.sqrt(sigma2)[:, None], size=(len(mean), n))
    return np.where(mean[:, None] > 0, draws, 0.0)


def _empirical_draws(base, keys, history, n, rng) -> np.ndarray:
    if history is None:
        raise InputError(
            Problem(
                f"{HISTORY_TABLE}.csv",
                "empirical scenarios need a history table (keys, period, quantity)",
            )
        )
    needed = [*keys, "period", "quantity"]
    missing = [c for c in needed if c not in history.columns]
    if missing:
        raise InputError(
            [
                Problem(f"{HISTORY_TABLE}.csv", "required column is missing", column=c)
                for c in missing
            ]
        )
    quantity = pd.to_numeric(history["quantity"], errors="coerce")
    bad = history.index[quantity.isna() | (quantity < 0)]
    if len(bad):
        raise InputError(
            [
                Problem(f"{HISTORY_TABLE}.csv", "quantity must be a number >= 0", i + 2, "quantity")
                for i in bad
            ]
        )
    table = history.assign(quantity=quantity).pivot_table(
        index=keys, columns="period", values="quantity", aggfunc="sum", fill_value=0.0
    )
    table = table.reindex(pd.MultiIndex.from_frame(base) if len(keys) > 1 else base[keys[0]])
    if table.isna().any(axis=None):
        absent = table.index[table.isna().any(axis=1)][0]
        raise InputError(Problem(f"{HISTORY_TABLE}.csv", f"no history for demand row {absent}"))
    periods = rng.integers(0, table.shape[1], size=n)
    return table.to_numpy(float)[:, periods]


def sample_scenarios(
    instance: Instance, n: int, distribution: str = "normal", seed: int = 0
) -> Instance:
    """A copy of ``instance`` whose demand is ``n`` equally likely sampled scenarios.

    The draws are :func:`generate_demand_scenarios`' (``normal`` and ``lognormal`` from each
    demand row's ``quantity`` and ``std``; ``empirical`` from the ``demand_history`` table);
    the copy holds them as its demand and scenarios tables, records how they were drawn in
    ``[scenarios]`` of its metadata, and is validated like any instance
    (:meth:`~cbecopt.instance.Instance.with_tables`). Same instance, ``n``, distribution and
    seed: the same scenarios.
    """
    demand, scenarios = generate_demand_scenarios(
        instance.tables["demand"],
        n,
        distribution,
        seed,
        instance.tables.get(HISTORY_TABLE),
        instance.source("demand"),
    )
    meta = {**instance.meta, "scenarios": {"distribution": distribution, "n": n, "seed": seed}}
    return instance.with_tables(meta=meta, demand=demand, scenarios=scenarios)


def scenario_rows(names, probabilities, matrix: np.ndarray) -> list[tuple[str, float, np.ndarray]]:
    """Scenarios as the two-stage layer lists them, ``(name, probability, demand row)``, from
    names, probabilities and a scenarios x demand-keys matrix (e.g. what a sampler draws)."""
    return [
        (name, float(p), matrix[s])
        for s, (name, p) in enumerate(zip(names, probabilities, strict=True))
    ]
