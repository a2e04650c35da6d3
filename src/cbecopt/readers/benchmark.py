"""Readers for published facility-location benchmark files.

Both formats give m facilities (capacity, fixed cost), n customers (demand) and a cost
``c_ij`` of serving *all* of customer j from facility i. Our arcs carry a cost per unit, so
the readers write ``unit_cost = c_ij / d_j``; the model's flow of ``d_j`` units then costs
exactly ``c_ij`` (Beasley 1988; Holmberg, Rönnqvist and Yuan 1999).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from cbecopt.errors import InputError, Problem
from cbecopt.readers import RawInstance

CAPACITY_PLACEHOLDER = "capacity"

log = logging.getLogger(__name__)


def _tokens(path: Path) -> tuple[list[str], list[str]]:
    """The tokens of the file's text, and those after the NUL padding that ends it (if any)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(path.name, f"cannot be read: {exc.strerror}")) from None
    text, _, tail = data.partition(b"\x00")
    # NUL is not whitespace to str.split(): a padding run leaves NULs at the tail's start.
    tail = tail.replace(b"\x00", b" ")
    return [t.decode("ascii", errors="replace").split() for t in (text, tail)]


def _check_leftovers(text: list[str], tail: list[str], used: int, path: Path, m: int, n: int):
    """Refuse tokens after the data the header announces (``used`` tokens).

    The rule: a file's data end at its text's end or at the first NUL byte (some published
    files are padded with NULs). Any token left over before that point is an error: the
    header announces less than the file holds. Tokens after the NUL padding are ignored with
    a warning, unless their number is a whole multiple of a customer's record (``m + 1``
    tokens: a demand and m costs) or of a facility's (``n + 2``: capacity, fixed cost and n
    costs), which is what a header one customer or facility short leaves over in both
    layouts; those are refused too.
    """
    customer, facility = m + 1, n + 2
    extra = len(text) - used
    if extra < 0:
        return  # truncated: reported where the data are read
    if extra:
        raise InputError(
            Problem(
                path.name,
                f"has {extra} tokens after the data its header announces (m={m} facilities, "
                f"n={n} customers: {used} tokens){_shape(extra, customer, facility)}; "
                "check the header",
            )
        )
    if tail and (len(tail) % customer == 0 or len(tail) % facility == 0):
        raise InputError(
            Problem(
                path.name,
                f"has {len(tail)} tokens after the NUL bytes that end its data"
                f"{_shape(len(tail), customer, facility)}; check the header",
            )
        )
    if tail:
        log.warning(
            "%s: ignoring %d tokens after the NUL bytes that end its data", path.name, len(tail)
        )


def _shape(count: int, customer: int, facility: int) -> str:
    if count % customer == 0:
        return f", as many as {count // customer} more customer(s) take"
    if count % facility == 0:
        return f", as many as {count // facility} more facility(ies) take"
    return ""


def _numbers(tokens: list[str], path: Path, start: int, count: int, what: str) -> np.ndarray:
    if len(tokens) < start + count:
        raise InputError(
            Problem(
                path.name,
                f"is truncated: {what} needs tokens {start + 1}..{start + count}, "
                f"the file has {len(tokens)}",
            )
        )
    values = np.empty(count)
    for k, tok in enumerate(tokens[start : start + count]):
        try:
            values[k] = float(tok)
        except ValueError:
            raise InputError(
                Problem(path.name, f"token {start + k + 1} ('{tok}') in {what} is not a number")
            ) from None
    if not np.all(np.isfinite(values)):
        raise InputError(Problem(path.name, f"{what} contains a value that is not finite"))
    return values


def _header(tokens: list[str], path: Path) -> tuple[int, int]:
    try:
        m, n = int(tokens[0]), int(tokens[1])
    except (IndexError, ValueError):
        raise InputError(
            Problem(path.name, "must start with two whole numbers: facilities m and customers n")
        ) from None
    if m <= 0 or n <= 0:
        raise InputError(Problem(path.name, f"m={m} and n={n} must both be positive"))
    return m, n


def _raw_instance(
    path: Path,
    variant: str,
    capacity: np.ndarray,
    fixed: np.ndarray,
    demand: np.ndarray,
    cost: np.ndarray,
    extra_meta: dict,
) -> RawInstance:
    """Tables for m facilities and n customers; ``cost[i, j]`` is the whole-customer cost."""
    m, n = cost.shape
    zero = np.flatnonzero(demand <= 0)
    if zero.size:
        raise InputError(
            Problem(
                path.name,
                f"customer {zero[0] + 1} has demand {demand[zero[0]]:g}; "
                "a per-unit cost needs positive demand",
            )
        )
    facility_ids = [f"f{i + 1}" for i in range(m)]
    customer_ids = [f"c{j + 1}" for j in range(n)]
    nodes = pd.DataFrame(
        {
            "id": facility_ids + customer_ids,
            "kind": ["overseas_warehouse"] * m + ["market"] * n,
            "capacity": [repr(float(v)) for v in capacity] + [""] * n,
            "fixed_cost": [repr(float(v)) for v in fixed] + [""] * n,
        }
    )
    unit = cost / demand[np.newaxis, :]
    arcs = pd.DataFrame(
        {
            "origin": np.repeat(facility_ids, n),
            "destination": np.tile(customer_ids, m),
            "unit_cost": [repr(float(v)) for v in unit.ravel()],
        }
    )
    demand_table = pd.DataFrame(
        {"market": customer_ids, "quantity": [repr(float(v)) for v in demand]}
    )
    meta = {
        "instance": {
            "name": path.stem,
            "description": f"{variant} benchmark {path.name} ({m} x {n})",
            "source": str(path.name),
            "format": extra_meta.pop("format"),
        },
        **extra_meta,
    }
    sources = {t: f"{path.name} ({t})" for t in ("nodes", "arcs", "demand")}
    return RawInstance(path, meta, {"nodes": nodes, "arcs": arcs, "demand": demand_table}, sources)


def read_orlib_cap(path: Path, capacity: float | None = None) -> RawInstance:
    """OR-Library capacitated warehouse location (cap41..cap134, capa/capb/capc).

    Layout: ``m n``, then m lines ``s_i f_i``, then per customer ``d_j c_1j .. c_mj``.
    In capa/capb/capc every capacity is the word ``capacity``: pass ``capacity`` to choose
    one of the published problems (e.g. capb with 6000 is ``capb-6000``).

    The header must announce exactly the data that follow; leftover tokens are refused as
    :func:`_check_leftovers` describes (a header that says 49 customers in a 50-customer file
    leaves one customer's ``1 + m`` tokens over).
    """
    tokens, tail = _tokens(path)
    m, n = _header(tokens, path)
    expected = 2 + 2 * m + n * (m + 1)
    _check_leftovers(tokens, tail, expected, path, m, n)
    if len(tokens) < expected:
        raise InputError(
            Problem(
                path.name,
                f"is truncated: {expected} tokens expected for m={m}, n={n}, found {len(tokens)}",
            )
        )
    cap_tokens = tokens[2 : 2 + 2 * m : 2]
    has_placeholder = any(t.lower() == CAPACITY_PLACEHOLDER for t in cap_tokens)
    if has_placeholder and capacity is None:
        raise InputError(
            Problem(
                path.name,
                "capacities are the placeholder 'capacity': "
                "give a value with --capacity (e.g. capa: 8000, 10000, 12000, 14000)",
            )
        )
    if capacity is not None:
        if not has_placeholder:
            raise InputError(
                Problem(
                    path.name,
                    "--capacity applies only to the capa/capb/capc templates, "
                    "whose capacities are the word 'capacity'; this file gives its own",
                )
            )
        tokens = [repr(float(capacity)) if t.lower() == CAPACITY_PLACEHOLDER else t for t in tokens]
    facility = _numbers(tokens, path, 2, 2 * m, "facility capacities and fixed costs").reshape(m, 2)
    block = _numbers(tokens, path, 2 + 2 * m, n * (m + 1), "customer demands and costs").reshape(
        n, m + 1
    )
    name_suffix = f"-{capacity:g}" if capacity is not None else ""
    raw = _raw_instance(
        path,
        "OR-Library CFLP",
        facility[:, 0],
        facility[:, 1],
        block[:, 0],
        block[:, 1:].T,
        {"format": "orlib-cap"},
    )
    raw.meta["instance"]["name"] = path.stem + name_suffix
    return raw


def read_holmberg(path: Path) -> RawInstance:
    """Holmberg, Rönnqvist and Yuan single-source CFLP files (p1..p71).

    Layout: ``m n``, m lines ``s_i f_i``, n demands, then the m x n costs facility-major.
    The data are the ``2 + 2m + n + mn`` tokens the header announces; leftovers are refused
    as :func:`_check_leftovers` describes. p47 has 17 tokens after the NUL bytes that end
    its data (a fragment of cost lines, not a record: 17 is neither a multiple of m + 1 = 11
    nor of n + 2 = 92), so it loads with a warning and solves to its published optimum.
    The instance is marked single-source, the variant these files are published for.
    """
    tokens, tail = _tokens(path)
    m, n = _header(tokens, path)
    _check_leftovers(tokens, tail, 2 + 2 * m + n + m * n, path, m, n)
    facility = _numbers(tokens, path, 2, 2 * m, "facility capacities and fixed costs").reshape(m, 2)
    demand = _numbers(tokens, path, 2 + 2 * m, n, "customer demands")
    cost = _numbers(tokens, path, 2 + 2 * m + n, m * n, "assignment costs").reshape(m, n)
    return _raw_instance(
        path,
        "Holmberg SS-CFLP",
        facility[:, 0],
        facility[:, 1],
        demand,
        cost,
        {"format": "holmberg", "warehouses": {"single_source": True}},
    )
