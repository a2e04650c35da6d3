"""Platforms and sharing in the ``network`` model (:func:`with_platforms`), against the
single-platform optimum: shared warehouses pool the platforms, so splitting demand between
them changes nothing; unshared copies cost the same when one platform has all the demand, and
never less otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from cbecopt.models.network import solve_network, with_platforms
from network_helpers import tiny
from test_network_model import brute_force

CHEAP = {"overseas_fixed": np.array([10.0]), "bonded_fixed": np.array([900.0])}


def _split(demand: np.ndarray, share: float) -> np.ndarray:
    """``demand[s, j, k, t]`` split between two platforms, ``share`` to the first."""
    return np.stack([demand * share, demand * (1.0 - share)], axis=2)


def _objective(d) -> float:
    return solve_network(d)[1].objective


@pytest.mark.component
@pytest.mark.parametrize("case", [{}, CHEAP])
def test_shared_warehouses_pool_the_platforms(case):
    d = tiny(**case)
    split = with_platforms(d, ("tmall", "jd"), _split(d.demand, 0.3), sharing=True)
    assert _objective(split) == pytest.approx(_objective(d), rel=1e-9)


@pytest.mark.component
def test_unshared_copies_cost_the_same_for_one_platform_and_one_more_fixed_cost_for_two():
    """With capacity to spare, two platforms that both use the warehouse pay for two copies:
    the same flows as the shared optimum plus one more fixed cost."""
    d = tiny(**CHEAP, overseas_capacity=np.array([500.0]))
    base = _objective(d)
    alone = with_platforms(d, ("tmall", "jd"), _split(d.demand, 1.0), sharing=False)
    assert _objective(alone) == pytest.approx(base, rel=1e-9)
    both = with_platforms(d, ("tmall", "jd"), _split(d.demand, 0.5), sharing=False)
    form, outcome = solve_network(both)
    assert list(np.round(form.values_of(outcome.values, form.block.open))) == [1.0, 1.0]
    assert outcome.objective == pytest.approx(base + d.overseas_fixed[0], rel=1e-9)


@pytest.mark.component
def test_a_copy_per_platform_has_its_own_capacity():
    """When the shared warehouse is full, copies (each with the capacity) can beat sharing."""
    d = tiny(**CHEAP)
    both = with_platforms(d, ("tmall", "jd"), _split(d.demand, 0.5), sharing=False)
    shared = with_platforms(d, ("tmall", "jd"), _split(d.demand, 0.5), sharing=True)
    assert _objective(both) < _objective(shared)


@pytest.mark.unit
def test_demand_by_platform_of_the_wrong_shape_is_refused():
    d = tiny()
    with pytest.raises(ValueError, match="demand by platform"):
        with_platforms(d, ("tmall",), d.demand, sharing=True)


@pytest.mark.component
def test_unshared_network_optimum_is_the_brute_force_optimum():
    d = tiny(**CHEAP)
    both = with_platforms(d, ("tmall", "jd"), _split(d.demand, 0.4), sharing=False)
    assert _objective(both) == pytest.approx(brute_force(both), rel=1e-6, abs=1e-6)
