"""OR-Library capacitated warehouse location: our model reproduces the published optima."""

from __future__ import annotations

import pytest

import cbecopt
from conftest import known_optima, matches_published

MS_ROWS = [
    (n, v) for n, v in known_optima("orlib_cap", "MS-CFLP") if n.startswith("cap") and "-" not in n
]
SS_ROWS = [(n, v) for n, v in known_optima("orlib_cap", "SS-CFLP") if "-" not in n]
OPTIONS = cbecopt.SolveOptions(mip_rel_gap=1e-9, threads=1)


def _solve(benchmarks, name: str, single_source: bool) -> cbecopt.Result:
    instance = cbecopt.load_instance(benchmarks / "orlib_cap" / f"{name}.txt", fmt="orlib-cap")
    return cbecopt.solve(
        instance, "warehouses", OPTIONS, cbecopt.WarehousesConfig(single_source=single_source)
    )


@pytest.mark.integration
def test_the_small_suite_is_all_there(benchmarks):
    assert len(MS_ROWS) == 37, "expected the 37 small OR-Library instances cap41..cap134"
    assert len(SS_ROWS) == 24


@pytest.mark.integration
@pytest.mark.parametrize(("name", "published"), MS_ROWS, ids=[n for n, _ in MS_ROWS])
def test_multi_source_optimum_matches_capopt(benchmarks, name, published):
    result = _solve(benchmarks, name, single_source=False)
    assert result.status == cbecopt.Status.OPTIMAL
    assert matches_published(result.objective, published), (result.objective, published)
    assert result.kpis["fixed_cost"] + result.kpis["transport_cost"] == pytest.approx(
        result.objective, rel=1e-9
    )


@pytest.mark.integration
@pytest.mark.parametrize(("name", "published"), MS_ROWS, ids=[n for n, _ in MS_ROWS])
def test_lagrangian_branch_and_bound_proves_capopt_s_optimum(benchmarks, name, published):
    instance = cbecopt.load_instance(benchmarks / "orlib_cap" / f"{name}.txt", fmt="orlib-cap")
    result = cbecopt.solve(instance, "warehouses", OPTIONS, method="lagrangian")
    assert result.status == cbecopt.Status.OPTIMAL and result.solver["name"] == "lagrangian"
    assert matches_published(result.objective, published), (result.objective, published)
    assert result.bound <= result.objective and result.gap <= OPTIONS.mip_rel_gap


@pytest.mark.integration
@pytest.mark.parametrize(("name", "published"), SS_ROWS, ids=[n for n, _ in SS_ROWS])
def test_single_source_optimum_matches_guastaroba_speranza(benchmarks, name, published):
    result = _solve(benchmarks, name, single_source=True)
    assert result.status == cbecopt.Status.OPTIMAL
    assert matches_published(result.objective, published), (result.objective, published)
    flows = result.tables["flows"]
    assert flows.groupby("market")["warehouse"].nunique().max() == 1, (
        "a market is served by two warehouses"
    )


@pytest.mark.integration
def test_template_needs_a_capacity(benchmarks):
    with pytest.raises(cbecopt.InputError, match="--capacity"):
        cbecopt.load_instance(benchmarks / "orlib_cap" / "capa.txt", fmt="orlib-cap")
    instance = cbecopt.load_instance(
        benchmarks / "orlib_cap" / "capb.txt", fmt="orlib-cap", capacity=6000
    )
    assert instance.name == "capb-6000"
    capacities = instance.tables["nodes"].dropna(subset=["capacity"])["capacity"]
    assert len(capacities) == 100 and (capacities == 6000).all()
