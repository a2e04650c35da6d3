"""A map of a ``network`` or ``routing`` plan: every node at its latitude and longitude, and
each flow of the plan as a line whose width grows with its units (summed over SKUs, months and
the scenarios' expectation). A PNG drawn by matplotlib, offline; no basemap, so coasts are not
drawn: the nodes themselves (suppliers, overseas and bonded warehouses, provinces) outline
the network.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cbecopt.plots import figure, save_png

FLOWS = {
    "network": (("shipments", "destination", "supply"), ("deliveries", "market", "delivery")),
    "routing": (("inbound", "bonded_warehouse", "supply"), ("channel_mix", "market", "delivery")),
}
"""Per model: (table, destination column, kind) of the tables whose rows are flows; the
origin is each table's ``origin`` column and the units its ``quantity``."""
KIND_STYLE = {
    "supplier": ("tab:purple", "s", "supplier"),
    "overseas_warehouse": ("tab:blue", "^", "overseas warehouse"),
    "bonded_warehouse": ("tab:red", "D", "bonded warehouse"),
    "domestic_warehouse": ("tab:orange", "D", "duty-paid warehouse"),
    "market": ("tab:gray", "o", "market (province)"),
}
FLOW_COLOUR = {"supply": "tab:blue", "delivery": "tab:green"}
WIDEST = 6.0
"""Points: the width of the plan's largest flow."""


def plan_flows(model: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The plan's flows between nodes, ``origin``, ``destination``, ``kind``, ``quantity``,
    summed per pair (a platform's copy of an overseas warehouse, ``w@p``, is drawn at ``w``)."""
    parts = []
    for table, destination, kind in FLOWS[model]:
        rows = tables.get(table)
        if rows is None or not len(rows):
            continue
        rows = rows[rows["origin"].astype(str).str.len() > 0]
        parts.append(
            pd.DataFrame(
                {
                    "origin": rows["origin"].astype(str).str.split("@").str[0],
                    "destination": rows[destination].astype(str),
                    "kind": kind,
                    "quantity": rows["quantity"].to_numpy(float),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=["origin", "destination", "kind", "quantity"])
    flows = pd.concat(parts, ignore_index=True)
    summed = flows.groupby(["origin", "destination", "kind"], sort=False)["quantity"].sum()
    return summed[summed > 1e-9].reset_index()


def has_coordinates(nodes: pd.DataFrame) -> bool:
    """Whether the nodes table places every node (``lat`` and ``lon`` given throughout)."""
    return {"lat", "lon"} <= set(nodes.columns) and bool(
        nodes[["lat", "lon"]].notna().all(axis=None)
    )


def draw_plan_map(nodes: pd.DataFrame, flows: pd.DataFrame, title: str, target: str | Path) -> Path:
    """Draw ``flows`` between the ``nodes`` (``id``, ``kind``, ``lat``, ``lon``) and write the
    PNG to ``target``; flows to or from a node without a place are left out."""
    fig, ax = figure(size=(11.0, 6.6))
    place = nodes.set_index(nodes["id"].astype(str))[["lon", "lat"]].astype(float)
    drawn = flows[flows["origin"].isin(place.index) & flows["destination"].isin(place.index)]
    widest = float(drawn["quantity"].max()) if len(drawn) else 1.0
    for row in drawn.sort_values("quantity").itertuples(index=False):
        (x0, y0), (x1, y1) = place.loc[row.origin], place.loc[row.destination]
        ax.plot(
            [x0, x1],
            [y0, y1],
            color=FLOW_COLOUR[row.kind],
            linewidth=0.3 + WIDEST * row.quantity / widest,
            alpha=0.45,
            solid_capstyle="round",
            zorder=1,
        )
    for kind, group in nodes.groupby(nodes["kind"].astype(str), sort=False):
        colour, marker, label = KIND_STYLE.get(kind, ("black", "x", kind))
        ax.scatter(group["lon"], group["lat"], c=colour, marker=marker, s=28, label=label, zorder=3)
        if kind != "market":
            for node in group.itertuples(index=False):
                ax.annotate(str(node.id), (node.lon, node.lat), fontsize=6, zorder=4,
                            xytext=(3, 3), textcoords="offset points")  # fmt: skip
    for kind, colour in FLOW_COLOUR.items():
        ax.plot([], [], color=colour, linewidth=3, alpha=0.6, label=f"{kind} flows (width: units)")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(title, fontsize=10)
    ax.set_aspect(
        1.0 / max(np.cos(np.radians(float(nodes["lat"].mean()))), 0.2), adjustable="datalim"
    )
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.2)
    return save_png(fig, target)
