"""Random valid data packages, and slow reference semantics to check fast code against.

Use from any test module (``tests/`` is on ``sys.path`` under pytest)::

    import random, tempfile
    from randpkg import write_random_package, ref_supply, ref_available
    from riskgraph import load_network

    with tempfile.TemporaryDirectory() as folder:
        write_random_package(random.Random(seed), folder)
        net = load_network(folder)
        a = ref_supply(net.package, {"nation:CHN": 0.0})          # docs/design.md §3.2
        up = ref_available(net.package, {"supplier:S2"})          # docs/design.md §3.1

* :func:`write_random_package` writes a package that passes validation: 1–4 nations of
  mixed alignments (ids from a fixed pool of ISO alpha-3 codes), 1–6 suppliers (some with
  an owner nation different from their site, some with ``recovery_days`` /
  ``disruption_prob``), 2–9 components of every kind with a random BOM DAG (quantities,
  substitute groups), sourcing with shares in (0, 1] that may sum below or above 1,
  ``min_sources`` from 1 to 3 (never above the number of suppliers), ``stock_days``, and
  1+ fielding rows. Components with neither sourcing nor BOM may occur (an *unmapped*
  warning, treated as available). Same ``rng`` state, same files.
* :func:`ref_supply` and :func:`ref_available` evaluate docs/design.md §3.2 and §3.1 recursively,
  straight from the package tables (not the compiled arrays): results for *every* typed
  node id (``nation:X``, ``supplier:X``, ``component:X``, ``capability:N/P``).
  Capacities / failures not mentioned are 1 / up; ``ownership=False`` ignores owner
  nations, like ``load_network(..., ownership=False)``.

Both accept a :class:`~riskgraph.io.package.DataPackage` or anything with a ``.package``
attribute (a :class:`~riskgraph.model.network.SupplyNetwork`).

>>> import random, tempfile
>>> from riskgraph import read_package
>>> with tempfile.TemporaryDirectory() as d:
...     write_random_package(random.Random(1), d)
...     pkg = read_package(d)
>>> base = ref_supply(pkg, {})
>>> all(0.0 < v <= 1.0 for v in base.values())
True
"""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from pathlib import Path

__all__ = ["write_random_package", "ref_supply", "ref_available", "NATION_POOL",
           "write_random_controls", "ref_blocked", "ref_capability_up", "ref_capability_supply"]

#: Nation ids the generator draws from.
NATION_POOL = ("USA", "DEU", "FRA", "POL", "JPN", "CHN", "RUS", "NAM")
_ALIGNMENTS = ("member", "partner", "neutral", "adversary")


def _write(folder: Path, name: str, header: list[str], rows: list[list]) -> None:
    with open(folder / name, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])


def write_random_package(rng: random.Random, folder) -> None:
    """Write a random, valid data package (six CSV files) into ``folder``.

    Parameters
    ----------
    rng
        The only source of randomness: the same state writes the same package.
    folder
        An existing folder (or one to create).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    nations = rng.sample(NATION_POOL, rng.randint(1, 4))
    nation_rows = []
    for nid in nations:
        prob = rng.choice([None, None, round(rng.uniform(0, 0.3), 3)])
        nation_rows.append([nid, f"Nation {nid}", rng.choice(_ALIGNMENTS),
                            rng.choice(["", "NATO", "NATO;EU"]), prob])
    _write(folder, "nations.csv", ["nation_id", "name", "alignment", "alliances",
                                   "disruption_prob"], nation_rows)

    n_sup = rng.randint(1, 6)
    suppliers = [f"S{i}" for i in range(1, n_sup + 1)]
    sup_rows = []
    for sid in suppliers:
        site = rng.choice(nations)
        owner = rng.choice(nations) if rng.random() < 0.35 else None
        sup_rows.append([sid, f"Supplier {sid}", site, owner,
                         rng.choice([None, rng.randint(0, 400)]),
                         rng.choice([None, round(rng.uniform(0, 0.2), 3)])])
    _write(folder, "suppliers.csv", ["supplier_id", "name", "nation_id", "owner_nation_id",
                                     "recovery_days", "disruption_prob"], sup_rows)

    # components in a random order; a parent only lists children after it: a DAG
    n_comp = rng.randint(2, 9)
    comps = [f"C{i}" for i in range(1, n_comp + 1)]
    n_plat = rng.randint(1, min(3, n_comp))
    kinds = ["platform"] * n_plat + [rng.choice(["system", "part", "material"])
                                     for _ in range(n_comp - n_plat)]

    bom_rows = []
    for i, parent in enumerate(comps):
        later = comps[i + 1:]
        if not later or rng.random() < 0.25:
            continue
        children = rng.sample(later, rng.randint(1, min(4, len(later))))
        groups = {}
        if len(children) >= 2 and rng.random() < 0.5:
            # one or two substitute groups among the children
            for child in children:
                if rng.random() < 0.6:
                    groups[child] = rng.choice(["g1", "g1", "alt"])
        for child in children:
            bom_rows.append([parent, child, rng.choice([None, 1, 2, 0.5]),
                             groups.get(child, "")])
    has_bom = {r[0] for r in bom_rows}

    src_rows = []
    min_sources = {}
    for cid in comps:
        if cid in has_bom and rng.random() < 0.6:
            continue  # made in-house from its BOM
        if cid not in has_bom and rng.random() < 0.1:
            continue  # unmapped (a warning, treated as available)
        chosen = rng.sample(suppliers, rng.randint(1, min(4, len(suppliers))))
        for sid in chosen:
            share = rng.choice([1.0, 0.5, 0.6, round(rng.uniform(0.01, 1.0), 2)])
            src_rows.append([cid, sid, max(share, 0.01)])
        if len(chosen) > 1 and rng.random() < 0.4:
            min_sources[cid] = rng.randint(2, min(3, len(chosen)))

    if not src_rows:  # sourcing.csv needs at least one row
        src_rows.append([comps[-1], rng.choice(suppliers), 1.0])

    comp_rows = []
    for cid, kind in zip(comps, kinds):
        comp_rows.append([cid, f"Component {cid}", kind,
                          rng.choice([None, 0, rng.randint(1, 120)]),
                          min_sources.get(cid, rng.choice([None, 1]))])
    _write(folder, "components.csv", ["component_id", "name", "kind", "stock_days",
                                      "min_sources"], comp_rows)
    if bom_rows:  # bom.csv is optional, and a header without rows is an error
        _write(folder, "bom.csv", ["parent_id", "child_id", "quantity", "substitute_group"],
               bom_rows)
    _write(folder, "sourcing.csv", ["component_id", "supplier_id", "share"], src_rows)

    platforms = comps[:n_plat]
    pairs = [(n, p) for n in nations for p in platforms]
    fielded = rng.sample(pairs, rng.randint(1, len(pairs)))
    _write(folder, "fielding.csv", ["nation_id", "platform_id", "quantity"],
           [[n, p, rng.randint(1, 50)] for n, p in fielded])


# ------------------------------------------------------------------ reference semantics


def _text(v) -> str:
    return v if isinstance(v, str) else ""


class _Tables:
    """The package tables as plain Python dicts, keyed by raw id."""

    def __init__(self, package, ownership: bool):
        pkg = getattr(package, "package", package)
        self.nations = list(pkg.nations.index)
        self.site = {}
        self.owner = {}
        for sid, row in pkg.suppliers.iterrows():
            self.site[sid] = row["nation_id"]
            own = _text(row.get("owner_nation_id"))
            self.owner[sid] = own if (ownership and own) else row["nation_id"]
        self.min_sources = {cid: int(k) for cid, k in pkg.components["min_sources"].items()}
        self.sourcing = defaultdict(list)  # component -> [(supplier, share)]
        for r in pkg.sourcing.itertuples(index=False):
            self.sourcing[r.component_id].append((r.supplier_id, float(r.share)))
        self.plain = defaultdict(list)  # parent -> [child]
        self.groups = defaultdict(lambda: defaultdict(list))  # parent -> group -> [child]
        for r in pkg.bom.itertuples(index=False):
            group = _text(getattr(r, "substitute_group", ""))
            if group:
                self.groups[r.parent_id][group].append(r.child_id)
            else:
                self.plain[r.parent_id].append(r.child_id)
        self.fielding = [(r.nation_id, r.platform_id) for r in pkg.fielding.itertuples()]
        self.components = list(pkg.components.index)
        self.suppliers = list(pkg.suppliers.index)


def ref_supply(package, capacity: dict[str, float], ownership: bool = True
               ) -> dict[str, float]:
    """Supply fraction a(x) of every node by docs/design.md §3.2, recursively from the tables.

    Parameters
    ----------
    package
        A DataPackage (or a SupplyNetwork).
    capacity
        Capacity factor m(x) per typed id; missing ids are at 1. Capabilities ignore it.
    ownership
        Whether a supplier also depends on its owner nation.

    Returns
    -------
    dict
        Typed id -> a(x), for every nation, supplier, component and capability.
    """
    t = _Tables(package, ownership)
    memo: dict[str, float] = {}

    def m(typed: str) -> float:
        return float(capacity.get(typed, 1.0))

    def nation(nid: str) -> float:
        return m(f"nation:{nid}")

    def supplier(sid: str) -> float:
        key = f"supplier:{sid}"
        if key not in memo:
            memo[key] = m(key) * min(nation(t.site[sid]), nation(t.owner[sid]))
        return memo[key]

    def component(cid: str) -> float:
        key = f"component:{cid}"
        if key in memo:
            return memo[key]
        rows = t.sourcing.get(cid, [])
        if not rows:
            s = 1.0
        else:
            vals = [(share, supplier(sid)) for sid, share in rows]
            if sum(1 for _, a in vals if a > 0) < t.min_sources[cid]:
                s = 0.0
            else:
                s = min(1.0, sum(share * a for share, a in vals))
        reqs = [component(child) for child in t.plain.get(cid, [])]
        for members in t.groups.get(cid, {}).values():
            reqs.append(min(1.0, sum(component(child) for child in members)))
        b = min(reqs) if reqs else 1.0
        memo[key] = m(key) * min(s, b)
        return memo[key]

    out = {f"nation:{n}": nation(n) for n in t.nations}
    out.update({f"supplier:{s}": supplier(s) for s in t.suppliers})
    out.update({f"component:{c}": component(c) for c in t.components})
    out.update({f"capability:{n}/{p}": component(p) for n, p in t.fielding})
    return out


def ref_available(package, failed: set[str], ownership: bool = True) -> dict[str, bool]:
    """Boolean availability of every node by docs/design.md §3.1, recursively from the tables.

    Parameters
    ----------
    package
        A DataPackage (or a SupplyNetwork).
    failed
        Typed ids of the failed points (nations, suppliers, components).
    ownership
        Whether a supplier also needs its owner nation up.

    Returns
    -------
    dict
        Typed id -> up, for every nation, supplier, component and capability.
    """
    t = _Tables(package, ownership)
    failed = set(failed)
    memo: dict[str, bool] = {}

    def nation(nid: str) -> bool:
        return f"nation:{nid}" not in failed

    def supplier(sid: str) -> bool:
        return (f"supplier:{sid}" not in failed and nation(t.site[sid])
                and nation(t.owner[sid]))

    def component(cid: str) -> bool:
        key = f"component:{cid}"
        if key in memo:
            return memo[key]
        rows = t.sourcing.get(cid, [])
        sourcing_ok = not rows or sum(supplier(s) for s, _ in rows) >= t.min_sources[cid]
        bom_ok = (all(component(c) for c in t.plain.get(cid, []))
                  and all(any(component(c) for c in members)
                          for members in t.groups.get(cid, {}).values()))
        memo[key] = key not in failed and sourcing_ok and bom_ok
        return memo[key]

    out = {f"nation:{n}": nation(n) for n in t.nations}
    out.update({f"supplier:{s}": supplier(s) for s in t.suppliers})
    out.update({f"component:{c}": component(c) for c in t.components})
    out.update({f"capability:{n}/{p}": component(p) for n, p in t.fielding})
    return out


# ------------------------------------------------------ export controls (docs/design.md §3.4)


def write_random_controls(rng: random.Random, folder) -> None:
    """Add a random, valid ``controls.csv`` to a package written by
    :func:`write_random_package`: 1–5 rows, each an item (component or supplier, plain or
    typed id) controlled by one of the package's nations, with 0–2 exempt nations other
    than the controller; nations may get a ``veto_prob``. Same ``rng`` state, same file."""
    folder = Path(folder)
    with open(folder / "nations.csv", encoding="utf-8") as f:
        nations = [row[0] for row in list(csv.reader(f))[1:]]
    items = []
    for name, kind in (("components.csv", "component"), ("suppliers.csv", "supplier")):
        with open(folder / name, encoding="utf-8") as f:
            items += [(kind, row[0]) for row in list(csv.reader(f))[1:]]
    rows, seen = [], set()
    for _ in range(rng.randint(1, 5)):
        kind, ident = rng.choice(items)
        ctl = rng.choice(nations)
        if (kind, ident, ctl) in seen:
            continue
        seen.add((kind, ident, ctl))
        others = [n for n in nations if n != ctl]
        exempt = rng.sample(others, rng.randint(0, min(2, len(others))))
        item = ident if rng.random() < 0.7 else f"{kind}:{ident}"
        rows.append([item, ctl, rng.choice(["ITAR", "EAR", "national", ""]),
                     ";".join(exempt), "random", rng.choice([None, 0.5, 0.9])])
    _write(folder, "controls.csv", ["item_id", "controlling_nation_id", "regime",
                                    "exempt_nation_ids", "source", "confidence"], rows)


def ref_blocked(package, vetoes: set[str], nation: str) -> set[str]:
    """Typed ids of the items blocked for ``nation`` when the nations ``vetoes`` refuse
    licences, read row by row from controls.csv (docs/design.md §3.4)."""
    pkg = getattr(package, "package", package)
    out = set()
    if pkg.controls is None:
        return out
    comps = set(pkg.components.index)
    for r in pkg.controls.itertuples(index=False):
        exempt = {x.strip() for x in _text(r.exempt_nation_ids).split(";") if x.strip()}
        if r.controlling_nation_id in vetoes and r.controlling_nation_id != nation \
                and nation not in exempt:
            item = r.item_id
            if ":" in item and item.split(":", 1)[0] in ("component", "supplier"):
                out.add(item)
            else:
                out.add(f"component:{item}" if item in comps else f"supplier:{item}")
    return out


def ref_capability_up(package, failed: set[str], ownership: bool = True
                      ) -> dict[str, bool]:
    """§3.1 per capability when the typed ids ``failed`` fail, vetoes (``veto:X``)
    included: each capability is evaluated on its own, with the items blocked for its
    fielding nation failed too."""
    vetoes = {f.split(":", 1)[1] for f in failed if f.startswith("veto:")}
    physical = {f for f in failed if not f.startswith("veto:")}
    out = {}
    pkg = getattr(package, "package", package)
    for r in pkg.fielding.itertuples(index=False):
        cap = f"capability:{r.nation_id}/{r.platform_id}"
        blocked = ref_blocked(pkg, vetoes, r.nation_id)
        out[cap] = ref_available(pkg, physical | blocked, ownership)[cap]
    return out


def ref_capability_supply(package, capacity: dict[str, float], vetoes: set[str],
                          ownership: bool = True) -> dict[str, float]:
    """§3.2 per capability with capacities ``capacity`` and the nations ``vetoes``
    refusing licences (blocked items at 0), each capability on its own."""
    pkg = getattr(package, "package", package)
    out = {}
    for r in pkg.fielding.itertuples(index=False):
        cap = f"capability:{r.nation_id}/{r.platform_id}"
        cap_map = dict(capacity)
        cap_map.update({b: 0.0 for b in ref_blocked(pkg, vetoes, r.nation_id)})
        out[cap] = ref_supply(pkg, cap_map, ownership)[cap]
    return out
