"""Synthetic data packages of any size, for benchmarks and scale tests.

:func:`generate_package` writes a valid package of about ``nodes`` nodes with the shape of
a real allied defence supply base:

* 40 nations of all four alignments (:data:`NATIONS`), with alliance tags;
* 6–10 component tiers: platforms at the top, then systems, parts and, at the bottom,
  raw materials; tier sizes grow geometrically downwards (a platform needs a few dozen
  systems, each of those a few parts, ...);
* *local* bills of materials — a parent draws most children from its own neighbourhood of
  the tier below, so every platform has its own deep tree of a few hundred components —
  plus *power-law reuse* of common parts and of materials (a few are used almost
  everywhere), and BOM edges that skip a tier; every component is used by some parent;
* suppliers with power-law reuse (a few large firms supply many items), mostly in member
  and partner nations, some foreign-owned; materials mined and refined mainly in
  adversary and neutral nations (*adversary-concentrated* raw materials, the top source
  holding most of the share);
* sole sources (platforms from one prime contractor; a share of parts and materials from
  a single supplier), dual and multiple sourcing, ``min_sources`` = 2 on some items with
  three or more sources, substitute groups in BOMs, in-house items (BOM only), and stock
  buffers (``stock_days``) on about a third of the components;
* fielding: each platform operated by 1–15 member or partner nations (a few platforms
  by many).

Probabilities are left to the defaults of docs/design.md §2, so Monte Carlo runs on a synthetic
package see the alignment-based nation risks. The same ``nodes`` and ``seed`` give
byte-identical files (whatever PYTHONHASHSEED). Packages validate without warnings unless
``defects=True`` asks for the baseline shortfalls of real data (shares summing below 1);
that option reproduces the packages of earlier versions byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["generate_package", "is_generated", "MARKER", "NATIONS"]

#: The note :func:`generate_package` leaves in every folder it writes. ``riskgraph
#: generate`` overwrites a non-empty folder only when it holds this note (or with --force),
#: so it never replaces a real package's tables with synthetic ones.
MARKER = "GENERATED.md"
_MARKER_HEAD = "# Synthetic data package (riskgraph generate)"

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

#: Nodes of the package per platform (sets the platform count, hence each platform's tree).
_NODES_PER_PLATFORM = 120
#: Systems per platform, and the target fan-out (distinct children) of every BOM parent.
_SYSTEMS_PER_PLATFORM = 6
#: Chance that a BOM child comes from another platform's programme (a shared design).
_CROSS = 0.05
#: Chance that a child in the lowest part tiers is a common (power-law reused) part.
_COMMON = 0.1
#: Share of components that are materials (bottom tier).
_MATERIAL_SHARE = 0.05


def _power_law(rng: np.random.Generator, n: int, size: int, exponent: float) -> np.ndarray:
    """Indices in [0, n) with power-law popularity (the most popular not tied to id order).

    Draws by inverting the cumulative weights, so the cost is O(size log n).
    """
    w = np.cumsum(1.0 / np.arange(1, n + 1) ** exponent)
    perm = rng.permutation(n)
    return perm[np.minimum(np.searchsorted(w, rng.random(size) * w[-1], side="right"), n - 1)]


def _tier_sizes(n_plat: int, n_comp: int, n_tiers: int) -> np.ndarray:
    """Platforms, geometrically growing middle tiers, and a materials tier."""
    n_mat = max(10, int(round(_MATERIAL_SHARE * n_comp)))
    middle = max(n_tiers - 2, 1) * 2
    rest = max(n_comp - n_plat - n_mat, middle)
    m = n_tiers - 2
    # ratio r with n_sys * (1 + r + ... + r^(m-1)) = rest, n_sys = systems tier size
    n_sys = min(n_plat * _SYSTEMS_PER_PLATFORM, rest // m)
    lo, hi = 1.0, 10.0
    for _ in range(100):
        r = (lo + hi) / 2
        if n_sys * (r ** m - 1) / (r - 1) > rest:
            hi = r
        else:
            lo = r
    sizes = np.maximum(2, np.floor(n_sys * lo ** np.arange(m))).astype(np.int64)
    sizes[-1] += rest - sizes.sum()
    return np.r_[n_plat, sizes, n_mat].astype(np.int64)


def generate_package(out_dir, *, nodes: int = 10_000, seed: int = 0,
                     defects: bool = False) -> Path:
    """Write a synthetic package of about ``nodes`` nodes to ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write the six CSV files into (created if missing), with a note
        :data:`MARKER` saying they are synthetic.
    nodes
        Approximate node count of the compiled graph (nations + suppliers + components +
        capabilities); at least 200.
    seed
        Random seed; the same seed and size give byte-identical files.
    defects
        Leave the data defects that real packages have: some multi-sourced components'
        shares then sum below 1, which :func:`~riskgraph.validate_package` reports as
        "shortfall" warnings. By default the dominant source is raised to cover the gap,
        so the package validates without warnings; nothing else changes.

    Returns
    -------
    pathlib.Path
        ``out_dir``.

    Examples
    --------
    >>> import tempfile, riskgraph
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = generate_package(d, nodes=500, seed=1)
    ...     net = riskgraph.load_network(d)
    ...     warnings = riskgraph.validate_package(d).warnings
    >>> 450 < net.compiled.n < 550, warnings
    (True, [])
    """
    _check_arguments(nodes, seed)
    # Every helper draws from this one generator, in a fixed order: the order of the calls
    # below is part of the output (changing it changes every package).
    rng = np.random.default_rng(np.random.SeedSequence(int(seed)))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _write_marker(out, nodes, seed, defects)

    world = _World.make()
    shape = _shape(rng, int(nodes) - len(NATIONS))
    bom = _bill_of_materials(rng, shape)
    sup, sup_nation, is_miner = _suppliers(rng, world, shape.n_sup)
    src = _sourcing(rng, shape, bom, world, sup_nation, is_miner, defects=defects)
    comps = _components(rng, shape, src)
    fielding = _fielding(rng, shape, world)
    _write_package(out, world.table, sup, comps, shape.comp_ids, bom, src, fielding)
    return out


def is_generated(folder) -> bool:
    """True when ``folder`` holds the note :func:`generate_package` writes (:data:`MARKER`)."""
    try:
        with open(Path(folder) / MARKER, encoding="utf-8") as fh:
            return fh.readline().rstrip("\n") == _MARKER_HEAD
    except (OSError, UnicodeDecodeError):
        return False


def _write_marker(out: Path, nodes, seed, defects: bool) -> None:
    flag = " --defects" if defects else ""
    text = (f"{_MARKER_HEAD}\n\nWritten by `riskgraph generate --nodes {int(nodes)} "
            f"--seed {int(seed)}{flag}` (riskgraph.io.synthetic.generate_package): every CSV "
            "file here is synthetic, not real data.\n`riskgraph generate` may overwrite this "
            "folder; it refuses any other non-empty folder unless given --force.\n")
    tmp = out / f".{MARKER}.tmp"
    tmp.write_text(text, encoding="utf-8", newline="\n")
    tmp.replace(out / MARKER)


def _check_arguments(nodes, seed) -> None:
    from riskgraph.errors import UsageError

    if not isinstance(nodes, (int, np.integer)) or isinstance(nodes, bool) or nodes < 200:
        raise UsageError(f"--nodes must be a whole number >= 200, got {nodes!r}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, got {seed!r}")


@dataclass(frozen=True)
class _World:
    """The nations table and the index arrays of each alignment into it."""

    table: pd.DataFrame
    ids: np.ndarray
    members: np.ndarray
    friendly: np.ndarray  # members and partners
    neutral: np.ndarray
    adversary: np.ndarray

    @classmethod
    def make(cls) -> _World:
        nat = pd.DataFrame(NATIONS, columns=["nation_id", "name", "alignment"])
        align = nat["alignment"].to_numpy()
        ids = nat["nation_id"].to_numpy()
        five_eyes = {"USA", "GBR", "CAN", "AUS", "NZL"}
        not_eu = {"USA", "GBR", "CAN", "TUR", "NOR"}
        nat["alliances"] = [
            ";".join(t for t, on in (("NATO", a == "member"),
                                     ("EU", a == "member" and n not in not_eu),
                                     ("FVEY", n in five_eyes)) if on)
            for n, a in zip(ids, align)]
        return cls(nat, ids, np.flatnonzero(align == "member"),
                   np.flatnonzero(np.isin(align, ["member", "partner"])),
                   np.flatnonzero(align == "neutral"), np.flatnonzero(align == "adversary"))


@dataclass(frozen=True)
class _Shape:
    """Counts, and the tier, kind and id of every component (platforms are tier 0)."""

    n_plat: int
    n_ops: np.ndarray  # operators per platform
    n_sup: int
    n_tiers: int
    sizes: np.ndarray  # components per tier
    starts: np.ndarray  # first component of each tier (and the total at the end)
    tier: np.ndarray
    kind: np.ndarray
    comp_ids: np.ndarray
    pos: np.ndarray  # position of each component along its tier, in [0, 1)

    @property
    def n_comp(self) -> int:
        return int(self.starts[-1])


def _shape(rng: np.random.Generator, budget: int) -> _Shape:
    """Split ``budget`` nodes (all but the nations) into capabilities, suppliers and tiers."""
    n_plat = max(4, budget // _NODES_PER_PLATFORM)
    # operators per platform: 1-15 member/partner nations, a few platforms with many
    n_ops = np.minimum(1 + rng.geometric(0.3, size=n_plat), 15)
    n_ops[rng.random(n_plat) < 0.05] = 15
    rest = budget - int(n_ops.sum())
    n_sup = max(20, int(0.25 * rest))
    n_tiers = int(rng.integers(6, 11))  # component tiers, platforms = tier 0
    sizes = _tier_sizes(n_plat, max(40, rest - n_sup), n_tiers)
    n_comp = int(sizes.sum())
    starts = np.r_[0, np.cumsum(sizes)]
    tier = np.repeat(np.arange(n_tiers), sizes)
    width = len(str(n_comp))
    comp_ids = np.array([f"C{t}-{i:0{width}d}" for i, t in enumerate(tier)], dtype=object)
    kind = np.where(tier == 0, "platform",
                    np.where(tier == n_tiers - 1, "material",
                             np.where(tier <= 2, "system", "part")))
    pos = (np.arange(n_comp) - starts[tier] + 0.5) / sizes[tier]
    return _Shape(n_plat, n_ops, n_sup, n_tiers, sizes, starts, tier, kind, comp_ids, pos)


def _bill_of_materials(rng: np.random.Generator, shape: _Shape) -> pd.DataFrame:
    """BOM edges ``p`` (parent) -> ``c`` (child) by component index, with substitute groups
    and quantities; sorted by parent and child."""
    par_l, ch_l = [], []
    for t in range(shape.n_tiers - 1):
        par, child, orphans, near = _bom_tier(rng, shape, t)
        par_l += [par, near]
        ch_l += [child, orphans]
    bom = pd.DataFrame({"p": np.concatenate(par_l), "c": np.concatenate(ch_l)})
    bom = bom.drop_duplicates(ignore_index=True).sort_values(["p", "c"], ignore_index=True)
    # substitute groups: about 10% of parents with 3+ children pair their first two
    bom["substitute_group"] = ""
    n_children = bom.groupby("p")["c"].transform("size").to_numpy()
    rank_in_parent = bom.groupby("p").cumcount().to_numpy()
    pick = rng.random(shape.n_comp) < 0.10
    subst = pick[bom["p"].to_numpy()] & (n_children >= 3) & (rank_in_parent < 2)
    bom.loc[subst, "substitute_group"] = "alt"
    bom["quantity"] = rng.integers(1, 9, size=len(bom))
    return bom


def _bom_tier(rng: np.random.Generator, shape: _Shape, t: int):
    """Children drawn by the parents of tier ``t``: ``(parents, children, orphans,
    nearest parent of each orphan)``; orphans are tier ``t + 1`` components no parent drew."""
    sizes, starts, n_tiers, n_plat = shape.sizes, shape.starts, shape.n_tiers, shape.n_plat
    lo, hi = starts[t], starts[t + 1]
    n_par = hi - lo
    ratio = sizes[t + 1] / n_par
    base = max(2.0, 1.3 * ratio) if t + 1 < n_tiers - 1 else 2.0
    k = np.maximum(1, rng.poisson(base, size=n_par))
    par = np.repeat(np.arange(lo, hi), k)
    target = np.full(len(par), t + 1)
    skip = (rng.random(len(par)) < 0.1) & (t + 2 < n_tiers)
    target[skip] = t + 2
    c_lo, c_n = starts[target], sizes[target]
    # a programme's own draw: a child from the parent's programme block of the target
    # tier; now and then from another programme (shared designs)
    prog = np.minimum((shape.pos[par] * n_plat).astype(np.int64), n_plat - 1)
    cross = (rng.random(len(par)) < _CROSS) & (target >= n_tiers - 3)
    prog[cross] = rng.integers(0, n_plat, int(cross.sum()))
    b_lo = prog * c_n // n_plat
    b_n = np.maximum(1, (prog + 1) * c_n // n_plat - b_lo)
    child = c_lo + np.minimum(b_lo + (rng.random(len(par)) * b_n).astype(np.int64), c_n - 1)
    # common parts (bottom two part tiers) and every material: power-law reuse
    is_mat = target == n_tiers - 1
    common = ~is_mat & (target >= n_tiers - 3) & (rng.random(len(par)) < _COMMON)
    for mask, expo in ((is_mat, 1.0), (common, 0.9)):
        for tt in np.unique(target[mask]):
            sel = np.flatnonzero(mask & (target == tt))
            child[sel] = starts[tt] + _power_law(rng, int(sizes[tt]), len(sel), expo)
    # every component of the next tier gets at least one parent (the nearest one)
    used = np.zeros(sizes[t + 1], dtype=bool)
    used[child[target == t + 1] - starts[t + 1]] = True
    orphans = starts[t + 1] + np.flatnonzero(~used)
    near = lo + np.minimum((shape.pos[orphans] * n_par).astype(np.int64), n_par - 1)
    return par, child, orphans, near


def _suppliers(rng: np.random.Generator, world: _World, n_sup: int):
    """The suppliers table, each supplier's site nation (index) and whether it is a miner.

    Makers (of systems, parts, platforms) sit mostly in member and partner nations; miners
    and refiners of materials mostly in adversary and neutral nations.
    """
    friendly, neutral, adversary = world.friendly, world.neutral, world.adversary
    n_min = max(5, int(round(0.15 * n_sup)))
    n_mak = n_sup - n_min
    others = np.r_[neutral, adversary]
    mak_nation = np.where(rng.random(n_mak) < 0.85,
                          friendly[_power_law(rng, len(friendly), n_mak, 0.8)],
                          others[rng.integers(0, len(others), n_mak)])
    u = rng.random(n_min)
    min_nation = np.where(u < 0.45, adversary[_power_law(rng, len(adversary), n_min, 1.5)],
                          np.where(u < 0.8, neutral[rng.integers(0, len(neutral), n_min)],
                                   friendly[rng.integers(0, len(friendly), n_min)]))
    sup_nation = np.r_[mak_nation, min_nation]
    is_miner = np.r_[np.zeros(n_mak, bool), np.ones(n_min, bool)]
    order = rng.permutation(n_sup)  # miners not bunched at the end of the id range
    sup_nation, is_miner = sup_nation[order], is_miner[order]
    foreign = rng.random(n_sup) < 0.1
    owner = np.where(foreign, world.members[rng.integers(0, len(world.members), n_sup)],
                     sup_nation)
    width = len(str(n_sup))
    sup = pd.DataFrame({
        "supplier_id": [f"S{i:0{width}d}" for i in range(n_sup)],
        "name": [f"{'Mine' if m else 'Works'} {i}" for i, m in enumerate(is_miner)],
        "nation_id": world.ids[sup_nation],
        "owner_nation_id": np.where(owner != sup_nation, world.ids[owner], ""),
        "recovery_days": rng.choice([30, 60, 90, 180, 365], n_sup),
    })
    return sup, sup_nation, is_miner


def _sourcing(rng: np.random.Generator, shape: _Shape, bom: pd.DataFrame, world: _World,
              sup_nation: np.ndarray, is_miner: np.ndarray, *, defects: bool) -> pd.DataFrame:
    """Sourcing rows ``c`` (component) <- ``s`` (supplier) by index, with ``share``.

    Heavily reused items are multi-sourced (3-5 sources); the long tail is dual or triple
    sourced, with some sole sources; platforms come from one prime contractor; in-house
    items (below the platforms, not materials) have no rows.
    """
    tier, n_comp = shape.tier, shape.n_comp
    is_mat = shape.kind == "material"
    makers, miners = np.flatnonzero(~is_miner), np.flatnonzero(is_miner)
    parents = np.bincount(bom["c"].to_numpy(), minlength=n_comp)
    in_house = (tier > 0) & ~is_mat & (rng.random(n_comp) < 0.15)
    sourced = np.flatnonzero(~in_house)
    popular = parents[sourced] >= 10
    n_src = np.where(popular, rng.integers(3, 6, len(sourced)),
                     rng.choice([1, 2, 2, 2, 2, 3, 3, 3, 3, 4], len(sourced)))
    n_src[tier[sourced] == 0] = 1
    comp_rep = np.repeat(sourced, n_src)
    from_miner = is_mat[comp_rep]
    pick = np.empty(len(comp_rep), dtype=np.int64)
    pick[from_miner] = miners[_power_law(rng, len(miners), int(from_miner.sum()), 1.0)]
    pick[~from_miner] = makers[_power_law(rng, len(makers), int((~from_miner).sum()), 0.8)]
    # a material's dominant (first) source is usually in an adversary nation
    first_row = np.r_[True, comp_rep[1:] != comp_rep[:-1]]
    adv_miners = miners[np.isin(sup_nation[miners], world.adversary)]
    dom = np.flatnonzero(first_row & from_miner & (rng.random(len(comp_rep)) < 0.6))
    if len(adv_miners):
        pick[dom] = adv_miners[_power_law(rng, len(adv_miners), len(dom), 1.0)]
    src = pd.DataFrame({"c": comp_rep, "s": pick, "first": first_row})
    src = src.drop_duplicates(["c", "s"], ignore_index=True)
    src = src.sort_values(["c", "first", "s"], ascending=[True, False, True],
                          ignore_index=True)
    src["share"] = _shares(rng, src["c"].to_numpy(), defects=defects)
    return src.drop(columns="first")


def _shares(rng: np.random.Generator, comp: np.ndarray, *, defects: bool) -> np.ndarray:
    """Shares of sourcing rows sorted by component, dominant (first) source first.

    The first source covers 0.6-0.95 of demand, the others 0.25-0.7 each, a sole source
    all of it. Drawn so, a few components' shares sum below 1 (a baseline shortfall);
    unless ``defects``, their first source is raised to close the gap.
    """
    first = np.r_[True, comp[1:] != comp[:-1]]
    n_rows = np.bincount(comp)[comp]
    share = np.where(first, rng.uniform(0.6, 0.95, len(comp)),
                     rng.uniform(0.25, 0.7, len(comp)))
    share[n_rows == 1] = 1.0
    share = np.round(share, 2)
    if defects:
        return share
    # in whole hundredths, so that the sums are exact
    cents = np.rint(share * 100).astype(np.int64)
    others = np.bincount(comp, weights=cents)[comp].astype(np.int64) - cents
    short = first & (cents + others < 100)
    share[short] = (100 - others[short]) / 100
    return share


def _components(rng: np.random.Generator, shape: _Shape, src: pd.DataFrame) -> pd.DataFrame:
    """The components table: ``min_sources`` = 2 on some items with 3+ sources, stock
    buffers on about a third of the components below the platforms."""
    n_comp = shape.n_comp
    rows_per_comp = np.bincount(src["c"].to_numpy(), minlength=n_comp)
    min_sources = np.ones(n_comp, dtype=np.int64)
    min_sources[(rows_per_comp >= 3) & (rng.random(n_comp) < 0.2)] = 2
    stock = np.where(rng.random(n_comp) < 0.3, rng.choice([15, 30, 60, 90, 180], n_comp), 0)
    stock[shape.tier == 0] = 0
    return pd.DataFrame({
        "component_id": shape.comp_ids,
        "name": [f"{k.title()} {i}" for i, k in enumerate(shape.kind)],
        "kind": shape.kind,
        "stock_days": stock,
        "min_sources": min_sources,
    })


def _fielding(rng: np.random.Generator, shape: _Shape, world: _World) -> pd.DataFrame:
    """Each platform operated by its ``n_ops`` member or partner nations."""
    plat = np.flatnonzero(shape.tier == 0)
    friendly = world.friendly
    ops = [world.ids[rng.choice(friendly, min(int(k), len(friendly)), replace=False)]
           for k in shape.n_ops]
    fielding = pd.DataFrame({
        "nation_id": np.concatenate(ops),
        "platform_id": np.repeat(shape.comp_ids[plat], [len(o) for o in ops]),
    })
    fielding["quantity"] = rng.integers(4, 200, size=len(fielding))
    return fielding


def _write_package(out: Path, nat: pd.DataFrame, sup: pd.DataFrame, comps: pd.DataFrame,
                   comp_ids: np.ndarray, bom: pd.DataFrame, src: pd.DataFrame,
                   fielding: pd.DataFrame) -> None:
    """Write the six CSV files, turning component and supplier indices into ids."""
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
        "component_id": comp_ids[src["c"].to_numpy()],
        "supplier_id": sup["supplier_id"].to_numpy()[src["s"].to_numpy()],
        "share": src["share"],
        "source": "synthetic",
    }))
    _write(out / "fielding.csv", fielding)


def _write(path: Path, df: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    df.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(path)
