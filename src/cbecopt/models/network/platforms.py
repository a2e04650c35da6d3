"""Platforms and warehouse sharing for the ``network`` model, as a change of data.

Demand is given per platform (a ``demand[s, j, p, k, t]`` array): the model serves each
market (province) once, with every platform's demand in it (``platform_demand``). Each
overseas warehouse is opened once per *sharing group* of platforms (:func:`sharing_groups`):
one copy per group, with its own fixed cost, capacities and first-mile and bulk lanes, whose
parcel and postal lanes serve the group's platforms only (its ``shared_by``). A warehouse
whose ``shared_by`` lists several platforms is one copy for them (and a copy of its own for
each other platform); one that lists one platform or none is a copy per platform; without
any ``shared_by`` (the data say nothing of sharing) every warehouse is shared by every
platform. ``sharing=False`` makes every warehouse a copy per
platform, whatever ``shared_by`` says (the comparison's other side). Bonded and domestic
release, and parcels straight from a supplier, serve every platform. How the platforms'
demand holds the copies' parcels is the model's ``platform_served`` row
(:func:`served_sets`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cbecopt.models.network.data import NetworkData


def sharing_groups(
    d: NetworkData, platforms: tuple[str, ...], sharing: bool
) -> list[list[tuple[int, ...]]]:
    """Per overseas warehouse: its groups of platform positions, one copy each."""
    nP = len(platforms)
    every = tuple(range(nP))
    alone = [(p,) for p in every]
    if d.shared_by and len(d.shared_by) != len(d.overseas):
        raise ValueError("shared_by: one tuple of platforms per overseas warehouse")
    groups = []
    for w in range(len(d.overseas)):
        named = d.shared_by[w] if d.shared_by else None
        unknown = set(named or ()) - set(platforms)
        if unknown:
            raise ValueError(f"shared_by of {d.overseas[w]}: unknown platform {sorted(unknown)}")
        listed = tuple(p for p in every if platforms[p] in (named or ()))
        if not sharing:
            groups.append(alone)
        elif named is None:
            groups.append([every])
        elif len(listed) >= 2:
            groups.append([listed, *[(p,) for p in every if p not in listed]])
        else:
            groups.append(alone)
    return groups


def with_platforms(
    d: NetworkData, platforms: tuple[str, ...], demand: np.ndarray, sharing: bool = True
) -> NetworkData:
    """``d`` with demand per platform (``demand[s, j, p, k, t]``) and overseas warehouses
    copied per sharing group (``w`` when shared by every platform, ``w@p`` for one platform,
    ``w@p+q`` for a group), each copy's ``shared_by`` its group."""
    nS, nJ, nK, nT = len(d.scenario_names), len(d.markets), len(d.skus), d.months
    nP = len(platforms)
    if np.shape(demand) != (nS, nJ, nP, nK, nT):
        raise ValueError(
            f"demand by platform has shape {np.shape(demand)}, expected {(nS, nJ, nP, nK, nT)}"
        )
    copies = [
        (w, tuple(platforms[p] for p in g))
        for w, groups in enumerate(sharing_groups(d, platforms, sharing))
        for g in groups
    ]
    names = [_copy_name(d.overseas[w], g, platforms) for w, g in copies]
    demand = np.asarray(demand, float)
    return replace(
        with_copies(d, copies, names),
        demand=demand.sum(axis=2),
        platform_demand=demand,
        platforms=tuple(platforms),
    )


def with_copies(
    d: NetworkData, copies: list[tuple[int, tuple[str, ...]]], names: list[str]
) -> NetworkData:
    """``d`` with its overseas warehouses replaced by ``copies`` (the warehouse each copies
    and the platforms it serves, its ``shared_by``), named ``names``: fixed cost, capacities
    and handling per copy, and every lane at a warehouse (first mile, bulk out, parcel,
    postal) once per copy of it, with its days, cost per kg, mode and pack size."""
    of = np.array([w for w, _ in copies], np.int64)
    copies_of = [np.flatnonzero(of == w) for w in range(len(d.overseas))]
    repeats = {
        "first_mile": [len(copies_of[w]) for _, w, *_ in d.first_mile],
        "inbound": [len(copies_of[o]) if kind == "overseas" else 1 for kind, o, *_ in d.inbound],
        "parcel": [len(copies_of[w]) for w, *_ in d.parcel],
        "postal": [len(copies_of[o]) if kind == "overseas" else 1 for kind, o, *_ in d.postal],
    }

    def per_lane(values: dict | None) -> dict | None:
        if values is None:
            return None
        return {
            role: np.repeat(np.asarray(v, float), repeats.get(role, 1))
            for role, v in values.items()
        }

    def modes(values: dict | None) -> dict | None:
        if values is None:
            return None
        return {
            role: tuple(str(m) for m in np.repeat(np.asarray(v, object), repeats[role]))
            for role, v in values.items()
        }

    return replace(
        d,
        overseas=tuple(names),
        overseas_fixed=np.asarray(d.overseas_fixed)[of],
        overseas_capacity=np.asarray(d.overseas_capacity)[of],
        overseas_handling=np.asarray(d.overseas_handling)[of],
        overseas_volume_capacity=None
        if d.overseas_volume_capacity is None
        else np.asarray(d.overseas_volume_capacity)[of],
        first_mile=tuple(
            (i, c, cost, lead) for i, w, cost, lead in d.first_mile for c in copies_of[w]
        ),
        inbound=tuple(
            (kind, int(c), b, cost, lead)
            for kind, o, b, cost, lead in d.inbound
            for c in (copies_of[o] if kind == "overseas" else (o,))
        ),
        parcel=tuple((int(c), j, cost, tax) for w, j, cost, tax in d.parcel for c in copies_of[w]),
        postal=tuple(
            (kind, int(c), j, cost, days)
            for kind, o, j, cost, days in d.postal
            for c in (copies_of[o] if kind == "overseas" else (o,))
        ),
        lane_days=per_lane(d.lane_days),
        per_kg=per_lane(d.per_kg),
        lane_modes=modes(d.lane_modes),
        lane_pack_size=per_lane(d.lane_pack_size),
        shared_by=tuple(g for _, g in copies),
    )


def copy_platforms(d: NetworkData) -> list[frozenset[int]]:
    """Per overseas warehouse (copy): the positions of the platforms its parcel and postal
    lanes serve, its ``shared_by`` (every platform when it names none)."""
    every = frozenset(range(len(d.platforms)))
    if not d.shared_by or not d.platforms:
        return [every] * len(d.overseas)
    position = {p: n for n, p in enumerate(d.platforms)}
    return [frozenset(position[p] for p in g) if g else every for g in d.shared_by]


def every_platform(platforms: int) -> int:
    """The bit mask of every one of ``platforms`` platforms."""
    return (1 << platforms) - 1


def platform_mask(group, platforms: int) -> int:
    """The bit mask of a group of platform positions (0 for every platform: ``every_platform``)."""
    mask = sum(1 << p for p in group)
    return 0 if mask == every_platform(platforms) else mask


def expected_platform_demand(d: NetworkData) -> np.ndarray:
    """The probability-weighted demand per market x platform x SKU x month."""
    return np.tensordot(d.probabilities, d.platform_demand, axes=1)


def members(mask: int, platforms: int) -> list[int]:
    """The platform positions in a bit mask of ``platforms`` platforms."""
    return [p for p in range(platforms) if mask >> p & 1]


def served_sets(groups: set[int], platforms: int) -> list[int]:
    """The sets Q of platforms (bit masks) whose ``platform_served`` row is needed, given the
    platform sets (bit masks) of the copies that deliver somewhere: the parcels of copies
    whose set lies within Q fit in Q's demand (Hall's condition: a split of every delivery
    among the platforms exists when it holds for every Q). Only proper unions of the sets
    need a row (a smaller union has the same left side), and not a union that splits into two
    such unions with no set across them (its row is their sum)."""
    every = every_platform(platforms)
    present = [g for g in groups if g != every]
    unions = set(present)
    while True:
        grown = unions | {u | g for u in unions for g in present}
        if grown == unions:
            break
        unions = grown
    unions.discard(every)

    def within(g: int, q: int) -> bool:
        return g & ~q == 0

    def splits(q: int) -> bool:
        inside = [g for g in present if within(g, q)]
        for part in unions:
            rest = q & ~part
            if (
                part != q
                and within(part, q)
                and rest in unions
                and all(within(g, part) or within(g, rest) for g in inside)
            ):
                return True
        return False

    return sorted(
        (q for q in unions if not splits(q)),
        key=lambda q: (bin(q).count("1"), members(q, platforms)),
    )


def copied_from(name: str) -> str:
    """The overseas warehouse (its id in ``nodes``) a copy's name (:func:`_copy_name`) is of;
    any other name as it is."""
    return name.split("@")[0]


def _copy_name(warehouse: str, group: tuple[str, ...], platforms: tuple[str, ...]) -> str:
    """``w`` for a copy shared by every platform, else ``w@`` its platforms joined by ``+``."""
    if len(group) == len(platforms):
        return warehouse
    return f"{warehouse}@{'+'.join(group)}"
