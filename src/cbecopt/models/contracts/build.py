"""Flexible contract quantities: a two-stage stochastic MILP.

Before demand is known the buyer chooses, per contract a supplier offers for a SKU, how much
to commit: a firm order, a quantity-flexibility commitment (Tsay 1999: buy anywhere in
[(1 - down) r, (1 + up) r] once demand is seen) or call options (reserve at a premium,
exercise at a price; Eppen and Iyer's backup agreements are options with exercise = w - b,
premium = b). Spot/emergency purchases need no commitment. Once a demand scenario is seen the
buyer calls flexible quantities, buys spot, sells, loses the sales it cannot serve (at a
penalty) and salvages what is left. The objective is the expected cost (minus the expected
profit), or a mean-CVaR blend of it. The formulation, with the same names, is in
``models/contracts.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from cbecopt.errors import InputError, OptionError, Problem
from cbecopt.families import (
    capacity_if_open,
    demand_satisfaction,
    minimum_quantity_if_used,
    stock_balance,
    use_only_if_open,
)
from cbecopt.instance import Instance
from cbecopt.labelled import LinearTerms, Terms, VarFamily, add_var_family, coded_labels
from cbecopt.models.demand_checks import demand_sku_problems
from cbecopt.models.purchases_in_motion import by_row, read_purchases_in_motion
from cbecopt.network import Network
from cbecopt.scenarios import check_sampling, sample_scenarios, scenario_rows
from cbecopt.schemas import CONTRACT_TYPES
from cbecopt.stochastic.twostage import DemandScenarios, ExtensiveForm, FirstStage, RiskOptions

COMMITTED = ("firm", "quantity_flexibility", "option")
"""Contract types with a first-stage quantity."""
COMMITTED_TERMS = ("quantity_flexibility", "option")
"""The terms whose first-stage quantity a frozen ``commitment`` fixes."""
CALLED = ("quantity_flexibility", "option", "spot")
"""Contract types with units bought after demand is seen."""


@dataclass(frozen=True)
class ContractsConfig:
    """Options of the contracts model.

    Parameters
    ----------
    types : the contract types the buyer may use (default: all); e.g. ``("firm",)`` is
        safety stock only.
    risk : mean-CVaR weight and alpha (default: risk-neutral expected cost).
    samples : when demand has no scenarios, sample this many equally likely scenarios from
        each row's ``quantity`` (mean) and ``std`` (a sample average approximation); ``None``
        plans on the given quantities as one certain scenario.
    distribution : ``normal`` or ``lognormal`` for ``samples``, drawn with the call's one
        seed (``SolveOptions.seed``: same seed, same scenarios).
    """

    types: tuple[str, ...] = CONTRACT_TYPES
    risk: RiskOptions = field(default_factory=RiskOptions)
    samples: int | None = None
    distribution: str = "normal"

    def __post_init__(self) -> None:
        unknown = [t for t in self.types if t not in CONTRACT_TYPES]
        if unknown:
            raise OptionError(
                f"unknown contract type(s) {', '.join(unknown)}; choose from {', '.join(CONTRACT_TYPES)}"
            )
        check_sampling(self.samples, self.distribution)


@dataclass(frozen=True)
class ContractsData:
    """Sets and parameters as arrays aligned with the sets' order."""

    SKUS: list
    CONTRACTS: list  # (supplier, sku, type)
    SUPPLIERS: list  # suppliers with a finite capacity
    price: np.ndarray  # p_k
    salvage_value: np.ndarray  # v_k
    lost_sale_penalty: np.ndarray  # pi_k
    contract_sku: np.ndarray  # position of each contract's SKU
    contract_type: np.ndarray  # type name per contract
    contract_supplier: np.ndarray  # position in SUPPLIERS, -1 if the supplier is unlimited
    unit_price: np.ndarray  # w_c (firm, quantity flexibility, spot)
    premium: np.ndarray  # o_c (option)
    exercise_price: np.ndarray  # e_c (option)
    flex_up: np.ndarray  # u_c
    flex_down: np.ndarray  # d_c
    capacity: np.ndarray  # K_c (inf if unlimited)
    min_order: np.ndarray  # MOQ_c
    supplier_capacity: np.ndarray  # S_i
    scenario_names: tuple[str, ...]
    probabilities: np.ndarray  # pr_s
    demand: np.ndarray  # D_sk, scenarios x SKUs
    placed: np.ndarray | None = None  # P_k: firm units already ordered (None: no orders)
    committed_cost: float = 0.0  # what the placed orders cost (sunk)
    frozen_quantity: np.ndarray | None = None  # Q_c fixed per contract, nan free (None: none)
    warnings: tuple[str, ...] = ()

    def with_scenarios(self, names, probabilities, demand) -> ContractsData:
        return dataclasses.replace(
            self,
            scenario_names=tuple(names),
            probabilities=np.asarray(probabilities, float),
            demand=np.asarray(demand, float).reshape(len(names), -1),
        )

    def of_type(self, *types: str) -> np.ndarray:
        """Positions of the contracts of the given types."""
        return np.flatnonzero(np.isin(self.contract_type, types))

    @property
    def committed(self) -> np.ndarray:
        return self.of_type(*COMMITTED)

    @property
    def called(self) -> np.ndarray:
        return self.of_type(*CALLED)

    def reservation_factor(self, positions: np.ndarray) -> np.ndarray:
        """Units of capacity one unit of first-stage quantity reserves: 1 + u_c for QF, else 1."""
        qf = self.contract_type[positions] == "quantity_flexibility"
        return np.where(qf, 1.0 + self.flex_up[positions], 1.0)

    @classmethod
    def from_instance(
        cls, instance: Instance, config: ContractsConfig, seed: int = 0
    ) -> ContractsData:
        """The model's sets and parameters from ``instance`` (with its ``products`` and
        ``contracts`` tables), scenarios sampled with ``seed`` when ``config.samples`` asks;
        demand rows without a SKU are an ``InputError``."""
        network = instance.network
        problems = demand_sku_problems(instance, "contracts")
        if problems:
            raise InputError(problems)
        contracts = network.contracts
        contracts = contracts[contracts["type"].isin(config.types)].reset_index(drop=True)
        skus = list(dict.fromkeys([*network.demand_rows["sku"], *contracts["sku"]]))
        product = network.products.set_index("sku").reindex(skus)
        capacity = network.nodes["capacity"].reindex(list(dict.fromkeys(contracts["supplier"])))
        limited = list(capacity.index[np.isfinite(capacity.to_numpy())])
        i_pos = {i: n for n, i in enumerate(limited)}
        demand = _demand_scenarios(instance, config, seed)
        motion = _in_motion(instance, contracts, skus, config)

        def column(name: str) -> np.ndarray:
            return contracts[name].to_numpy(float)

        return cls(
            SKUS=skus,
            CONTRACTS=list(
                zip(contracts["supplier"], contracts["sku"], contracts["type"], strict=True)
            ),
            SUPPLIERS=limited,
            price=product["price"].to_numpy(float),
            salvage_value=product["salvage_value"].to_numpy(float),
            lost_sale_penalty=product["lost_sale_penalty"].to_numpy(float),
            contract_sku=pd.Index(skus).get_indexer(contracts["sku"]).astype(np.int64),
            contract_type=contracts["type"].to_numpy(str),
            contract_supplier=np.array([i_pos.get(i, -1) for i in contracts["supplier"]], np.int64),
            unit_price=column("unit_price"),
            premium=column("premium"),
            exercise_price=column("exercise_price"),
            flex_up=column("flex_up"),
            flex_down=column("flex_down"),
            capacity=column("capacity"),
            min_order=column("min_order"),
            supplier_capacity=capacity[limited].to_numpy(float),
            scenario_names=demand.scenarios.names,
            probabilities=demand.scenarios.probabilities,
            demand=demand.demand_array({"sku": skus}),
            **motion,
        )


def _in_motion(instance: Instance, contracts: pd.DataFrame, skus: list, config) -> dict:
    """What is already in motion (``placed``, ``committed_cost``, ``frozen_quantity``,
    ``warnings``; none without those tables).

    Contracts are keyed by (supplier, SKU, type); a placed order names a supplier and SKU, so
    it must have a contract row of that pair (of any type: the units are firm, whichever
    terms the plan may use now); a frozen ``commitment`` fixes the one quantity-flexibility
    or option contract of its pair (one the allowed ``types`` leave out: ignored with a
    warning).

    Raises
    ------
    InputError
        every row the model cannot honour, by file, row and column (besides the checks of
        :func:`read_purchases_in_motion`): a commitment without a SKU, of a pair with no or
        two such terms, above the term's capacity, or between 0 and its minimum order.
    """
    tables = instance.network.in_motion
    if "placed_orders" not in tables and "frozen" not in tables:
        return {}
    every = instance.network.contracts
    pairs = {
        (i, k): n for n, (i, k) in enumerate(zip(every["supplier"], every["sku"], strict=True))
    }
    found = read_purchases_in_motion(instance, "contracts", pairs, skus, ("commitment",))
    problems, warnings = list(found.problems), list(found.warnings)
    placed = np.zeros(len(skus))
    k_of = {k: n for n, k in enumerate(skus)}
    for order in found.placed:
        placed[k_of[every["sku"].iloc[order.offer]]] += order.quantity
    frozen = np.full(len(contracts), np.nan)
    for row in found.frozen:
        fixed = _commitment(instance, row, contracts, every, config)
        if isinstance(fixed, str):
            warnings.append(fixed)
        elif isinstance(fixed, Problem):
            problems.append(fixed)
        else:
            frozen[fixed] = row.value
    if problems:
        raise InputError(by_row(problems))
    return {
        "placed": placed,
        "committed_cost": float(sum(o.quantity * o.unit_price for o in found.placed)),
        "frozen_quantity": frozen,
        "warnings": tuple(warnings),
    }


def _commitment(
    instance: Instance, row, contracts: pd.DataFrame, every: pd.DataFrame, config
) -> int | str | Problem:
    """The position of the contract a frozen ``commitment`` row fixes, a warning (its term
    is of a type the plan may not use) or the problem with it."""

    def problem(message: str, column: str) -> Problem:
        return instance.problem("frozen", message, row.index, column)

    if row.sku is None:
        return problem("a commitment names the SKU of the supplier's term", "sku")
    pair = f"supplier '{row.node}' and SKU '{row.sku}'"
    terms = contracts.index[
        (contracts["supplier"] == row.node)
        & (contracts["sku"] == row.sku)
        & contracts["type"].isin(COMMITTED_TERMS)
    ]
    if not len(terms):
        offered = (
            (every["supplier"] == row.node)
            & (every["sku"] == row.sku)
            & every["type"].isin(COMMITTED_TERMS)
        ).any()
        if offered:
            return (
                f"{instance.source('frozen')} row {instance.row_number('frozen', row.index)}: "
                f"the commitment of {pair} is ignored: the plan may not use its term "
                f"(contract types {', '.join(config.types)})"
            )
        return problem(
            f"a commitment fixes the quantity_flexibility or option term of {pair} in "
            "contracts; there is none",
            "sku",
        )
    if len(terms) > 1:
        return problem(
            f"a commitment fixes the one quantity_flexibility or option term of {pair}; "
            f"contracts has {len(terms)}",
            "sku",
        )
    c = int(terms[0])
    term = contracts.loc[c]
    reserve = 1.0 + term["flex_up"] if term["type"] == "quantity_flexibility" else 1.0
    most = term["capacity"] / reserve
    if row.value > most:
        return problem(
            f"{row.value:g} units committed, more than the term's capacity allows ({most:g})",
            "value",
        )
    if 0 < row.value < term["min_order"]:
        return problem(
            f"{row.value:g} units committed, below the term's minimum order "
            f"{term['min_order']:g} (0 or at least the minimum)",
            "value",
        )
    return c


def _demand_scenarios(instance: Instance, config: ContractsConfig, seed: int) -> Network:
    """The network whose demand scenarios the model plans for: the instance's (rows with a
    blank scenario count in every scenario; without any scenario, its quantities are the one
    scenario ``base``), or, when ``config.samples`` asks, a sample of equally likely
    scenarios drawn from ``quantity`` and ``std`` with ``seed``."""
    if config.samples is None:
        return instance.network
    if instance.network.stochastic:
        raise OptionError(
            "the demand table already has scenarios; samples applies only to demand given as "
            "means (quantity) and standard deviations (std)"
        )
    return sample_scenarios(instance, config.samples, config.distribution, seed).network


def demand_sampler(instance: Instance, config: ContractsConfig, skus: list):
    """``sampler(n, seed)`` drawing demand from each row's mean and std, for SAA; ``None`` when
    demand is given as scenarios (resample those instead: :func:`cbecopt.stochastic.saa.resampler`).
    """
    if instance.network.stochastic:
        return None

    def draw(n: int, seed: int):
        sampled = sample_scenarios(instance, n, config.distribution, seed).network
        scenarios = sampled.scenarios
        matrix = sampled.demand_array({"sku": skus})
        return scenario_rows(scenarios.names, scenarios.probabilities, matrix)

    return draw


@dataclass(frozen=True)
class ContractLabels:
    """Key frames of the contracts model, contracts labelled (supplier, sku, type), and the data
    of its families keyed by them: built once per problem and the same objects for every
    scenario, so each scenario's families take their keys, bounds and prices as they are and
    align labels already aligned once (:func:`cbecopt.labelled._remembered`)."""

    committed: pd.MultiIndex  # contracts with a first-stage quantity
    called: pd.MultiIndex  # contracts bought from after demand is seen
    skus: pd.Index
    firm: pd.MultiIndex  # committed firm contracts
    spot: pd.MultiIndex  # called spot contracts
    flex_down: pd.Series  # 1 - d_c of the QF contracts, keyed by called contract
    flex_up: pd.Series  # 1 + u_c
    option: pd.Series  # 1 per option contract
    supplier_capacity: pd.Series  # S_i of suppliers that do not sell spot
    spot_capacity: pd.Series  # S_i of suppliers that also sell spot
    called_keys: tuple  # (supplier, sku, type) of each called contract, the Pyomo index of b_sc
    bought_upper: np.ndarray  # K_c of spot contracts, inf for the others
    call_price: pd.Series  # e_c (option) or w_c, keyed by called contract
    sale_price: pd.Series  # -p_k, keyed by SKU (a sale earns)
    lost_penalty: pd.Series  # pi_k
    salvage: pd.Series  # -v_k (salvage earns)

    @classmethod
    def of(cls, d: ContractsData) -> ContractLabels:
        supplier_codes, suppliers = pd.factorize(np.array([c[0] for c in d.CONTRACTS], object))
        type_codes, types = pd.factorize(d.contract_type)
        contracts = coded_labels(
            supplier=(suppliers, supplier_codes),
            sku=(d.SKUS, d.contract_sku),
            type=(types, type_codes),
        )
        committed, called = contracts[d.committed], contracts[d.called]
        kind = d.contract_type[d.called]
        qf = kind == "quantity_flexibility"
        capacity = pd.Series(d.supplier_capacity, index=pd.Index(d.SUPPLIERS, name="supplier"))
        spot = d.of_type("spot")
        selling_spot = [d.SUPPLIERS[i] for i in np.unique(d.contract_supplier[spot]) if i >= 0]
        sells_spot = capacity.index.isin(selling_spot)
        skus = pd.Index(d.SKUS, name="sku")
        return cls(
            committed,
            called,
            skus,
            committed[d.contract_type[d.committed] == "firm"],
            called[kind == "spot"],
            pd.Series(1.0 - d.flex_down[d.called][qf], index=called[qf]),
            pd.Series(1.0 + d.flex_up[d.called][qf], index=called[qf]),
            pd.Series(1.0, index=called[kind == "option"]),
            capacity[~sells_spot],
            capacity[sells_spot],
            tuple(d.CONTRACTS[c] for c in d.called),
            np.where(kind == "spot", d.capacity[d.called], np.inf),
            pd.Series(
                np.where(kind == "option", d.exercise_price[d.called], d.unit_price[d.called]),
                index=called,
            ),
            pd.Series(-d.price, index=skus),
            pd.Series(d.lost_sale_penalty, index=skus),
            pd.Series(-d.salvage_value, index=skus),
        )


@dataclass(frozen=True)
class ContractsProblem(DemandScenarios):
    """The contracts model in the two-stage layer's terms (see :mod:`cbecopt.stochastic.twostage`)."""

    data: ContractsData
    instance_name: str = "contracts"
    key = "contracts"

    @property
    def name(self) -> str:
        return f"contracts[{self.instance_name}]"

    @cached_property
    def labels(self) -> ContractLabels:
        return ContractLabels.of(self.data)

    def build_first_stage(self, m: pyo.Block) -> FirstStage:
        """Quantities committed per contract (a frozen commitment held at its value by its
        bounds), and whether each contract with a minimum is signed."""
        d, labels = self.data, self.labels
        committed = d.committed
        quantity = add_var_family(
            m,
            "quantity",
            [d.CONTRACTS[c] for c in committed],
            upper=d.capacity[committed] / d.reservation_factor(committed),
            labels=labels.committed,
            doc="Q_c: units ordered (firm), committed (quantity flexibility) or reserved (option)",
        )
        if d.frozen_quantity is not None:
            fixed = np.flatnonzero(~np.isnan(d.frozen_quantity[committed]))
            value = d.frozen_quantity[committed][fixed]
            quantity.set_bounds(fixed, lower=value, upper=value)
        kind = d.contract_type[committed]
        cost = (
            *_priced(quantity, d.unit_price[committed], kind == "firm"),
            *_priced(quantity, d.premium[committed], kind == "option"),
        )
        families = [quantity]
        if (d.min_order[committed] > 0).any():
            families.append(add_min_order(m, d, quantity))
        add_supplier_capacity(m, d, quantity, labels.supplier_capacity)
        return FirstStage(tuple(families), cost)

    def build_second_stage(self, block: pyo.Block, demand: np.ndarray, first: FirstStage):
        """One scenario's recourse: call flexible quantities, buy spot, sell, lose, salvage."""
        d, labels = self.data, self.labels
        quantity = first.families[0]
        bought = add_var_family(
            block,
            "bought",
            labels.called_keys,
            upper=labels.bought_upper,
            labels=labels.called,
            doc="b_sc: units bought after demand is seen (called, exercised or spot)",
        )
        skus = labels.skus
        sales = add_var_family(
            block, "sales", d.SKUS, upper=demand, labels=skus, doc="y_sk: units sold"
        )
        lost = add_var_family(block, "lost", d.SKUS, labels=skus, doc="l_sk: demand not met")
        leftover = add_var_family(
            block, "leftover", d.SKUS, labels=skus, doc="z_sk: units left unsold"
        )
        add_flexibility_band(block, labels, quantity, bought)
        stock_balance(
            block,
            "stock_balance",
            leftover,
            quantity[labels.firm].sum(by="sku") + bought.sum(by="sku"),
            sales,
            doc="left over = received + placed - sold",
            known=None if d.placed is None else pd.Series(d.placed, index=skus),
        )
        demand_satisfaction(
            block,
            "demand_split",
            sales,
            pd.Series(demand, index=skus),
            lost=lost,
            doc="sold + lost = D_sk",
        )
        if len(labels.spot_capacity):
            capacity_if_open(
                block,
                "spot_supplier_capacity",
                _reserved(d, quantity).sum(by="supplier") + bought[labels.spot].sum(by="supplier"),
                labels.spot_capacity,
                doc="sum_c a_c Q_c + sum_spot b_sc <= S_i",
            )
        return (
            *(labels.call_price * bought).parts,
            *(labels.sale_price * sales).parts,
            *(labels.lost_penalty * lost).parts,
            *(labels.salvage * leftover).parts,
        )


def _priced(family: VarFamily, price: np.ndarray, which: np.ndarray) -> tuple[Terms, ...]:
    """Objective terms ``price * family`` of the variables ``which`` selects (none: no terms)."""
    if not which.any():
        return ()
    return (family.keyed(price)[which] * family[which]).parts


def _reserved(d: ContractsData, quantity: VarFamily) -> LinearTerms:
    """Capacity each first-stage quantity ties up, a_c Q_c."""
    return quantity.keyed(d.reservation_factor(d.committed)) * quantity


def add_min_order(m: pyo.Block, d: ContractsData, quantity: VarFamily) -> VarFamily:
    """A contract with a minimum order is either not signed or used for at least that much.

    .. math:: MOQ_c \\, \\sigma_c \\le Q_c \\le M_c \\, \\sigma_c \\qquad \\forall c \\in C^{moq}

    ``M_c`` is the contract's capacity, or when unlimited the most that can pay:
    ``max(MOQ_c, max_s D_sk / (1 - d_c))`` (units beyond the largest demand are salvaged at a loss).
    """
    committed = d.committed
    with_minimum = d.min_order[committed] > 0
    contracts = committed[with_minimum]
    signed = add_var_family(
        m,
        "signed",
        [d.CONTRACTS[c] for c in contracts],
        domain=pyo.Binary,
        labels=quantity.labels[with_minimum],
        doc="sigma_c: contract c with a minimum order is used",
    )
    largest = d.demand.max(axis=0)[d.contract_sku[contracts]]
    keep = np.where(
        d.contract_type[contracts] == "quantity_flexibility", 1.0 - d.flex_down[contracts], 1.0
    )
    with np.errstate(divide="ignore"):
        useful = np.where(keep > 0, largest / np.where(keep > 0, keep, 1.0), largest)
    big = np.where(
        np.isfinite(d.capacity[contracts]),
        d.capacity[contracts] / d.reservation_factor(contracts),
        np.maximum(d.min_order[contracts], useful),
    )
    minimum_quantity_if_used(
        m,
        "min_order_lower",
        quantity,
        signed,
        signed.keyed(d.min_order[contracts]),
        doc="Q_c - MOQ_c sigma_c >= 0",
    )
    use_only_if_open(
        m, "min_order_upper", quantity, signed, signed.keyed(big), doc="Q_c - M_c sigma_c <= 0"
    )
    return signed


def add_supplier_capacity(
    m: pyo.Block, d: ContractsData, quantity: VarFamily, capacity: pd.Series
) -> None:
    """What a supplier has promised stays within its capacity (suppliers without spot sales).

    .. math:: \\sum_{c \\in C^{com}_i} a_c Q_c \\le S_i \\qquad \\forall i \\in I \\setminus I^{spot}

    with ``a_c = 1 + u_c`` for a quantity-flexibility commitment (the most it may call) and 1 otherwise.
    """
    if not len(capacity):
        return
    capacity_if_open(
        m,
        "supplier_capacity",
        _reserved(d, quantity).sum(by="supplier"),
        capacity,
        doc="sum_c a_c Q_c <= S_i",
    )


def add_flexibility_band(
    block: pyo.Block, labels: ContractLabels, quantity: VarFamily, bought: VarFamily
) -> None:
    """Units called stay within what the first stage allows.

    .. math::
        (1 - d_c) Q_c \\le b_{sc} \\le (1 + u_c) Q_c \\;\\; \\forall c \\in C^{qf}, \\qquad
        b_{sc} \\le Q_c \\;\\; \\forall c \\in C^{opt}
    """
    if len(labels.flex_down):
        minimum_quantity_if_used(block, "flex_lower", bought, quantity, labels.flex_down)
        use_only_if_open(block, "flex_upper", bought, quantity, labels.flex_up)
    if len(labels.option):
        use_only_if_open(block, "option_limit", bought, quantity, labels.option)


def extract_contracts(
    problem: ContractsProblem, form: ExtensiveForm, values: np.ndarray
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Tables and KPIs of a solved extensive form built over ``problem.scenarios()``."""
    d = problem.data
    committed, called = d.committed, d.called
    p = form.probabilities
    blocks = [form.scenario_block(name) for name in form.names]

    def per_scenario(name: str) -> np.ndarray:
        return np.array([form.values_of(values, b.component(name)) for b in blocks]).reshape(
            len(blocks), -1
        )

    first = np.clip(form.values_of(values, form.first.families[0]), 0.0, None)
    bought = np.clip(per_scenario("bought"), 0.0, None)
    sales, lost, leftover = (per_scenario(n) for n in ("sales", "lost", "leftover"))
    demand = d.demand
    costs = form.scenario_costs(values)

    quantity = np.full(len(d.CONTRACTS), np.nan)
    quantity[committed] = first
    expected_bought = np.zeros(len(d.CONTRACTS))
    expected_bought[called] = p @ bought
    first_cost = np.zeros(len(d.CONTRACTS))
    first_cost[committed] = (
        np.where(
            d.contract_type[committed] == "firm",
            d.unit_price[committed],
            np.where(d.contract_type[committed] == "option", d.premium[committed], 0.0),
        )
        * first
    )
    call_price = np.where(d.contract_type == "option", d.exercise_price, d.unit_price)
    contracts = pd.DataFrame(
        {
            "supplier": [c[0] for c in d.CONTRACTS],
            "sku": [c[1] for c in d.CONTRACTS],
            "type": d.contract_type,
            "quantity": quantity,
            "expected_bought": expected_bought,
            "first_stage_cost": first_cost,
            "expected_cost": first_cost + call_price * expected_bought,
        }
    )
    expected_demand = p @ demand
    expected_sales = p @ sales
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(expected_demand > 0, expected_sales / expected_demand, np.nan)
    skus = pd.DataFrame(
        {
            "sku": d.SKUS,
            "expected_demand": expected_demand,
            "expected_sales": expected_sales,
            "fill_rate": fill,
            "expected_lost": p @ lost,
            "expected_leftover": p @ leftover,
        }
    )
    scenarios = pd.DataFrame(
        {
            "scenario": list(form.names),
            "demand": demand.sum(axis=1),
            "sales": sales.sum(axis=1),
            "lost": lost.sum(axis=1),
            "leftover": leftover.sum(axis=1),
        }
    )
    total_demand = float(expected_demand.sum())
    by_type = contracts.groupby("type")
    kpis = {
        "expected_profit": -float(p @ costs),
        "fill_rate": float(expected_sales.sum() / total_demand) if total_demand > 0 else None,
        "expected_lost_sales": float((p @ lost).sum()),
        "expected_leftover": float((p @ leftover).sum()),
        "units_placed": 0.0 if d.placed is None else float(d.placed.sum()),
        "committed_cost": d.committed_cost,
        "committed_by_type": {t: float(g["quantity"].sum()) for t, g in by_type if t in COMMITTED},
        "expected_bought_by_type": {
            t: float(g["expected_bought"].sum()) for t, g in by_type if t in CALLED
        },
    }
    return {"contracts": contracts, "skus": skus, "scenarios": scenarios}, kpis
