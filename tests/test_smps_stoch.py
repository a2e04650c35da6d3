"""The SMPS stoch file: BLOCKS, INDEP and BLOCKS together, modifiers, probabilities.

Each stochastic program is small enough to solve independently: its deterministic equivalent
is built here from the test's own numbers and solved with scipy's ``milp``, and checked by
enumerating the integer first-stage decision.
"""

from __future__ import annotations

import itertools
import json
import logging

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from cbecopt.readers import smps_stoch
from cbecopt.readers.smps import read_smps
from test_cli import cbecopt_in_process as run_cbecopt  # the command line, in this process
from test_smps import RHS_COR, RHS_STO, RHS_TIM, error_of, solve, write_smps

# min 2 x + E[q u + h w]  s.t.  a x + u - w = d (stage 2),  x integer in [0, 10],  u, w >= 0.
# Core values d = 5, q = 2, a = 1, h = 0.1; every scenario replaces them.
COR = """NAME blocks
ROWS
 N obj
 E meet
COLUMNS
    MARKER 'MARKER' 'INTORG'
    x obj 2 meet 1
    MARKER 'MARKER' 'INTEND'
    u obj 2 meet 1
    w obj 0.1 meet -1
RHS
    RHS meet 5
BOUNDS
 UP bnd x 10
ENDATA
"""
TIM = "TIME blocks\nPERIODS\n    x obj P1\n    u meet P2\nENDATA\n"

# Block MARKET sets (d, q); block YIELD sets (a, h). YIELD's third realisation lists only a:
# h keeps the first realisation's 0.5 (not the core's 0.1).
MARKET = [(0.4, 4.0, 3.0), (0.6, 8.0, 5.0)]  # probability, d, q
YIELD = [(0.2, 1.0, 0.5), (0.5, 0.5, 0.2), (0.3, 0.8, 0.5)]  # probability, a, h
BLOCKS_STO = """STOCH blocks
BLOCKS DISCRETE
 BL MARKET P2 0.4
    RHS meet 4
    u obj 3
 BL MARKET P2 0.6
    RHS meet 8
    u obj 5
 BL YIELD P2 0.2
    x meet 1
    w obj 0.5
 BL YIELD P2 0.5
    x meet 0.5
    w obj 0.2
 BL YIELD P2 0.3
    x meet 0.8
ENDATA
"""


def product_scenarios(*distributions) -> list[tuple[float, dict[str, float]]]:
    """(probability, {d, q, a, h}) of every combination of independent realisations."""
    names = [("d", "q"), ("a", "h")] if len(distributions) == 2 else [("d",), ("q",), ("a", "h")]
    scenarios = []
    for combo in itertools.product(*distributions):
        values = {}
        for realisation, keys in zip(combo, names, strict=True):
            values.update(zip(keys, realisation[1:], strict=True))
        scenarios.append((float(np.prod([r[0] for r in combo])), values))
    return scenarios


def deterministic_equivalent(scenarios) -> tuple[float, float]:
    """(optimum, x) of the extensive form written out by hand and solved by scipy's milp."""
    n = len(scenarios)
    p = np.array([s[0] for s in scenarios])
    value = {key: np.array([s[1][key] for s in scenarios]) for key in "dqah"}
    cost = np.concatenate([[2.0], p * value["q"], p * value["h"]])
    matrix = np.hstack([value["a"][:, None], np.eye(n), -np.eye(n)])
    result = milp(
        cost,
        constraints=LinearConstraint(matrix, value["d"], value["d"]),
        integrality=np.r_[1, np.zeros(2 * n)],
        bounds=Bounds(np.zeros(2 * n + 1), np.r_[10.0, np.full(2 * n, np.inf)]),
        options={"mip_rel_gap": 1e-12},
    )
    assert result.success
    return result.fun, result.x[0]


def enumerated_optimum(scenarios) -> float:
    """The optimum by trying every x: the recourse is u = (d - a x)+, w = (a x - d)+."""

    def expected_cost(x: int) -> float:
        return 2 * x + sum(
            p * (v["q"] * max(v["d"] - v["a"] * x, 0) + v["h"] * max(v["a"] * x - v["d"], 0))
            for p, v in scenarios
        )

    return min(expected_cost(x) for x in range(11))


def scenarios_sto(scenarios) -> str:
    """The same program as a SCENARIOS section, one scenario per combination."""
    lines = ["STOCH blocks", "SCENARIOS DISCRETE"]
    for k, (p, v) in enumerate(scenarios, start=1):
        lines += [f" SC S{k} ROOT {p!r} P2", f"    RHS meet {v['d']!r}", f"    u obj {v['q']!r}"]
        lines += [f"    x meet {v['a']!r}", f"    w obj {v['h']!r}"]
    return "\n".join([*lines, "ENDATA", ""])


@pytest.mark.component
def test_blocks_are_the_product_of_their_realisations(tmp_path):
    problem = read_smps(write_smps(tmp_path, "blocks", COR, TIM, BLOCKS_STO))
    expected = product_scenarios(MARKET, YIELD)
    scenarios = problem.scenarios()
    assert [s[0] for s in scenarios] == [f"S{k}" for k in range(1, 7)]
    assert [s[1] for s in scenarios] == pytest.approx([0.08, 0.2, 0.12, 0.12, 0.3, 0.18])
    for (_, _, data), (_, v) in zip(scenarios, expected, strict=True):
        # (rhs of meet), (cost of u, cost of w), (coefficient of x in meet)
        assert data.rhs.tolist() == [v["d"]]
        assert data.cost.tolist() == [v["q"], v["h"]]
        assert data.coef.tolist() == [v["a"]]
    optimum, x = deterministic_equivalent(expected)
    assert optimum == pytest.approx(23.744, abs=1e-9)  # by enumeration: x = 8
    assert enumerated_optimum(expected) == pytest.approx(optimum, abs=1e-9)
    solution = solve(problem)
    assert solution.outcome.objective == pytest.approx(optimum, abs=1e-9)
    assert list(solution.first_stage) == pytest.approx([x])


@pytest.mark.component
def test_the_same_program_as_scenarios_and_as_blocks_has_the_same_optimum(tmp_path):
    expected = product_scenarios(MARKET, YIELD)
    as_blocks = solve(read_smps(write_smps(tmp_path / "b", "blocks", COR, TIM, BLOCKS_STO)))
    as_scenarios = read_smps(
        write_smps(tmp_path / "s", "blocks", COR, TIM, scenarios_sto(expected))
    )
    assert len(as_scenarios.scenarios()) == 6
    solution = solve(as_scenarios)
    assert solution.outcome.objective == pytest.approx(as_blocks.outcome.objective, abs=1e-9)
    assert list(solution.first_stage) == pytest.approx(list(as_blocks.first_stage))


# d and q independent of each other (INDEP), the block YIELD as above: 2 x 2 x 3 scenarios.
DEMAND = [(0.4, 4.0), (0.6, 8.0)]
PENALTY = [(0.5, 3.0), (0.5, 5.0)]
MIXED_STO = """STOCH blocks
INDEP DISCRETE
    RHS meet 4 P2 0.4
    RHS meet 8 P2 0.6
    u obj 3 P2 0.5
    u obj 5 P2 0.5
BLOCKS DISCRETE
 BL YIELD P2 0.2
    x meet 1
    w obj 0.5
 BL YIELD P2 0.5
    x meet 0.5
    w obj 0.2
 BL YIELD P2 0.3
    x meet 0.8
ENDATA
"""


@pytest.mark.component
def test_indep_and_blocks_in_one_file_combine_independently(tmp_path):
    problem = read_smps(write_smps(tmp_path / "m", "blocks", COR, TIM, MIXED_STO))
    expected = product_scenarios(DEMAND, PENALTY, YIELD)
    assert [s[1] for s in problem.scenarios()] == pytest.approx([p for p, _ in expected])
    optimum, x = deterministic_equivalent(expected)
    assert enumerated_optimum(expected) == pytest.approx(optimum, abs=1e-9)
    solution = solve(problem)
    assert solution.outcome.objective == pytest.approx(optimum, abs=1e-9)
    assert list(solution.first_stage) == pytest.approx([x])
    as_scenarios = read_smps(
        write_smps(tmp_path / "s", "blocks", COR, TIM, scenarios_sto(expected))
    )
    assert solve(as_scenarios).outcome.objective == pytest.approx(optimum, abs=1e-9)


# --- modifiers ----------------------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize(
    ("header", "rhs", "coefficient"),
    [
        ("DISCRETE", 3.0, 0.5),  # REPLACE, the default
        ("DISCRETE REPLACE", 3.0, 0.5),
        ("DISCRETE ADD", 5.0 + 3.0, 1.0 + 0.5),  # core d = 5, core a = 1
        ("DISCRETE MULTIPLY", 5.0 * 3.0, 1.0 * 0.5),
    ],
)
def test_modifiers_combine_with_the_core_values(tmp_path, header, rhs, coefficient):
    sto = (
        f"STOCH blocks\nINDEP {header}\n    RHS meet 3 P2 1\n"
        f"BLOCKS {header}\n BL B P2 1\n    x meet 0.5\nENDATA\n"
    )
    ((_, _, data),) = read_smps(write_smps(tmp_path, "blocks", COR, TIM, sto)).scenarios()
    assert (data.rhs.tolist(), data.coef.tolist()) == ([rhs], [coefficient])
    scenarios = f"STOCH blocks\nSCENARIOS {header}\n SC only ROOT 1 P2\n    RHS meet 3\nENDATA\n"
    ((_, _, data),) = read_smps(write_smps(tmp_path, "blocks", COR, TIM, scenarios)).scenarios()
    assert data.rhs.tolist() == [rhs]


# --- bad BLOCKS and INDEP input -----------------------------------------------------------------
@pytest.mark.unit
def test_a_later_realisation_may_not_add_an_element(tmp_path):
    sto = BLOCKS_STO.replace("    x meet 0.8\n", "    x meet 0.8\n    RHS meet 3\n")
    message = error_of(write_smps(tmp_path, "blocks", COR, TIM, sto))
    assert "blocks.sto, row 17" in message
    assert "(RHS, meet) is not in the first realisation of block 'YIELD' (line 9)" in message


@pytest.mark.unit
def test_an_element_belongs_to_one_distribution(tmp_path):
    sto = MIXED_STO.replace("    w obj 0.5\n", "    u obj 0.5\n")
    message = error_of(write_smps(tmp_path, "blocks", COR, TIM, sto))
    assert "blocks.sto, row 10" in message
    assert "(u, obj) is already random in the INDEP distribution of (u, obj) (line 5)" in message


@pytest.mark.unit
@pytest.mark.parametrize(
    ("sto", "row", "text"),
    [
        ("STOCH b\nINDEP NORMAL\n    RHS meet 3 P2 1\nENDATA\n", 2, "only DISCRETE"),
        ("STOCH b\nBLOCKS LINTR\n BL B P2 1\nENDATA\n", 2, "only DISCRETE"),
        ("STOCH b\nINDEP DISCRETE ADD MULTIPLY\n", 2, "not supported"),
        (
            "STOCH b\nSCENARIOS\n SC s ROOT 1 P2\nBLOCKS DISCRETE\nENDATA\n",
            4,
            "SCENARIOS cannot be combined",
        ),
        ("STOCH b\nBLOCKS DISCRETE\n    RHS meet 3\nENDATA\n", 3, "before the first 'BL'"),
        ("STOCH b\nBLOCKS DISCRETE\n BL B P3 1\nENDATA\n", 3, "not the second period"),
        ("STOCH b\nBLOCKS DISCRETE\n BL B P2\nENDATA\n", 3, "'BL block period probability'"),
    ],
)
def test_unsupported_or_malformed_stoch_sections_are_refused(tmp_path, sto, row, text):
    message = error_of(write_smps(tmp_path, "blocks", COR, TIM, sto))
    assert f"blocks.sto, row {row}" in message and text in message


@pytest.mark.unit
def test_blocks_expanding_beyond_the_limit_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(smps_stoch, "MAX_SCENARIOS", 5)  # where the .sto reader reads it
    message = error_of(write_smps(tmp_path, "blocks", COR, TIM, BLOCKS_STO))
    assert "expand to 6 scenarios (at most 5)" in message


# --- probabilities ------------------------------------------------------------------------------
# The RHS problem of test_smps: min x + E[3 (d - x)+], d = 2, 5, 8 with probability 0.3, 0.5 and
# a third probability p3; x = 5 is optimal for every p3 here, costing 5 + 3 * p3 * 3 (by hand:
# x = 4 costs 4 + 3 (0.5 + 4 p3), x = 6 costs 6 + 6 p3), divided by the sum when rescaled.
def with_third_probability(p3: str) -> str:
    return RHS_STO.replace(" 0.2 ", f" {p3} ")


@pytest.mark.component
def test_probabilities_a_little_off_are_used_as_written_with_a_warning(tmp_path, caplog):
    path = write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, with_third_probability("0.2002"))
    with caplog.at_level(logging.WARNING, logger="cbecopt"):
        problem = read_smps(path)
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("tiny.sto: scenario probabilities sum to 1.0002, not 1")
    assert [p for _, p, _ in problem.scenarios()] == [0.3, 0.5, 0.2002]
    assert solve(problem).outcome.objective == pytest.approx(5 + 9 * 0.2002, abs=1e-9)


@pytest.mark.unit
def test_probabilities_summing_to_one_give_no_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="cbecopt"):
        read_smps(write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, RHS_STO))
    assert caplog.records == []


@pytest.mark.unit
def test_probabilities_off_by_more_than_1e_3_are_refused_with_the_remedy(tmp_path):
    message = error_of(
        write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, with_third_probability("0.21"))
    )
    assert "tiny.sto, row 2, column 'probability'" in message
    assert "scenario probabilities sum to 1.01, not 1" in message
    assert "--normalize-probabilities" in message


@pytest.mark.component
def test_normalize_probabilities_rescales_them(tmp_path):
    path = write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, with_third_probability("0.21"))
    problem = read_smps(path, normalize_probabilities=True)
    probabilities = [p for _, p, _ in problem.scenarios()]
    assert probabilities == pytest.approx([0.3 / 1.01, 0.5 / 1.01, 0.21 / 1.01], abs=1e-15)
    assert solve(problem).outcome.objective == pytest.approx(5 + 9 * 0.21 / 1.01, abs=1e-9)


@pytest.mark.unit
def test_a_block_off_by_more_than_1e_3_is_named(tmp_path):
    sto = BLOCKS_STO.replace("BL YIELD P2 0.3", "BL YIELD P2 0.31")
    message = error_of(write_smps(tmp_path, "blocks", COR, TIM, sto))
    assert "blocks.sto, row 9" in message
    assert "the probabilities of block 'YIELD' sum to 1.01" in message
    rescaled = read_smps(tmp_path / "blocks.cor", normalize_probabilities=True).scenarios()
    assert [p for _, p, _ in rescaled] == pytest.approx(
        [m * y / 1.01 for m in (0.4, 0.6) for y in (0.2, 0.5, 0.31)], abs=1e-15
    )


# --- the command line ---------------------------------------------------------------------------
@pytest.mark.integration
def test_the_command_line_refuses_or_rescales_and_shows_the_warning(tmp_path):
    off = str(
        write_smps(tmp_path / "off", "tiny", RHS_COR, RHS_TIM, with_third_probability("0.21"))
    )
    refused = run_cbecopt("solve", off, "--format", "smps", "--json")
    assert refused.returncode == 2
    assert "sum to 1.01" in refused.stderr and "--normalize-probabilities" in refused.stderr
    rescaled = run_cbecopt("solve", off, "--format", "smps", "--normalize-probabilities", "--json")
    assert rescaled.returncode == 0, rescaled.stderr
    assert json.loads(rescaled.stdout)["objective"] == pytest.approx(5 + 9 * 0.21 / 1.01, abs=1e-6)
    near = str(
        write_smps(tmp_path / "near", "tiny", RHS_COR, RHS_TIM, with_third_probability("0.2002"))
    )
    warned = run_cbecopt("solve", near, "--format", "smps", "--json")
    assert warned.returncode == 0, warned.stderr
    assert "tiny.sto: scenario probabilities sum to 1.0002, not 1" in warned.stderr
    assert json.loads(warned.stdout)["objective"] == pytest.approx(5 + 9 * 0.2002, abs=1e-6)


@pytest.mark.integration
@pytest.mark.parametrize(
    "command",
    [
        ["frontier", "--points", "2", "-o", "{out}"],
        ["saa", "--n", "3", "--replications", "2", "--evaluation-n", "5", "--json"],
    ],
)
def test_frontier_and_saa_take_normalize_probabilities(tmp_path, command):
    off = str(write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, with_third_probability("0.21")))
    args = [a.format(out=tmp_path / "out") for a in command]
    run = run_cbecopt(args[0], off, "--format", "smps", "--normalize-probabilities", *args[1:])
    assert run.returncode == 0, run.stderr


@pytest.mark.integration
def test_normalize_probabilities_applies_to_smps_only():
    run = run_cbecopt("solve", "demo", "--normalize-probabilities")
    assert run.returncode == 2
    assert "--normalize-probabilities applies to SMPS files" in run.stderr
