"""Checks of the optional ``controls.csv`` (export controls, docs/design.md §3.4).

``item_id`` names a component or a supplier; written plain (``F135``) it must name exactly
one of them, else typed (``component:F135``, ``supplier:S01``). ``exempt_nation_ids`` is a
``;``-separated list of nations that need no licence; the controlling nation cannot exempt
itself. :func:`resolve_item` is the one rule turning an ``item_id`` into a typed node id,
used by the checks and by :mod:`riskgraph.model.vetoes`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from riskgraph.io.report import ValidationReport, show_value, suggest

__all__ = ["check_controls", "resolve_item", "split_exempt"]

_FILE = "controls.csv"


def split_exempt(cell) -> list[str]:
    """The nations of an ``exempt_nation_ids`` cell, blanks dropped.

    >>> split_exempt("GBR; AUS;")
    ['GBR', 'AUS']
    >>> split_exempt(None)
    []
    """
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return []
    return [p.strip() for p in str(cell).split(";") if p.strip()]


def resolve_item(item: str, components, suppliers) -> tuple[str | None, str]:
    """``(typed node id or None, why not)`` for an ``item_id``.

    >>> resolve_item("F135", {"F135"}, {"S1"})
    ('component:F135', '')
    >>> resolve_item("supplier:S1", {"F135"}, {"S1"})[0]
    'supplier:S1'
    """
    kind, sep, ident = str(item).partition(":")
    if sep and kind in ("component", "supplier"):
        known = components if kind == "component" else suppliers
        if ident in known:
            return f"{kind}:{ident}", ""
        return None, f"{kind} {ident!r} is not in {kind}s.csv"
    in_c, in_s = item in components, item in suppliers
    if in_c and in_s:
        return None, (f"{item!r} is both a component and a supplier: write "
                      f"component:{item} or supplier:{item}")
    if in_c:
        return f"component:{item}", ""
    if in_s:
        return f"supplier:{item}", ""
    return None, (f"item_id {show_value(item)} is neither a component nor a supplier"
                  f"{suggest(item, set(components) | set(suppliers))}")


def check_controls(controls: pd.DataFrame, lines: np.ndarray, nations: pd.DataFrame | None,
                   components: pd.DataFrame | None, suppliers: pd.DataFrame | None,
                   report: ValidationReport) -> None:
    """Unknown items, unknown or self-exempt nations, rows repeating an item's control.

    Size: one loop over the rows, each check a few lines, kept together for one reading.
    """
    comps = set(components.index) if components is not None else set()
    sups = set(suppliers.index) if suppliers is not None else set()
    known_nations = set(nations.index) if nations is not None else None
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    items = controls["item_id"].to_numpy(dtype=object)
    ctrl = controls["controlling_nation_id"].to_numpy(dtype=object)
    exempt = controls["exempt_nation_ids"].to_numpy(dtype=object)
    for i in range(len(controls)):
        line = int(lines[i])
        typed = None
        if items[i] is not None and (components is not None and suppliers is not None):
            typed, why = resolve_item(items[i], comps, sups)
            if typed is None:
                report.add("error", "dangling-reference", _FILE, why, line=line,
                           column="item_id", value=items[i])
        if typed is not None and ctrl[i] is not None:
            key = (typed, ctrl[i])
            if key not in seen:
                seen[key] = (line, items[i])
            elif seen[key][1] != items[i]:  # exact repeats: unique_keys reports them
                report.add("error", "duplicate-id", _FILE,
                           f"duplicate row: {typed} controlled by {ctrl[i]!r} already on "
                           f"line {seen[key][0]}", line=line, column="item_id",
                           value=items[i])
        for nid in split_exempt(exempt[i]):
            if known_nations is not None and nid not in known_nations:
                report.add("error", "dangling-reference", _FILE,
                           f"exempt nation {show_value(nid)} is not in nations.csv"
                           f"{suggest(nid, known_nations)}", line=line,
                           column="exempt_nation_ids", value=nid)
            elif nid == ctrl[i]:
                report.add("error", "self-exempt", _FILE,
                           f"{nid!r} controls this item and cannot be exempt from its own "
                           f"control; drop it from exempt_nation_ids", line=line,
                           column="exempt_nation_ids", value=nid)
