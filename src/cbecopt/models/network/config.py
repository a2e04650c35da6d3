"""Options of the ``network`` model: :class:`NetworkConfig`, each left as ``None`` taken from
``[network]`` in ``instance.toml`` (:mod:`cbecopt.settings` declares the keys and defaults)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from cbecopt.errors import OptionError
from cbecopt.instance import Instance
from cbecopt.stochastic.twostage import RiskOptions

SETTINGS = (
    "tax_date",
    "allow_personal_articles",
    "cover_weeks",
    "max_counterfeit_rate",
    "max_late_rate",
    "min_brand_direct_share",
    "inspection",
    "integer_quantities",
)
"""The options an instance may set in ``[network]`` (the config's field of the same name)."""
RATES = ("max_counterfeit_rate", "max_late_rate", "min_brand_direct_share")


@dataclass(frozen=True)
class NetworkConfig:
    """Options of the network model; ``None`` takes the instance's ``[network]`` setting.

    Parameters
    ----------
    risk : mean-CVaR weight and alpha of the two-stage plan (default risk-neutral;
        ``--risk-weight``, ``--alpha``).
    tax_date : the day whose dated tax rules apply (default: the latest rule set).
    allow_personal_articles : let ``postal_parcel`` lanes carry goods as personal articles
        (default off: commercial mail is CBEC or general trade).
    cover_weeks : weeks of expected demand bonded stock covers at each month's end (0).
    max_counterfeit_rate, max_late_rate : caps on each SKU's average counterfeit and late
        rates over its purchases (none).
    min_brand_direct_share : least share of each SKU bought from brand-direct suppliers (0).
    inspection : allow third-party inspection where an offer prices it (on).
    integer_quantities : purchases, term quantities, shipments and deliveries take whole
        values (off; ``--integer-quantities``).
    """

    risk: RiskOptions = field(default_factory=RiskOptions)
    tax_date: str | None = None
    allow_personal_articles: bool | None = None
    cover_weeks: float | None = None
    max_counterfeit_rate: float | None = None
    max_late_rate: float | None = None
    min_brand_direct_share: float | None = None
    inspection: bool | None = None
    integer_quantities: bool | None = None

    def __post_init__(self) -> None:
        for name in RATES:
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                raise OptionError(f"{name} must be in [0, 1], got {value}")
        if self.cover_weeks is not None and not 0 <= self.cover_weeks < math.inf:
            raise OptionError(f"cover_weeks must be 0 or more weeks, got {self.cover_weeks}")

    def resolved(self, instance: Instance) -> NetworkConfig:
        """Every option left as ``None`` filled from ``[network]`` (or its declared default)."""
        values = {
            name: instance.setting("network", name)
            for name in SETTINGS
            if getattr(self, name) is None
        }
        return replace(self, **values)
