"""The SupplyNetwork: validated tables plus the compiled dependency graph (docs/design.md §3).

Two forms of one graph:

* ``network.graph`` — a :class:`networkx.DiGraph` with typed node ids (``nation:CHN``,
  ``supplier:S01``, ``component:F135``, ``capability:POL/F-35A``), edges pointing the way
  material flows. It is the public model for exploring; built on first use.
* ``network.compiled`` — a :class:`CompiledNetwork` of flat NumPy arrays in topological
  order that every propagating analysis runs over. Each node needs all of its
  *requirement groups*; a group is met when at least ``k`` of its members are up. That one
  shape expresses every rule of docs/design.md §3.1: a supplier's site and owner nations are two
  groups of one; a component's sourcing is one group with ``k = min_sources``; a plain BOM
  child is a group of one; a substitute group is a group with ``k = 1``.

Node order is (topological level, node kind, id), so building is deterministic whatever
PYTHONHASHSEED.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskgraph.errors import UsageError
from riskgraph.io.package import DataPackage, read_package
from riskgraph.io.schema import Defaults

__all__ = [
    "CompiledNetwork",
    "SupplyNetwork",
    "build_network",
    "load_network",
    "node_id",
    "split_node_id",
    "NODE_KINDS",
    "GROUP_PLAIN",
    "GROUP_SUBSTITUTE",
    "GROUP_SOURCING",
]

#: Node kinds, in the order used for the ``kind`` codes of the compiled arrays.
NODE_KINDS = ("nation", "supplier", "component", "capability")
NATION, SUPPLIER, COMPONENT, CAPABILITY = range(4)
#: Requirement-group kinds: a single required input (or site/owner nation), a BOM
#: substitute group, a component's sourcing.
GROUP_PLAIN, GROUP_SUBSTITUTE, GROUP_SOURCING = range(3)


def node_id(kind: str, ident: str) -> str:
    """The typed node id.

    >>> node_id("supplier", "S01")
    'supplier:S01'
    >>> node_id("capability", ("POL", "F-35A"))
    'capability:POL/F-35A'
    """
    if kind not in NODE_KINDS:
        raise UsageError(f"unknown node kind {kind!r}; valid: {', '.join(NODE_KINDS)}")
    if kind == "capability" and not isinstance(ident, str):
        ident = f"{ident[0]}/{ident[1]}"
    return f"{kind}:{ident}"


def split_node_id(typed: str) -> tuple[str, str]:
    """``'supplier:S01'`` -> ``('supplier', 'S01')``; raises UsageError on a bad id.

    >>> split_node_id("component:F-35A")
    ('component', 'F-35A')
    """
    kind, sep, ident = str(typed).partition(":")
    if not sep or kind not in NODE_KINDS or not ident:
        raise UsageError(
            f"{typed!r} is not a typed node id; write kind:id with kind one of "
            f"{', '.join(NODE_KINDS)} (e.g. supplier:S01, nation:CHN)"
        )
    return kind, ident


@dataclass(frozen=True, eq=False)
class CompiledNetwork:
    """Flat arrays of the dependency graph in topological order (n nodes, G groups).

    Node ``v`` needs every group in ``group_ptr[v]:group_ptr[v+1]``; group ``g`` is met when
    at least ``group_k[g]`` of its members ``member[member_ptr[g]:member_ptr[g+1]]`` are up.
    Members always precede the node, and nodes of topological level ``L`` are
    ``level_ptr[L]:level_ptr[L+1]``.
    """

    ids: np.ndarray  # object array of typed ids
    kind: np.ndarray  # int8 codes into NODE_KINDS
    level: np.ndarray  # int32
    level_ptr: np.ndarray  # int64, len = levels + 1
    group_ptr: np.ndarray  # int64, len = n + 1
    group_k: np.ndarray  # int32, len G
    group_kind: np.ndarray  # int8, len G
    member_ptr: np.ndarray  # int64, len G + 1
    member: np.ndarray  # int32 node indices
    weight: np.ndarray  # float64: share for sourcing members, 1 otherwise
    stock_days: np.ndarray  # float64 (0 outside components)
    recovery_days: np.ndarray  # float64
    disruption_prob: np.ndarray  # float64 (0 for capabilities)

    @property
    def n(self) -> int:
        return len(self.ids)

    @cached_property
    def index(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.ids)}

    @cached_property
    def failure_points(self) -> np.ndarray:
        """Indices of nations, suppliers and components."""
        return np.flatnonzero(self.kind != CAPABILITY)

    @cached_property
    def capabilities(self) -> np.ndarray:
        return np.flatnonzero(self.kind == CAPABILITY)

    @cached_property
    def group_node(self) -> np.ndarray:
        """The node each group belongs to."""
        return np.repeat(np.arange(self.n, dtype=np.int32), np.diff(self.group_ptr))

    @cached_property
    def member_group(self) -> np.ndarray:
        """The group each member entry belongs to."""
        return np.repeat(np.arange(len(self.group_k), dtype=np.int32), np.diff(self.member_ptr))

    @cached_property
    def topology(self):
        """The :class:`~riskgraph.model.topology.Topology`: successor and predecessor CSR
        arrays, per-level edge blocks, the platform of each capability, and cached
        descendant / ancestor cones. Every analysis that walks the graph uses it."""
        from riskgraph.model.topology import build_topology

        caps = self.capabilities
        return build_topology(self.n, self.member, self.group_node[self.member_group],
                              self.level_ptr, self.member[self.member_ptr[self.group_ptr[caps]]])

    def inputs(self, v: int) -> list[tuple[int, int, list[int]]]:
        """Groups of node ``v`` as ``(kind, k, members)`` (for slow reference code)."""
        out = []
        for g in range(self.group_ptr[v], self.group_ptr[v + 1]):
            members = self.member[self.member_ptr[g]:self.member_ptr[g + 1]].tolist()
            out.append((int(self.group_kind[g]), int(self.group_k[g]), members))
        return out


class SupplyNetwork:
    """A validated package and its compiled dependency graph.

    Parameters
    ----------
    package
        A :class:`~riskgraph.io.package.DataPackage` from :func:`~riskgraph.read_package`.
    ownership
        Model owner nations: a supplier also fails when its owner nation fails.
    defaults
        Probability and recovery defaults for cells left empty.

    Examples
    --------
    >>> net = load_network("tests/fixtures/worked")
    >>> net.compiled.ids[:3].tolist()
    ['nation:DEU', 'nation:USA', 'supplier:S_A']
    >>> sorted(net.graph.predecessors("component:B"))
    ['supplier:S_B1', 'supplier:S_B2']
    """

    def __init__(self, package: DataPackage, *, ownership: bool = True,
                 defaults: Defaults | None = None):
        self.package = package
        self.ownership = bool(ownership)
        self.defaults = defaults if defaults is not None else Defaults()
        self.compiled = _compile(package, self.ownership, self.defaults)

    def __repr__(self) -> str:
        c = self.compiled
        plural = {"capability": "capabilities"}
        counts = ", ".join(f"{int((c.kind == i).sum())} {plural.get(k, k + 's')}"
                           for i, k in enumerate(NODE_KINDS))
        return f"<SupplyNetwork {self.package.path!r}: {counts}>"

    # -- tables ------------------------------------------------------------------------
    @cached_property
    def capabilities(self) -> pd.DataFrame:
        """One row per capability, indexed by typed id, in compiled order."""
        c = self.compiled
        ids = c.ids[c.capabilities]
        pairs = [s.split(":", 1)[1].split("/", 1) for s in ids]
        nations = self.package.nations["name"]
        comps = self.package.components["name"]
        df = pd.DataFrame(
            {
                "nation_id": [p[0] for p in pairs],
                "platform_id": [p[1] for p in pairs],
            },
            index=pd.Index(ids, name="capability"),
        )
        df["name"] = [f"{nations.get(n, n)} {comps.get(p, p)}"
                      for n, p in zip(df["nation_id"], df["platform_id"])]
        return df

    @cached_property
    def nodes(self) -> pd.DataFrame:
        """One row per node: kind, name, nation (site or fielding nation), alignment."""
        c = self.compiled
        pkg = self.package
        kinds = np.asarray(NODE_KINDS, dtype=object)[c.kind]
        raw = np.array([s.split(":", 1)[1] for s in c.ids], dtype=object)
        df = pd.DataFrame({"kind": kinds, "id": raw}, index=pd.Index(c.ids, name="node"))
        name = pd.Series(index=df.index, dtype=object)
        nation = pd.Series(index=df.index, dtype=object)
        m = df["kind"] == "nation"
        name[m] = pkg.nations["name"].reindex(df.loc[m, "id"]).to_numpy()
        nation[m] = df.loc[m, "id"].to_numpy()
        m = df["kind"] == "supplier"
        name[m] = pkg.suppliers["name"].reindex(df.loc[m, "id"]).to_numpy()
        nation[m] = pkg.suppliers["nation_id"].reindex(df.loc[m, "id"]).to_numpy()
        m = df["kind"] == "component"
        name[m] = pkg.components["name"].reindex(df.loc[m, "id"]).to_numpy()
        m = df["kind"] == "capability"
        caps = self.capabilities
        name[m] = caps["name"].reindex(df.index[m]).to_numpy()
        nation[m] = caps["nation_id"].reindex(df.index[m]).to_numpy()
        df["name"] = name
        df["nation_id"] = nation
        df["alignment"] = nation.map(pkg.nations["alignment"])
        df["component_kind"] = pkg.components["kind"].reindex(df["id"]).to_numpy()
        df.loc[df["kind"] != "component", "component_kind"] = None
        return df

    def index_of(self, typed_id: str) -> int:
        """The compiled index of a typed id; UsageError naming valid forms if unknown."""
        try:
            return self.compiled.index[typed_id]
        except KeyError:
            kind, ident = split_node_id(typed_id)
            raise UsageError(f"unknown {kind} {ident!r} ({typed_id}): not in the package") \
                from None

    # -- graph -------------------------------------------------------------------------
    @cached_property
    def graph(self):
        """The dependency graph as a networkx DiGraph (built on first use)."""
        return _to_networkx(self)


def build_network(package: DataPackage, *, ownership: bool = True,
                  defaults: Defaults | None = None) -> SupplyNetwork:
    """Compile a validated package into a :class:`SupplyNetwork`."""
    return SupplyNetwork(package, ownership=ownership, defaults=defaults)


def load_network(path, *, ownership: bool = True, defaults: Defaults | None = None,
                 **read_options) -> SupplyNetwork:
    """Read, validate and compile a package folder in one call."""
    return SupplyNetwork(read_package(path, **read_options), ownership=ownership,
                         defaults=defaults)


# ------------------------------------------------------------------------------ compile


class _Blocks:
    """The node blocks before ordering: nations, suppliers, components, capabilities, each
    at an offset, with a lookup from raw ids to these provisional positions."""

    def __init__(self, pkg: DataPackage):
        fielding = pkg.fielding
        cap_ids = (fielding["nation_id"] + "/" + fielding["platform_id"]).to_numpy(dtype=object)
        self.blocks = [pkg.nations.index.to_numpy(dtype=object),
                       pkg.suppliers.index.to_numpy(dtype=object),
                       pkg.components.index.to_numpy(dtype=object), cap_ids]
        self.offsets = np.cumsum([0] + [len(b) for b in self.blocks])
        self.n = int(self.offsets[-1])
        # pyarrow's hash lookup is about 3x faster than pandas' get_indexer on strings
        self._local = [pa.array(ids, type=pa.string()) for ids in self.blocks]

    def pos(self, kind: int, values) -> np.ndarray:
        found = pc.index_in(pa.array(np.asarray(values, dtype=object), type=pa.string()),
                            value_set=self._local[kind])
        assert found.null_count == 0, f"unresolved {NODE_KINDS[kind]} reference"  # validated
        return found.to_numpy(zero_copy_only=False).astype(np.int64) + self.offsets[kind]

    def nodes(self, kind: int) -> np.ndarray:
        return np.arange(self.offsets[kind], self.offsets[kind + 1])


def _member_rows(pkg: DataPackage, ownership: bool, b: _Blocks) -> pd.DataFrame:
    """One row per (node, group, member) in provisional positions (module docs: the one
    requirement-group shape every rule of docs/design.md §3.1 maps to)."""
    parts = []
    sup = pkg.suppliers
    sup_node = b.nodes(SUPPLIER)
    site = b.pos(NATION, sup["nation_id"])
    parts.append(_rows(sup_node, np.zeros(len(sup), np.int64), GROUP_PLAIN, 1, site, 1.0))
    if ownership:
        owner_ids = sup["owner_nation_id"].where(sup["owner_nation_id"].notna(),
                                                 sup["nation_id"])
        owner = b.pos(NATION, owner_ids)
        differs = owner != site
        parts.append(_rows(sup_node[differs], np.ones(differs.sum(), np.int64), GROUP_PLAIN, 1,
                           owner[differs], 1.0))
    src = pkg.sourcing
    if len(src):
        comp = b.pos(COMPONENT, src["component_id"])
        k = pkg.components["min_sources"].reindex(src["component_id"]).to_numpy()
        parts.append(_rows(comp, np.zeros(len(src), np.int64), GROUP_SOURCING, k,
                           b.pos(SUPPLIER, src["supplier_id"]), src["share"].to_numpy(float)))
    if len(pkg.bom):
        parts.append(_bom_rows(pkg.bom, b))
    if len(pkg.fielding):
        parts.append(_rows(b.nodes(CAPABILITY), np.zeros(len(pkg.fielding), np.int64),
                           GROUP_PLAIN, 1, b.pos(COMPONENT, pkg.fielding["platform_id"]), 1.0))
    return pd.concat(parts, ignore_index=True)


def _bom_rows(bom: pd.DataFrame, b: _Blocks) -> pd.DataFrame:
    parent = b.pos(COMPONENT, bom["parent_id"])
    child = b.pos(COMPONENT, bom["child_id"])
    grp = bom["substitute_group"].fillna("").astype(str).to_numpy(dtype=object)
    subst = grp != ""
    # keys: 1 + child position for a plain child; negative codes for named groups
    sub_codes = pd.factorize(pd.Series(grp[subst]), sort=True)[0]
    key = np.where(subst, 0, child + 1).astype(np.int64)
    key[subst] = -(sub_codes + 1)
    gkind = np.where(subst, GROUP_SUBSTITUTE, GROUP_PLAIN)
    return _rows(parent, key, gkind, 1, child, 1.0)


def _node_order(b: _Blocks, rows: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """(order, kind, level, typed ids): nodes sorted by (topological level, kind, id), an
    order that does not depend on PYTHONHASHSEED."""
    edges = rows[["member", "node"]].drop_duplicates().to_numpy()
    level = _levels(b.n, edges[:, 0], edges[:, 1])
    ids_local = np.concatenate(b.blocks).astype(object)
    kind = np.repeat(np.arange(4, dtype=np.int8), [len(x) for x in b.blocks])
    id_rank = pd.factorize(pd.Series(ids_local), sort=True)[0]
    order = np.lexsort((id_rank, kind, level))
    prefix = np.asarray([f"{k}:" for k in NODE_KINDS], dtype=object)[kind]
    typed = (prefix + ids_local)[order]
    return order, kind, level, ids_local, typed


def _compile(pkg: DataPackage, ownership: bool, defaults: Defaults) -> CompiledNetwork:
    b = _Blocks(pkg)
    rows = _member_rows(pkg, ownership, b)
    order, kind, level, ids_local, typed = _node_order(b, rows)
    n = b.n
    new_of_old = np.empty(n, np.int64)
    new_of_old[order] = np.arange(n)
    node = new_of_old[rows["node"].to_numpy()]
    member = new_of_old[rows["member"].to_numpy()]
    gkind, key = rows["gkind"].to_numpy(), rows["key"].to_numpy()
    # rows sorted by (node, group kind, key, member); a group is a run of equal
    # (node, group kind, key), numbered in that order
    sort = np.lexsort((member, key, gkind, node))
    node, member, gkind, key = node[sort], member[sort], gkind[sort], key[sort]
    first = np.r_[True, (node[1:] != node[:-1]) | (gkind[1:] != gkind[:-1])
                  | (key[1:] != key[:-1])] if len(node) else np.zeros(0, bool)
    gid = np.cumsum(first) - 1
    n_groups = int(first.sum())
    group_node = node[first]
    level = level[order]
    n_levels = int(level.max()) + 1 if n else 0
    stock, recovery, prob = _attributes(pkg, defaults, kind, ids_local)
    return CompiledNetwork(
        ids=typed,
        kind=kind[order],
        level=level.astype(np.int32),
        level_ptr=np.r_[0, np.cumsum(np.bincount(level, minlength=n_levels))].astype(np.int64),
        group_ptr=np.r_[0, np.cumsum(np.bincount(group_node, minlength=n))].astype(np.int64),
        group_k=rows["k"].to_numpy()[sort][first].astype(np.int32),
        group_kind=gkind[first].astype(np.int8),
        member_ptr=np.r_[0, np.cumsum(np.bincount(gid, minlength=n_groups))].astype(np.int64),
        member=member.astype(np.int32),
        weight=rows["weight"].to_numpy()[sort].astype(np.float64),
        stock_days=stock[order],
        recovery_days=recovery[order],
        disruption_prob=prob[order],
    )


def _rows(node, key, gkind, k, member, weight) -> pd.DataFrame:
    size = len(node)
    return pd.DataFrame(
        {
            "node": np.asarray(node, np.int64),
            "key": np.broadcast_to(np.asarray(key, np.int64), size),
            "gkind": np.broadcast_to(np.asarray(gkind, np.int8), size),
            "k": np.broadcast_to(np.asarray(k, np.int64), size),
            "member": np.asarray(member, np.int64),
            "weight": np.broadcast_to(np.asarray(weight, np.float64), size),
        }
    )


def _levels(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Longest-path level of every node (0 for nodes with no input)."""
    level = np.zeros(n, np.int64)
    indeg = np.bincount(dst, minlength=n)
    order = np.argsort(src, kind="stable")
    ptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))]
    out = dst[order]
    frontier = np.flatnonzero(indeg == 0)
    seen = 0
    while len(frontier):
        seen += len(frontier)
        starts, ends = ptr[frontier], ptr[frontier + 1]
        counts = ends - starts
        if counts.sum() == 0:
            break
        srcs = np.repeat(frontier, counts)
        targets = out[np.repeat(starts - np.cumsum(np.r_[0, counts[:-1]]), counts)
                      + np.arange(counts.sum())]
        np.maximum.at(level, targets, level[srcs] + 1)
        np.subtract.at(indeg, targets, 1)
        touched = np.unique(targets)
        frontier = touched[indeg[touched] == 0]
    if seen < n:  # validation rejects cycles, so this is a programming error
        raise RuntimeError("dependency graph has a cycle")
    return level


def _attributes(pkg: DataPackage, defaults: Defaults, kind: np.ndarray, ids: np.ndarray):
    n = len(ids)
    stock = np.zeros(n)
    recovery = np.zeros(n)
    prob = np.zeros(n)
    nat, sup, com = pkg.nations, pkg.suppliers, pkg.components
    m = kind == NATION
    by_alignment = nat["alignment"].map(dict(defaults.nation_disruption_prob))
    prob[m] = nat["disruption_prob"].fillna(by_alignment).to_numpy(float)
    recovery[m] = defaults.nation_recovery_days
    m = kind == SUPPLIER
    prob[m] = sup["disruption_prob"].fillna(defaults.supplier_disruption_prob).to_numpy(float)
    recovery[m] = sup["recovery_days"].fillna(defaults.supplier_recovery_days).to_numpy(float)
    m = kind == COMPONENT
    prob[m] = com["disruption_prob"].fillna(defaults.component_disruption_prob).to_numpy(float)
    recovery[m] = defaults.component_recovery_days
    stock[m] = com["stock_days"].fillna(0.0).to_numpy(float)
    return stock, recovery, prob


def _to_networkx(net: SupplyNetwork):
    import networkx as nx

    pkg, c = net.package, net.compiled
    g = nx.DiGraph()
    nodes = net.nodes
    tables = {"nation": pkg.nations, "supplier": pkg.suppliers, "component": pkg.components}
    for typed, row in zip(c.ids, nodes.itertuples()):
        attrs = {"kind": row.kind, "id": row.id, "name": row.name}
        table = tables.get(row.kind)
        if table is not None:
            rec = table.loc[row.id]
            attrs.update({k: _plain(v) for k, v in rec.items() if k != "name" and k != "kind"})
            if row.kind == "component":
                attrs["component_kind"] = rec["kind"]
        else:
            cap = net.capabilities.loc[typed]
            attrs.update(nation_id=cap["nation_id"], platform_id=cap["platform_id"])
        g.add_node(typed, **attrs)
    for r in pkg.suppliers.itertuples():
        site = node_id("nation", r.nation_id)
        owner = r.owner_nation_id if isinstance(r.owner_nation_id, str) else r.nation_id
        sid = node_id("supplier", r.Index)
        g.add_edge(site, sid, relation="site")
        if net.ownership and owner != r.nation_id:
            g.add_edge(node_id("nation", owner), sid, relation="owner")
    for r in pkg.sourcing.to_dict("records"):
        g.add_edge(node_id("supplier", r["supplier_id"]), node_id("component", r["component_id"]),
                   relation="sourcing", share=r["share"],
                   lead_time_days=_plain(r.get("lead_time_days")),
                   confidence=_plain(r.get("confidence")), source=r.get("source"))
    for r in pkg.bom.to_dict("records"):
        g.add_edge(node_id("component", r["child_id"]), node_id("component", r["parent_id"]),
                   relation="bom", quantity=r["quantity"],
                   substitute_group=r.get("substitute_group") or "")
    for r in pkg.fielding.to_dict("records"):
        g.add_edge(node_id("component", r["platform_id"]),
                   node_id("capability", (r["nation_id"], r["platform_id"])),
                   relation="fielding", quantity=_plain(r.get("quantity")))
    return g


def _plain(v):
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v
