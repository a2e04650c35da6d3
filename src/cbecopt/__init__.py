"""cbecopt: mixed-integer optimization models for cross-border e-commerce supply chains.

The pipeline: ``load_instance(path)`` -> validated :class:`Instance` (tables + networkx graph)
-> ``solve(instance, model=..., options=SolveOptions(...))`` -> :class:`Result` (honest
status, objective, bound, gap, timings, tidy pandas tables). ``validate(instance, model)``
runs the checks ``solve`` runs and says which models an instance can feed.

The public names are imported on first use (PEP 562), so that ``import cbecopt.cli`` is quick
and the command line can set up its Ctrl-C handling before Pyomo and pandas load.
"""

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {
    "CbecoptError": "cbecopt.errors",
    "InputError": "cbecopt.errors",
    "OptionError": "cbecopt.errors",
    "Problem": "cbecopt.errors",
    "ContractsConfig": "cbecopt.models.contracts.build",
    "WarehousesConfig": "cbecopt.models.warehouses.build",
    "Instance": "cbecopt.instance",
    "load_instance": "cbecopt.instance",
    "save_instance": "cbecopt.instance",
    "MODELS": "cbecopt.models",
    "compose": "cbecopt.compose",
    "Part": "cbecopt.compose",
    "read_smps": "cbecopt.readers.smps",
    "SmpsConfig": "cbecopt.readers.smps",
    "solve": "cbecopt.pipeline",
    "Result": "cbecopt.results",
    "Status": "cbecopt.results",
    "SolveOptions": "cbecopt.highs",
    "RiskOptions": "cbecopt.stochastic.twostage",
    "ValidationReport": "cbecopt.validation",
    "validate": "cbecopt.validation",
    "whatif": "cbecopt.whatif",
    "WhatIf": "cbecopt.whatif",
}
"""Each public name and the module it lives in."""

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'cbecopt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
