"""A short human summary of a network and its top risks (for the CLI)."""

from __future__ import annotations

from riskgraph.analyses.structural import StructuralAnalysis, structural_analysis
from riskgraph.model.network import SupplyNetwork

__all__ = ["headline_figures", "summary_text"]


def headline_figures(network: SupplyNetwork, analysis: StructuralAnalysis) -> dict:
    """The dashboard's and the CLI's headline numbers, computed from the analysis tables."""
    pkg = network.package
    caps = network.capabilities
    spof = analysis.spof
    nontrivial = ~spof["trivial"].to_numpy(dtype=bool)
    surv = analysis.survivability
    unmapped = [i for i in pkg.report.warnings if i.code == "unmapped"] if pkg.report else []
    return {
        "nations": len(pkg.nations),
        "member_nations": int((pkg.nations["alignment"] == "member").sum()),
        "platforms": int((pkg.components["kind"] == "platform").sum()),
        "capabilities": len(caps),
        "fielding_nations": int(caps["nation_id"].nunique()),
        "suppliers": len(pkg.suppliers),
        "components": len(pkg.components),
        "spofs": _distinct(spof["failure_point"], nontrivial),
        "capabilities_with_spof": _distinct(spof.index, nontrivial),
        "capabilities_with_hidden_spof": _distinct(spof.index,
                                                   spof["hidden"].to_numpy(dtype=bool)),
        "alliance_only_up": int(surv["up"].sum()),
        "alliance_only_supply": float(surv["supply_fraction"].mean()) if len(surv) else 1.0,
        "unmapped": len(unmapped),
    }


def _distinct(values, mask) -> int:
    """Distinct values where ``mask`` holds, counted in Arrow: at a million nodes the SPOF
    table has ~9M rows, and copying its selected rows as Python strings took ~4 GB."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(values, from_pandas=True)
    return int(pc.count_distinct(pc.filter(arr, pa.array(mask))).as_py())


def summary_text(network: SupplyNetwork, analysis: StructuralAnalysis | None = None, *,
                 top: int = 10) -> str:
    """The summary printed by ``riskgraph summary`` and ``riskgraph analyse``."""
    if analysis is None:
        analysis = structural_analysis(network)
    h = headline_figures(network, analysis)
    lines = [
        f"riskgraph: {network.package.path}",
        f"  {h['nations']} nations ({h['member_nations']} members), {h['suppliers']} suppliers, "
        f"{h['components']} components, {h['platforms']} platforms",
        f"  {h['capabilities']} capabilities fielded by {h['fielding_nations']} nations; "
        f"{h['unmapped']} unmapped item(s)",
        f"  {h['spofs']} distinct single points of failure; "
        f"{h['capabilities_with_spof']} capabilities have one, "
        f"{h['capabilities_with_hidden_spof']} a hidden one (below tier 1)",
        f"  alliance-only supply: {h['alliance_only_up']} of {h['capabilities']} capabilities "
        f"stay up, mean supply {100 * h['alliance_only_supply']:.0f}% of baseline",
        "",
        f"Top {min(top, len(analysis.risk_register))} risks:",
    ]
    reg = analysis.risk_register.head(top)
    width = max((len(i) for i in reg.index), default=0)
    for fp, row in reg.iterrows():
        lines.append(f"  {int(row['rank']):>3}. {fp:<{width}}  {row['score']:5.1f}  {row['why']}")
    return "\n".join(lines)
