"""What changed between two versions of a package, and what it did to the risks
(docs/design.md §7.8).

:func:`diff_folders` compares two package folders (rows added, removed and changed per
table, then the consequences) or two ``riskgraph analyse`` output folders (the
consequences only): SPOFs and critical pairs gained and lost per capability, nation
exposure and register score changes above a threshold, and, given scenarios, capabilities
whose time to impact changed. Each part is a plain function of two tables, so it can be
tested on its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from riskgraph.errors import RiskgraphError, UsageError
from riskgraph.io.schema import TABLES

__all__ = ["DiffResult", "diff_folders", "diff_networks", "baseline_scenario",
           "BASELINE_SCENARIO", "row_changes", "spof_changes", "pair_changes",
           "exposure_changes", "register_changes", "time_to_impact_changes",
           "RESULT_FILES"]

logger = logging.getLogger(__name__)

#: The analyse outputs a diff reads, by part.
RESULT_FILES = {"spof": "spof.csv", "pairs": "critical_pairs.csv",
                "exposure": "nation_exposure.csv", "register": "risk_register.csv"}
_CHANGE_COLUMNS = ["table", "change", "key", "column", "old_value", "new_value"]


# --------------------------------------------------------------------------- rows

def _canon(s: pd.Series) -> pd.Series:
    """Values as comparable text: numbers by repr, missing as ''."""
    if pd.api.types.is_bool_dtype(s):
        return s.map({True: "true", False: "false"}).fillna("")
    if pd.api.types.is_numeric_dtype(s):
        out = s.astype(float).map(repr)
        return out.where(s.notna(), "")
    return s.astype(object).where(s.notna(), "").astype(str)


def _flat(df: pd.DataFrame, name: str) -> pd.DataFrame:
    if len(TABLES[name].key) == 1:
        return df.reset_index()
    return df.reset_index(drop=True)


def _key_text(df: pd.DataFrame, key: list[str]) -> pd.Series:
    out = df[key[0]].astype(str)
    for col in key[1:]:
        out = out + " | " + df[col].astype(str)
    return out


def _one_table(name: str, old: pd.DataFrame | None, new: pd.DataFrame | None
               ) -> pd.DataFrame:
    key = list(TABLES[name].key)
    empty = pd.DataFrame(columns=key)
    a = _flat(old, name) if old is not None else empty
    b = _flat(new, name) if new is not None else empty
    cols = [c for c in dict.fromkeys([*a.columns, *b.columns]) if c not in key]
    a, b = a.reindex(columns=key + cols), b.reindex(columns=key + cols)
    a, b = _keys(a, key), _keys(b, key)
    m = a.merge(b, on=key, how="outer", suffixes=("\0old", "\0new"), indicator=True)
    keys = _key_text(m, key)
    parts = []
    for side, change in (("left_only", "removed"), ("right_only", "added")):
        at = m["_merge"] == side
        parts.append(pd.DataFrame({"table": name, "change": change, "key": keys[at],
                                   "column": "", "old_value": "", "new_value": ""}))
    both = (m["_merge"] == "both").to_numpy()
    for col in cols:
        x, y = _canon(m[f"{col}\0old"]), _canon(m[f"{col}\0new"])
        at = both & (x != y).to_numpy()
        if at.any():
            parts.append(pd.DataFrame({"table": name, "change": "changed", "key": keys[at],
                                       "column": col, "old_value": x[at],
                                       "new_value": y[at]}))
    return pd.concat(parts, ignore_index=True) if parts else \
        pd.DataFrame(columns=_CHANGE_COLUMNS)


def row_changes(old, new) -> pd.DataFrame:
    """Rows added, removed and changed per table between two DataPackages.

    One row per added or removed table row, and one per changed cell: ``table``,
    ``change`` (added, removed, changed), ``key`` (the row's key columns joined by
    `` | ``), ``column``, ``old_value``, ``new_value`` (numbers as Python writes them,
    missing as empty). Rows are matched by the table's key (docs/design.md §2).
    """
    parts = [_one_table(name, old.tables.get(name), new.tables.get(name))
             for name in TABLES if name in old.tables or name in new.tables]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=_CHANGE_COLUMNS)
    return out.sort_values(["table", "key", "change", "column"], kind="stable",
                           ignore_index=True)


# --------------------------------------------------------------------------- consequences

def _capability(df: pd.DataFrame) -> pd.Series:
    return df["nation_id"].astype(str) + "/" + df["platform_id"].astype(str)


def _keys(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Key columns as plain Python strings (arrow-backed empty columns cannot be merged)."""
    df = df.copy()
    for col in key:
        df[col] = df[col].astype(str).astype(object)
    return df


def _joined(df: pd.DataFrame, key: list[str]) -> pd.Series:
    out = df[key[0]].astype(str)
    for col in key[1:]:
        out = out + "\x1f" + df[col].astype(str)
    return out


def _isin(x: pd.Series, y: pd.Series) -> np.ndarray:
    """x.isin(y) for string columns, hashed in Arrow (pandas loops in Python here)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    xa, ya = (pa.array(v.astype(str).to_numpy(dtype=object), type=pa.large_string())
              if not len(v) or v.dtype == object else pa.array(v) for v in (x, y))
    return pc.is_in(xa, value_set=ya.cast(xa.type)).to_numpy(zero_copy_only=False)


def _gained_lost(old: pd.DataFrame, new: pd.DataFrame, key: list[str], keep: list[str]
                 ) -> pd.DataFrame:
    """Rows whose key is in one table only (hashing joined keys: no merge)."""
    a, b = (df[key + keep].drop_duplicates(key) for df in (old, new))
    ka, kb = _joined(a, key), _joined(b, key)
    lost = a[~_isin(ka, kb)].assign(change="lost")
    gained = b[~_isin(kb, ka)].assign(change="gained")
    out = pd.concat([_keys(lost, key), _keys(gained, key)], ignore_index=True)
    return out.sort_values(key, kind="stable", ignore_index=True)


def spof_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """SPOFs gained and lost per capability, from two ``spof.csv`` tables.

    Columns: ``capability`` (NATION/PLATFORM), ``failure_point``, ``kind``, ``name``,
    ``change`` (gained: a SPOF of the capability in NEW only; lost: in OLD only).
    """
    frames = [df.assign(capability=_capability(df)) for df in (old, new)]
    return _gained_lost(*frames, ["capability", "failure_point"], ["kind", "name"])


def pair_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Critical pairs gained and lost per capability, from two ``critical_pairs.csv``.

    A pair is unordered: ``failure_point_a`` is the one that sorts first as text (the
    compiled order of the analysis may differ between versions).
    """
    def norm(df):
        a, b = df["failure_point_a"].astype(str), df["failure_point_b"].astype(str)
        return pd.DataFrame({"capability": _capability(df),
                             "failure_point_a": np.where(a <= b, a, b),
                             "failure_point_b": np.where(a <= b, b, a)})

    return _gained_lost(norm(old), norm(new),
                        ["capability", "failure_point_a", "failure_point_b"], [])


def _value_changes(old, new, key, value, threshold) -> pd.DataFrame:
    a = _keys(old[key + [value]], key).rename(columns={value: "old"})
    b = _keys(new[key + [value]], key).rename(columns={value: "new"})
    m = a.merge(b, on=key, how="outer")
    old_v, new_v = m["old"].astype(float), m["new"].astype(float)
    delta = (new_v - old_v).round(9)
    big = delta.abs() > threshold
    one_side = old_v.isna() != new_v.isna()
    big |= one_side & (old_v.fillna(0).abs().combine(new_v.fillna(0).abs(), max)
                       > threshold)
    # largest first; a row in one version only weighs its value there
    size = delta.abs().fillna(old_v.fillna(0).abs() + new_v.fillna(0).abs())
    order = np.argsort(-size[big].to_numpy(), kind="stable")
    return m[big.to_numpy()].assign(change=delta[big]).iloc[order].reset_index(drop=True)


def exposure_changes(old: pd.DataFrame, new: pd.DataFrame, threshold: float
                     ) -> pd.DataFrame:
    """(failing nation, capability) whose loss_fraction moved by more than ``threshold``,
    from two ``nation_exposure.csv`` tables; largest change first.

    Columns: ``failing_nation_id``, ``capability``, ``old``, ``new`` (loss fractions,
    empty where the pair exists in one version only) and ``change`` (new − old).
    """
    frames = [df.assign(capability=_capability(df)) for df in (old, new)]
    return _value_changes(*frames, ["failing_nation_id", "capability"], "loss_fraction",
                          threshold)


def register_changes(old: pd.DataFrame, new: pd.DataFrame, threshold: float
                     ) -> pd.DataFrame:
    """Failure points whose register score moved by more than ``100 * threshold`` points
    (scores are 0-100), from two ``risk_register.csv``; columns ``failure_point``,
    ``old``, ``new``, ``change``."""
    return _value_changes(old, new, ["failure_point"], "score", 100.0 * threshold)


def time_to_impact_changes(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """Capabilities whose time to impact changed per scenario, from two what-if capability
    tables (``scenario``, ``nation_id``, ``platform_id``, ``time_to_impact_days``).

    Columns ``scenario``, ``capability``, ``old``, ``new`` (days; empty: never down within
    the horizon, or absent in that version) and ``change`` (new − old; empty when one side
    is empty).
    """
    frames = [df.assign(capability=_capability(df)) for df in (old, new)]
    a, b = (_keys(f[["scenario", "capability", "time_to_impact_days"]],
                  ["scenario", "capability"]) for f in frames)
    m = a.merge(b, on=["scenario", "capability"], how="outer", suffixes=("_old", "_new"))
    x, y = m["time_to_impact_days_old"].astype(float), m["time_to_impact_days_new"].astype(
        float)
    differ = ~((x == y) | (x.isna() & y.isna()))
    out = pd.DataFrame({"scenario": m["scenario"], "capability": m["capability"],
                        "old": x, "new": y, "change": (y - x)})[differ.to_numpy()]
    return out.sort_values(["scenario", "capability"], kind="stable", ignore_index=True)


# --------------------------------------------------------------------------- folders

@dataclass
class DiffResult:
    """Everything :func:`diff_folders` found; :meth:`tables` are the exported files."""

    old: str
    new: str
    mode: str  # "package" or "analysis"
    threshold: float
    rows: pd.DataFrame | None
    spof: pd.DataFrame
    pairs: pd.DataFrame
    exposure: pd.DataFrame
    register: pd.DataFrame
    time_to_impact: pd.DataFrame | None
    notes: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {} if self.rows is None else {"row_changes.csv": self.rows}
        out |= {"spof_changes.csv": self.spof, "pair_changes.csv": self.pairs,
                "exposure_changes.csv": self.exposure,
                "register_changes.csv": self.register}
        if self.time_to_impact is not None:
            out["time_to_impact_changes.csv"] = self.time_to_impact
        return out | {"diff_summary.csv": pd.DataFrame({"line": self.text().splitlines()})}

    def text(self, per_section: int = 10) -> str:
        """A short summary, e.g. ``3 new SPOFs for POL/F-35A: …``."""
        from riskgraph.analyses.diffsummary import summary_lines

        return "\n".join(summary_lines(self, per_section))


def folder_kind(path) -> str:
    """``package`` (holds nations.csv), ``analysis`` (an analyse output folder, with
    spof.csv) or a UsageError."""
    p = Path(path)
    if not p.is_dir():
        raise UsageError(f"{path!r} is not a folder (give a package or an analyse output "
                         f"folder)")
    if (p / "nations.csv").exists():
        return "package"
    if all((p / f).exists() for f in RESULT_FILES.values()):
        return "analysis"
    raise UsageError(f"{path!r} is neither a data package (nations.csv, …) nor an "
                     f"analyse output folder ({', '.join(RESULT_FILES.values())})")


def _read_results(path) -> dict[str, pd.DataFrame]:
    # NA is Namibia's code: only empty cells are missing (docs/design.md §2)
    return {part: pd.read_csv(Path(path) / name, dtype=str, keep_default_na=False,
                              na_values=[""])
            for part, name in RESULT_FILES.items()}


def _analysed(network, cache) -> dict[str, pd.DataFrame]:
    from riskgraph.analyses.structural import structural_analysis

    tables = structural_analysis(network, cache=cache).tables()
    return {part: tables[name] for part, name in RESULT_FILES.items()}


#: The scenario every package diff runs (docs/design.md §7.8).
BASELINE_SCENARIO = "baseline recovery: every nation down for its recovery days"


def baseline_scenario(network):
    """Every nation of the package fails from day 0 for its own recovery days: each
    capability's time to impact is how long its stock bridges a total cut-off."""
    from riskgraph.model.scenario import Scenario

    return Scenario(BASELINE_SCENARIO,
                    fail=[f"nation:{n}" for n in network.package.nations.index])


def _time_to_impact(nets, scenarios, notes) -> pd.DataFrame:
    from riskgraph.analyses.whatif import run_scenario
    from riskgraph.model.scenario import read_scenarios

    items = read_scenarios(scenarios) if scenarios is not None else []
    frames = []
    for label, net in zip(("old", "new"), nets):
        rows = []
        for s in [baseline_scenario(net), *items]:
            try:
                rows.append(run_scenario(net, s).capabilities.reset_index(drop=True))
            except RiskgraphError as exc:
                notes.append(f"scenario {s.name!r} cannot run on the {label} version: "
                             f"{str(exc).splitlines()[0]}")
        frames.append(pd.concat(rows) if rows else pd.DataFrame(
            columns=["scenario", "nation_id", "platform_id", "time_to_impact_days"]))
    return time_to_impact_changes(*frames)


def diff_networks(old_network, new_network, *, threshold: float = 0.01, scenarios=None,
                  old_analysis=None, new_analysis=None, cache=None,
                  names: tuple[str, str] = ("old", "new")) -> DiffResult:
    """Compare two SupplyNetworks: rows, then consequences (docs/design.md §7.8).

    ``old_analysis`` / ``new_analysis``: their StructuralAnalysis when already computed
    (the dashboard has them); else they are computed (through ``cache`` if given).
    ``scenarios``: a scenario TOML file whose scenarios time to impact is compared under,
    besides :func:`baseline_scenario` (always run).
    """
    nets = [old_network, new_network]
    notes, warnings = [], []
    for net in nets:
        if net.package.report is not None:
            warnings += net.package.report.warnings
    rows = row_changes(old_network.package, new_network.package)
    results = []
    for net, analysis in zip(nets, (old_analysis, new_analysis)):
        results.append(_analysed(net, cache) if analysis is None else
                        {part: analysis.tables()[name]
                         for part, name in RESULT_FILES.items()})
    tti = _time_to_impact(nets, scenarios, notes)
    return _result(names, "package", threshold, rows, results, tti, notes, warnings)


def _result(names, mode, threshold, rows, results, tti, notes, warnings) -> DiffResult:
    a, b = results
    return DiffResult(
        old=str(names[0]), new=str(names[1]), mode=mode, threshold=threshold, rows=rows,
        spof=spof_changes(a["spof"], b["spof"]),
        pairs=pair_changes(a["pairs"], b["pairs"]),
        exposure=exposure_changes(a["exposure"], b["exposure"], threshold),
        register=register_changes(a["register"], b["register"], threshold),
        time_to_impact=tti, notes=notes, warnings=warnings)


def diff_folders(old, new, *, threshold: float = 0.01, scenarios=None,
                 ownership: bool = True, cache=None) -> DiffResult:
    """Compare two packages (rows, then consequences) or two analyse output folders.

    Parameters
    ----------
    threshold
        Report exposure loss-fraction changes above this, and register score changes
        above ``100 * threshold`` points.
    scenarios
        A scenario TOML file: capabilities whose time to impact changed under each of its
        scenarios, besides the baseline recovery scenario (packages only). Default: the
        NEW package's ``scenarios.toml`` if it has one.
    cache
        A ResultCache for the structural analyses of packages (None: compute).
    """
    kinds = folder_kind(old), folder_kind(new)
    if kinds[0] != kinds[1]:
        what = {"package": "a package", "analysis": "an analyse output folder"}
        raise UsageError(f"cannot compare {what[kinds[0]]} with {what[kinds[1]]}: give "
                         f"two packages or two analyse output folders")
    if kinds[0] == "package":
        from riskgraph.model.network import load_network

        nets = [load_network(p, ownership=ownership) for p in (old, new)]
        if scenarios is None and (Path(new) / "scenarios.toml").exists():
            scenarios = Path(new) / "scenarios.toml"
        return diff_networks(*nets, threshold=threshold, scenarios=scenarios, cache=cache,
                             names=(old, new))
    results = [_read_results(p) for p in (old, new)]
    notes = ["analyse output folders: no row changes and no time to impact"]
    return _result((old, new), "analysis", threshold, None, results, None, notes, [])
