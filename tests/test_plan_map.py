"""The flows a plan map draws."""

from __future__ import annotations

import pandas as pd
import pytest

from cbecopt.plan_map import plan_flows


@pytest.mark.unit
def test_plan_flows_sum_each_pair_and_draw_a_platforms_copy_at_its_warehouse():
    deliveries = pd.DataFrame(
        {
            "origin": ["LA@Tmall Global", "LA@JD Worldwide", "NB", "NB"],
            "market": ["SH", "SH", "SH", "BJ"],
            "quantity": [2.0, 3.0, 4.0, 0.0],
        }
    )
    shipments = pd.DataFrame({"origin": ["brand"], "destination": ["LA"], "quantity": [7.0]})
    flows = plan_flows("network", {"shipments": shipments, "deliveries": deliveries})
    assert flows.to_dict("records") == [
        {"origin": "brand", "destination": "LA", "kind": "supply", "quantity": 7.0},
        {"origin": "LA", "destination": "SH", "kind": "delivery", "quantity": 5.0},
        {"origin": "NB", "destination": "SH", "kind": "delivery", "quantity": 4.0},
    ]
    mix = pd.DataFrame({"origin": ["BW", ""], "market": ["M1", "M1"], "quantity": [3.0, 1.0]})
    routed = plan_flows("routing", {"channel_mix": mix})  # lost sales have no origin
    assert routed[["origin", "destination", "quantity"]].values.tolist() == [["BW", "M1", 3.0]]
