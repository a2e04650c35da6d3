"""The seed tree of a call: ``SolveOptions.seed`` is the root of every random stream.

Each stream (the demand scenarios a model samples, the samples of SAA's replications, HiGHS's
own ``random_seed``) is one child of ``numpy.random.SeedSequence(seed)``, spawned in the fixed
order of :data:`STREAMS`: the streams are independent of one another, and the same root seed
gives the same streams, so the same instance, options and seed give the same result.
"""

from __future__ import annotations

import numpy as np

STREAMS = ("scenarios", "saa", "highs")
"""The random streams of a call, in spawn order (append new ones: the order fixes each seed)."""
MAX_SEED = 2**31 - 1
"""Seeds are 31-bit: HiGHS's ``random_seed`` is a signed 32-bit integer."""


def stream_seeds(root: int, stream: str, n: int = 1) -> list[int]:
    """``n`` seeds of one stream of the tree rooted at ``root`` (a name of :data:`STREAMS`)."""
    child = np.random.SeedSequence(root).spawn(len(STREAMS))[STREAMS.index(stream)]
    return [int(s) & MAX_SEED for s in child.generate_state(n)]


def stream_seed(root: int, stream: str) -> int:
    """The seed of one stream of the tree rooted at ``root``."""
    return stream_seeds(root, stream)[0]
