"""SAA for routing samples fresh demand scenarios from the means and std, as contracts does.

Every order goes by CBEC parcel at purchase 100 + 20 freight, no tax, below the price of a lost
sale: a scenario costs 120 x its total demand, so each replication's SAA optimum is 120 x the
mean total demand of its sample. The samples are lognormal draws with the mean and standard
deviation of each demand row: sigma^2 = ln(1 + (std / mean)^2), mu = ln(mean) - sigma^2 / 2.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cbecopt.seeds import stream_seeds
from routing_helpers import write_routing_instance
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process

pytestmark = pytest.mark.integration
MEAN, STD = np.array([40.0, 25.0]), np.array([12.0, 10.0])
SERVED = 100 + 20


def test_routing_saa_samples_fresh_scenarios_from_the_distribution(tmp_path):
    folder = write_routing_instance(
        tmp_path / "x",
        [{"sku": "A", "vat_rate": 0.0, "tariff_rate": 0.0, "postal_rate": 0.0}],
        [
            {"market": m, "sku": "A", "quantity": q, "std": s}
            for m, q, s in zip(("M1", "M2"), MEAN, STD, strict=True)
        ],
        markets={"M1": {}, "M2": {}},
        lanes=[("FR", m, "cbec_parcel", 20, 10) for m in ("M1", "M2")],
    )
    n, replications, seed = 50, 3, 7
    run = run_cbecopt(
        "saa",
        str(folder),
        "--model",
        "routing",
        "--distribution",
        "lognormal",
        "--n",
        str(n),
        "--replications",
        str(replications),
        "--evaluation-n",
        "0",
        "--seed",
        str(seed),
        "--json",
    )
    assert run.returncode == 0, run.stderr
    found = [r["saa_objective"] for r in json.loads(run.stdout)["replications"]]
    # mrp_gap seeds replication r with the (r + 1)-th seed of the saa stream of the seed tree
    # rooted at --seed (cbecopt.seeds: a SeedSequence(seed) child)
    seeds = stream_seeds(seed, "saa", replications + 2)
    sigma2 = np.log1p((STD / MEAN) ** 2)
    mu = np.log(MEAN) - sigma2 / 2
    expected = []
    for r in range(replications):
        rng = np.random.default_rng(seeds[r + 1])
        draws = rng.lognormal(mu[:, None], np.sqrt(sigma2)[:, None], size=(len(MEAN), n))
        expected.append(SERVED * draws.sum() / n)
    assert found == pytest.approx(expected, rel=1e-9)
    assert len(set(np.round(found, 6))) == replications  # fresh samples, not the one base
