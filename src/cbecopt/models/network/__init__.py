"""The integrated ``network`` model (issue 11), first version: suppliers with all-units
discounts, overseas and bonded warehouses, monthly first-mile and bulk-inbound shipments,
and per-scenario stock, release, 9610 parcel delivery and lost sales, two-stage on the block
``m.network``. Not registered yet (``models/network.md`` says what remains); built from a
:class:`NetworkData` directly.
"""

from cbecopt.models.network.build import NetworkProblem, solve_network
from cbecopt.models.network.data import NetworkData
from cbecopt.models.network.platforms import with_platforms

__all__ = ["NetworkData", "NetworkProblem", "solve_network", "with_platforms"]
