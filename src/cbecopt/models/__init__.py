"""The model registry: one package per model, one line each in :data:`MODELS`.

Each model registers its check step (instance, config -> the model's data, raising every
:class:`~cbecopt.errors.InputError` the model finds), a build from that data (its problem in
the protocol of :mod:`cbecopt.problem`), an extraction (solution view -> tidy tables and
KPIs), a diagnosis (why it can be infeasible) and the columns it reads. The pipeline
(:func:`cbecopt.pipeline.solve`) and ``cbecopt.validate`` run the very same check step, so an
instance ``validate`` passes for a model is one ``solve`` accepts; the command line loops
over this registry.
"""

from __future__ import annotations

from typing import Any

from cbecopt.errors import InputError, OptionError
from cbecopt.instance import Instance
from cbecopt.models import contracts, network, routing, smps, suppliers, warehouses
from cbecopt.models.spec import DESCRIPTIVE, ModelSpec
from cbecopt.readers.smps import SmpsProblem
from cbecopt.seeds import stream_seed

__all__ = ["DESCRIPTIVE", "MODELS", "ModelSpec", "check_inputs", "missing_tables", "model_spec"]

MODELS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        warehouses.SPEC,
        contracts.SPEC,
        routing.SPEC,
        suppliers.SPEC,
        smps.SPEC,
        network.SPEC,
    )
}
"""Models by key; the keys ``warehouses``, ``contracts``, ``routing``, ``suppliers``, ``smps``,
``network`` are stable (``smps`` reads SMPS files, :attr:`ModelSpec.source`; the others instances).
Adding a model is one package under ``cbecopt/models/`` declaring a ``SPEC``, and one entry here."""


def model_spec(model: str, config: Any = None) -> ModelSpec:
    """The registry entry of ``model``; an unknown key, or a ``config`` that is not the
    model's, is an :class:`OptionError`."""
    if model not in MODELS:
        raise OptionError(f"unknown model '{model}'; available: {', '.join(MODELS)}")
    spec = MODELS[model]
    if config is not None and not isinstance(config, spec.config_type):
        raise OptionError(
            f"model '{model}' takes a {spec.config_type.__name__}, not {type(config).__name__}"
        )
    return spec


def missing_tables(instance: Instance, model: str) -> InputError | None:
    """The error for the tables ``model`` needs and ``instance`` lacks (``None``: all there)."""
    spec = model_spec(model)
    missing = [t for t in spec.tables if t not in instance.tables]
    if not missing:
        return None
    return InputError(
        [instance.problem(t, f"missing: the {model} model needs this table") for t in missing]
    )


def check_inputs(instance: Instance, model: str, config: Any = None, seed: int = 0) -> Any:
    """Run every check ``solve(instance, model, config=config)`` runs before solving.

    The model's tables must be there, ``config`` must be the model's, and the model's check
    step (its data preparation) must pass. Returns the model's data, which ``solve`` builds
    from; ``seed`` drives the sampling of demand scenarios (``config.samples``), the one seed
    of the call (``SolveOptions.seed``), through its ``scenarios`` stream (:mod:`cbecopt.seeds`).

    Raises
    ------
    InputError
        every problem the model finds in the instance, with file (or sheet), row and column.
    OptionError
        an unknown model, a config of another model, an input the model does not read (an
        instance for ``smps``, SMPS files for the others), or options that do not fit the
        instance.
    """
    spec = model_spec(model, config)
    if not isinstance(instance, spec.source):
        raise OptionError(f"the {model} model reads {spec.source_doc}, not {_described(instance)}")
    missing = missing_tables(instance, model)
    if missing is not None:
        raise missing
    return spec.check(instance, config, stream_seed(seed, "scenarios"))


def _described(source: Any) -> str:
    """What was given to a model, for the error saying it reads something else."""
    if isinstance(source, Instance):
        return f"the instance '{source.name}'"
    if isinstance(source, SmpsProblem):
        return f"the SMPS problem '{source.name}'"
    return f"a {type(source).__name__}"
