"""A map of a ``network`` or ``routing`` plan: every node at its latitude and longitude, and
each flow of the plan as a line whose width grows with its units (summed over SKUs, months and
the scenarios' expectation). A PNG drawn by matplotlib, and an interactive HTML page drawn by
plotly with plotly.js inside it, so both work offline; no basemap, so coasts are not drawn: the
nodes themselves (suppliers, overseas and bonded warehouses, provinces) outline the network.
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


HTML_COLOUR = {
    "supply": "rgba(31, 119, 180, 0.45)",
    "delivery": "rgba(44, 160, 44, 0.45)",
    "supplier": "rebeccapurple",
    "overseas_warehouse": "royalblue",
    "bonded_warehouse": "crimson",
    "domestic_warehouse": "darkorange",
    "market": "gray",
}
HTML_SYMBOL = {"supplier": "square", "market": "circle", "overseas_warehouse": "triangle-up"}


def write_plan_map_html(
    nodes: pd.DataFrame, flows: pd.DataFrame, title: str, target: str | Path
) -> Path:
    """The map of :func:`draw_plan_map` as one self-contained HTML page (plotly.js inside, no
    internet needed to view it): hover a node for its id, name and kind, a flow's midpoint for
    its units; click legend entries to hide node kinds or flow kinds."""
    import plotly.graph_objects as go

    place = nodes.set_index(nodes["id"].astype(str))[["lon", "lat"]].astype(float)
    drawn = flows[flows["origin"].isin(place.index) & flows["destination"].isin(place.index)]
    widest = float(drawn["quantity"].max()) if len(drawn) else 1.0
    fig = go.Figure()
    for kind in FLOW_COLOUR:
        rows = drawn[drawn["kind"] == kind].sort_values("quantity")
        for n, row in enumerate(rows.itertuples(index=False)):
            (x0, y0), (x1, y1) = place.loc[row.origin], place.loc[row.destination]
            fig.add_trace(
                go.Scatter(
                    x=[x0, (x0 + x1) / 2, x1],
                    y=[y0, (y0 + y1) / 2, y1],
                    mode="lines",
                    line={
                        "color": HTML_COLOUR[kind],
                        "width": 0.5 + WIDEST * row.quantity / widest,
                    },
                    name=f"{kind} flows",
                    legendgroup=kind,
                    showlegend=n == len(rows) - 1,
                    hovertemplate=f"{row.origin} → {row.destination}: {row.quantity:,.0f} units"
                    "<extra></extra>",
                )
            )
    names = nodes["name"] if "name" in nodes else nodes["id"]
    for kind, group in nodes.groupby(nodes["kind"].astype(str), sort=False):
        fig.add_trace(
            go.Scatter(
                x=group["lon"],
                y=group["lat"],
                mode="markers+text" if kind != "market" else "markers",
                text=group["id"].astype(str) if kind != "market" else None,
                textposition="top right",
                textfont={"size": 9},
                marker={
                    "color": HTML_COLOUR.get(kind, "black"),
                    "symbol": HTML_SYMBOL.get(kind, "diamond"),
                    "size": 9,
                },
                name=KIND_STYLE.get(kind, (None, None, kind))[2],
                customdata=list(
                    zip(group["id"].astype(str), names[group.index].astype(str), strict=True)
                ),
                hovertemplate=f"%{{customdata[0]}}: %{{customdata[1]}} ({kind})<extra></extra>",
            )
        )
    fig.update_layout(
        title={"text": title, "font": {"size": 14}},
        xaxis={"title": "longitude"},
        yaxis={
            "title": "latitude",
            "scaleanchor": "x",
            "scaleratio": 1.0 / max(np.cos(np.radians(float(nodes["lat"].mean()))), 0.2),
        },
        template="plotly_white",
        hovermode="closest",
    )
    target = Path(target)
    fig.write_html(target, include_plotlyjs=True, full_html=True, auto_open=False)
    return target
