"""Platforms and warehouse sharing for the ``network`` model, as a change of data.

Demand given per platform (a ``demand[s, j, p, k, t]`` array) makes each (market, platform)
pair a market of its own. With ``sharing=True`` each overseas warehouse is opened once for
every platform (one fixed cost, one capacity); with ``sharing=False`` each platform opens its
own copy ``w@p`` (fixed cost and capacity per copy), whose parcels serve that platform's
demand only. Bonded release serves every platform. The model itself is unchanged, so every
family keeps its name and meaning.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from cbecopt.models.network.data import NetworkData


def with_platforms(
    d: NetworkData, platforms: tuple[str, ...], demand: np.ndarray, sharing: bool = True
) -> NetworkData:
    """``d`` with demand per platform (``demand[s, j, p, k, t]``), markets ``market|platform``,
    and overseas warehouses shared or copied per platform."""
    nS, nJ, nK, nT = len(d.scenario_names), len(d.markets), len(d.skus), d.months
    nP = len(platforms)
    if np.shape(demand) != (nS, nJ, nP, nK, nT):
        raise ValueError(
            f"demand by platform has shape {np.shape(demand)}, expected {(nS, nJ, nP, nK, nT)}"
        )
    markets = tuple(f"{j}|{p}" for j in d.markets for p in platforms)
    pair = {(j, p): j * nP + p for j in range(nJ) for p in range(nP)}
    release = tuple((b, pair[j, p], cost, tax) for b, j, cost, tax in d.release for p in range(nP))
    changes: dict = {}
    if sharing:
        parcel = tuple(
            (w, pair[j, p], cost, tax) for w, j, cost, tax in d.parcel for p in range(nP)
        )
    else:
        nW = len(d.overseas)
        copy = {(w, p): w * nP + p for w in range(nW) for p in range(nP)}
        parcel = tuple(
            (copy[w, p], pair[j, p], cost, tax) for w, j, cost, tax in d.parcel for p in range(nP)
        )
        changes = dict(
            overseas=tuple(f"{w}@{p}" for w in d.overseas for p in platforms),
            overseas_fixed=np.repeat(d.overseas_fixed, nP),
            overseas_capacity=np.repeat(d.overseas_capacity, nP),
            overseas_handling=np.repeat(d.overseas_handling, nP),
            first_mile=tuple(
                (i, copy[w, p], cost, lead) for i, w, cost, lead in d.first_mile for p in range(nP)
            ),
            inbound=tuple(
                (kind, copy[o, p] if kind == "overseas" else o, b, cost, lead)
                for kind, o, b, cost, lead in d.inbound
                for p in (range(nP) if kind == "overseas" else (0,))
            ),
        )
    return replace(
        d,
        markets=markets,
        platforms=tuple(platforms),
        demand=np.asarray(demand, float).reshape(nS, nJ * nP, nK, nT),
        release=release,
        parcel=parcel,
        **changes,
    )
