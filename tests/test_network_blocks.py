"""SKU blocks on the network model: the relaxations' bound is below the extensive form's
optimum, and the plan is a plan of the whole model at or above it (an independent solve of
the same instance decides the optimum)."""

import pandas as pd
import pytest

from cbecopt import SolveOptions, solve
from cbecopt.models.network.generate import generate_network
from cbecopt.sku_split import fixed_cost_shares


@pytest.fixture(scope="module")
def small():
    return generate_network(n_skus=4, n_suppliers=6, n_provinces=3, months=2, seed=7)


@pytest.mark.unit
def test_fixed_cost_shares_add_up_to_each_fixed_cost(small):
    shares = fixed_cost_shares(small)
    offers = small.tables["offers"]
    nodes = small.tables["nodes"].set_index("id")
    for node, row in shares.iterrows():
        assert (row >= 0).all()
        if nodes.loc[node, "kind"] != "supplier":
            assert row.sum() == pytest.approx(1.0)
        else:  # a supplier's cost is split among the SKUs it offers only
            sold = set(offers.loc[offers["supplier"] == node, "sku"])
            assert row.sum() == pytest.approx(1.0 if sold else 0.0)
            assert set(row[row > 0].index) <= sold


@pytest.mark.unit
def test_a_relaxations_warehouse_copies_are_named_as_the_whole_model_names_them(small):
    """A SKU sold on Tmall alone has one copy of a warehouse each platform runs on its own,
    named as the warehouse; in the whole model it is the Tmall copy."""
    from cbecopt.models.network.blocks import whole_model_labels
    from cbecopt.models.network.read import read_network

    d = read_network(small)
    used = {
        "open": {
            ("OW-ICN", ("Tmall Global",)): 1.0,
            ("OW-LAX", ("JD Worldwide", "Douyin Global")): 1.0,
            ("OW-SYD", ("Douyin Global",)): 0.0,
        }
    }
    named = whole_model_labels(d, used)["open"]
    assert named == {"OW-ICN@Tmall Global": 1.0, "OW-LAX": 1.0, "OW-SYD@Douyin Global": 0.0}
    assert set(named) <= set(d.overseas)


@pytest.mark.component
def test_blocks_bound_and_plan_bracket_the_optimum(small):
    exact = solve(small, "network", SolveOptions(mip_rel_gap=1e-9), method="extensive_form")
    assert exact.status.value == "optimal"
    blocks = solve(small, "network", SolveOptions(threads=1), method="sku_blocks")
    assert blocks.status.value in ("optimal", "feasible")
    assert blocks.bound <= exact.objective * (1 + 1e-7)
    assert blocks.objective >= exact.objective * (1 - 1e-7)
    assert blocks.gap == pytest.approx((blocks.objective - blocks.bound) / blocks.objective)
    assert len(blocks.tables["sku_blocks"]) == 4


@pytest.mark.integration
def test_a_script_without_a_main_guard_is_run_once(small, tmp_path):
    """Spawned workers would import the calling script again: one without ``if __name__ ==
    "__main__":`` would solve the whole instance once more in every worker before its block
    (and run out of time). The workers import cbecopt only: the script's own lines run once."""
    import json
    import subprocess
    import sys

    import cbecopt

    folder = cbecopt.save_instance(small, tmp_path / "small")
    script = tmp_path / "unguarded.py"
    script.write_text(
        "import json, cbecopt\n"
        f"instance = cbecopt.load_instance({str(folder)!r})\n"
        "options = cbecopt.SolveOptions(threads=2, time_limit=120)\n"
        "result = cbecopt.solve(instance, 'network', options, method='sku_blocks')\n"
        "print(json.dumps({'status': result.status.value, 'bound': result.bound}))\n"
    )
    run = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    printed = run.stdout.strip().splitlines()
    assert len(printed) == 1, run.stdout  # the script ran once, in this process only
    assert "Traceback" not in run.stderr and "in this process" not in run.stderr, run.stderr
    out = json.loads(printed[0])
    assert out["status"] in ("optimal", "feasible") and out["bound"] is not None


@pytest.mark.integration
def test_blocks_whose_workers_die_are_solved_in_this_process(caplog):
    from block_workers import dies_in_a_worker, not_run
    from cbecopt.methods.sku_blocks import BlockPass, run_blocks, worker_pool

    options = SolveOptions(time_limit=60).begin()
    clock: dict = {}
    with worker_pool(2) as pool:
        solved = run_blocks(
            pool, BlockPass("test", dies_in_a_worker, not_run), [1, 2, 3], options, options.budget,
            clock,
        )  # fmt: skip
    assert [(s.job, s.where) for s in solved] == [(1, "here"), (2, "here"), (3, "here")]
    assert "worker processes ended" in caplog.text


@pytest.mark.component
def test_a_sku_nobody_offers_leaves_no_bound_and_says_why(small, tmp_path):
    """Its rows alone have no offers table, so its relaxation is no instance: the blocks
    report no bound, naming the SKU and the table, and the plan is still the whole model's."""
    import cbecopt

    folder = cbecopt.save_instance(small, tmp_path / "small")
    for name in ("offers", "price_breaks", "contracts"):
        path = folder / f"{name}.csv"
        if path.exists():
            table = pd.read_csv(path)
            table[table["sku"] != "SKU2"].to_csv(path, index=False)
    instance = cbecopt.load_instance(folder)
    exact = solve(instance, "network", SolveOptions(mip_rel_gap=1e-9), method="extensive_form")
    blocks = solve(instance, "network", SolveOptions(threads=1), method="sku_blocks")
    assert blocks.status.value == "feasible" and blocks.bound is None
    assert "SKU2" in blocks.termination and "offers.csv" in blocks.termination
    assert blocks.objective == pytest.approx(exact.objective, rel=1e-6)


@pytest.mark.component
def test_the_comparisons_joint_by_blocks_is_bracketed_and_never_worse_than_sequential(
    small, monkeypatch
):
    """A large network's ``joint`` is solved by SKU blocks (here a 4-SKU one, the threshold
    lowered): its bound is at most the optimum an independent extensive-form solve proves,
    and its plan costs at most sequential's."""
    from cbecopt.models.network import read_network, remedies

    monkeypatch.setattr(remedies, "BLOCKS_FROM_DEMAND", 1)
    exact = solve(small, "network", SolveOptions(mip_rel_gap=1e-9), method="extensive_form")
    compared = remedies.compare_strategies(
        read_network(small), SolveOptions(threads=1), instance=small
    )
    joint, sequential = compared.results["joint"], compared.results["sequential"]
    assert "SKU blocks" in joint.note
    assert joint.bound <= exact.objective * (1 + 1e-7) <= joint.objective * (1 + 2e-7)
    assert joint.objective <= sequential.objective * (1 + 1e-9)
    assert joint.gap == pytest.approx((joint.objective - joint.bound) / joint.objective)


@pytest.mark.unit
def test_a_sku_whose_relaxation_has_no_plan_rounds_up_every_supplier_offering_it(small):
    """The first plan of the plan pass still buys a SKU whose relaxation ran out of time: its
    suppliers are rounded up (those it does not buy from are closed when it is priced)."""
    from cbecopt.models.network.blocks import SkuBlock, unfinished_block, used_by_any
    from cbecopt.models.network.read import read_network
    from cbecopt.results import Status

    d = read_network(small)
    first, second = d.skus[0], d.skus[1]
    planned = SkuBlock(
        first, Status.OPTIMAL, "", 1.0, 1.0, used={"use_supplier": {d.suppliers[0]: 1.0}}
    )
    used = used_by_any(d, [planned, unfinished_block(second, "time limit")])
    offering = {d.suppliers[i] for i, k in d.offers if d.skus[k] == second}
    assert offering
    assert set(used["use_supplier"]) == offering | {d.suppliers[0]}
    assert used_by_any(d, [unfinished_block(first, "time limit")]) is None
