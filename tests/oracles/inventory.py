"""Closed forms of inventory and contract theory: exact answers the contracts tests check
the optimization model against (test oracles, not part of cbecopt).

The newsvendor with normal demand, the buyer's problem with call options on top of firm orders,
and the buyer's commitment under a quantity flexibility contract. Everything is a pure function
of its arguments. Normal distribution functions are implemented with the standard library
(:func:`math.erfc`, :class:`statistics.NormalDist`); parameters that make no sense raise
:class:`ValueError` with a message saying why.

Notation: ``phi`` and ``Phi`` are the standard normal density and distribution function and
``L(z) = phi(z) - z (1 - Phi(z)) = E[(Z - z)^+]`` is the standard normal loss function. For
``D ~ N(mean, std^2)`` and ``z = (a - mean) / std`` the partial expectations used throughout are

* ``E[(D - a)^+] = std * L(z)``,
* ``E[min(D, a)] = mean - std * L(z)``,
* ``E[(a - D)^+] = a - E[min(D, a)] = (a - mean) + std * L(z)``.

Normal demand can be negative; as in the textbook treatments, the models below assume ``std`` is
small relative to ``mean`` so that this has negligible probability, and do not truncate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

_STANDARD_NORMAL = NormalDist()
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------


def _finite(name: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return number


def _positive(name: str, value: float) -> float:
    number = _finite(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return number


def _nonnegative(name: str, value: float) -> float:
    number = _finite(name, value)
    if number < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return number


def _probability(name: str, value: float) -> float:
    number = _finite(name, value)
    if not 0.0 < number < 1.0:
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return number


# ---------------------------------------------------------------------------------------------
# Normal distribution
# ---------------------------------------------------------------------------------------------


def normal_pdf(x: float, mean: float = 0.0, std: float = 1.0) -> float:
    """Density of the normal distribution ``N(mean, std^2)`` at ``x``.

    Parameters
    ----------
    x : float
        Point of evaluation.
    mean, std : float
        Mean and standard deviation (``std > 0``); the defaults give the standard normal ``phi``.

    Returns
    -------
    float
        ``exp(-z^2 / 2) / (std * sqrt(2 pi))`` with ``z = (x - mean) / std``.

    Raises
    ------
    ValueError
        If ``std <= 0`` or an argument is not finite.

    References
    ----------
    Abramowitz, M. and Stegun, I. A. (1964), *Handbook of Mathematical Functions*, eq. 26.1.26.
    """
    std = _positive("std", std)
    z = (_finite("x", x) - _finite("mean", mean)) / std
    return math.exp(-0.5 * z * z) * _INV_SQRT_2PI / std


def normal_cdf(x: float, mean: float = 0.0, std: float = 1.0) -> float:
    """Distribution function of ``N(mean, std^2)`` at ``x``.

    Computed as ``erfc(-z / sqrt(2)) / 2`` so that both tails keep full relative accuracy
    (``1 - Phi(z)`` is best obtained as ``normal_cdf(-z)``).

    Parameters
    ----------
    x : float
        Point of evaluation.
    mean, std : float
        Mean and standard deviation (``std > 0``); the defaults give the standard normal ``Phi``.

    Returns
    -------
    float
        ``P(X <= x)`` for ``X ~ N(mean, std^2)``.

    Raises
    ------
    ValueError
        If ``std <= 0`` or an argument is not finite.

    References
    ----------
    Abramowitz, M. and Stegun, I. A. (1964), *Handbook of Mathematical Functions*, eqs. 7.1.2
    and 26.2.29 (``Phi(z) = erfc(-z / sqrt(2)) / 2``).
    """
    std = _positive("std", std)
    z = (_finite("x", x) - _finite("mean", mean)) / std
    return 0.5 * math.erfc(-z / _SQRT2)


def normal_ppf(p: float, mean: float = 0.0, std: float = 1.0) -> float:
    """Inverse distribution function (quantile) of ``N(mean, std^2)``.

    Uses :meth:`statistics.NormalDist.inv_cdf` (Wichura's algorithm AS 241, accurate to about
    1e-16 relative), so ``normal_cdf(normal_ppf(p)) == p`` to within 1e-12 relative.

    Parameters
    ----------
    p : float
        Probability, strictly between 0 and 1.
    mean, std : float
        Mean and standard deviation (``std > 0``).

    Returns
    -------
    float
        The ``x`` with ``P(X <= x) = p``.

    Raises
    ------
    ValueError
        If ``p`` is not in (0, 1), ``std <= 0`` or an argument is not finite.

    References
    ----------
    Wichura, M. J. (1988), Algorithm AS 241: The percentage points of the normal distribution,
    *Applied Statistics* 37(3), 477-484.
    """
    p = _probability("p", p)
    std = _positive("std", std)
    return _finite("mean", mean) + std * _STANDARD_NORMAL.inv_cdf(p)


def normal_loss(z: float) -> float:
    """Standard normal (first-order) loss function ``L(z) = E[(Z - z)^+]``.

    Parameters
    ----------
    z : float
        Standardized level.

    Returns
    -------
    float
        ``L(z) = phi(z) - z (1 - Phi(z))``; always positive, ``L(z) -> -z`` as ``z -> -inf``
        and ``L(z) -> 0`` as ``z -> +inf``. ``L(-z) = L(z) + z``.

    Raises
    ------
    ValueError
        If ``z`` is not finite.

    References
    ----------
    Snyder, L. V. and Shen, Z.-J. M. (2019), *Fundamentals of Supply Chain Theory*, 2nd ed.,
    Wiley, Sec. 4.3 (the normal loss function in the newsvendor cost); Porteus, E. L. (2002),
    *Foundations of Stochastic Inventory Theory*, Stanford University Press, Ch. 1.
    """
    z = _finite("z", z)
    tail = 0.5 * math.erfc(z / _SQRT2)  # 1 - Phi(z), accurate in the upper tail
    return math.exp(-0.5 * z * z) * _INV_SQRT_2PI - z * tail


def _expected_min(a: float, mean: float, std: float) -> float:
    """``E[min(D, a)]`` for ``D ~ N(mean, std^2)``."""
    return mean - std * normal_loss((a - mean) / std)


def _expected_leftover(a: float, mean: float, std: float) -> float:
    """``E[(a - D)^+]`` for ``D ~ N(mean, std^2)``."""
    return (a - mean) + std * normal_loss((a - mean) / std)


# ---------------------------------------------------------------------------------------------
# Newsvendor
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewsvendorSolution:
    """Optimal newsvendor order under normal demand.

    Attributes
    ----------
    order : float
        Cost-minimizing order quantity ``mean + std * z``, ``z = Phi^{-1}(critical_ratio)``.
    expected_cost : float
        Expected overage plus underage cost at ``order``.
    critical_ratio : float
        ``underage / (overage + underage)``.
    """

    order: float
    expected_cost: float
    critical_ratio: float


def newsvendor_normal(
    mean: float, std: float, overage: float, underage: float
) -> NewsvendorSolution:
    """Optimal order and expected cost of the newsvendor with normal demand.

    Minimizes ``g(q) = E[h (q - D)^+ + p (D - q)^+]`` for ``D ~ N(mean, std^2)``, with overage
    cost ``h`` per unit left over and underage cost ``p`` per unit short.

    Parameters
    ----------
    mean : float
        Mean demand.
    std : float
        Standard deviation of demand (``> 0``).
    overage : float
        ``h > 0``, cost per unit ordered but not sold.
    underage : float
        ``p > 0``, cost per unit of demand not met.

    Returns
    -------
    NewsvendorSolution
        ``critical_ratio = p / (p + h)``, ``order = mean + std * z`` with
        ``z = Phi^{-1}(critical_ratio)``, ``expected_cost = (h + p) * std * phi(z)``.

    Raises
    ------
    ValueError
        If ``std``, ``overage`` or ``underage`` is not positive, or an argument is not finite.

    References
    ----------
    Snyder, L. V. and Shen, Z.-J. M. (2019), *Fundamentals of Supply Chain Theory*, 2nd ed.,
    Wiley, Sec. 4.3 (critical-ratio solution and the normal-demand optimal cost
    ``(h + p) std phi(z)``); reproduces their Example 4.3 (h = 0.18, p = 0.70, D ~ N(50, 8):
    order 56.60, expected cost 2.00).
    """
    mean = _finite("mean", mean)
    std = _positive("std", std)
    h = _positive("overage", overage)
    p = _positive("underage", underage)
    ratio = p / (p + h)
    z = _STANDARD_NORMAL.inv_cdf(ratio)
    return NewsvendorSolution(
        order=mean + std * z,
        expected_cost=(h + p) * std * normal_pdf(z),
        critical_ratio=ratio,
    )


def expected_newsvendor_cost_normal(
    q: float, mean: float, std: float, overage: float, underage: float
) -> float:
    """Expected newsvendor cost of ordering ``q`` under normal demand.

    Parameters
    ----------
    q : float
        Order quantity (any real number).
    mean : float
        Mean demand.
    std : float
        Standard deviation of demand (``> 0``).
    overage : float
        ``h > 0``, cost per unit left over.
    underage : float
        ``p > 0``, cost per unit short.

    Returns
    -------
    float
        ``g(q) = h (q - mean) + (h + p) std L(z)`` with ``z = (q - mean) / std``, which equals
        ``E[h (q - D)^+ + p (D - q)^+]``.

    Raises
    ------
    ValueError
        If ``std``, ``overage`` or ``underage`` is not positive, or an argument is not finite.

    References
    ----------
    Snyder, L. V. and Shen, Z.-J. M. (2019), *Fundamentals of Supply Chain Theory*, 2nd ed.,
    Wiley, Sec. 4.3 (newsvendor cost written with the normal loss function).
    """
    q = _finite("q", q)
    mean = _finite("mean", mean)
    std = _positive("std", std)
    h = _positive("overage", overage)
    p = _positive("underage", underage)
    return h * (q - mean) + (h + p) * std * normal_loss((q - mean) / std)


# ---------------------------------------------------------------------------------------------
# Call options on top of firm orders
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptionsSolution:
    """Buyer's optimal firm order and call options under normal demand.

    Attributes
    ----------
    firm : float
        Optimal firm order ``q*``.
    options : float
        Optimal number of call options ``m*``.
    expected_profit : float
        Buyer's expected profit at ``(q*, m*)``.
    expected_profit_firm_only : float
        Expected profit of the best firm-only (classic newsvendor) order.
    firm_only_order : float
        That best firm-only order.
    """

    firm: float
    options: float
    expected_profit: float
    expected_profit_firm_only: float
    firm_only_order: float


def _options_profit_unchecked(
    q: float,
    m: float,
    mean: float,
    std: float,
    price: float,
    wholesale: float,
    premium: float,
    exercise: float,
    salvage: float,
) -> float:
    """Exact expected profit of ``q`` firm units and ``m >= 0`` options under normal demand."""
    sales = _expected_min(q + m, mean, std)  # E[min(D, q + m)]
    exercised = sales - _expected_min(q, mean, std)  # E[min(m, (D - q)^+)]
    leftover = _expected_leftover(q, mean, std)  # E[(q - D)^+]
    return price * sales - wholesale * q - premium * m - exercise * exercised + salvage * leftover


def expected_options_profit_normal(
    q: float,
    m: float,
    mean: float,
    std: float,
    price: float,
    wholesale: float,
    premium: float,
    exercise: float,
    salvage: float,
) -> float:
    """Buyer's exact expected profit of ``q`` firm units and ``m`` call options, normal demand.

    The model is that of :func:`options_newsvendor_normal`, evaluated at any ``q`` and ``m >= 0``
    (for example an optimization model's answer, to check it).

    Parameters
    ----------
    q : float
        Firm order.
    m : float
        Number of call options (``>= 0``).
    mean, std : float
        Mean and standard deviation (``> 0``) of demand.
    price, wholesale, premium, exercise, salvage : float
        ``p``, ``w``, ``o``, ``e``, ``v`` as in :func:`options_newsvendor_normal`; no ordering
        among them is required here.

    Returns
    -------
    float
        ``p E[min(D, q+m)] - w q - o m - e E[min(m, (D-q)^+)] + v E[(q-D)^+]``, using
        ``E[min(m, (D-q)^+)] = E[min(D, q+m)] - E[min(D, q)]`` and the normal partial
        expectations in the module docstring.

    Raises
    ------
    ValueError
        If ``m < 0``, ``std <= 0`` or an argument is not finite.

    References
    ----------
    Barnes-Schuster, D., Bassok, Y. and Anupindi, R. (2002), Coordination and flexibility in
    supply contracts with options, *Manufacturing & Service Operations Management* 4(3),
    171-207; partial expectations as in Snyder and Shen (2019), Sec. 4.3.
    """
    return _options_profit_unchecked(
        _finite("q", q),
        _nonnegative("m", m),
        _finite("mean", mean),
        _positive("std", std),
        _finite("price", price),
        _finite("wholesale", wholesale),
        _finite("premium", premium),
        _finite("exercise", exercise),
        _finite("salvage", salvage),
    )


def options_newsvendor_normal(
    mean: float,
    std: float,
    price: float,
    wholesale: float,
    premium: float,
    exercise: float,
    salvage: float,
) -> OptionsSolution:
    """Buyer's optimal mix of firm orders and call options under normal demand.

    Before demand ``D ~ N(mean, std^2)`` is seen, the buyer orders ``q`` firm units at the
    wholesale price ``w`` and buys ``m`` call options at premium ``o`` each. After seeing ``D``
    it exercises ``min(m, (D - q)^+)`` options at exercise price ``e``, sells
    ``min(D, q + m)`` at price ``p`` and salvages leftover firm units ``(q - D)^+`` at ``v``.
    The expected profit

    ``Pi(q, m) = p E[min(D, q+m)] - w q - o m - e E[min(m, (D-q)^+)] + v E[(q-D)^+]``

    is, in ``Q = q + m`` and ``q``, a sum of two concave one-variable functions:
    ``dPi/dQ = (p - e)(1 - F(Q)) - o`` and ``dPi/dq = o + e - w - (e - v) F(q)``, giving

    ``F(q*) = (o + e - w) / (e - v)`` and ``F(q* + m*) = (p - e - o) / (p - e)``.

    Parameters
    ----------
    mean : float
        Mean demand.
    std : float
        Standard deviation of demand (``> 0``).
    price : float
        Selling price ``p``.
    wholesale : float
        Price ``w`` of a firm unit.
    premium : float
        Price ``o > 0`` of one call option, paid up front.
    exercise : float
        Price ``e`` paid per option exercised.
    salvage : float
        Value ``v`` of a leftover firm unit.

    Returns
    -------
    OptionsSolution
        ``q*``, ``m*``, the exact expected profit (normal partial expectations, no simulation),
        and the firm-only newsvendor (overage ``w - v``, underage ``p - w``) for comparison:
        order ``F^{-1}((p - w)/(p - v))`` and profit ``p E[min(D,q)] - w q + v E[(q-D)^+]``.

    Raises
    ------
    ValueError
        Unless ``v < w < p``, ``v < e``, ``o > 0``, ``w < o + e`` (otherwise options are at least
        as cheap as firm units even when used, and nobody orders firm), ``o + e < p`` (otherwise
        exercising never pays) and ``(o + e - w)/(e - v) < (p - e - o)/(p - e)`` (otherwise the
        optimal number of options is zero: options are dominated by firm orders and the problem
        is the firm-only newsvendor), or if an argument is not finite.

    References
    ----------
    Barnes-Schuster, D., Bassok, Y. and Anupindi, R. (2002), Coordination and flexibility in
    supply contracts with options, *Manufacturing & Service Operations Management* 4(3),
    171-207; Cheng, F., Ettl, M., Lin, G. Y., Schwarz, M. and Yao, D. D. (2003), Flexible supply
    contracts via options, IBM Research report (buyer's firm-plus-call-option newsvendor). The
    two fractiles above are derived from the first-order conditions in this docstring; the
    firm-only comparison is Snyder and Shen (2019), Sec. 4.3.
    """
    mean = _finite("mean", mean)
    std = _positive("std", std)
    p = _finite("price", price)
    w = _finite("wholesale", wholesale)
    o = _positive("premium", premium)
    e = _finite("exercise", exercise)
    v = _finite("salvage", salvage)
    if not v < w < p:
        raise ValueError(
            f"need salvage < wholesale < price, got salvage {v}, wholesale {w}, price {p}: "
            "otherwise a firm unit is either free of risk or never worth buying"
        )
    if not e > v:
        raise ValueError(
            f"need exercise price ({e}) > salvage value ({v}): otherwise the problem is degenerate "
            "(F(q*) = (o + e - w)/(e - v) is undefined or negative)"
        )
    if not w < o + e:
        raise ValueError(
            f"options dominate firm orders: premium + exercise ({o + e}) <= wholesale ({w}), so an "
            "option is never dearer than a firm unit and the buyer would order no firm units"
        )
    if not o + e < p:
        raise ValueError(
            f"options are never worth exercising: premium + exercise ({o + e}) >= price ({p})"
        )
    firm_fractile = (o + e - w) / (e - v)
    total_fractile = (p - e - o) / (p - e)
    if not firm_fractile < total_fractile:
        raise ValueError(
            "options are dominated by firm orders at these prices: the firm fractile "
            f"(o + e - w)/(e - v) = {firm_fractile:.6g} is not below the total fractile "
            f"(p - e - o)/(p - e) = {total_fractile:.6g}, so the optimal number of options is 0; "
            "use the firm-only newsvendor (overage w - v, underage p - w)"
        )
    firm = mean + std * _STANDARD_NORMAL.inv_cdf(firm_fractile)
    total = mean + std * _STANDARD_NORMAL.inv_cdf(total_fractile)
    options = total - firm
    profit = _options_profit_unchecked(firm, options, mean, std, p, w, o, e, v)

    firm_only = mean + std * _STANDARD_NORMAL.inv_cdf((p - w) / (p - v))
    profit_firm_only = (
        p * _expected_min(firm_only, mean, std)
        - w * firm_only
        + v * _expected_leftover(firm_only, mean, std)
    )
    return OptionsSolution(
        firm=firm,
        options=options,
        expected_profit=profit,
        expected_profit_firm_only=profit_firm_only,
        firm_only_order=firm_only,
    )


# ---------------------------------------------------------------------------------------------
# Quantity flexibility
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QFSolution:
    """Buyer's optimal commitment under a quantity flexibility contract.

    Attributes
    ----------
    commitment : float
        Optimal commitment ``r*``; the buyer may later buy anywhere in
        ``[(1 - down) r*, (1 + up) r*]``.
    expected_profit : float
        Buyer's expected profit at ``r*``.
    """

    commitment: float
    expected_profit: float


def _qf_profit_unchecked(
    r: float,
    mean: float,
    std: float,
    price: float,
    wholesale: float,
    salvage: float,
    up: float,
    down: float,
) -> float:
    """Exact expected QF profit ``(p - w) E[min(D, u)] - (w - v) E[(l - D)^+]``, ``r >= 0``."""
    lower = (1.0 - down) * r
    upper = (1.0 + up) * r
    return (price - wholesale) * _expected_min(upper, mean, std) - (
        wholesale - salvage
    ) * _expected_leftover(lower, mean, std)


def expected_qf_profit_normal(
    r: float,
    mean: float,
    std: float,
    price: float,
    wholesale: float,
    salvage: float,
    up: float,
    down: float,
) -> float:
    """Buyer's exact expected profit of committing to ``r`` under a QF contract, normal demand.

    The model is that of :func:`quantity_flexibility_normal`, evaluated at any ``r >= 0``.

    Parameters
    ----------
    r : float
        Commitment (``>= 0``).
    mean, std : float
        Mean and standard deviation (``> 0``) of demand.
    price, wholesale, salvage : float
        ``p``, ``w``, ``v``.
    up, down : float
        Flexibility: the buyer buys in ``[(1 - down) r, (1 + up) r]``; ``up >= 0``,
        ``0 <= down <= 1``.

    Returns
    -------
    float
        ``(p - w) E[min(D, (1 + up) r)] - (w - v) E[((1 - down) r - D)^+]``.

    Raises
    ------
    ValueError
        If ``r < 0``, ``std <= 0``, ``up < 0``, ``down`` is outside [0, 1] or an argument is not
        finite.

    References
    ----------
    Tsay, A. A. (1999), The quantity flexibility contract and supplier-customer incentives,
    *Management Science* 45(10), 1339-1358; derivation in :func:`quantity_flexibility_normal`.
    """
    down = _nonnegative("down", down)
    if down > 1:
        raise ValueError(f"down must be <= 1, got {down}")
    return _qf_profit_unchecked(
        _nonnegative("r", r),
        _finite("mean", mean),
        _positive("std", std),
        _finite("price", price),
        _finite("wholesale", wholesale),
        _finite("salvage", salvage),
        _nonnegative("up", up),
        down,
    )


def _qf_marginal(
    r: float,
    mean: float,
    std: float,
    price: float,
    wholesale: float,
    salvage: float,
    up: float,
    down: float,
) -> float:
    """Derivative of the expected QF profit in ``r`` (strictly decreasing)."""
    lower = (1.0 - down) * r
    upper = (1.0 + up) * r
    above = 0.5 * math.erfc((upper - mean) / std / _SQRT2)  # 1 - F(upper)
    below = 0.5 * math.erfc(-(lower - mean) / std / _SQRT2)  # F(lower)
    return (1.0 + up) * (price - wholesale) * above - (1.0 - down) * (wholesale - salvage) * below


def quantity_flexibility_normal(
    mean: float,
    std: float,
    price: float,
    wholesale: float,
    salvage: float,
    up: float,
    down: float,
) -> QFSolution:
    """Buyer's optimal commitment under a quantity flexibility (QF) contract, normal demand.

    The buyer commits to ``r >= 0`` before demand ``D ~ N(mean, std^2)`` is seen; afterwards it
    buys ``q = min(max(D, (1 - down) r), (1 + up) r)`` at ``w``, sells ``min(D, q)`` at ``p`` and
    salvages ``(q - D)^+`` at ``v``. With ``l = (1 - down) r`` and ``u = (1 + up) r`` the profit
    is ``(p - w) min(D, u) - (w - v) (l - D)^+`` in every outcome, so

    ``Pi(r) = (p - w) E[min(D, u)] - (w - v) E[(l - D)^+]``,

    ``Pi'(r) = (1 + up)(p - w)(1 - F(u)) - (1 - down)(w - v) F(l)``,

    which is strictly decreasing (``Pi`` is strictly concave). ``r*`` solves ``Pi'(r) = 0``
    (``r* = 0`` if ``Pi'(0) <= 0``), found by bisection to floating-point resolution
    (well below 1e-9 relative).

    Parameters
    ----------
    mean : float
        Mean demand.
    std : float
        Standard deviation of demand (``> 0``).
    price : float
        Selling price ``p``.
    wholesale : float
        Purchase price ``w``.
    salvage : float
        Value ``v`` of a unit left over.
    up : float
        Upward flexibility (``>= 0``): the buyer may buy up to ``(1 + up) r``.
    down : float
        Downward flexibility (``0 <= down < 1``): the buyer must buy at least ``(1 - down) r``.

    Returns
    -------
    QFSolution
        ``r*`` and the exact expected profit ``Pi(r*)`` (normal partial expectations).

    Raises
    ------
    ValueError
        Unless ``v < w < p``, ``up >= 0`` and ``0 <= down < 1`` (with ``down = 1`` the commitment
        binds nothing and ``r*`` is unbounded), or if an argument is not finite.

    References
    ----------
    Tsay, A. A. (1999), The quantity flexibility contract and supplier-customer incentives,
    *Management Science* 45(10), 1339-1358 (the contract and the buyer's problem). The
    expected profit and first-order condition are derived in this docstring.
    """
    mean = _finite("mean", mean)
    std = _positive("std", std)
    p = _finite("price", price)
    w = _finite("wholesale", wholesale)
    v = _finite("salvage", salvage)
    up = _nonnegative("up", up)
    down = _nonnegative("down", down)
    if not v < w < p:
        raise ValueError(
            f"need salvage < wholesale < price, got salvage {v}, wholesale {w}, price {p}: "
            "otherwise committing is either free of risk or never worth it"
        )
    if down >= 1:
        raise ValueError(
            f"down must be < 1, got {down}: with down >= 1 the buyer need never buy anything, "
            "so the optimal commitment is unbounded"
        )
    args = (mean, std, p, w, v, up, down)

    lo = 0.0
    if _qf_marginal(lo, *args) <= 0:
        return QFSolution(commitment=0.0, expected_profit=_qf_profit_unchecked(0.0, *args))
    hi = max(abs(mean) + std, std)
    while _qf_marginal(hi, *args) > 0:
        lo, hi = hi, 2.0 * hi
    # Bisection down to adjacent floating-point numbers (far below 1e-9 relative).
    for _ in range(2000):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if _qf_marginal(mid, *args) > 0:
            lo = mid
        else:
            hi = mid
    commitment = 0.5 * (lo + hi)
    return QFSolution(
        commitment=commitment, expected_profit=_qf_profit_unchecked(commitment, *args)
    )
