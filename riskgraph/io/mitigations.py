"""The optional ``mitigations.csv``: candidate actions, their checks, and applying them.

One row is one candidate action (docs/design.md §4.10) of a ``kind``:

- ``second_source``: ``supplier_id`` starts supplying ``component_id`` with ``share``;
- ``capacity``: ``supplier_id``'s existing share of ``component_id`` rises to ``share``;
- ``stock``: ``component_id`` gains ``stock_days`` of stock;
- ``substitute``: ``component_id`` joins substitute group ``substitute_group`` of
  ``parent_id``'s BOM. The group is one of the parent's groups, or the id of one of its plain
  children, which then becomes interchangeable with ``component_id``.

Every action costs ``cost`` (≥ 0). :func:`check_mitigations` adds each problem to the
package's report (``file:line:column``); :func:`apply_actions` returns a new
:class:`~riskgraph.io.package.DataPackage` with chosen actions applied, never changing the
one it is given.
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pandas as pd

from riskgraph.io.report import ValidationReport, show_value

__all__ = ["ACTION_KINDS", "KIND_COLUMNS", "apply_actions", "check_mitigations",
           "substitute_rows", "synthetic_mitigations"]

_FILE = "mitigations.csv"

#: The columns each kind of action needs (and the only kind-specific ones it may fill).
KIND_COLUMNS = {
    "second_source": ("supplier_id", "share"),
    "capacity": ("supplier_id", "share"),
    "stock": ("stock_days",),
    "substitute": ("parent_id", "substitute_group"),
}
ACTION_KINDS = tuple(KIND_COLUMNS)
_SPECIFIC = ("supplier_id", "share", "stock_days", "parent_id", "substitute_group")


def _filled(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) \
        and value != ""


def check_mitigations(mitigations: pd.DataFrame, lines: np.ndarray, tables: dict,
                      report: ValidationReport) -> None:
    """What the schema cannot say: each kind's columns, and actions that make sense.

    ``mitigations`` is indexed by ``action_id``; ``tables`` holds the package's other typed
    tables (checks needing a table that could not be read are skipped).
    """
    sourcing = tables.get("sourcing")
    bom = tables.get("bom")
    comps = tables.get("components")
    shares = {} if sourcing is None else dict(zip(
        zip(sourcing["component_id"], sourcing["supplier_id"]), sourcing["share"]))
    sourced = set() if sourcing is None else set(sourcing["component_id"])
    children = _children(bom)
    for i, (aid, row) in enumerate(mitigations.iterrows()):
        line = int(lines[i])
        kind = row.get("kind")
        if kind not in KIND_COLUMNS:
            continue  # the schema reported it
        need = KIND_COLUMNS[kind]

        def err(code, column, message, value=None):
            report.add("error", code, _FILE, f"action {aid!r}: {message}", line=line,
                       column=column, value=None if value is None else str(value))

        missing = [c for c in need if not _filled(row.get(c))]
        for col in missing:
            err("missing-value", col, f"a {kind} action needs {col}")
        for col in _SPECIFIC:
            if col not in need and _filled(row.get(col)):
                err("unexpected-value", col,
                    f"{col} {show_value(str(row.get(col)))} does not belong to a {kind} "
                    f"action (it uses {', '.join(need)})"
                    + ("; stock is held by components, not suppliers"
                       if kind == "stock" and col == "supplier_id" else ""), row.get(col))
        if missing:
            continue
        comp = row.get("component_id")
        if kind in ("second_source", "capacity"):
            _check_sourcing_action(kind, comp, row, shares, sourced, err)
        elif kind == "stock" and not row.get("stock_days") > 0:
            err("out-of-range", "stock_days", "stock_days must be above 0",
                row.get("stock_days"))
        elif kind == "substitute" and comps is not None:
            _check_substitute(comp, row, children, err)


def _check_sourcing_action(kind, comp, row, shares, sourced, err) -> None:
    key = (comp, row.get("supplier_id"))
    if kind == "second_source":
        if key in shares:
            err("duplicate-id", "supplier_id",
                f"{key[1]!r} already supplies {comp!r} (sourcing.csv); use kind capacity "
                f"to raise its share", key[1])
        elif comp not in sourced:
            err("in-house", "component_id",
                f"{comp!r} has no sourcing rows (made in-house): a source would add a "
                f"dependency, not remove one", comp)
    elif key not in shares:
        err("dangling-reference", "supplier_id",
            f"{key[1]!r} does not supply {comp!r} (no sourcing.csv row); use kind "
            f"second_source", key[1])
    elif not row.get("share") > shares[key]:
        err("out-of-range", "share",
            f"share {row.get('share')} does not raise {key[1]!r}'s current share "
            f"{shares[key]} of {comp!r}", row.get("share"))


def _children(bom: pd.DataFrame | None) -> dict[str, dict[str, str]]:
    """parent -> {child: substitute group ('' for a plain child)}."""
    out: dict[str, dict[str, str]] = {}
    if bom is None:
        return out
    groups = bom["substitute_group"].fillna("").astype(str) if "substitute_group" in bom \
        else pd.Series("", index=bom.index)
    for p, ch, g in zip(bom["parent_id"], bom["child_id"], groups):
        out.setdefault(p, {})[ch] = g
    return out


def _check_substitute(comp, row, children, err) -> None:
    parent, group = row.get("parent_id"), str(row.get("substitute_group"))
    kids = children.get(parent, {})
    if comp == parent:
        err("bom-cycle", "component_id", f"{comp!r} cannot substitute in its own BOM", comp)
    elif comp in kids:
        err("duplicate-id", "component_id",
            f"{comp!r} is already a child of {parent!r} (bom.csv)", comp)
    elif group not in set(kids.values()) - {""} and kids.get(group) != "":
        valid = sorted(set(kids.values()) - {""}) + sorted(c for c, g in kids.items() if not g)
        err("unknown-value", "substitute_group",
            f"{group!r} is neither a substitute group nor a plain child of {parent!r}; "
            f"valid: {', '.join(valid[:20]) or 'none (it has no BOM rows)'}", group)
    elif _needs(children, comp, parent):
        err("bom-cycle", "component_id",
            f"{comp!r} needs {parent!r} (through bom.csv): substituting it would make a "
            f"cycle", comp)


def _needs(children: dict, start: str, target: str) -> bool:
    """Whether ``start`` needs ``target`` through the BOM (a walk down its children)."""
    seen, stack = {start}, [start]
    while stack:
        for ch in children.get(stack.pop(), {}):
            if ch == target:
                return True
            if ch not in seen:
                seen.add(ch)
                stack.append(ch)
    return False


def substitute_rows(bom: pd.DataFrame, parent: str, group: str) -> tuple[str, pd.Index]:
    """The group an action joins (its name) and the BOM rows of the parent already in it:
    a named group's rows, else the plain child called ``group`` (which joins it)."""
    rows = bom.index[(bom["parent_id"] == parent)
                     & (bom["substitute_group"].fillna("").astype(str) == group)]
    if len(rows):
        return group, rows
    return group, bom.index[(bom["parent_id"] == parent) & (bom["child_id"] == group)
                            & (bom["substitute_group"].fillna("").astype(str) == "")]


def apply_actions(package, actions: pd.DataFrame, chosen) -> "object":
    """A new package with the ``chosen`` action ids of ``actions`` applied.

    The input package is not changed. Sourcing rows added by an action have
    ``source = mitigation:<action_id>``; its ``mitigations`` table is dropped (the result is
    a plain package); ``sha256`` gains an entry naming the applied actions, so caches keyed
    on the content hash never confuse it with the original.
    """
    chosen = list(dict.fromkeys(chosen))
    acts = actions.loc[chosen] if chosen else actions.iloc[:0]
    sourcing, comps, bom = package.sourcing, package.components, package.bom
    add_src, add_bom = [], []
    if len(acts):
        sourcing, comps, bom = sourcing.copy(), comps.copy(), bom.copy()
    rows_of: dict = {}  # (component, supplier) -> sourcing rows, for capacity actions
    capacity = acts[acts["kind"] == "capacity"]
    if len(capacity):
        near = sourcing[sourcing["component_id"].isin(set(capacity["component_id"]))]
        for i, c, s in zip(near.index, near["component_id"], near["supplier_id"]):
            rows_of.setdefault((c, s), []).append(i)
    for aid, a in acts.iterrows():
        kind, comp = a["kind"], a["component_id"]
        if kind == "second_source":
            add_src.append({"component_id": comp, "supplier_id": a["supplier_id"],
                            "share": float(a["share"]),
                            "lead_time_days": a.get("lead_time_days", np.nan),
                            "source": f"mitigation:{aid}"})
        elif kind == "capacity":
            for i in rows_of.get((comp, a["supplier_id"]), ()):
                sourcing.at[i, "share"] = max(sourcing.at[i, "share"], float(a["share"]))
        elif kind == "stock":
            comps.loc[comp, "stock_days"] = comps.loc[comp, "stock_days"] + float(a["stock_days"])
        elif kind == "substitute":
            name, rows = substitute_rows(bom, a["parent_id"], str(a["substitute_group"]))
            bom.loc[rows, "substitute_group"] = name
            qty = float(bom.loc[rows, "quantity"].iloc[0]) if len(rows) else 1.0
            add_bom.append({"parent_id": a["parent_id"], "child_id": comp,
                            "quantity": qty, "substitute_group": name})
    if add_src:
        sourcing = pd.concat([sourcing, pd.DataFrame(add_src)], ignore_index=True)
    if add_bom:
        bom = pd.concat([bom, pd.DataFrame(add_bom)], ignore_index=True)
    digest = hashlib.sha256("\n".join(map(str, chosen)).encode()).hexdigest()
    sha = {k: v for k, v in package.sha256.items() if k != "mitigations.csv"}
    sha["mitigations-applied"] = digest
    changes = dict(sourcing=sourcing, components=comps, bom=bom, sha256=sha)
    if any(f.name == "mitigations" for f in dataclasses.fields(package)):
        changes["mitigations"] = None
    return dataclasses.replace(package, **changes)


def synthetic_mitigations(package, *, actions: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Random valid candidate actions for a (generated) package, for benchmarks and tests.

    About 70 % second sources for sole-sourced components (a supplier sited in another
    nation), 20 % stock and 10 % capacity raises of existing shares below 1; costs 1-100.
    The result passes :func:`check_mitigations`; write it as ``mitigations.csv``.
    """
    rng = np.random.default_rng(seed)
    src = package.sourcing
    sups = package.suppliers
    site = sups["nation_id"]
    counts = src["component_id"].value_counts()
    sole = src[src["component_id"].map(counts) == 1]
    sup_ids = sups.index.to_numpy(dtype=object)
    have = set(zip(src["component_id"], src["supplier_id"]))
    rows: list[dict] = []
    n_second = int(actions * 0.7)
    for i in rng.permutation(len(sole))[: 4 * n_second]:
        if len(rows) >= n_second:
            break
        comp, cur = sole["component_id"].iat[i], sole["supplier_id"].iat[i]
        for _ in range(5):
            cand = sup_ids[rng.integers(len(sup_ids))]
            if site[cand] != site[cur] and (comp, cand) not in have:
                have.add((comp, cand))
                rows.append(dict(kind="second_source", component_id=comp, supplier_id=cand,
                                 share=0.5))
                break
    comps = package.components.index.to_numpy(dtype=object)
    while len(rows) < int(actions * 0.9):
        rows.append(dict(kind="stock", component_id=comps[rng.integers(len(comps))],
                         stock_days=float(rng.integers(30, 181))))
    low = src[src["share"] < 1]
    for i in rng.permutation(len(low))[: actions - len(rows)]:
        rows.append(dict(kind="capacity", component_id=low["component_id"].iat[i],
                         supplier_id=low["supplier_id"].iat[i], share=1.0))
    df = pd.DataFrame(rows)
    df.insert(0, "action_id", [f"A{i:05d}" for i in range(len(df))])
    df["cost"] = rng.integers(1, 101, len(df)).astype(float)
    df["description"] = "synthetic"
    return df.set_index("action_id")
