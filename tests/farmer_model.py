"""Birge and Louveaux's farmer problem on the two-stage layer, from the mpi-sppy .dat files.

First stage: acres per crop (total at most 500). Second stage per yield scenario: sell up to
the quota at the sub-quota price, sell the rest at the super-quota price, buy what the cattle
need and the farm did not grow.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from cbecopt.labelled import add_rows, add_var_family, terms
from cbecopt.stochastic.twostage import FirstStage

CROPS = ("WHEAT", "CORN", "SUGAR_BEETS")


def read_dat(path: Path) -> dict[str, object]:
    """``param NAME := [key value]... ;`` and ``param NAME := value ;`` of an AMPL/Pyomo data file."""
    text = re.sub(r"#.*", "", path.read_text())
    params: dict[str, object] = {}
    for name, body in re.findall(r"param\s+(\w+)\s*:=(.*?);", text, re.S):
        tokens = body.split()
        if len(tokens) == 1:
            params[name] = float(tokens[0])
        else:
            params[name] = {tokens[i]: tokens[i + 1] for i in range(0, len(tokens), 2)}
    return params


class FarmerProblem:
    """The farmer problem; scenarios are the three yield files with ScenarioStructure's probabilities."""

    key = "farmer"
    name = "farmer"

    def __init__(self, folder: Path):
        structure = read_dat(folder / "ScenarioStructure.dat")
        leaf = {k: v for k, v in structure["ScenarioLeafNode"].items()}
        probability = {k: float(v) for k, v in structure["ConditionalProbability"].items()}
        self._scenarios = []
        for scenario, node in leaf.items():
            data = read_dat(folder / f"{scenario}.dat")
            self._scenarios.append((scenario, probability[node], self._numbers(data)))
        self.data = self._scenarios[0][2]

    @staticmethod
    def _numbers(data) -> dict:
        out = {"TOTAL_ACREAGE": float(data["TOTAL_ACREAGE"])}
        for key, values in data.items():
            if isinstance(values, dict):
                out[key] = np.array([float(values[c]) for c in CROPS])
        return out

    def scenarios(self):
        return list(self._scenarios)

    def expected_scenario(self):
        mean = dict(self.data)
        mean["Yield"] = sum(p * d["Yield"] for _, p, d in self._scenarios)
        return mean

    def build_first_stage(self, m):
        acres = add_var_family(m, "acres", CROPS, doc="x_c: acres devoted to crop c")
        add_rows(
            m,
            "total_acreage",
            ["all"],
            [terms(acres, 0, np.arange(3), 1.0)],
            None,
            self.data["TOTAL_ACREAGE"],
        )
        return FirstStage(
            (acres,), (terms(acres, 0, np.arange(3), self.data["PlantingCostPerAcre"]),)
        )

    def build_second_stage(self, block, scenario, first):
        acres = first.families[0]
        idx = np.arange(3)
        sub = add_var_family(block, "sold_sub_quota", CROPS, upper=scenario["PriceQuota"])
        sup = add_var_family(block, "sold_super_quota", CROPS)
        buy = add_var_family(block, "purchased", CROPS)
        add_rows(
            block,
            "cattle_feed",
            CROPS,
            [
                terms(acres, idx, idx, scenario["Yield"]),
                terms(buy, idx, idx, 1.0),
                terms(sub, idx, idx, -1.0),
                terms(sup, idx, idx, -1.0),
            ],
            scenario["CattleFeedRequirement"],
            None,
        )
        add_rows(
            block,
            "sell_what_grew",
            CROPS,
            [
                terms(sub, idx, idx, 1.0),
                terms(sup, idx, idx, 1.0),
                terms(acres, idx, idx, -scenario["Yield"]),
            ],
            None,
            0.0,
        )
        return (
            terms(buy, 0, idx, scenario["PurchasePrice"]),
            terms(sub, 0, idx, -scenario["SubQuotaSellingPrice"]),
            terms(sup, 0, idx, -scenario["SuperQuotaSellingPrice"]),
        )
