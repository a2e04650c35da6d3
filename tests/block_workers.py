"""Worker functions for the worker-pool tests: importable by name, as spawned workers need."""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field


@dataclass
class Solved:
    job: int
    where: str
    timings: dict = field(default_factory=dict)


def dies_in_a_worker(job: int, options, deadline) -> Solved:
    """A block whose worker process dies (as one killed from outside, or out of memory)."""
    if multiprocessing.parent_process() is not None:
        os._exit(1)
    return Solved(job, "here")


def not_run(job: int, why: str) -> Solved:
    return Solved(job, f"not run: {why}")
