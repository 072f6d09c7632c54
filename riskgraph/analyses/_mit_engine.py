"""What a mitigation goal asks for, which actions can matter, and the exact check of a plan.

A goal is a list of *targets*: (capability, SPOF) pairs to break, or (capability, scenario)
pairs to survive. :class:`Engine` finds them on the original network, the actions that can
change each one (``relevant``: a superset, from the graph's cones), and decides which
targets a set of actions meets by applying it to the package and re-running the exact
analyses (docs/design.md §4.10). Every action only adds alternatives or stock, so a
target met by a set of actions is met by every superset (monotone), which the solver's
cuts rely on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskgraph.io.mitigations import apply_actions
from riskgraph.model.network import NODE_KINDS, SupplyNetwork

__all__ = ["Engine", "Targets"]


@dataclass
class Targets:
    """The targets of a goal: typed capability ids and, per target, the SPOF (typed id) or
    the scenario name it is about."""

    capability: list
    other: list
    goal: str

    def __len__(self) -> int:
        return len(self.capability)


class Engine:
    """Targets, relevance and exact verification for one network and its candidates."""

    def __init__(self, network: SupplyNetwork, actions: pd.DataFrame, *, goal: str,
                 capabilities=None, kinds=("supplier",), scenarios=()):
        self.network = network
        self.actions = actions
        self.goal = goal
        self.kinds = tuple(kinds)
        self.scenarios = list(scenarios)
        c = network.compiled
        caps = c.ids[c.capabilities].tolist()
        if capabilities is not None:
            wanted = set(capabilities)
            caps = [x for x in caps if x in wanted]
        self.capabilities = caps
        self.checks = 0
        self.check_seconds = 0.0  # CPU seconds spent verifying
        # SPOFs of a capability depend on its ancestors only: verify on that part alone
        self.base, self.in_cone = network, np.ones(len(actions), dtype=bool)
        if goal != "survive":
            self.base, self.in_cone = self._cone()
        self.targets = self._targets()
        self.relevant = self._relevance()

    def _cone(self) -> tuple[SupplyNetwork, np.ndarray]:
        """The network cut to what the chosen capabilities and the candidates' new members
        depend on, and which actions change something in it (the others change nothing
        a chosen capability needs)."""
        import dataclasses

        c = self.network.compiled
        site, new = self._sites()
        cone = c.topology.ancestor_mask([c.index[x] for x in self.capabilities]
                                        + [int(v) for v in new if v >= 0])
        keep: dict[str, set] = {"nation": set(), "supplier": set(), "component": set()}
        for typed in c.ids[cone].tolist():
            kind, _, ident = str(typed).partition(":")
            if kind in keep:
                keep[kind].add(ident)
        pkg = self.network.package
        sups = pkg.suppliers[pkg.suppliers.index.isin(keep["supplier"])]
        keep["nation"] |= set(sups["nation_id"].dropna()) | set(
            sups["owner_nation_id"].dropna() if "owner_nation_id" in sups else ())
        f = pkg.fielding
        cap = "capability:" + f["nation_id"].astype(str) + "/" + f["platform_id"].astype(str)
        changes = dict(
            nations=pkg.nations[pkg.nations.index.isin(keep["nation"])], suppliers=sups,
            components=pkg.components[pkg.components.index.isin(keep["component"])],
            sourcing=pkg.sourcing[pkg.sourcing["component_id"].isin(keep["component"])],
            bom=pkg.bom[pkg.bom["parent_id"].isin(keep["component"])],
            fielding=f[cap.isin(set(self.capabilities)).to_numpy()])
        names = {fl.name for fl in dataclasses.fields(pkg)}
        changes.update({k: None for k in ("controls", "mitigations") if k in names})
        sub = dataclasses.replace(pkg, **changes)
        net = SupplyNetwork(sub, ownership=self.network.ownership,
                            defaults=self.network.defaults)
        return net, cone[site]

    # -- targets ------------------------------------------------------------------------
    def _targets(self) -> Targets:
        if self.goal == "survive":
            sat = self._survived(self.network)
            keys = [k for k, ok in sat.items() if not ok]
            return Targets([k[0] for k in keys], [k[1] for k in keys], self.goal)
        pairs = self._spof_pairs(self.base)
        return Targets([p[0] for p in pairs], [p[1] for p in pairs], self.goal)

    def _spof_pairs(self, net: SupplyNetwork) -> list[tuple[str, str]]:
        from riskgraph.analyses.spof import crit_sets

        c = net.compiled
        crit = crit_sets(net, capabilities_only=True)
        kind_names = np.asarray(NODE_KINDS, dtype=object)[c.kind]
        plat = dict(zip(c.capabilities.tolist(), c.topology.capability_platform.tolist()))
        out = []
        for cap in self.capabilities:
            v = c.index[cap]
            for x in sorted(crit[v] or ()):
                if x != plat[v] and kind_names[x] in self.kinds:
                    out.append((cap, str(c.ids[x])))
        return out

    def _survived(self, net: SupplyNetwork) -> dict:
        from riskgraph.analyses.whatif import run_scenarios

        table = run_scenarios(net, self.scenarios).tables()["whatif_capabilities.csv"]
        cap = "capability:" + table["nation_id"].astype(str) + "/" + table["platform_id"]
        wanted = set(self.capabilities)
        return {(k, s): bool(d == 0) for k, s, d in
                zip(cap, table["scenario"], table["days_lost"].fillna(0)) if k in wanted}

    # -- relevance ----------------------------------------------------------------------
    def _sites(self):
        """Per action: the node it changes (a component) and the node it adds as a new
        alternative (-1 for none), as compiled indices."""
        index = self.network.compiled.index
        a = self.actions
        site, new = [], []
        for kind, comp, sup, parent in zip(a["kind"], a["component_id"],
                                           a.get("supplier_id", [None] * len(a)),
                                           a.get("parent_id", [None] * len(a))):
            if kind == "substitute":
                site.append(index[f"component:{parent}"])
                new.append(index[f"component:{comp}"])
            else:
                site.append(index[f"component:{comp}"])
                new.append(index[f"supplier:{sup}"] if kind == "second_source" else -1)
        return np.asarray(site, dtype=np.int64), np.asarray(new, dtype=np.int64)

    def _relevance(self) -> list[np.ndarray]:
        """Per target, the positions of the actions that can change it (a superset)."""
        c = self.network.compiled
        topo = c.topology
        site, new = self._sites()
        kind = self.actions["kind"].to_numpy(dtype=object)
        up = {cap: topo.ancestor_mask([c.index[cap]])[site] for cap in set(self.targets.capability)}
        out: list[np.ndarray] = []
        if self.goal == "survive":
            usable = kind != "capacity"
            by_s = {}
            for s in self.scenarios:
                failed = [c.index[x] for x in (*s.fail, *(k for k, f in s.capacity.items()
                                                          if f == 0)) if x in c.index]
                by_s[s.name] = topo.descendant_mask(failed)[site] if failed else \
                    np.zeros(len(site), bool)
            for cap, name in zip(self.targets.capability, self.targets.other):
                out.append(np.flatnonzero(usable & up[cap] & by_s[name]))
            return out
        usable = np.isin(kind, ("second_source", "substitute"))
        by_x = {}
        for x in set(self.targets.other):
            xi = c.index[x]
            down = topo.descendant_mask([xi])
            by_x[x] = usable & down[site] & (site != xi) & ~np.where(new >= 0, down[new], True)
        for cap, x in zip(self.targets.capability, self.targets.other):
            out.append(np.flatnonzero(by_x[x] & up[cap]))
        return out

    # -- verification -------------------------------------------------------------------
    def mitigated(self, chosen, *, whole: bool = False) -> SupplyNetwork:
        """The network with the actions at positions ``chosen`` applied: the part the
        chosen capabilities depend on (what verification needs), or with ``whole`` the
        whole package."""
        chosen = np.asarray(sorted(chosen), dtype=np.int64)
        base = self.network if whole else self.base
        if not whole:
            chosen = chosen[self.in_cone[chosen]]
        pkg = apply_actions(base.package, self.actions, list(self.actions.index[chosen]))
        return SupplyNetwork(pkg, ownership=self.network.ownership,
                             defaults=self.network.defaults)

    def met(self, chosen) -> np.ndarray:
        """Which targets the actions at positions ``chosen`` meet, by the exact analyses
        re-run on the mitigated network."""
        import time

        self.checks += 1
        start = time.process_time()
        try:
            return self._met(chosen)
        finally:
            self.check_seconds += time.process_time() - start

    def _met(self, chosen) -> np.ndarray:
        net = self.mitigated(chosen)
        t = self.targets
        if self.goal == "survive":
            sat = self._survived(net)
            return np.array([sat.get((k, s), False) for k, s in zip(t.capability, t.other)],
                            dtype=bool)
        left = set(self._spof_pairs(net))
        dead = self._dead(net)
        return np.array([(k, x) not in left and k not in dead
                         for k, x in zip(t.capability, t.other)], dtype=bool)

    def _dead(self, net: SupplyNetwork) -> set:
        from riskgraph.model.propagation import available

        c = net.compiled
        up = available(c, np.zeros(c.n, dtype=bool))
        return {str(c.ids[v]) for v in c.capabilities if not up[v]}
