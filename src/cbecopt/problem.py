"""The problem protocol every model follows, and the neutral view of a solution.

A model is a two-stage problem (:class:`~cbecopt.stochastic.twostage.TwoStageProblem`:
first-stage and per-scenario builders, the mpi-sppy ``scenario_creator`` convention), and a
deterministic model is its one-scenario case (:class:`OneScenario`): its whole model is the
first stage, with no recourse, built by the model's own builder, rows and objective unchanged.
A method (:mod:`cbecopt.methods`) builds either, and every model reads its solution the same
way, through a :class:`SolutionView`: values by variable family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyomo.common.gc_manager import PauseGC

from cbecopt.stochastic.twostage import ExtensiveForm, FirstStage

BASE_SCENARIO = "base"
"""The one scenario of a deterministic model."""


@dataclass(frozen=True)
class OneScenario:
    """A deterministic model as the one-scenario case of the two-stage protocol.

    ``build`` is the model's own builder with its data bound (``build_warehouses(instance,
    config, data)``): it returns the built model (an object with ``model``, the Pyomo model,
    and ``block``, the model's own block on it); ``build(model=m, name=n)`` builds it on the
    block ``m.<n>`` of a given model (:mod:`cbecopt.compose`). ``key`` is the model's key, the
    name of its block when built alone.
    """

    name: str
    build: Callable[..., Any]
    key: str | None = None

    def scenarios(self) -> list[tuple[str, float, None]]:
        return [(BASE_SCENARIO, 1.0, None)]

    def extensive_form(self) -> tuple[ExtensiveForm, Any]:
        """The model's extensive form, its one scenario: the built model itself (first stage
        all of it, no recourse), and the built object its extraction reads."""
        with PauseGC():  # a large build creates millions of objects; GC passes cost 2-3x
            built = self.build()
        return self.form_of(built.model, self.key), built

    @staticmethod
    def form_of(model: Any, key: str | None) -> ExtensiveForm:
        """The extensive form of a deterministic model built on ``model.<key>``: first stage
        all of it, no recourse."""
        return ExtensiveForm(
            model, FirstStage((), ()), (BASE_SCENARIO,), np.ones(1), [()], 0.0, key=key
        )


@dataclass(frozen=True)
class SolutionView:
    """A solution as every model's extraction reads it: values by variable family.

    ``form`` is the extensive form solved (its ``model``, scenario blocks and costs), ``values``
    the solver's column values in the form's column order.
    """

    form: ExtensiveForm
    values: np.ndarray

    def values_of(self, family) -> np.ndarray:
        """The values of one variable family (or indexed Pyomo variable), in key order."""
        return self.form.values_of(self.values, family)
