"""``python -m benchmarks limits``: how closely each command keeps ``--time-limit``, and how
fast it answers Ctrl-C.

Every command (and method: SKU blocks, the stochastic report, sharing coalitions, comparisons,
fronts, SAA) runs as a user runs it, in its own process, on a generated instance it cannot
finish within the limit; the table gives the wall clock against the limit (the promise: within
the limit plus max(2 s, 5%)), the status it returned and its own total. The Ctrl-C rows send
SIGINT once HiGHS runs and time the exit.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

COMMANDS = {
    "solve warehouses": ("solve", "{warehouses}"),
    "solve warehouses --method lagrangian": ("solve", "{warehouses}", "--method", "lagrangian"),
    "solve --independent": ("solve", "{sharing}", "--independent"),
    "solve routing --sku-blocks": (
        "solve",
        "{routing}",
        "--model",
        "routing",
        "--sku-blocks",
        "50",
    ),
    "solve --report stochastic": (
        "solve",
        "{contracts}",
        "--model",
        "contracts",
        "--report",
        "stochastic",
    ),
    "compare-contracts": ("compare-contracts", "{contracts}"),
    "compare-suppliers": ("compare-suppliers", "{suppliers}"),
    "compare-routing": ("compare-routing", "routing_demo", "-o", "{out}/cr"),
    "solve network": ("solve", "{network}", "--model", "network"),
    "solve network --method sku_blocks": (
        "solve",
        "{network}",
        "--model",
        "network",
        "--method",
        "sku_blocks",
    ),
    "compare-remedies": ("compare-remedies", "{network}", "-o", "{out}/remedies"),
    "pareto": ("pareto", "{suppliers}", "-o", "{out}/pareto"),
    "frontier": ("frontier", "{contracts}", "--points", "3", "-o", "{out}/frontier"),
    "saa": ("saa", "{contracts}", "--n", "50", "--replications", "3"),
}
"""Each command the limit must bound, with the instance it cannot finish."""


def instances(folder: Path) -> dict[str, Path]:
    """The generated instances (the same as the tests' in tests/test_interrupts.py)."""
    import cbecopt
    from cbecopt.models.contracts.generate import generate_contracts
    from cbecopt.models.network.generate import generate_network
    from cbecopt.models.routing.generate import generate_routing
    from cbecopt.models.suppliers.generate import generate_suppliers
    from cbecopt.models.warehouses.generate import generate_warehouses

    made = {
        "warehouses": generate_warehouses(80, 600, seed=3, capacity_ratio=1.5),
        "sharing": generate_warehouses(40, 300, seed=3, platforms=3, capacity_ratio=1.5),
        "contracts": generate_contracts(100, 200, seed=1),
        "suppliers": generate_suppliers(400, 60, seed=1),
        "routing": generate_routing(400, seed=0),
        "network": generate_network(12, seed=1, n_provinces=6, n_scenarios=3),
    }
    return {name: cbecopt.save_instance(inst, folder / name) for name, inst in made.items()}


def _cbecopt(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "cbecopt", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def limit_row(name: str, args: list[str], limit: float) -> dict:
    started = time.monotonic()
    process = _cbecopt(*args, "--time-limit", str(limit), "--json")
    stdout, _ = process.communicate()
    wall = time.monotonic() - started
    result = json.loads(stdout) if stdout.strip() else {}
    allowed = limit + max(2.0, 0.05 * limit)
    return {
        "case": name,
        "limit_s": limit,
        "wall_s": wall,
        "over_s": wall - limit,
        "within": "yes" if wall <= allowed else "NO",
        "status": result.get("status", f"exit {process.returncode}"),
        "total_s": result.get("timings", {}).get("total"),
    }


def ctrl_c_row(name: str, args: list[str], wait: float) -> dict:
    """SIGINT ``wait`` seconds after HiGHS starts; the time from the signal to the exit."""
    process = _cbecopt(*args, "--json", "--verbose")
    guard = threading.Timer(300, process.kill)
    guard.start()
    for line in process.stderr:
        if "cbecopt: HiGHS: solving" in line:
            break
    time.sleep(wait)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate()
    guard.cancel()
    result = json.loads(stdout) if stdout.strip() else {}
    return {
        "case": f"Ctrl-C: {name}",
        "limit_s": None,
        "wall_s": time.monotonic() - sent,
        "over_s": None,
        "within": f"exit {process.returncode}",
        "status": result.get("status"),
        "total_s": result.get("timings", {}).get("total"),
    }


def measure(limit: float, repeats: int, benchmarks: Path | None) -> pd.DataFrame:
    rows = []
    with tempfile.TemporaryDirectory(prefix="cbecopt-limits-") as tmp:
        made = {k: str(v) for k, v in instances(Path(tmp)).items()}
        for name, template in COMMANDS.items():
            args = [a.format(**made, out=tmp) for a in template]
            rows += [limit_row(name, args, limit) for _ in range(repeats)]
        rows.append(ctrl_c_row("warehouses 80x600, in B&B", ["solve", made["warehouses"]], 3.0))
        if benchmarks is not None:
            capa = ["solve", str(benchmarks / "orlib_cap" / "capa.txt"), "--format", "orlib-cap"]
            rows.append(ctrl_c_row("capa-8000, in the root LP", [*capa, "--capacity", "8000"], 3.0))
    return pd.DataFrame(rows)
