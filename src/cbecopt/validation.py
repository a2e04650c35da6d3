"""Which models an instance can feed, and why not the others: the checks ``solve`` runs.

``validate(instance, model)`` runs, for each model, the very check step ``solve`` runs before
it builds anything (:func:`cbecopt.models.check_inputs`), so an instance ``validate`` passes
for a model is one ``solve`` accepts for it, and the problems it lists are the ones ``solve``
would raise. It also lists, per model, what the instance holds that the model does not read
(:meth:`cbecopt.models.ModelSpec.unread`). Problems are reported, not raised:
``report.raise_for(model)`` raises them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cbecopt.errors import CbecoptError, InputError, OptionError, Problem
from cbecopt.instance import Instance
from cbecopt.models import MODELS, check_inputs, missing_tables, model_spec


@dataclass(frozen=True)
class ModelCheck:
    """What checking one model found.

    Attributes
    ----------
    model : the model key.
    missing : tables the model needs and the instance lacks (the model's check did not run).
    error : what the model's check raised (an :class:`InputError` listing every problem, or
        an :class:`OptionError`); ``None`` when the instance can feed the model.
    warnings : what the instance holds that the model does not read, and what its checks
        found questionable but usable.
    """

    model: str
    missing: tuple[str, ...] = ()
    error: CbecoptError | None = None
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """The instance can feed the model."""
        return self.error is None

    @property
    def problems(self) -> list[Problem]:
        return self.error.problems if isinstance(self.error, InputError) else []

    @property
    def reason(self) -> str:
        """Why the instance cannot feed the model, in one line ("" when it can)."""
        if self.missing:
            return f"missing table{'s' if len(self.missing) > 1 else ''} {', '.join(self.missing)}"
        if isinstance(self.error, InputError):
            n = len(self.error.problems)
            return f"{n} problem{'s' if n != 1 else ''} in the input"
        return "" if self.error is None else str(self.error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.ok,
            "reason": self.reason,
            "missing_tables": list(self.missing),
            "problems": [
                {"file": p.file, "row": p.row, "column": p.column, "message": p.message}
                for p in self.problems
            ],
            "error": None if self.error is None or self.problems else str(self.error),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ValidationReport:
    """Per model checked, its :class:`ModelCheck`; which models the instance can feed."""

    instance: str
    checks: dict[str, ModelCheck]

    @property
    def feeds(self) -> list[str]:
        """The models the instance can feed, in registry order."""
        return [key for key, check in self.checks.items() if check.ok]

    def raise_for(self, model: str) -> None:
        """Raise what ``solve`` would raise for ``model`` before solving; nothing when it can be fed."""
        if model not in self.checks:
            raise OptionError(f"model '{model}' was not checked; checked: {', '.join(self.checks)}")
        error = self.checks[model].error
        if error is not None:
            raise error

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "feeds": self.feeds,
            "models": {key: check.to_dict() for key, check in self.checks.items()},
        }


def validate(instance: Instance, model: str | None = None, config: Any = None) -> ValidationReport:
    """Check ``instance`` for ``model`` (with its ``config``), or for every model.

    With ``model``, every check ``solve(instance, model, config=config)`` runs before solving
    runs. Without, each model whose tables are all present is checked with its default
    options, and the others are reported with the tables they miss. Problems found are in the
    report (``report.raise_for(model)`` raises them), never raised here.

    Raises
    ------
    OptionError
        an unknown model, a config without a model, or a config of another model.
    """
    if model is None and config is not None:
        raise OptionError(
            "a model config needs the model it is for (validate(instance, model, config))"
        )
    if model is not None:
        model_spec(model, config)
    keys = [model] if model is not None else [k for k, s in MODELS.items() if s.reads_instances]
    return ValidationReport(instance.name, {key: _check(instance, key, config) for key in keys})


def _check(instance: Instance, model: str, config: Any) -> ModelCheck:
    spec = MODELS[model]
    missing = tuple(t for t in spec.tables if t not in instance.tables)
    if missing:
        return ModelCheck(model, missing, missing_tables(instance, model))
    try:
        data = check_inputs(instance, model, config)
    except CbecoptError as exc:
        return ModelCheck(model, error=exc, warnings=tuple(spec.unread(instance)))
    return ModelCheck(model, warnings=tuple(spec.warnings(instance, data)))
