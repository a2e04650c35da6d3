"""The model registry.

Each model registers its check step (instance, config -> the model's data, raising every
:class:`~cbecopt.errors.InputError` the model finds), a build from that data (its problem in
the protocol of :mod:`cbecopt.problem`), an extraction (solution view -> tidy tables and
KPIs), a diagnosis (why it can be infeasible) and the columns it reads. The pipeline
(:func:`cbecopt.pipeline.solve`) and ``cbecopt.validate`` run the very same check step, so an
instance ``validate`` passes for a model is one ``solve`` accepts; the command line loops
over this registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from cbecopt.errors import InputError, OptionError
from cbecopt.formulations.contracts import (
    ContractsConfig,
    ContractsData,
    ContractsProblem,
    extract_contracts,
)
from cbecopt.formulations.contracts import demand_sampler as contracts_demand_sampler
from cbecopt.formulations.routing import RoutingConfig, RoutingData, RoutingProblem, extract_routing
from cbecopt.formulations.routing_data import demand_sampler as routing_demand_sampler
from cbecopt.formulations.suppliers import (
    SuppliersConfig,
    SuppliersData,
    build_suppliers,
    extract_suppliers,
)
from cbecopt.formulations.warehouses import (
    WarehousesConfig,
    WarehousesData,
    build_warehouses,
    extract_warehouses,
)
from cbecopt.instance import Instance
from cbecopt.problem import OneScenario
from cbecopt.readers.smps import SmpsConfig, SmpsProblem, extract_smps
from cbecopt.scenarios import HISTORY_TABLE
from cbecopt.seeds import stream_seed
from cbecopt.tables import SCHEMAS

if TYPE_CHECKING:
    from cbecopt.stochastic.saa import Sampler

DESCRIPTIVE: dict[str, tuple[str, ...]] = {
    "nodes": ("name", "country", "lat", "lon"),
    "products": ("name", "category"),
}
"""Columns that label a row for people rather than parameterise a model: no model reads them,
and none is warned about."""


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
    holds. ``tables`` are the instance tables the model needs; ``reads`` the columns it reads, per
    table (optional tables included). ``unbounded`` says what can make the model's cost fall
    without limit (the diagnosis of an unbounded result). ``demand_sampler``, for a two-stage
    model, gives ``sampler(n, seed)`` drawing fresh demand scenarios from the instance's means
    and standard deviations (``None`` when demand comes as scenarios), for SAA; ``None``: the
    model's scenarios can only be resampled. ``source`` is what the model reads, what
    :func:`cbecopt.solve` takes as its first argument: an :class:`~cbecopt.instance.Instance`
    (every model of ours), or for ``smps`` the :class:`~cbecopt.readers.smps.SmpsProblem`
    :func:`~cbecopt.readers.smps.read_smps` reads from a ``.cor``/``.tim``/``.sto`` triple;
    ``source_doc`` says so in an error.
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
    two_stage: bool = False
    demand_sampler: Callable[[Instance, Any, Any], Sampler | None] | None = None
    source: type = Instance
    source_doc: str = "an instance (cbecopt.load_instance: a folder or workbook)"

    @property
    def reads_instances(self) -> bool:
        """Whether the model reads an :class:`~cbecopt.instance.Instance` (not files of its own)."""
        return self.source is Instance

    def build(self, instance: Instance, config: Any = None, seed: int = 0) -> Any:
        """Check the inputs (:func:`check_inputs`) and build the model from its data;
        ``seed`` is the root seed of any sampling (``SolveOptions.seed``)."""
        return self.assemble(instance, config, check_inputs(instance, self.key, config, seed))

    def problem(self, instance: Instance, config: Any, data: Any) -> Any:
        """The model as a problem of the protocol (:mod:`cbecopt.problem`): a two-stage model's
        problem, or a deterministic model's one-scenario case, built when a method asks."""
        if self.two_stage:
            return self.assemble(instance, config, data)
        return OneScenario(instance.name, partial(self.assemble, instance, config, data))

    def unread(self, instance: Instance) -> list[str]:
        """Warnings for what ``instance`` holds and this model does not read.

        One per documented table the model does not use, per documented column (with a value)
        of a table it uses but not that column, and per table or column cbecopt does not know.
        Descriptive columns (:data:`DESCRIPTIVE`) and ``demand_history`` (read by ``cbecopt
        scenarios``) are not warned about.
        """
        if not self.reads_instances:
            return []
        warnings = []
        for name, table in instance.tables.items():
            if name == HISTORY_TABLE:
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


def _check_warehouses(
    instance: Instance, config: WarehousesConfig | None, seed: int = 0
) -> WarehousesData:
    (config or WarehousesConfig()).resolved(instance)
    return WarehousesData.from_instance(instance)


def _diagnose_warehouses(built) -> list[str]:
    from cbecopt.diagnose import diagnose_warehouses

    return diagnose_warehouses(built.data, built.config)


def _check_contracts(
    instance: Instance, config: ContractsConfig | None, seed: int = 0
) -> ContractsData:
    return ContractsData.from_instance(instance, config or ContractsConfig(), seed)


def _build_contracts(instance: Instance, config, data: ContractsData) -> ContractsProblem:
    return ContractsProblem(data, instance.name)


def _contracts_sampler(instance: Instance, config: ContractsConfig | None, problem):
    return contracts_demand_sampler(instance, config or ContractsConfig(), problem.data.SKUS)


def _routing_sampler(instance: Instance, config: RoutingConfig | None, problem):
    return routing_demand_sampler(instance, config or RoutingConfig(), problem.data)


def _diagnose_contracts(problem: ContractsProblem) -> list[str]:
    return [
        "lost sales absorb any shortfall, so only contract bounds can conflict: check that no "
        "capacity or supplier capacity is below a minimum order that the data forces"
    ]


def _check_suppliers(
    instance: Instance, config: SuppliersConfig | None, seed: int = 0
) -> SuppliersData:
    return SuppliersData.from_instance(instance, (config or SuppliersConfig()).resolved(instance))


def _diagnose_suppliers(built) -> list[str]:
    from cbecopt.diagnose import diagnose_suppliers

    return diagnose_suppliers(built.data, built.config)


def _check_routing(instance: Instance, config: RoutingConfig | None, seed: int = 0) -> RoutingData:
    return RoutingData.from_instance(instance, config or RoutingConfig(), seed)


def _build_routing(instance: Instance, config, data: RoutingData) -> RoutingProblem:
    return RoutingProblem(data, instance.name)


def _diagnose_routing(problem: RoutingProblem) -> list[str]:
    return [
        "lost sales absorb any shortfall, so the plan is infeasible only through its own data: "
        "check bonded volume capacities against stock that must be held, and lane capacities"
    ]


def _check_smps(problem: SmpsProblem, config: SmpsConfig | None, seed: int = 0) -> SmpsProblem:
    """An SMPS problem is checked as :func:`~cbecopt.readers.smps.read_smps` reads it."""
    return problem


def _build_smps(problem: SmpsProblem, config, data: SmpsProblem) -> SmpsProblem:
    return data


def _diagnose_smps(problem: SmpsProblem) -> list[str]:
    return []  # the files' own problem: no model of ours to say why (the method says so)


def _generate_smps(o: Mapping[str, Any]) -> tuple[Instance, str]:
    raise OptionError(
        "the smps model reads SMPS files (e.g. SIPLIB's); cbecopt generates none: "
        f"generate an instance for {', '.join(k for k, s in MODELS.items() if s.reads_instances)}"
    )


def _by_family(extract):
    """A deterministic model's extraction, ``extract(built, values_of)``, on a solution view."""
    return lambda built, view: extract(built, view.values_of)


def _by_form(extract):
    """A two-stage model's extraction, ``extract(problem, form, values)``, on a solution view."""
    return lambda problem, view: extract(problem, view.form, view.values)


def _generate_warehouses(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.generate import generate_warehouses

    made = generate_warehouses(
        o["n_warehouses"],
        o["n_markets"],
        seed=o["seed"],
        platforms=o["platforms"],
        capacity_ratio=o["capacity_ratio"],
    )
    return made, f"{o['n_warehouses']} warehouses x {o['n_markets']} markets"


def _generate_contracts(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.generate import generate_contracts

    scenarios = 50 if o["n_scenarios"] is None else o["n_scenarios"]
    made = generate_contracts(o["n_skus"], scenarios, seed=o["seed"])
    return made, f"{o['n_skus']} SKUs x {scenarios} scenarios"


def _generate_routing(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.generate import generate_routing

    scenarios = 0 if o["n_scenarios"] is None else o["n_scenarios"]
    made = generate_routing(
        o["n_skus"],
        o["n_months"],
        o["n_bonded"],
        o["n_origins"],
        o["n_markets"],
        scenarios,
        seed=o["seed"],
    )
    return made, f"{o['n_skus']} SKUs x {o['n_markets']} markets x {o['n_months']} months"


def _generate_suppliers(o: Mapping[str, Any]) -> tuple[Instance, str]:
    from cbecopt.generate import generate_suppliers

    made = generate_suppliers(o["n_skus"], o["n_suppliers"], seed=o["seed"])
    return made, f"{o['n_skus']} SKUs x {o['n_suppliers']} suppliers"


def _all_columns(table: str) -> tuple[str, ...]:
    return tuple(f.name for f in SCHEMAS[table].fields)


SCENARIOS_READ = {"scenarios": _all_columns("scenarios")}
UNREPRESENTABLE = (
    "an unbounded verdict then points at numbers HiGHS cannot represent (near its infinity, "
    "1e20), which load_instance refuses: check how the instance was built"
)
"""Why HiGHS can call a model unbounded that cannot be (the tail of its ``unbounded`` text)."""

MODELS: dict[str, ModelSpec] = {
    "warehouses": ModelSpec(
        "warehouses",
        "shared overseas warehouse location (capacitated facility location, multi- or single-source)",
        WarehousesConfig,
        _check_warehouses,
        build_warehouses,
        _by_family(extract_warehouses),
        _diagnose_warehouses,
        tables=("nodes", "arcs", "demand"),
        reads={
            "nodes": ("id", "kind", "capacity", "fixed_cost"),
            "arcs": ("origin", "destination", "mode", "unit_cost", "capacity"),
            "demand": ("market", "quantity", "platform"),
        },
        unbounded="the warehouses model cannot be unbounded: every flow is capped by its "
        f"market's demand and every other variable is binary; {UNREPRESENTABLE}",
        generate=_generate_warehouses,
    ),
    "contracts": ModelSpec(
        "contracts",
        "flexible contract quantities: firm, quantity-flexibility, options and spot "
        "(two-stage stochastic over demand scenarios)",
        ContractsConfig,
        _check_contracts,
        _build_contracts,
        _by_form(extract_contracts),
        _diagnose_contracts,
        tables=("nodes", "demand", "products", "contracts"),
        reads={
            "nodes": ("id", "kind", "capacity"),
            "demand": ("market", "sku", "quantity", "scenario", "std"),
            "products": ("sku", "price", "salvage_value", "lost_sale_penalty"),
            "contracts": _all_columns("contracts"),
            **SCENARIOS_READ,
        },
        unbounded="the expected cost fell without limit: a contract without capacity priced "
        "below its SKU's salvage_value (unit_price, or premium + exercise_price) buys to salvage "
        "without end; load_instance refuses such prices, so look for them in an instance that "
        "did not come through it",
        generate=_generate_contracts,
        two_stage=True,
        demand_sampler=_contracts_sampler,
    ),
    "routing": ModelSpec(
        "routing",
        "bonded (1210) vs direct-mail (9610, postal) vs general-trade routing under CBEC tax rules, "
        "month by month (deterministic, or two-stage over demand scenarios)",
        RoutingConfig,
        _check_routing,
        _build_routing,
        _by_form(extract_routing),
        _diagnose_routing,
        tables=("nodes", "arcs", "demand", "products"),
        reads={
            "nodes": (
                "id",
                "kind",
                "capacity",
                "fixed_cost",
                "volume_capacity",
                "max_delivery_days",
            ),
            "arcs": _all_columns("arcs"),
            "demand": ("market", "sku", "quantity", "month", "scenario", "std"),
            "products": tuple(c for c in _all_columns("products") if c != "counterfeit_penalty"),
            **SCENARIOS_READ,
        },
        unbounded="the routing model cannot be unbounded: bulk purchases are capped by the most "
        "each SKU sells (the listing limit), releases, parcels and lost sales by demand; a "
        "salvage_value at or above the cost of stocking a unit would fill that cap with stock "
        f"bought to salvage, which the routing check refuses; {UNREPRESENTABLE}",
        generate=_generate_routing,
        two_stage=True,
        demand_sampler=_routing_sampler,
    ),
    "suppliers": ModelSpec(
        "suppliers",
        "supplier selection with all-units or incremental quantity discounts, fixed costs, "
        "capacities and counterfeit risk (penalty, caps, brand-direct share, inspection)",
        SuppliersConfig,
        _check_suppliers,
        build_suppliers,
        _by_family(extract_suppliers),
        _diagnose_suppliers,
        tables=("nodes", "demand", "products", "offers", "price_breaks"),
        reads={
            "nodes": ("id", "kind", "supplier_type", "fixed_cost", "capacity"),
            "arcs": ("origin", "destination", "mode", "unit_cost", "cost_per_kg"),
            "demand": ("market", "sku", "quantity"),
            "products": (
                "sku",
                "price",
                "vat_rate",
                "consumption_tax_rate",
                "weight_kg",
                "counterfeit_penalty",
            ),
            "offers": tuple(c for c in _all_columns("offers") if c != "lead_time_days"),
            "price_breaks": _all_columns("price_breaks"),
        },
        unbounded="the suppliers model cannot be unbounded: every purchase is capped (by the "
        "offer's capacity, else by the most that can pay), inspections and shipments by the "
        f"purchase, and every other variable is binary; {UNREPRESENTABLE}",
        generate=_generate_suppliers,
    ),
    "smps": ModelSpec(
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
        two_stage=True,
        source=SmpsProblem,
        source_doc="SMPS files (cbecopt.readers.smps.read_smps(FILE.cor), on the command line "
        "FILE.cor --format smps)",
    ),
}
"""Models by key; the keys ``warehouses``, ``contracts``, ``routing``, ``suppliers``, ``smps``
are stable. ``smps`` reads SMPS files (:attr:`ModelSpec.source`), the others instances."""
