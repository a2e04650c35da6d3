"""The benchmark registry's method comparison: each method against plain HiGHS of the same run."""

from __future__ import annotations

import pytest


@pytest.mark.unit
def test_a_method_is_compared_with_the_plain_solve_of_the_same_run():
    import pandas as pd
    from benchmarks.registry import network_methods
    from benchmarks.runner import with_incumbent_ratios

    cases = network_methods(60.0)
    plain = {c.name: c for c in cases if c.method == "extensive_form"}
    others = [c for c in cases if c.method != "extensive_form"]
    assert {c.method for c in others} == {"warm_start", "sku_blocks"}
    assert all(c.versus in plain and c.start == plain[c.versus].start for c in others)
    assert all(c.time_limit == plain[c.versus].time_limit for c in others)  # the same limit
    table = pd.DataFrame({"case": [c.name for c in cases], "objective": [100.0, 90.0, 80.0] * 3})
    table.loc[6, "objective"] = None  # one plain solve without a plan
    ratios = with_incumbent_ratios(table, cases)["incumbent_ratio"].tolist()
    assert pd.isna(ratios[0]) and ratios[1] == 0.9 and ratios[2] == 0.8
    assert pd.isna(ratios[7]) and pd.isna(ratios[8])  # nothing to compare with
