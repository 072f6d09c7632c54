"""Confidence carried to findings, and the data gaps behind them (docs/design.md §3.5).

Every finding rests on package rows. :func:`findings_confidence` gives each SPOF, critical
pair, exposure and register row the weakest ``confidence`` among those rows, their
``source``s and the assumptions it makes:

* a component rests on its own sourcing rows; a supplier on the sourcing rows naming it; a
  nation on the sourcing rows of the suppliers sited (or, with ownership, owned) there; a
  veto ``veto:X`` on X's rows of controls.csv. For a capability's finding only the rows
  upstream of it count (a component row when the component is upstream; a controls row
  when its item is upstream and binds the capability's nation); a pair rests on both
  members' rows.
* assumptions: ``in-house`` (a component with no sourcing rows, made in-house by
  assumption), ``no-confidence`` (rows without a confidence value), and, in the register,
  ``default-probability`` (the point's disruption_prob was left empty).

:func:`data_gaps` lists items with no sourcing rows, low-confidence rows that decide a
SPOF, and nations or suppliers with default probabilities. :func:`unknown_sourcing` names
the components whose supply is unknown (no sourcing rows and no BOM), which the what-if
switch "treat unknown sourcing as failed" fails.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from riskgraph.model.network import SupplyNetwork
from riskgraph.model.vetoes import controls_of

__all__ = ["findings_confidence", "data_gaps", "unknown_sourcing", "confidence_tables",
           "with_unknown_failed", "LOW_CONFIDENCE"]

#: Sourcing rows below this confidence are "low" in the data-gaps report.
LOW_CONFIDENCE = 0.5


class _Rows:
    """Which sourcing (``s``) and controls (``k``) rows each failure point rests on."""

    def __init__(self, network: SupplyNetwork):
        pkg = network.package
        src = pkg.sourcing.reset_index(drop=True)
        self.src = src
        self.of: dict[str, list[tuple[str, int]]] = defaultdict(list)
        site = pkg.suppliers["nation_id"]
        owner = pkg.suppliers["owner_nation_id"] if "owner_nation_id" in pkg.suppliers \
            else site
        for r, (cid, sid) in enumerate(zip(src["component_id"], src["supplier_id"])):
            self.of[f"component:{cid}"].append(("s", r))
            self.of[f"supplier:{sid}"].append(("s", r))
            nations = {site.get(sid)}
            if network.ownership and isinstance(owner.get(sid), str):
                nations.add(owner.get(sid))
            for x in nations:
                self.of[f"nation:{x}"].append(("s", r))
        ctl = controls_of(network)
        self.ctl = ctl
        for r in range(len(ctl)):
            self.of[f"veto:{ctl.controller[r]}"].append(("k", r))
        self.sourced = set(src["component_id"])
        c = network.compiled
        self.comp_node = np.array([c.index[f"component:{x}"] for x in src["component_id"]],
                                  dtype=np.int64)

    def rows(self, point: str, upstream: np.ndarray | None, nation: str | None):
        out = []
        for kind, r in self.of.get(point, ()):
            if upstream is None:
                out.append((kind, r))
            elif kind == "s" and upstream[self.comp_node[r]]:
                out.append((kind, r))
            elif kind == "k" and upstream[self.ctl.item[r]] and \
                    nation not in self.ctl.exempt[r] and nation != self.ctl.controller[r]:
                out.append((kind, r))
        return out

    def describe(self, rows, points) -> tuple[float, int, str, str]:
        """(weakest confidence, rows, sources, assumptions) of a finding."""
        conf, sources, flags = [], set(), []
        rows = list(dict.fromkeys(rows))  # a pair's members may share rows
        for kind, r in rows:
            if kind == "s":
                value, source = self.src.at[r, "confidence"], self.src.at[r, "source"] \
                    if "source" in self.src else None
            else:
                value, source = self.ctl.confidence[r], self.ctl.source[r]
            if value is not None and not pd.isna(value):
                conf.append(float(value))
            else:
                flags.append("no-confidence")
            if isinstance(source, str) and source:
                sources.add(source)
        for p in points:
            if p.startswith("component:") and p.split(":", 1)[1] not in self.sourced:
                flags.append("in-house")
        return (min(conf) if conf else np.nan, len(rows), ";".join(sorted(sources)),
                ";".join(dict.fromkeys(flags)))


def _upstream(network: SupplyNetwork, cap: str) -> np.ndarray:
    c = network.compiled
    plat = c.member[c.member_ptr[c.group_ptr[c.index[cap]]]]  # a capability's one input
    mask = c.topology.ancestor_mask(np.array([plat]))
    mask[plat] = True
    return mask


def findings_confidence(network: SupplyNetwork, structural) -> pd.DataFrame:
    """One row per finding of a :class:`~riskgraph.analyses.structural.StructuralAnalysis`
    (SPOFs, pairs, exposures with a loss, register rows): ``finding``, ``capability``,
    ``failure_point`` (``a;b`` for a pair), ``weakest_confidence`` (NaN when no row gives
    one), ``rows``, ``sources``, ``assumptions``.

    Size: four short loops over the finding tables, one per kind, sharing the row index.
    """
    rows = _Rows(network)
    nation_of = network.capabilities["nation_id"]
    ups: dict[str, np.ndarray] = {}

    def upstream(cap):
        if cap not in ups:
            ups[cap] = _upstream(network, cap)
        return ups[cap]

    out = []
    spof = structural.spof
    for cap, point, trivial in zip(spof.index, spof["failure_point"], spof["trivial"]):
        if not trivial:
            found = rows.rows(point, upstream(cap), nation_of[cap])
            out.append(("spof", cap, point, *rows.describe(found, [point])))
    pairs = structural.critical_pairs
    for cap, a, b in zip(pairs.index, pairs["failure_point_a"], pairs["failure_point_b"]):
        found = rows.rows(a, upstream(cap), nation_of[cap]) + \
            rows.rows(b, upstream(cap), nation_of[cap])
        out.append(("pair", cap, f"{a};{b}", *rows.describe(found, [a, b])))
    exp = structural.nation_exposure
    hit = exp[exp["loss_fraction"] > 0]
    for (nation, cap) in hit.index:
        found = rows.rows(nation, upstream(cap), nation_of[cap])
        out.append(("exposure", cap, nation, *rows.describe(found, [nation])))
    reg = structural.risk_register
    probs = _default_probability_points(network)
    for point in reg.index:
        conf, n, sources, flags = rows.describe(rows.rows(point, None, None), [point])
        if point in probs:
            flags = ";".join(filter(None, [flags, "default-probability"]))
        out.append(("register", "", point, conf, n, sources, flags))
    return pd.DataFrame(out, columns=["finding", "capability", "failure_point",
                                      "weakest_confidence", "rows", "sources",
                                      "assumptions"])


def _default_probability_points(network: SupplyNetwork) -> set[str]:
    pkg = network.package
    out = {f"nation:{x}" for x, p in pkg.nations["disruption_prob"].items() if pd.isna(p)}
    out |= {f"supplier:{x}" for x, p in pkg.suppliers["disruption_prob"].items()
            if pd.isna(p)}
    return out


def unknown_sourcing(network: SupplyNetwork) -> list[str]:
    """Typed ids of components with neither sourcing nor BOM rows (their supply is not
    known; validation calls the non-materials *unmapped*)."""
    pkg = network.package
    sourced = set(pkg.sourcing["component_id"])
    parents = set(pkg.bom["parent_id"]) if len(pkg.bom) else set()
    return [f"component:{x}" for x in pkg.components.index
            if x not in sourced and x not in parents]


def data_gaps(network: SupplyNetwork, structural, *, low: float = LOW_CONFIDENCE
              ) -> pd.DataFrame:
    """The gaps behind the findings: ``gap`` (``no-sourcing``, ``unknown-sourcing``,
    ``low-confidence-spof``, ``default-probability``), ``item`` (typed id), ``file``,
    ``line`` (of a sourcing row, counting the header as line 1 and one line per row),
    ``detail``."""
    pkg = network.package
    out = []
    unknown = set(unknown_sourcing(network))
    sourced = set(pkg.sourcing["component_id"])
    for x in pkg.components.index:
        if x not in sourced:
            item = f"component:{x}"
            gap = "unknown-sourcing" if item in unknown else "no-sourcing"
            what = ("no sourcing and no BOM rows: its supply is unknown" if item in unknown
                    else "no sourcing rows: made in-house from its BOM by assumption")
            out.append((gap, item, "components.csv", np.nan, what))
    spof = structural.spof[~structural.spof["trivial"].astype(bool)]
    counts = spof.groupby("failure_point").size()
    src = pkg.sourcing.reset_index(drop=True)
    for r, (cid, sid, conf) in enumerate(zip(src["component_id"], src["supplier_id"],
                                             src["confidence"])):
        decides = int(counts.get(f"component:{cid}", 0)) + int(counts.get(f"supplier:{sid}", 0))
        if decides and not pd.isna(conf) and conf < low:
            out.append(("low-confidence-spof", f"component:{cid}", "sourcing.csv", r + 2,
                        f"row {cid} <- {sid} has confidence {conf:g} < {low:g} and decides "
                        f"{decides} SPOF finding(s)"))
    for point in sorted(_default_probability_points(network)):
        kind = point.split(":", 1)[0]
        what = ("disruption_prob empty: the default by alignment is used" if kind == "nation"
                else "disruption_prob empty: the default 0.02 is used")
        out.append(("default-probability", point, f"{kind}s.csv", np.nan, what))
    df = pd.DataFrame(out, columns=["gap", "item", "file", "line", "detail"])
    df["line"] = df["line"].astype("Int64")
    return df


def confidence_tables(network: SupplyNetwork, structural=None) -> dict[str, pd.DataFrame]:
    """``findings_confidence.csv`` and ``data_gaps.csv`` (running the structural analyses
    when not given)."""
    if structural is None:
        from riskgraph.analyses.structural import structural_analysis

        structural = structural_analysis(network)
    return {"findings_confidence.csv": findings_confidence(network, structural),
            "data_gaps.csv": data_gaps(network, structural)}


def with_unknown_failed(network: SupplyNetwork, scenario):
    """The scenario with every component of :func:`unknown_sourcing` failed too (for its
    recovery days): the what-if switch "treat unknown sourcing as failed", showing what
    the gaps could hide (docs/design.md §3.5)."""
    from dataclasses import replace

    extra = [x for x in unknown_sourcing(network) if x not in scenario.fail]
    return replace(scenario, fail=tuple(scenario.fail) + tuple(extra),
                   name=scenario.name)
