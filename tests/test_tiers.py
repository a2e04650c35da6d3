"""The test tiers are enforced: pytest runs small test files with this folder's conftest.py and
tiers.py, and a test without exactly one tier marker, or marked for less (or, unparametrized,
more) than it does, is refused."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

HERE = Path(__file__).resolve().parent
INI = """[pytest]
markers =
    unit: one function alone
    component: one model in process
    integration: a command, a process or the benchmarks
addopts = --strict-markers -p no:cacheprovider -p no:xdist
"""
TESTS = """
import subprocess
import sys

import pyomo.environ as pyo
import pytest


@pytest.fixture(scope="module")
def model():
    return pyo.ConcreteModel()


@pytest.mark.unit
def test_unit_alone():
    assert 1 + 1 == 2


@pytest.mark.unit
def test_unit_building_a_model():
    pyo.ConcreteModel()


@pytest.mark.unit
def test_unit_using_a_module_fixture_first(model):
    pass


@pytest.mark.unit
def test_unit_using_a_module_fixture_again(model):
    pass


@pytest.mark.component
def test_component_building_a_model():
    pyo.ConcreteModel()


@pytest.mark.component
def test_component_starting_a_process():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


@pytest.mark.integration
def test_integration_doing_nothing_more():
    pass


@pytest.mark.component
@pytest.mark.parametrize("build", [True, False])
def test_component_cases_some_refused_before_building(build):
    if build:
        pyo.ConcreteModel()
"""


def run_pytest(folder: Path, source: str) -> tuple[subprocess.CompletedProcess, dict[str, str]]:
    """Run pytest on ``source`` as a test file with the tier hooks; each test's outcome
    ("passed", or the failure message)."""
    for name in ("conftest.py", "tiers.py"):
        shutil.copy(HERE / name, folder / name)
    (folder / "pytest.ini").write_text(INI, encoding="utf-8")
    (folder / "test_sample.py").write_text(textwrap.dedent(source), encoding="utf-8")
    report = folder / "report.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", f"--junitxml={report}", "test_sample.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcomes = {}
    if report.is_file():
        for case in ET.parse(report).iter("testcase"):
            failure = case.find("failure")
            message = "passed" if failure is None else failure.get("message")
            outcomes[case.get("name")] = message.removeprefix("Failed: ")
    return run, outcomes


def test_a_test_without_exactly_one_tier_is_a_collection_error_naming_it(tmp_path):
    run, _ = run_pytest(
        tmp_path,
        """
        import pytest

        def test_without_a_tier():
            pass

        @pytest.mark.unit
        @pytest.mark.component
        def test_with_two_tiers():
            pass

        @pytest.mark.unit
        @pytest.mark.parametrize("x", [1, pytest.param(2, marks=pytest.mark.integration)])
        def test_with_a_case_of_two_tiers(x):
            pass

        @pytest.mark.unit
        def test_with_one_tier():
            pass
        """,
    )
    assert run.returncode == 2, run.stdout  # interrupted: errors during collection
    assert "ERROR collecting test_sample.py" in run.stdout
    assert "test_sample.py::test_without_a_tier: needs exactly one tier marker" in run.stdout
    assert "test_sample.py::test_with_two_tiers: needs exactly one tier marker" in run.stdout
    assert "has component, unit" in run.stdout
    assert "test_sample.py::test_with_a_case_of_two_tiers[2]" in run.stdout
    assert "test_with_a_case_of_two_tiers[1]:" not in run.stdout
    assert "test_with_one_tier:" not in run.stdout


def test_a_test_that_does_more_or_less_than_its_tier_fails_naming_the_tier(tmp_path):
    run, outcomes = run_pytest(tmp_path, TESTS)
    assert run.returncode == 1, run.stdout
    assert outcomes == {
        "test_unit_alone": "passed",
        "test_unit_building_a_model": (
            "test_sample.py::test_unit_building_a_model is marked unit but belongs to "
            "component: it built a Pyomo model (tiers: tests/tiers.py)"
        ),
        # a module fixture acts for every test that uses it, not only the first
        "test_unit_using_a_module_fixture_first": (
            "test_sample.py::test_unit_using_a_module_fixture_first is marked unit but belongs "
            "to component: it built a Pyomo model (tiers: tests/tiers.py)"
        ),
        "test_unit_using_a_module_fixture_again": (
            "test_sample.py::test_unit_using_a_module_fixture_again is marked unit but belongs "
            "to component: it built a Pyomo model (tiers: tests/tiers.py)"
        ),
        "test_component_building_a_model": "passed",
        "test_component_starting_a_process": (
            "test_sample.py::test_component_starting_a_process is marked component but "
            "belongs to integration: it started a process (tiers: tests/tiers.py)"
        ),
        "test_integration_doing_nothing_more": (
            "test_sample.py::test_integration_doing_nothing_more is marked integration but "
            "belongs to unit: it did none of: built a Pyomo model, ran HiGHS, ran the command "
            "line, started a process, read the published benchmarks (tiers: tests/tiers.py)"
        ),
        "test_component_cases_some_refused_before_building[True]": "passed",
        "test_component_cases_some_refused_before_building[False]": "passed",
    }
