"""The SMPS reader: SIPLIB SSLP optima, hand-made triples checked by brute force, bad input."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest

import cbecopt
from cbecopt.errors import InputError
from cbecopt.highs import compile_model
from cbecopt.readers.smps import read_smps
from cbecopt.stochastic.twostage import build_extensive_form, solve_extensive_form
from conftest import known_optima

# A tight gap: sslp_15_45_15 is compared to 1e-5 absolute (1e-6 relative would allow 2.5e-4).
OPTIONS = cbecopt.SolveOptions(threads=1, mip_rel_gap=1e-9)


def write_smps(folder: Path, stem: str, cor: str, tim: str | None, sto: str | None) -> Path:
    """Write ``stem``.cor/.tim/.sto (the .tim and .sto with CRLF, as SIPLIB's); return the .cor."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.cor").write_text(cor)
    for suffix, text in ((".tim", tim), (".sto", sto)):
        if text is not None:
            (folder / f"{stem}{suffix}").write_bytes(text.replace("\n", "\r\n").encode())
    return folder / f"{stem}.cor"


def solve(problem):
    solution = solve_extensive_form(build_extensive_form(problem, problem.scenarios()), OPTIONS)
    assert solution.outcome.status == cbecopt.Status.OPTIMAL
    return solution


# --- random right-hand side (SCENARIOS DISCRETE) ------------------------------------------------
# min x + E[3 u]  s.t.  x <= 9 (stage 1),  x + u >= d (stage 2),  x integer in [0, 10], u >= 0,
# d = 2, 5, 8 with probability 0.3, 0.5, 0.2.
RHS_COR = """NAME          tiny_rhs
* a comment line
ROWS
 N  cost
 L  cap
 G  meet
COLUMNS
    M1        'MARKER'                 'INTORG'
    x         cost         1   cap          1
    x         meet         1
    M2        'MARKER'                 'INTEND'
    u         cost         3   meet         1
RHS
    rhs       cap          9   meet         5
BOUNDS
 UP bnd       x           10
ENDATA
"""
RHS_TIM = """TIME          tiny_rhs
PERIODS       LP
    x         cap                      T1
    u         meet                     T2
ENDATA
"""
RHS_STO = """STOCH         tiny_rhs
SCENARIOS     DISCRETE
 SC low       'ROOT'    0.3            T2
    RHS       meet      2
 SC mid       ROOT      0.5            T2
    RHS       meet      5
    RHS       meet      5
 SC high      ROOT      0.2            T2
    RHS       meet      8
ENDATA
"""
DEMAND = {"low": (2.0, 0.3), "mid": (5.0, 0.5), "high": (8.0, 0.2)}


@pytest.mark.component
def test_random_rhs_matches_hand_derived_optimum(tmp_path):
    problem = read_smps(write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, RHS_STO))
    assert problem.first_stage_names == ("x",)
    assert [(n, p) for n, p, _ in problem.scenarios()] == [(n, p) for n, (_, p) in DEMAND.items()]
    # By hand: cost(x) = x + 3 E[(d - x)+] is 14.1, 10.1, 6.8, 8 at x = 0, 2, 5, 8; best x = 5.
    brute = min(x + sum(3 * p * max(d - x, 0) for d, p in DEMAND.values()) for x in range(0, 10))
    assert brute == pytest.approx(6.8)
    solution = solve(problem)
    assert solution.outcome.objective == pytest.approx(6.8, abs=1e-9)
    assert list(solution.first_stage) == pytest.approx([5.0])
    mean = problem.expected_scenario()
    assert mean.rhs.tolist() == pytest.approx([0.3 * 2 + 0.5 * 5 + 0.2 * 8])


# --- random objective and matrix coefficients (and a random stage-1 cost) -----------------------
# min c x + E[q y]  s.t.  y - a x <= 0,  x integer in [0, 10],  0 <= y <= 4.
# S1 (0.5): c = 1, q = -3, a = 1.   S2 (0.5): c = 3, q = -1, a = 2.
COEF_COR = """NAME tiny_coef
ROWS
 N obj
 L yield
COLUMNS
    MARKER 'MARKER' 'INTORG'
    x obj 1 yield -1
    MARKER 'MARKER' 'INTEND'
    y obj -3 yield 1
RHS
BOUNDS
 UP bnd x 10
 UP bnd y 4
ENDATA
"""
COEF_TIM = """TIME tiny_coef
PERIODS
    x obj T1
    y yield T2
ENDATA
"""
COEF_STO = """STOCH tiny_coef
SCENARIOS DISCRETE
 SC S1 ROOT 0.5 T2
    y obj -3
 SC S2 ROOT 0.5 T2
    x yield -2 obj 3
    y obj -1
ENDATA
"""


@pytest.mark.component
def test_random_objective_and_matrix_coefficients_match_brute_force(tmp_path):
    problem = read_smps(write_smps(tmp_path, "tiny", COEF_COR, COEF_TIM, COEF_STO))
    outcomes = [(0.5, 1.0, -3.0, 1.0), (0.5, 3.0, -1.0, 2.0)]  # p, c, q, a

    def expected_cost(x: int) -> float:  # the best y is min(4, a x) when q < 0
        return sum(p * (c * x + q * min(4.0, a * x)) for p, c, q, a in outcomes)

    brute = min(expected_cost(x) for x in range(11))
    assert brute == pytest.approx(-1.0)  # by hand: x = 2 gives 4 - 3 - 2
    solution = solve(problem)
    assert solution.outcome.objective == pytest.approx(brute, abs=1e-9)
    assert list(solution.first_stage) == pytest.approx([2.0])
    # Per scenario: S1 pays 1*2 - 3*2, S2 pays 3*2 - 1*4.
    assert list(solution.scenario_costs()) == pytest.approx([-4.0, 2.0])
    mean = problem.expected_scenario()
    assert mean.cost.tolist() == pytest.approx([2.0, -2.0])
    assert mean.coef.tolist() == pytest.approx([-1.5])


# --- independent distributions (INDEP DISCRETE) -------------------------------------------------
# min x + E[pen u]  s.t.  a x + u >= d;  d in {2: .25, 6: .75}, pen in {2: .5, 4: .5},
# a in {1: .6, 0.5: .4}: 8 scenarios. The standard layout is 'column row value period
# probability' (the standard's own example: COL1 ROW8 6.0 PERIOD2 0.5); the period may be left
# out, as the a lines do.
INDEP_COR = """NAME tiny_indep
ROWS
 N obj
 G meet
COLUMNS
    MARKER 'MARKER' 'INTORG'
    x obj 1 meet 1
    MARKER 'MARKER' 'INTEND'
    u obj 2 meet 1
RHS
    RHS meet 2
BOUNDS
 UP bnd x 10
ENDATA
"""
INDEP_TIM = """TIME tiny_indep
PERIODS IMPLICIT
    x obj P1
    u meet P2
ENDATA
"""
INDEP_STO = """STOCH tiny_indep
INDEP DISCRETE
    RHS meet 2 P2 0.25
    RHS meet 6 P2 0.75
    u obj 2 P2 0.5
    u obj 4 P2 0.5
    x meet 1 0.6
    x meet 0.5 0.4
ENDATA
"""
D, PEN, A = [(2, 0.25), (6, 0.75)], [(2, 0.5), (4, 0.5)], [(1, 0.6), (0.5, 0.4)]


@pytest.mark.component
def test_indep_scenarios_are_the_product_and_match_brute_force(tmp_path):
    problem = read_smps(write_smps(tmp_path, "tiny", INDEP_COR, INDEP_TIM, INDEP_STO))
    scenarios = problem.scenarios()
    combos = list(itertools.product(D, PEN, A))
    assert len(scenarios) == len(D) * len(PEN) * len(A) == 8
    assert [s[0] for s in scenarios] == [f"S{k}" for k in range(1, 9)]
    assert [s[1] for s in scenarios] == pytest.approx([d[1] * q[1] * a[1] for d, q, a in combos])
    first = scenarios[0][2]
    assert (first.rhs.tolist(), first.cost.tolist(), first.coef.tolist()) == ([2], [2], [1])

    def expected_cost(x: int) -> float:
        return x + sum(pd * pq * pa * q * max(d - a * x, 0) for (d, pd), (q, pq), (a, pa) in combos)

    brute = min(expected_cost(x) for x in range(11))
    solution = solve(problem)
    assert solution.outcome.objective == pytest.approx(brute, abs=1e-9)
    assert expected_cost(round(solution.first_stage[0])) == pytest.approx(brute)
    mean = problem.expected_scenario()
    assert mean.rhs.tolist() == pytest.approx([5.0])
    assert mean.cost.tolist() == pytest.approx([3.0])
    assert mean.coef.tolist() == pytest.approx([0.8])


# --- MPS details: bounds, ranges, free rows, objective constant --------------------------------
FEATURES_COR = """NAME features
ROWS
 N obj
 N spare
 G r1
 L r2
 E r3
 E r4
 G r5
COLUMNS
    a obj 1 r1 1
    a spare 5
    b obj 1 r2 1
    c obj 1 r3 1
    d r4 1
    e r1 1
    f r1 1
    g r1 1
    h r1 1 r2 1
    i r1 1
    MARKER 'MARKER' 'INTORG'
    j r1 1
    MARKER 'MARKER' 'INTEND'
    k r1 1
    z obj 1 r5 1
RHS
    RHS obj -2.5 r1 1
    RHS r2 4 r3 3
    RHS r4 3
RANGES
    RNG r1 2 r2 3
    RNG r3 2 r4 -2
BOUNDS
 UP BND a 4
 LO BND b -1
 UP BND b 5
 FX BND c 4
 FR BND d
 MI BND e
 UP BND e 3
 PL BND f
 BV BND g
 LI BND h 1
 UI BND h 7
 UP BND i -2
 UP BND k 1e30
ENDATA
"""
FEATURES_TIM = "TIME features\nPERIODS\n    a r1 T1\n    z r5 T2\nENDATA\n"
FEATURES_STO = "STOCH features\nSCENARIOS DISCRETE\n SC only ROOT 1 T2\n    RHS r5 1\nENDATA\n"


@pytest.mark.component
def test_mps_bounds_ranges_and_objective_constant(tmp_path):
    problem = read_smps(write_smps(tmp_path, "f", FEATURES_COR, FEATURES_TIM, FEATURES_STO))
    assert problem.first_stage_names == tuple("abcdefghijk")
    m = pyo.ConcreteModel()
    first = problem.build_first_stage(m)
    compiled = compile_model(m)
    start = compiled.column_offset(first.families[0].component)
    columns = slice(start, start + 11)
    inf = math.inf
    assert list(compiled.lp.col_lower_[columns]) == [0, -1, 4, -inf, -inf, 0, 0, 1, -inf, 0, 0]
    assert list(compiled.lp.col_upper_[columns]) == [4, 5, 4, inf, 3, inf, 1, 7, -2, inf, inf]
    integer = set((compiled.integer_columns - start).tolist())
    assert integer == {6, 7, 9}  # g (BV), h (LI/UI), j (MARKER)
    assert list(compiled.lp.row_lower_) == [1, 1, 3, 1]  # G range, L range, E +range, E -range
    assert list(compiled.lp.row_upper_) == [3, 4, 5, 3]
    # min a + b + c + 2.5 + E[z]: a = 0, b = -1 (so h >= 2 for r2), c = 4, z = 1.
    solution = solve(problem)
    assert solution.outcome.objective == pytest.approx(6.5, abs=1e-9)


# --- bad input ---------------------------------------------------------------------------------
def error_of(path: Path) -> str:
    with pytest.raises(InputError) as info:
        read_smps(path)
    return str(info.value)


@pytest.mark.unit
def test_missing_sto_is_named(tmp_path):
    message = error_of(write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, None))
    assert "tiny.sto" in message and "not found" in message


@pytest.mark.unit
def test_unknown_row_in_sto_names_file_and_line(tmp_path):
    sto = RHS_STO.replace("RHS       meet      8", "RHS       nosuch    8")
    message = error_of(write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, sto))
    assert "tiny.sto, row 9" in message and "nosuch" in message


@pytest.mark.unit
def test_unknown_column_in_tim_names_file_and_line(tmp_path):
    tim = RHS_TIM.replace("    u ", "    w ")
    message = error_of(write_smps(tmp_path, "tiny", RHS_COR, tim, RHS_STO))
    assert "tiny.tim, row 4" in message and "'w'" in message


@pytest.mark.unit
def test_probabilities_must_sum_to_one(tmp_path):
    sto = RHS_STO.replace("0.2 ", "0.3 ")
    message = error_of(write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, sto))
    assert "tiny.sto, row 2" in message and "sum to 1.1" in message


@pytest.mark.component
def test_indep_in_the_standard_layout_reads_the_standard_example(tmp_path):
    # The standard's example lines, COL1 ROW8 6.0 PERIOD2 0.5 and RHS ROW8 6.0 PERIOD2 0.5, on
    # the INDEP core: min x + E[2 u] s.t. a x + u >= d, a = 6 or 1 and d = 6 or 2, each 1/2.
    tim = INDEP_TIM.replace("P1", "PERIOD1").replace("P2", "PERIOD2")
    sto = (
        "STOCH tiny_indep\nINDEP DISCRETE\n"
        "    x meet 6.0 PERIOD2 0.5\n    x meet 1.0 PERIOD2 0.5\n"
        "    RHS meet 6.0 PERIOD2 0.5\n    RHS meet 2.0 PERIOD2 0.5\nENDATA\n"
    )
    problem = read_smps(write_smps(tmp_path, "tiny", INDEP_COR, tim, sto))
    values = [(s.coef.tolist(), s.rhs.tolist(), p) for _, p, s in problem.scenarios()]
    assert values == [([6], [6], 0.25), ([6], [2], 0.25), ([1], [6], 0.25), ([1], [2], 0.25)]
    # By hand: x = 1 covers d when a = 6 and costs 1 + 2 * 0.25 * (5 + 1) = 4 in all; x = 2
    # costs 2 + 2 * 0.25 * 4 = 4 too, x = 0 costs 8 and x >= 3 more than 4.
    brute = min(
        x + 2 * sum(0.25 * max(d - a * x, 0) for a in (6, 1) for d in (6, 2)) for x in range(11)
    )
    assert brute == pytest.approx(4.0)
    assert solve(problem).outcome.objective == pytest.approx(brute, abs=1e-9)


@pytest.mark.unit
def test_indep_probability_before_the_period_is_refused(tmp_path):
    sto = INDEP_STO.replace("u obj 2 P2 0.5", "u obj 2 0.5 P2")
    message = error_of(write_smps(tmp_path, "tiny", INDEP_COR, INDEP_TIM, sto))
    assert "tiny.sto, row 5" in message
    assert "'column row value period probability'" in message


@pytest.mark.unit
def test_indep_probabilities_must_sum_to_one(tmp_path):
    sto = INDEP_STO.replace("u obj 4 P2 0.5", "u obj 4 P2 0.4")
    message = error_of(write_smps(tmp_path, "tiny", INDEP_COR, INDEP_TIM, sto))
    assert "tiny.sto, row 5" in message and "probabilit" in message


@pytest.mark.unit
def test_more_than_two_periods_is_rejected(tmp_path):
    cor = RHS_COR.replace(" G  meet", " G  meet\n G  more").replace(
        "    u         cost         3   meet         1",
        "    u         cost         3   meet         1\n    v         more         1",
    )
    tim = RHS_TIM.replace("ENDATA", "    v         more                     T3\nENDATA")
    message = error_of(write_smps(tmp_path, "tiny", cor, tim, RHS_STO))
    assert "tiny.tim, row 5" in message and "3 periods (T1, T2, T3)" in message
    assert "only two-stage problems" in message


@pytest.mark.unit
def test_truncated_cor_is_reported_at_its_last_line(tmp_path):
    cor = RHS_COR.replace("ENDATA\n", "")
    last = len(cor.splitlines())
    message = error_of(write_smps(tmp_path, "tiny", cor, RHS_TIM, RHS_STO))
    assert f"tiny.cor, row {last}" in message and "ENDATA" in message


@pytest.mark.unit
def test_random_first_stage_row_is_rejected(tmp_path):
    sto = RHS_STO.replace("RHS       meet      8", "RHS       cap       8")
    message = error_of(write_smps(tmp_path, "tiny", RHS_COR, RHS_TIM, sto))
    assert "tiny.sto, row 9" in message and "stage-1 row" in message


@pytest.mark.unit
def test_bad_number_in_cor_names_line_and_field(tmp_path):
    cor = RHS_COR.replace("cap          9", "cap          nine")
    message = error_of(write_smps(tmp_path, "tiny", cor, RHS_TIM, RHS_STO))
    assert "tiny.cor, row 14, column 'value'" in message


# --- published SIPLIB SSLP instances ------------------------------------------------------------
# The default suite keeps the smallest SSLP instance (sslp_5_25_50); the larger ones check the
# same reader and extensive form on more scenarios and sites, slowly: `make test-slow`.
SLOW = ("sslp_5_25_100", "sslp_15_45_5", "sslp_15_45_10", "sslp_15_45_15")
SSLP = [
    "sslp_5_25_50",
    *(pytest.param(name, marks=pytest.mark.slow) for name in SLOW),
]
# The files' probabilities (0.066667, summing to 1.000005) give this value, proven by HiGHS.
SSLP_15_45_15_EXACT = -253.602333


@pytest.mark.integration
@pytest.mark.parametrize("instance", SSLP)
def test_sslp_extensive_form_matches_published_optimum(benchmarks, instance):
    published = dict(known_optima("sslp", "2S-SMIP")).get(instance)
    assert published is not None, f"{instance} is missing from sslp/known_optima.csv"
    problem = read_smps(benchmarks / "sslp" / f"{instance}.cor")
    solution = solve(problem)
    objective = solution.outcome.objective
    assert abs(objective - published) <= 0.01
    if instance == "sslp_15_45_15":
        assert abs(objective - SSLP_15_45_15_EXACT) <= 1e-5
    if instance == "sslp_5_25_50":
        opened = [problem.first_stage_names[k] for k in np.flatnonzero(solution.first_stage > 0.5)]
        assert opened == ["x_1", "x_3"]


@pytest.mark.integration
def test_sslp_10_50_1000_parses_despite_duplicate_rhs_lines(benchmarks):
    problem = read_smps(benchmarks / "sslp" / "sslp_10_50_1000.cor")
    scenarios = problem.scenarios()
    assert len(scenarios) == 1000
    assert sum(p for _, p, _ in scenarios) == pytest.approx(1.0, abs=1e-9)
    assert all(len(data.rhs) == 50 and not len(data.coef) for _, _, data in scenarios)
    assert problem.first_stage_names == tuple(f"x_{j}" for j in range(1, 11))
    size = problem.size
    assert (size.second_stage_columns, size.second_stage_rows) == (510, 60)
    assert size.extensive_columns == 510_010
