"""A capability's unavailability as an Open-PSA MEF fault tree (docs/design.md §7.6).

Every failure point x upstream of the capability's platform is a basic event ``x`` (its
``disruption_prob``, defaults applied), and a node with requirement groups is a gate "x is
down" = ``or`` of its own basic event and one formula per group: a group of n members with
threshold k fails when at least n − k + 1 members are down (``or`` when that is 1, ``and``
when it is n, else ``atleast``). The top gate is the capability. So the tree's minimal cut
sets are riskgraph's (SPOFs of order 1, critical pairs of order 2, docs/design.md
§4.1–4.2) and its top-event probability is :func:`~riskgraph.analyses.montecarlo.exact_unavailability`'s.

Names: MEF identifiers allow letters, digits, ``_`` and single inner ``-``; a typed id is
written ``<kind>_<id>`` with every other character replaced by ``_`` (``-2``, ``-3`` …
appended on a clash); the gate of a point is its name plus ``-down``. Each event carries its
typed id as ``<label>`` and as the attribute ``riskgraph-id``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from riskgraph.errors import UsageError

__all__ = ["fault_tree_xml", "write_fault_tree", "mef_names"]


def _resolve(network, capability: str) -> int:
    c = network.compiled
    typed = capability if capability.startswith("capability:") else f"capability:{capability}"
    if typed not in c.index:
        from riskgraph.io.report import suggest

        caps = c.ids[c.capabilities].tolist()
        raise UsageError(f"unknown capability {capability!r}{suggest(typed, set(caps))}; "
                         f"capabilities look like NATION/PLATFORM, e.g. "
                         f"{caps[0].split(':', 1)[1] if caps else 'USA/F-35A'}")
    return c.index[typed]


def mef_names(ids) -> dict[str, str]:
    """Typed ids to unique MEF identifiers.

    >>> mef_names(["component:F-35A", "component:F_35A", "nation:USA"])
    {'component:F-35A': 'component_F_35A', 'component:F_35A': 'component_F_35A-2', 'nation:USA': 'nation_USA'}
    """
    out, used = {}, set()
    for typed in ids:
        base = re.sub(r"[^A-Za-z0-9_]", "_", typed.replace(":", "_", 1))
        name, k = base, 1
        while name in used:
            k += 1
            name = f"{base}-{k}"
        used.add(name)
        out[typed] = name
    return out


def _cone(network, platform: int) -> np.ndarray:
    topo = network.compiled.topology
    return np.union1d(topo.ancestors(np.array([platform])), [platform]).astype(np.int64)


def _group_formula(c, g: int, ref) -> str:
    members = c.member[c.member_ptr[g]:c.member_ptr[g + 1]].tolist()
    n, k = len(members), int(c.group_k[g])
    refs = "".join(ref(m) for m in members)
    fail = n - k + 1
    if n == 1:
        return refs
    if fail == 1:
        return f"<or>{refs}</or>"
    if fail == n:
        return f"<and>{refs}</and>"
    return f'<atleast min="{fail}">{refs}</atleast>'


def fault_tree_xml(network, capability: str) -> tuple[str, dict]:
    """The MEF document of one capability's unavailability, and counts.

    Returns ``(xml_text, info)`` with ``info`` holding ``capability`` (typed id),
    ``basic_events``, ``gates`` and ``names`` (typed id -> basic event name).
    """
    c = network.compiled
    cap = _resolve(network, capability)
    platform = int(c.topology.capability_platform[np.searchsorted(c.capabilities, cap)])
    cone = _cone(network, platform)
    names = mef_names(c.ids[cone].tolist())
    has_groups = {int(v) for v in cone if c.group_ptr[v + 1] > c.group_ptr[v]}

    def ref(v: int) -> str:
        name = names[c.ids[v]]
        return f'<gate name="{name}-down"/>' if v in has_groups else \
            f'<basic-event name="{name}"/>'

    def meta(typed: str) -> str:
        return (f"<label>{_text(typed)}</label><attributes><attribute name=\"riskgraph-id\" "
                f"value={quoteattr(typed)}/></attributes>")

    top = re.sub(r"[^A-Za-z0-9_]", "_", c.ids[cap].replace(":", "_", 1))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             "<!-- written by riskgraph export openpsa (docs/design.md section 7.6) -->",
             "<opsa-mef>", '<define-fault-tree name="riskgraph">',
             f'<define-gate name="{top}-top">{meta(c.ids[cap])}{ref(platform)}</define-gate>']
    for v in cone.tolist():
        if v in has_groups:
            groups = "".join(_group_formula(c, g, ref)
                             for g in range(c.group_ptr[v], c.group_ptr[v + 1]))
            lines.append(f'<define-gate name="{names[c.ids[v]]}-down">'
                         f'<or><basic-event name="{names[c.ids[v]]}"/>{groups}</or>'
                         f"</define-gate>")
    for v in cone.tolist():
        p = float(c.disruption_prob[v])
        lines.append(f'<define-basic-event name="{names[c.ids[v]]}">{meta(c.ids[v])}'
                     f'<float value="{p!r}"/></define-basic-event>')
    lines += ["</define-fault-tree>", "</opsa-mef>", ""]
    info = {"capability": c.ids[cap], "basic_events": len(cone), "gates": len(has_groups) + 1,
            "names": names, "top": f"{top}-top"}
    return "\n".join(lines), info


def _text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_fault_tree(network, capability: str, path) -> dict:
    """Write :func:`fault_tree_xml` to ``path`` atomically (a temp file renamed into place);
    returns its ``info``."""
    text, info = fault_tree_xml(network, capability)
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"--out {os.fspath(path)!r} is a folder; give a file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return info
