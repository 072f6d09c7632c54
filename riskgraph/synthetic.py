"""Synthetic data packages of any size, for benchmarks and scale tests.

:func:`generate_package` writes a valid package of about ``nodes`` nodes with a realistic
shape: 6–10 component tiers (platforms at the top, materials at the bottom), 40 nations of
all four alignments, power-law reuse of suppliers and of parts and materials (a few are
used everywhere), substitute groups, ``min_sources`` > 1, stock buffers, sole sources and
raw materials concentrated in adversary nations. The same seed gives the same files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["generate_package", "NATIONS"]

#: (nation_id, name, alignment) of the synthetic world.
NATIONS = (
    ("USA", "United States", "member"), ("GBR", "United Kingdom", "member"),
    ("FRA", "France", "member"), ("DEU", "Germany", "member"), ("ITA", "Italy", "member"),
    ("POL", "Poland", "member"), ("NLD", "Netherlands", "member"),
    ("NOR", "Norway", "member"), ("DNK", "Denmark", "member"), ("BEL", "Belgium", "member"),
    ("FIN", "Finland", "member"), ("SWE", "Sweden", "member"), ("CZE", "Czechia", "member"),
    ("ESP", "Spain", "member"), ("CAN", "Canada", "member"), ("TUR", "Türkiye", "member"),
    ("ROU", "Romania", "member"), ("EST", "Estonia", "member"), ("LTU", "Lithuania", "member"),
    ("LVA", "Latvia", "member"), ("PRT", "Portugal", "member"), ("GRC", "Greece", "member"),
    ("JPN", "Japan", "partner"), ("KOR", "South Korea", "partner"),
    ("AUS", "Australia", "partner"), ("ISR", "Israel", "partner"),
    ("CHE", "Switzerland", "partner"), ("NZL", "New Zealand", "partner"),
    ("IND", "India", "neutral"), ("BRA", "Brazil", "neutral"), ("ZAF", "South Africa", "neutral"),
    ("COD", "DR Congo", "neutral"), ("CHL", "Chile", "neutral"), ("IDN", "Indonesia", "neutral"),
    ("MYS", "Malaysia", "neutral"), ("VNM", "Viet Nam", "neutral"),
    ("CHN", "China", "adversary"), ("RUS", "Russia", "adversary"),
    ("IRN", "Iran", "adversary"), ("PRK", "North Korea", "adversary"),
)


def _zipf_choice(rng: np.random.Generator, n: int, size: int, exponent: float = 1.1
                 ) -> np.ndarray:
    """Indices in [0, n) drawn with power-law weights (index 0 the most popular)."""
    w = 1.0 / np.arange(1, n + 1) ** exponent
    perm = rng.permutation(n)  # popularity not tied to id order
    return perm[rng.choice(n, size=size, p=w / w.sum())]


def generate_package(out_dir, *, nodes: int = 10_000, seed: int = 0) -> Path:
    """Write a synthetic package of about ``nodes`` nodes to ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write the six CSV files into (created if missing).
    nodes
        Approximate node count of the compiled graph (nations + suppliers + components +
        capabilities); at least 200.
    seed
        Random seed; the same seed and size give byte-identical files.

    Examples
    --------
    >>> import tempfile, riskgraph
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = generate_package(d, nodes=500, seed=1)
    ...     net = riskgraph.load_network(d)
    >>> 400 < net.compiled.n < 600
    True
    """
    from riskgraph.errors import UsageError

    if not isinstance(nodes, (int, np.integer)) or nodes < 200:
        raise UsageError(f"--nodes must be a whole number >= 200, got {nodes!r}")
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    nat = pd.DataFrame(NATIONS, columns=["nation_id", "name", "alignment"])
    align = nat["alignment"].to_numpy()
    friendly = np.flatnonzero(np.isin(align, ["member", "partner"]))
    members = np.flatnonzero(align == "member")
    adversary = np.flatnonzero(align == "adversary")
    nat["alliances"] = np.where(align == "member", "NATO", "")

    budget = nodes - len(nat)
    n_platforms = max(4, budget // 2500)
    n_caps_est = n_platforms * 6
    n_sup = max(20, int(0.28 * (budget - n_caps_est)))
    n_comp = max(30, budget - n_caps_est - n_sup)
    n_tiers = int(rng.integers(6, 11))  # component tiers, platforms = tier 0

    # components per tier: platforms, then growing tiers, materials at the bottom
    rest = n_comp - n_platforms
    shape = np.linspace(1.0, 2.0, n_tiers - 1)
    per_tier = np.maximum(2, np.floor(rest * shape / shape.sum())).astype(int)
    per_tier[-1] += rest - per_tier.sum()
    sizes = np.r_[n_platforms, per_tier]
    tier = np.repeat(np.arange(n_tiers), sizes)
    n_comp = len(tier)
    width = len(str(n_comp))
    comp_ids = np.array([f"C{t}-{i:0{width}d}" for i, t in enumerate(tier)], dtype=object)
    kind = np.where(tier == 0, "platform",
                    np.where(tier == n_tiers - 1, "material",
                             np.where(tier <= 2, "system", "part")))
    starts = np.r_[0, np.cumsum(sizes)]

    # BOM: every non-material needs 2-5 children from the next one or two tiers, with
    # power-law reuse of popular parts and materials
    parents, children, groups = [], [], []
    for t in range(n_tiers - 1):
        lo, hi = starts[t], starts[t + 1]
        n_par = hi - lo
        k = rng.integers(2, 6, size=n_par)
        par = np.repeat(np.arange(lo, hi), k)
        deeper = rng.random(len(par)) < 0.2
        t_child = np.where(deeper & (t + 2 < n_tiers), t + 2, t + 1)
        c_lo, c_hi = starts[t_child], starts[t_child + 1]
        ch = c_lo + np.floor(rng.random(len(par)) ** 2.2 * (c_hi - c_lo)).astype(np.int64)
        ch = np.minimum(ch, c_hi - 1)
        parents.append(par)
        children.append(ch)
    par = np.concatenate(parents)
    ch = np.concatenate(children)
    bom = pd.DataFrame({"p": par, "c": ch}).drop_duplicates(ignore_index=True)
    # substitute groups: about 8% of parents pair two of their children
    bom["substitute_group"] = ""
    first = bom.groupby("p").head(2)
    chosen = first["p"].isin(np.flatnonzero(rng.random(n_comp) < 0.08))
    pair_rows = first.index[chosen]
    counts = bom.loc[pair_rows].groupby("p").size()
    ok = bom.loc[pair_rows, "p"].map(counts) == 2
    bom.loc[pair_rows[ok.to_numpy()], "substitute_group"] = "alt"
    bom["quantity"] = rng.integers(1, 5, size=len(bom))

    # suppliers: nations weighted to members, a material-mining share in adversary /
    # neutral nations; owners sometimes foreign
    sup_nation = np.where(rng.random(n_sup) < 0.75, rng.choice(friendly, n_sup),
                          rng.integers(0, len(nat), n_sup))
    miner = rng.random(n_sup) < 0.25
    sup_nation[miner] = np.where(rng.random(miner.sum()) < 0.5, rng.choice(adversary,
                                                                           miner.sum()),
                                 rng.integers(0, len(nat), miner.sum()))
    owner = np.where(rng.random(n_sup) < 0.1, rng.choice(members, n_sup), sup_nation)
    swidth = len(str(n_sup))
    sup = pd.DataFrame({
        "supplier_id": [f"S{i:0{swidth}d}" for i in range(n_sup)],
        "name": [f"Supplier {i}" for i in range(n_sup)],
        "nation_id": nat["nation_id"].to_numpy()[sup_nation],
        "owner_nation_id": np.where(owner != sup_nation, nat["nation_id"].to_numpy()[owner], ""),
        "recovery_days": rng.choice([30, 60, 90, 180, 365], n_sup),
    })
    miners = np.flatnonzero(miner)
    makers = np.flatnonzero(~miner)

    # sourcing: materials from miners, others from makers; 15% of systems/parts in-house
    rows_c, rows_s, rows_share = [], [], []
    is_mat = kind == "material"
    in_house = (~is_mat) & (tier > 0) & (rng.random(n_comp) < 0.15)
    sourced = np.flatnonzero(~in_house & (tier > 0))
    n_src = rng.choice([1, 1, 1, 2, 2, 3], size=len(sourced))
    comp_rep = np.repeat(sourced, n_src)
    pool_is_miner = is_mat[comp_rep]
    pick = np.empty(len(comp_rep), dtype=np.int64)
    pick[pool_is_miner] = miners[_zipf_choice(rng, len(miners), int(pool_is_miner.sum()))]
    pick[~pool_is_miner] = makers[_zipf_choice(rng, len(makers), int((~pool_is_miner).sum()))]
    src = pd.DataFrame({"c": comp_rep, "s": pick}).drop_duplicates(ignore_index=True)
    n_rows = src.groupby("c")["s"].transform("size").to_numpy()
    share = np.where(n_rows == 1, 1.0, np.round(rng.uniform(0.5, 0.9, len(src)), 2))
    src["share"] = share
    rows_c.append(src["c"])
    rows_s.append(src["s"])
    rows_share.append(src["share"])
    # platforms: sourced from a prime contractor (sole source)
    plat = np.flatnonzero(tier == 0)
    rows_c.append(pd.Series(plat))
    rows_s.append(pd.Series(makers[_zipf_choice(rng, len(makers), len(plat))]))
    rows_share.append(pd.Series(np.ones(len(plat))))
    sourcing = pd.DataFrame({"c": pd.concat(rows_c, ignore_index=True),
                             "s": pd.concat(rows_s, ignore_index=True),
                             "share": pd.concat(rows_share, ignore_index=True)})
    sourcing = sourcing.drop_duplicates(["c", "s"], ignore_index=True)

    n_rows_c = sourcing.groupby("c").size().reindex(np.arange(n_comp)).fillna(0).astype(int)
    min_sources = np.ones(n_comp, dtype=int)
    multi = np.flatnonzero((n_rows_c.to_numpy() >= 3) & (rng.random(n_comp) < 0.5))
    min_sources[multi] = 2
    stock = np.where(rng.random(n_comp) < 0.3, rng.choice([15, 30, 60, 90, 180], n_comp), 0)

    # every non-material needs inputs: those without sourcing keep their BOM
    comps = pd.DataFrame({
        "component_id": comp_ids,
        "name": [f"{k.title()} {i}" for i, k in enumerate(kind)],
        "kind": kind,
        "stock_days": stock,
        "min_sources": min_sources,
    })

    # fielding: each platform by 1-15 member/partner nations
    n_op = np.minimum(rng.integers(1, 16, size=len(plat)), len(friendly))
    fielding = pd.DataFrame({
        "nation_id": np.concatenate([nat["nation_id"].to_numpy()[rng.choice(friendly, k,
                                                                           replace=False)]
                                     for k in n_op]),
        "platform_id": np.repeat(comp_ids[plat], n_op),
    })
    fielding["quantity"] = rng.integers(4, 200, size=len(fielding))

    _write(out / "nations.csv", nat)
    _write(out / "suppliers.csv", sup)
    _write(out / "components.csv", comps)
    _write(out / "bom.csv", pd.DataFrame({
        "parent_id": comp_ids[bom["p"].to_numpy()],
        "child_id": comp_ids[bom["c"].to_numpy()],
        "quantity": bom["quantity"],
        "substitute_group": bom["substitute_group"],
    }))
    _write(out / "sourcing.csv", pd.DataFrame({
        "component_id": comp_ids[sourcing["c"].to_numpy()],
        "supplier_id": sup["supplier_id"].to_numpy()[sourcing["s"].to_numpy()],
        "share": sourcing["share"],
        "source": "synthetic",
    }))
    _write(out / "fielding.csv", fielding)
    return out


def _write(path: Path, df: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)
