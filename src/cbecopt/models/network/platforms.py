"""Platforms and warehouse sharing for the ``network`` model, as a change of data.

Demand given per platform (a ``demand[s, j, p, k, t]`` array) makes each (market, platform)
pair a market of its own. Each overseas warehouse is opened once per *sharing group* of
platforms (:func:`sharing_groups`): one copy per group, with its own fixed cost, capacities
and first-mile and bulk lanes, whose parcels serve the markets of the group's platforms only.
A warehouse whose ``shared_by`` lists several platforms is one copy for them (and a copy of
its own for each other platform); one that lists a single platform is a copy per platform;
one with no ``shared_by`` is shared by every platform. ``sharing=False`` makes every
warehouse a copy per platform, whatever ``shared_by`` says (the comparison's other side).
Bonded and domestic release, and parcels straight from a supplier, serve every platform. The
model itself is unchanged, so every family keeps its name and meaning.
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
        named = d.shared_by[w] if d.shared_by else ()
        unknown = set(named) - set(platforms)
        if unknown:
            raise ValueError(f"shared_by of {d.overseas[w]}: unknown platform {sorted(unknown)}")
        members = tuple(p for p in every if platforms[p] in named)
        if not sharing:
            groups.append(alone)
        elif not named:
            groups.append([every])
        elif len(members) >= 2:
            groups.append([members, *[(p,) for p in every if p not in members]])
        else:
            groups.append(alone)
    return groups


def with_platforms(
    d: NetworkData, platforms: tuple[str, ...], demand: np.ndarray, sharing: bool = True
) -> NetworkData:
    """``d`` with demand per platform (``demand[s, j, p, k, t]``), markets ``market|platform``,
    and overseas warehouses copied per sharing group (``w`` when shared by every platform,
    ``w@p`` for one platform, ``w@p+q`` for a group)."""
    nS, nJ, nK, nT = len(d.scenario_names), len(d.markets), len(d.skus), d.months
    nP = len(platforms)
    if np.shape(demand) != (nS, nJ, nP, nK, nT):
        raise ValueError(
            f"demand by platform has shape {np.shape(demand)}, expected {(nS, nJ, nP, nK, nT)}"
        )
    pair = {(j, p): j * nP + p for j in range(nJ) for p in range(nP)}
    copies = [
        (w, g) for w, groups in enumerate(sharing_groups(d, platforms, sharing)) for g in groups
    ]
    copy = {(w, p): c for c, (w, g) in enumerate(copies) for p in g}
    of = np.array([w for w, _ in copies], np.int64)
    per_platform = range(nP)
    days = {role: np.repeat(np.asarray(v, float), nP) for role, v in (d.lane_days or {}).items()}
    per_kg = per_kg_of_copies(d, of, nP)
    return replace(
        d,
        markets=tuple(f"{j}|{p}" for j in d.markets for p in platforms),
        demand=np.asarray(demand, float).reshape(nS, nJ * nP, nK, nT),
        release=tuple((b, pair[j, p], c, tax) for b, j, c, tax in d.release for p in per_platform),
        parcel=tuple(
            (copy[w, p], pair[j, p], c, tax) for w, j, c, tax in d.parcel for p in per_platform
        ),
        supplier_parcel=tuple(
            (i, pair[j, p], c, t) for i, j, c, t in d.supplier_parcel for p in per_platform
        ),
        postal=tuple(
            (kind, copy[o, p] if kind == "overseas" else o, pair[j, p], c, t)
            for kind, o, j, c, t in d.postal
            for p in per_platform
        ),
        lane_days=days or d.lane_days,
        per_kg=per_kg,
        max_delivery_days=None
        if d.max_delivery_days is None
        else np.repeat(np.asarray(d.max_delivery_days, float), nP),
        overseas=tuple(_copy_name(d.overseas[w], g, platforms) for w, g in copies),
        overseas_fixed=np.asarray(d.overseas_fixed)[of],
        overseas_capacity=np.asarray(d.overseas_capacity)[of],
        overseas_handling=np.asarray(d.overseas_handling)[of],
        overseas_volume_capacity=None
        if d.overseas_volume_capacity is None
        else np.asarray(d.overseas_volume_capacity)[of],
        first_mile=tuple(
            (i, c, cost, lead)
            for i, w, cost, lead in d.first_mile
            for c in range(len(copies))
            if of[c] == w
        ),
        inbound=tuple(
            (kind, int(c), b, cost, lead)
            for kind, o, b, cost, lead in d.inbound
            for c in (np.flatnonzero(of == o) if kind == "overseas" else (o,))
        ),
        shared_by=tuple(tuple(platforms[p] for p in g) for _, g in copies),
        platforms=tuple(platforms),
    )


def per_kg_of_copies(d: NetworkData, of: np.ndarray, platforms: int) -> dict | None:
    """``d.per_kg`` for lanes rewritten over warehouse copies (:func:`with_platforms`, the
    remedy comparison's per-platform copies): a lane to a market once per ``platforms``, a
    first-mile lane once per copy of its warehouse, a bulk lane out of an overseas warehouse
    once per copy of it (``of[c]``: the warehouse of copy c)."""
    if d.per_kg is None:
        return None
    copies = np.bincount(of, minlength=len(d.overseas))
    repeats = {
        "first_mile": [copies[w] for _, w, *_ in d.first_mile],
        "inbound": [copies[o] if kind == "overseas" else 1 for kind, o, *_ in d.inbound],
    }
    return {
        role: np.repeat(np.asarray(v, float), repeats.get(role, platforms))
        for role, v in d.per_kg.items()
    }


def _copy_name(warehouse: str, group: tuple[int, ...], platforms: tuple[str, ...]) -> str:
    """``w`` for a copy shared by every platform, else ``w@`` its platforms joined by ``+``."""
    if len(group) == len(platforms):
        return warehouse
    return f"{warehouse}@{'+'.join(platforms[p] for p in group)}"
