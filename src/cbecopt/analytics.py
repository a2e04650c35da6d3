"""Risk measures of a discrete loss distribution: value-at-risk and conditional value-at-risk.

The two-stage models report VaR and CVaR of their cost over the scenarios, and the mean-CVaR
frontier is drawn with them. Inputs that make no sense raise :class:`cbecopt.errors.OptionError`
with a message saying why. (The closed forms of inventory and contract theory the contracts
model is checked against are test oracles: ``tests/oracles/inventory.py``.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from cbecopt.errors import OptionError

__all__ = ["var_cvar"]

# Probabilities must sum to 1 within this, and cumulative probabilities are compared with alpha
# allowing for this much floating-point rounding.
_PROBABILITY_SUM_TOLERANCE = 1e-6
_CUMULATIVE_ROUNDING = 1e-12


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _finite(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise OptionError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise OptionError(f"{name} must be finite, got {value!r}")
    return number


def _probability(name: str, value: float) -> float:
    number = _finite(name, value)
    if not 0.0 < number < 1.0:
        raise OptionError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return number


# ---------------------------------------------------------------------------------------------
# Risk measures
# ---------------------------------------------------------------------------------------------


def var_cvar(
    losses: Sequence[float] | np.ndarray,
    probabilities: Sequence[float] | np.ndarray,
    alpha: float,
) -> tuple[float, float]:
    """Value-at-risk and conditional value-at-risk of a discrete loss distribution.

    Parameters
    ----------
    losses : sequence of float
        Loss in each outcome (any order; ties allowed).
    probabilities : sequence of float
        Probability of each outcome, ``>= 0`` (zero-probability outcomes are ignored) and
        summing to 1 within 1e-6 (they are then rescaled to sum to exactly 1).
    alpha : float
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    tuple of float
        ``(VaR, CVaR)`` with ``VaR = min{z : P(L <= z) >= alpha}`` and
        ``CVaR = VaR + E[(L - VaR)^+] / (1 - alpha)``. Cumulative probabilities within 1e-12 of
        ``alpha`` count as reaching it, so an ``alpha`` on a jump of the distribution function
        gives the lower outcome despite rounding. CVaR is the mean of the worst ``1 - alpha`` of
        the probability mass (splitting an atom if needed); ``CVaR >= VaR`` and
        ``CVaR >= E[L]``.

    Raises
    ------
    OptionError
        If the inputs are empty or of different lengths, a value is not finite, a probability is
        negative, the probabilities do not sum to 1 within 1e-6, or ``alpha`` is not in (0, 1).

    References
    ----------
    Rockafellar, R. T. and Uryasev, S. (2000), Optimization of conditional value-at-risk,
    *Journal of Risk* 2(3), 21-41; Rockafellar, R. T. and Uryasev, S. (2002), Conditional
    value-at-risk for general loss distributions, *Journal of Banking & Finance* 26(7),
    1443-1471 (definitions of alpha-VaR and CVaR, and CVaR as the minimum of
    ``z + E[(L - z)^+]/(1 - alpha)``, attained at ``z = VaR``).
    """
    alpha = _probability("alpha", alpha)
    try:
        loss = np.asarray(losses, dtype=float).ravel()
        prob = np.asarray(probabilities, dtype=float).ravel()
    except (TypeError, ValueError):
        raise OptionError("losses and probabilities must be sequences of numbers") from None
    if loss.size == 0:
        raise OptionError("losses must not be empty")
    if loss.size != prob.size:
        raise OptionError(
            f"losses ({loss.size}) and probabilities ({prob.size}) must have the same length"
        )
    if not (np.all(np.isfinite(loss)) and np.all(np.isfinite(prob))):
        raise OptionError("losses and probabilities must be finite")
    if np.any(prob < 0):
        raise OptionError("probabilities must be >= 0")
    total = float(prob.sum())
    if abs(total - 1.0) > _PROBABILITY_SUM_TOLERANCE:
        raise OptionError(
            f"probabilities must sum to 1 (within {_PROBABILITY_SUM_TOLERANCE:g}), got {total!r}"
        )
    prob = prob / total

    keep = prob > 0
    values, inverse = np.unique(loss[keep], return_inverse=True)  # sorted, ties merged
    mass = np.bincount(inverse, weights=prob[keep], minlength=values.size)
    cumulative = np.cumsum(mass)
    index = int(np.searchsorted(cumulative, alpha - _CUMULATIVE_ROUNDING, side="left"))
    index = min(index, values.size - 1)
    var = float(values[index])
    excess = float(np.dot(mass, np.maximum(values - var, 0.0)))
    cvar = var + excess / (1.0 - alpha)
    return var, cvar
