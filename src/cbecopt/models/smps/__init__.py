"""SMPS files as a model: a two-stage stochastic program read from a ``.cor``/``.tim``/``.sto``
triple (e.g. SIPLIB's SSLP), solved by the same pipeline and methods as the models of ours.
The problem is read and checked by :func:`~cbecopt.readers.smps.read_smps`; it has no
families of ours (``models/smps.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cbecopt.errors import OptionError
from cbecopt.instance import Instance
from cbecopt.models.spec import ModelSpec
from cbecopt.readers.smps import SmpsConfig, SmpsProblem, extract_smps
from cbecopt.report import print_two_stage


def _check_smps(problem: SmpsProblem, config: SmpsConfig | None, seed: int = 0) -> SmpsProblem:
    """An SMPS problem is checked as :func:`~cbecopt.readers.smps.read_smps` reads it."""
    return problem


def _build_smps(problem: SmpsProblem, config, data: SmpsProblem) -> SmpsProblem:
    return data


def _diagnose_smps(problem: SmpsProblem) -> list[str]:
    return []  # the files' own problem: no model of ours to say why (the method says so)


def _generate_smps(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.models import MODELS  # the registry lists this package: import late

    raise OptionError(
        "the smps model reads SMPS files (e.g. SIPLIB's); cbecopt generates none: "
        f"generate an instance for {', '.join(k for k, s in MODELS.items() if s.reads_instances)}"
    )


SPEC = ModelSpec(
    "smps",
    "a two-stage stochastic program read from SMPS files (.cor + .tim + .sto, e.g. SIPLIB's "
    "SSLP): solve FILE.cor --format smps",
    SmpsConfig,
    _check_smps,
    _build_smps,
    extract_smps,
    _diagnose_smps,
    tables=(),
    reads={},
    unbounded="the smps problem's expected cost can decrease without limit: some variable "
    "with no bound (first or second stage) lowers the cost in every scenario",
    generate=_generate_smps,
    summarize=print_two_stage,
    two_stage=True,
    source=SmpsProblem,
    source_doc="SMPS files (cbecopt.readers.smps.read_smps(FILE.cor), on the command line "
    "FILE.cor --format smps)",
)
