"""Small helpers to write instance folders in tests."""

from __future__ import annotations

from pathlib import Path

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
