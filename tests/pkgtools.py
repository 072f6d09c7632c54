"""Tiny hand-checkable packages for tests, written from CSV text."""

from __future__ import annotations

import textwrap
from pathlib import Path

from riskgraph import load_network

DEFAULT_NATIONS = "nation_id,name,alignment\nUSA,United States,member\nDEU,Germany,member\n"


def write_package(folder: Path, **tables: str) -> Path:
    """Write ``table=csv_text`` pairs (dedented) into ``folder``; nations default to USA/DEU."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables.setdefault("nations", DEFAULT_NATIONS)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def network_from(folder: Path, **tables: str):
    """Write a package and load it as a SupplyNetwork."""
    return load_network(write_package(folder, **tables))


# A chain: USA -> S1 -> M (material) -> P (platform) fielded by USA.
CHAIN = dict(
    suppliers="""
        supplier_id,name,nation_id
        S1,Mine,USA
        """,
    components="""
        component_id,name,kind
        M,Ore,material
        P,Plane,platform
        """,
    bom="""
        parent_id,child_id
        P,M
        """,
    sourcing="""
        component_id,supplier_id,share
        M,S1,1
        """,
    fielding="""
        nation_id,platform_id
        USA,P
        """,
)

# A diamond: P needs systems X and Y; both need part Z, sole-sourced from S_Z in DEU.
DIAMOND = dict(
    suppliers="""
        supplier_id,name,nation_id
        S_X,X maker,USA
        S_Y,Y maker,USA
        S_Z,Z maker,DEU
        """,
    components="""
        component_id,name,kind
        Z,Shared part,part
        X,System X,system
        Y,System Y,system
        P,Platform,platform
        """,
    bom="""
        parent_id,child_id
        X,Z
        Y,Z
        P,X
        P,Y
        """,
    sourcing="""
        component_id,supplier_id,share
        Z,S_Z,1
        X,S_X,1
        Y,S_Y,1
        """,
    fielding="""
        nation_id,platform_id
        USA,P
        """,
)

# Dual sourcing, a substitute group and min_sources = 2 of 3 on one platform.
MIXED = dict(
    suppliers="""
        supplier_id,name,nation_id
        S1,One,USA
        S2,Two,DEU
        S3,Three,USA
        S4,Four,USA
        S5,Five,DEU
        """,
    components="""
        component_id,name,kind,min_sources
        D,Dual-sourced part,part,1
        Q,Qualified part,part,2
        G1,Option one,part,1
        G2,Option two,part,1
        P,Platform,platform,1
        """,
    bom="""
        parent_id,child_id,quantity,substitute_group
        P,D,1,
        P,Q,1,
        P,G1,1,seeker
        P,G2,1,seeker
        """,
    sourcing="""
        component_id,supplier_id,share
        D,S1,0.5
        D,S2,0.5
        Q,S3,0.4
        Q,S4,0.4
        Q,S5,0.4
        G1,S1,1
        G2,S5,1
        """,
    fielding="""
        nation_id,platform_id
        USA,P
        DEU,P
        """,
)
