"""The Sovereignty page's data (docs/design.md §3.4, §3.5, §4.9): coalition choices and the
tables of one coalition, computed by :mod:`riskgraph.analyses.sovereignty` and
:mod:`riskgraph.analyses.confidence` exactly as ``riskgraph sovereignty`` writes them."""

from __future__ import annotations

import pandas as pd

__all__ = ["coalition_choices", "sovereignty_tables", "regime_choices", "sovereignty_summary"]


def coalition_choices(network) -> list[dict]:
    """Select options: the ``alliances`` tags (``EU — 21 nations``), then every nation."""
    nations = network.package.nations
    tags: dict[str, int] = {}
    for cell in nations["alliances"].fillna(""):
        for tag in {t.strip() for t in str(cell).split(";") if t.strip()}:
            tags[tag] = tags.get(tag, 0) + 1
    out = [{"value": t, "label": f"{t} — {n} nation{'s' if n != 1 else ''}"}
           for t, n in sorted(tags.items()) if t not in nations.index]
    out += [{"value": str(i), "label": f"{name} ({i})"}
            for i, name in zip(nations.index, nations["name"])]
    return out


def regime_choices(network) -> list[str]:
    """The regimes named in controls.csv (``ITAR`` first when present)."""
    from riskgraph.model.vetoes import controls_of

    regimes = sorted({r for r in controls_of(network).regime.tolist() if r})
    return sorted(regimes, key=lambda r: (r.upper() != "ITAR", r)) or ["ITAR"]


def sovereignty_tables(network, coalition, *, regime: str = "ITAR", analysis=None
                       ) -> dict[str, pd.DataFrame]:
    """The four export tables of ``riskgraph sovereignty`` for one coalition (raises
    :class:`~riskgraph.analyses.sovereignty.CoalitionError` for a bad one)."""
    from riskgraph.analyses.confidence import confidence_tables
    from riskgraph.analyses.sovereignty import (coalition_members, coalition_survivability,
                                                foreign_control)

    coalition_members(network, coalition)  # a bad coalition fails before any work
    spof = analysis.spof if analysis is not None else None
    tables = {
        "coalition_survivability.csv":
            coalition_survivability(network, coalition).reset_index(),
        "foreign_control.csv":
            foreign_control(network, coalition=coalition, regime=regime,
                            spof=spof).reset_index(),
    }
    tables.update(confidence_tables(network, analysis))
    return tables


def sovereignty_summary(tables: dict[str, pd.DataFrame], coalition: str) -> str:
    """One line for the page: how many capabilities survive, how many one refusal stops."""
    surv = tables["coalition_survivability.csv"]
    ctl = tables["foreign_control.csv"]
    up = int(surv["up"].sum())
    vetoed = int((ctl["vetoed_by"].fillna("") != "").sum())
    free = int(ctl["free_of_regime"].sum())
    regime = ctl["regime"].iloc[0] if len(ctl) else ""
    return (f"{coalition}: {up} of {len(surv)} capabilities survive when everyone outside "
            f"fails and refuses licences; {vetoed} can be grounded by one nation's licence "
            f"refusal; {free} are {regime}-free.")
