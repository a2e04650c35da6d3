"""What a model registers: :class:`ModelSpec`, and the pieces the model packages share.

A model package (:mod:`cbecopt.models.warehouses` and its siblings) declares one ``SPEC``;
:mod:`cbecopt.models` lists them. Kept apart from the registry so a package can import it
without importing its siblings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from cbecopt.instance import Instance
from cbecopt.problem import OneScenario
from cbecopt.scenarios import HISTORY_TABLE
from cbecopt.schemas import SCHEMAS, WHATIF_TABLE

if TYPE_CHECKING:
    from cbecopt.stochastic.saa import Sampler

DESCRIPTIVE: dict[str, tuple[str, ...]] = {
    "nodes": ("name", "country", "lat", "lon"),
    "products": ("name", "category"),
}
"""Columns that label a row for people, never warned about when a model does not read them
(the suppliers model reads ``category`` for the statutory counterfeit penalty of a product
without a stated one)."""


@dataclass(frozen=True)
class Comparison:
    """One comparison of a model: the same instance solved under several policies, side by side,
    and everything its command (``cbecopt compare PATH --model M``, alias ``compare-<name>``)
    needs to run and show it.

    ``run(instance, options, config)`` solves the instance under each policy of ``policies``
    (their names, in the order of the table's rows), all within the one budget of ``options``,
    and returns one tidy row per policy (:mod:`cbecopt.compare`); ``config`` is the model's
    config built from the command's options. ``name`` names the comparison (``--comparison``)
    and its alias command ``compare-<name>``; ``help`` is that command's help text.
    ``options`` are the command-line options of the model's config that apply (flags of
    :data:`cbecopt.cli.solving.CONFIG_OPTIONS`, e.g. ``--samples``, ``--alpha``): any other is
    refused. ``shown`` maps each column the terminal table shows to its display name, in
    order; ``percent`` are the shown columns printed as percentages. ``rows_key`` is the key
    of the rows in the ``--json`` object (users read ``policies`` or ``strategies``).
    ``caption`` is the table's title, ``note`` a line printed under it (both formatted with
    ``instance``, the instance's name, and ``config``). ``chart(table, png, title)``, when
    given, draws ``comparison.png`` beside ``comparison.csv``; ``out`` is the folder written
    when ``--out`` is not given (``None``: nothing is written without ``--out``).
    Every row in ``--json`` carries ``name``, the value of its first shown column;
    ``summary(table)``, when given, adds the figures derived from the rows as further keys of
    the object (e.g. ``value_of_integration``). Every comparison solves its policies side by
    side on Dask when asked (``--workers``, ``--scheduler``; :mod:`cbecopt.batch`).
    """

    name: str
    policies: tuple[str, ...]
    run: Callable[..., Any]
    help: str
    shown: Mapping[str, str]
    caption: str
    options: tuple[str, ...] = ()
    percent: tuple[str, ...] = ()
    rows_key: str = "policies"
    note: str = ""
    chart: Callable[..., Any] | None = None
    out: str | None = None
    summary: Callable[[Any], dict] | None = None

    @property
    def command(self) -> str:
        """The alias command of this comparison: ``compare-<name>``."""
        return f"compare-{self.name}"


@dataclass(frozen=True)
class ModelSpec:
    """How to check, build, read and diagnose one model.

    ``check`` is the model's data preparation: it reads the instance (with the model's config)
    and raises every :class:`~cbecopt.errors.InputError` (or ``OptionError``) the model finds;
    its result, the model's data, is what ``assemble`` builds from: for a deterministic model
    the built Pyomo model with its data, for a two-stage model (``two_stage``) a
    :class:`~cbecopt.stochastic.twostage.TwoStageProblem` that a method
    (:mod:`cbecopt.methods`) turns into an extensive form. ``extract(built, view)`` reads a
    solution (a :class:`~cbecopt.problem.SolutionView`) into tables and KPIs and
    ``diagnose(built)`` says why the model can be infeasible, ``built`` being what
    ``assemble`` returned.
    ``generate(options)`` makes a synthetic instance from the options of ``cbecopt generate``
    (keyed by the generators' parameter names: ``n_skus``, ``seed``, ...) and says what it
    holds. ``summarize(console, result)`` prints what ``cbecopt solve`` shows of the model's
    result after its status and objective (:func:`cbecopt.report.print_summary`). ``tables``
    are the instance tables the model needs; ``reads`` the columns it reads, per table
    (optional tables included). ``unbounded`` says what can make the model's cost fall
    without limit (the diagnosis of an unbounded result). ``demand_sampler``, for a two-stage
    model, gives ``sampler(n, seed)`` drawing fresh demand scenarios from the instance's means
    and standard deviations (``None`` when demand comes as scenarios), for SAA; ``None``: the
    model's scenarios can only be resampled. ``comparisons``: the model's comparisons
    (:class:`Comparison`; the first is what ``cbecopt compare --model`` runs by default).
    ``source`` is what the model reads, what
    :func:`cbecopt.solve` takes as its first argument: an :class:`~cbecopt.instance.Instance`
    (every model of ours), or for ``smps`` the :class:`~cbecopt.readers.smps.SmpsProblem`
    :func:`~cbecopt.readers.smps.read_smps` reads from a ``.cor``/``.tim``/``.sto`` triple;
    ``source_doc`` says so in an error. ``marginal_values(table)``, for a model that reports
    the marginal values of its rows (``SolveOptions.marginal_values``, :mod:`cbecopt.marginal`),
    shows the rows' labels as its plan tables do (e.g. months from 1); ``None``: the model
    does not report them. ``method`` is how the model is solved when no method is asked for
    (a key of :data:`cbecopt.methods.METHODS`).
    """

    key: str
    summary: str
    config_type: type
    check: Callable[[Instance, Any, int], Any]
    assemble: Callable[[Instance, Any, Any], Any]
    extract: Callable[[Any, Any], tuple[dict, dict]]
    diagnose: Callable[[Any], list[str]]
    tables: tuple[str, ...]
    reads: Mapping[str, tuple[str, ...]]
    unbounded: str
    generate: Callable[[Mapping[str, Any]], tuple[Instance, str]]
    summarize: Callable[[Any, Any], None]
    two_stage: bool = False
    demand_sampler: Callable[[Instance, Any, Any], Sampler | None] | None = None
    comparisons: tuple[Comparison, ...] = ()
    source: type = Instance
    source_doc: str = "an instance (cbecopt.load_instance: a folder or workbook)"
    marginal_values: Callable[[Any], Any] | None = None
    method: str = "extensive_form"

    @property
    def reads_instances(self) -> bool:
        """Whether the model reads an :class:`~cbecopt.instance.Instance` (not files of its own)."""
        return self.source is Instance

    def build(self, instance: Instance, config: Any = None, seed: int = 0) -> Any:
        """Check the inputs (:func:`check_inputs`) and build the model from its data;
        ``seed`` is the root seed of any sampling (``SolveOptions.seed``)."""
        from cbecopt.models import check_inputs  # the registry lists this spec: import late

        return self.assemble(instance, config, check_inputs(instance, self.key, config, seed))

    def problem(self, instance: Instance, config: Any, data: Any) -> Any:
        """The model as a problem of the protocol (:mod:`cbecopt.problem`): a two-stage model's
        problem, or a deterministic model's one-scenario case, built when a method asks."""
        if self.two_stage:
            return self.assemble(instance, config, data)
        return OneScenario(instance.name, partial(self.assemble, instance, config, data), self.key)

    def warnings(self, instance: Instance, data: Any) -> list[str]:
        """What a solve or a validation warns of: what ``instance`` holds that the model does
        not read (:meth:`unread`), then what the model's check step found questionable but
        usable in its data (``data.warnings``, for a model whose data has them)."""
        return [*self.unread(instance), *getattr(data, "warnings", ())]

    def unread(self, instance: Instance) -> list[str]:
        """Warnings for what ``instance`` holds and this model does not read.

        One per documented table the model does not use, per documented column (with a value)
        of a table it uses but not that column, and per table or column cbecopt does not know.
        Descriptive columns (:data:`DESCRIPTIVE`), ``demand_history`` (read by ``cbecopt
        scenarios``) and ``whatif`` (read by ``cbecopt whatif``) are not warned about.
        """
        if not self.reads_instances:
            return []
        warnings = []
        for name, table in instance.tables.items():
            if name in (HISTORY_TABLE, WHATIF_TABLE):
                continue
            schema, where = SCHEMAS.get(name), instance.source(name)
            if schema is None:
                warnings.append(
                    f"{where}: '{name}' is not a cbecopt table; the {self.key} model ignores it"
                )
            elif name not in self.reads:
                warnings.append(f"{name} ({where}) is not used by the {self.key} model")
            else:
                read = {*self.reads[name], *DESCRIPTIVE.get(name, ())}
                for column in table.columns[table.notna().any().to_numpy()]:
                    if schema.field(column) is None:
                        warnings.append(
                            f"{where}: column '{column}' is not a cbecopt column; "
                            f"the {self.key} model ignores it"
                        )
                    elif column not in read:
                        warnings.append(f"{name}.{column} is not used by the {self.key} model")
        return warnings


def labels_as_they_are(table):
    """A model's ``marginal_values`` labels shown as the model keys its rows (its labels are
    already the instance's names and months)."""
    return table


def by_family(extract):
    """A deterministic model's extraction, ``extract(built, values_of)``, on a solution view."""
    return lambda built, view: extract(built, view.values_of)


def by_form(extract):
    """A two-stage model's extraction, ``extract(problem, form, values)``, on a solution view."""
    return lambda problem, view: extract(problem, view.form, view.values)


def all_columns(table: str) -> tuple[str, ...]:
    """Every documented column of ``table`` (a model that reads them all)."""
    return tuple(f.name for f in SCHEMAS[table].fields)


SCENARIOS_READ = {"scenarios": all_columns("scenarios")}
UNREPRESENTABLE = (
    "an unbounded verdict then points at numbers HiGHS cannot represent (near its infinity, "
    "1e20), which load_instance refuses: check how the instance was built"
)
"""Why HiGHS can call a model unbounded that cannot be (the tail of its ``unbounded`` text)."""
