"""Synthetic ``network`` instances: a placeholder until the generator lands.

``cbecopt generate --model network`` calls :func:`generate_network`; until the generator is
written it refuses with a clear error instead of writing an instance of nothing.
"""

from __future__ import annotations

from cbecopt.errors import OptionError
from cbecopt.instance import Instance


def generate_network(n_skus: int = 20, seed: int = 0, **options) -> Instance:
    """Not yet: the ``network`` generator is not written yet (an :class:`OptionError`)."""
    raise OptionError(
        "generating network instances is not available yet; write the instance tables "
        "(README: instance format, the network model) and solve them"
    )
