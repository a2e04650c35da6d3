"""Small helpers of the tests: instance folders to write, problems to find, rows to read."""

from __future__ import annotations

from pathlib import Path

import highspy
import pytest

import cbecopt

META = '[instance]\nname = "t"\ndescription = "test"\ncurrency = "CNY"\n'
NODES = """id,kind,capacity,fixed_cost
w1,overseas_warehouse,100,50
w2,overseas_warehouse,80,40
m1,market,,
m2,market,,
"""
ARCS = """origin,destination,unit_cost
w1,m1,1
w1,m2,3
w2,m1,2
w2,m2,1
"""
DEMAND = """market,quantity
m1,30
m2,40
"""


def write_instance(
    folder: Path, nodes: str = NODES, arcs: str = ARCS, demand: str = DEMAND, meta: str = META
) -> Path:
    """Write a small valid (unless told otherwise) instance folder and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("instance.toml", meta),
        ("nodes.csv", nodes),
        ("arcs.csv", arcs),
        ("demand.csv", demand),
    ):
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def load_problems(folder) -> list[str]:
    """The problems loading ``folder`` reports, as text (loading must fail)."""
    with pytest.raises(cbecopt.InputError) as caught:
        cbecopt.load_instance(folder)
    return [str(p) for p in caught.value.problems]


def has(found: list[str], *parts: str) -> bool:
    """Whether one of the problems mentions every part."""
    return any(all(part in p for part in parts) for p in found)


def dense_rows(family) -> tuple[list, list[list[float]], list, list]:
    """A linear family as (row keys, dense matrix over its families' columns, lower, upper)."""
    import numpy as np

    view = family.matrix()
    dense = np.zeros((view.n_rows, sum(len(f) for f in view.families)))
    for r in range(view.n_rows):
        span = slice(view.indptr[r], view.indptr[r + 1])
        dense[r, view.columns[span]] = view.coefficients[span]
    return list(family.row_keys), dense.tolist(), list(view.lower), list(view.upper)


def highs_optimum(path: Path, mip_rel_gap: float) -> float:
    """The optimum HiGHS finds for the model file (LP or MPS) at ``path``."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("mip_rel_gap", mip_rel_gap)
    assert highs.readModel(str(path)) == highspy.HighsStatus.kOk
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getInfo().objective_function_value
