"""Instances round-trip losslessly between a CSV folder and a workbook."""

from __future__ import annotations

import pandas as pd
import pytest

import cbecopt
from cbecopt.models.warehouses.generate import generate_warehouses
from helpers import write_instance


def assert_same_instance(a: cbecopt.Instance, b: cbecopt.Instance) -> None:
    assert dict(a.meta) == dict(b.meta)
    assert sorted(a.tables) == sorted(b.tables)
    for name in a.tables:
        pd.testing.assert_frame_equal(
            a.tables[name].reset_index(drop=True),
            b.tables[name].reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )


@pytest.mark.unit
def test_csv_to_workbook_to_csv_is_lossless(tmp_path):
    nodes = (
        "id,kind,capacity,fixed_cost,note\n"
        "仓库-1,overseas_warehouse,100.125,0.1,first\nw2,overseas_warehouse,,40,\n"
        "m1,market,,,\nm2,market,,,\n"
    )
    arcs = "origin,destination,unit_cost,mode\n仓库-1,m1,0.3333333333333333,air\n仓库-1,m2,3,\nw2,m1,2,\nw2,m2,1e-7,\n"
    original = cbecopt.load_instance(write_instance(tmp_path / "in", nodes=nodes, arcs=arcs))
    cbecopt.save_instance(original, tmp_path / "book.xlsx")
    via_book = cbecopt.load_instance(tmp_path / "book.xlsx")
    assert_same_instance(original, via_book)
    cbecopt.save_instance(via_book, tmp_path / "back")
    assert_same_instance(original, cbecopt.load_instance(tmp_path / "back"))


@pytest.mark.unit
def test_generated_instance_round_trips_and_is_deterministic(tmp_path):
    a = generate_warehouses(5, 12, seed=3, platforms=2)
    b = generate_warehouses(5, 12, seed=3, platforms=2)
    assert_same_instance(a, b)
    assert not generate_warehouses(5, 12, seed=4).tables["arcs"].equals(a.tables["arcs"])
    cbecopt.save_instance(a, tmp_path / "g")
    cbecopt.save_instance(cbecopt.load_instance(tmp_path / "g"), tmp_path / "g.xlsx")
    assert_same_instance(
        cbecopt.load_instance(tmp_path / "g"), cbecopt.load_instance(tmp_path / "g.xlsx")
    )


@pytest.mark.integration
def test_benchmark_file_converts_to_the_same_model(tmp_path, benchmarks):
    instance = cbecopt.load_instance(benchmarks / "orlib_cap" / "cap71.txt", fmt="orlib-cap")
    cbecopt.save_instance(instance, tmp_path / "cap71")
    again = cbecopt.load_instance(tmp_path / "cap71")
    assert cbecopt.solve(again).objective == pytest.approx(
        cbecopt.solve(instance).objective, rel=1e-12
    )
