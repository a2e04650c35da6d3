"""cbecopt: mixed-integer optimization models for cross-border e-commerce supply chains.

The pipeline: ``load_instance(path)`` -> validated :class:`Instance` (tables + networkx graph)
-> ``solve(instance, model=..., options=SolveOptions(...))`` -> :class:`Result` (honest
status, objective, bound, gap, timings, tidy pandas tables). ``validate(instance, model)``
runs the checks ``solve`` runs and says which models an instance can feed.
"""

from cbecopt.errors import CbecoptError, InputError, OptionError, Problem
from cbecopt.formulations.contracts import ContractsConfig
from cbecopt.formulations.warehouses import WarehousesConfig
from cbecopt.instance import Instance, load_instance, save_instance
from cbecopt.models import MODELS, solve
from cbecopt.results import Result, Status
from cbecopt.solver import SolveOptions
from cbecopt.stochastic.twostage import RiskOptions
from cbecopt.validation import ValidationReport, validate

__version__ = "0.1.0"

__all__ = [
    "MODELS",
    "CbecoptError",
    "ContractsConfig",
    "InputError",
    "Instance",
    "OptionError",
    "Problem",
    "Result",
    "RiskOptions",
    "SolveOptions",
    "Status",
    "ValidationReport",
    "WarehousesConfig",
    "load_instance",
    "save_instance",
    "solve",
    "validate",
]
