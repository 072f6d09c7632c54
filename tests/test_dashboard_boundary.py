"""The dashboard is a thin front end: no graph library, no analysis code of its own.

Checked statically over every module of ``dashboard/`` (docs/design.md §5, STYLE "Layers"): it
imports no networkx (nor another graph or numeric library), reaches the library only
through public names, never touches the compiled arrays or the networkx graph, and calls
no aggregation (a metric computed in a callback would be one).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
MODULES = sorted(DASHBOARD.rglob("*.py"))

FORBIDDEN_IMPORTS = {"networkx", "numpy", "scipy", "igraph", "rustworkx", "graph_tool"}
#: Library modules that hold kernels or internals, not a public analysis entry point.
FORBIDDEN_RISKGRAPH = {"riskgraph.model.propagation", "riskgraph.model.network", "riskgraph.model.intervals",
                       "riskgraph.analyses.distributed"}
FORBIDDEN_ATTRIBUTES = {"compiled", "graph"}
#: Methods that compute a statistic or reshape data into one: the library's job.
AGGREGATIONS = {
    "groupby", "agg", "aggregate", "sum", "mean", "median", "std", "var", "min", "max",
    "count", "value_counts", "nunique", "cumsum", "cumprod", "quantile", "pivot",
    "pivot_table", "crosstab", "merge", "corr", "cov", "describe", "rank", "diff",
    "pct_change", "rolling", "resample", "idxmax", "idxmin", "prod",
}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_the_dashboard_has_modules_to_check():
    names = {p.relative_to(DASHBOARD).as_posix() for p in MODULES}
    assert {"app.py", "server.py", "ids.py", "figures.py", "callbacks/overview.py",
            "pages/overview.py"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(DASHBOARD).as_posix())
def test_imports_stay_on_the_public_api(path):
    problems = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names = [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [(node.module, a.name) for a in node.names]
        else:
            continue
        for module, name in names:
            top = module.split(".")[0]
            if top in FORBIDDEN_IMPORTS:
                problems.append(f"line {node.lineno}: imports {module}")
            if top == "riskgraph":
                if module in FORBIDDEN_RISKGRAPH or any(
                        part.startswith("_") for part in module.split(".")):
                    problems.append(f"line {node.lineno}: imports internal {module}")
                if name is not None and name.startswith("_"):
                    problems.append(f"line {node.lineno}: imports private {module}.{name}")
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(DASHBOARD).as_posix())
def test_no_metric_is_computed_in_the_dashboard(path):
    problems = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            problems.append(f"line {node.lineno}: uses .{node.attr} (library internals)")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in AGGREGATIONS:
            problems.append(f"line {node.lineno}: calls .{node.func.attr}() — compute it "
                            "in riskgraph (e.g. riskgraph.views) instead")
    assert not problems, f"{path.name}: " + "; ".join(problems)


#: The command line is a front end like the dashboard (STYLE.md): its `dashboard` command
#: may start the app; the library modules may not touch Dash.
FRONT_ENDS = {"cli/tools.py"}  # `riskgraph dashboard` lives there


def test_the_library_knows_nothing_of_dash():
    library = DASHBOARD.parent / "riskgraph"
    for path in sorted(library.rglob("*.py")):
        if path.relative_to(library).as_posix() in FRONT_ENDS:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                mods = [a.name for a in node.names] if isinstance(node, ast.Import) \
                    else [node.module or ""]
                for m in mods:
                    assert m.split(".")[0] not in {"dash", "dash_cytoscape", "dash_ag_grid",
                                                   "dash_mantine_components", "flask",
                                                   "riskgraph_dashboard", "dashboard"}, \
                        f"{path.name} imports {m}"


def test_the_boundary_check_catches_violations(tmp_path):
    """The checks above really fire (guard against a vacuous pass)."""
    bad = tmp_path / "bad.py"
    bad.write_text("import networkx as nx\nfrom riskgraph.analyses.spof import _group_crit\n"
                   "from riskgraph.model.propagation import supply\n"
                   "def cb(df, net):\n    return df.groupby('x').sum(), net.graph\n")
    with pytest.raises(AssertionError, match="networkx"):
        test_imports_stay_on_the_public_api(bad)
    with pytest.raises(AssertionError, match="groupby"):
        test_no_metric_is_computed_in_the_dashboard(bad)


def test_cli_reaches_the_dashboard_only_through_serve():
    """The CLI's one door into the dashboard is riskgraph_dashboard.server.serve."""
    cli = DASHBOARD.parent / "riskgraph" / "cli" / "tools.py"
    dash_imports = []
    for node in ast.walk(_tree(cli)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in {
                "dash", "dash_cytoscape", "dash_ag_grid", "dash_mantine_components", "flask",
                "riskgraph_dashboard", "dashboard"}:
            dash_imports.append((node.module, [a.name for a in node.names]))
        if isinstance(node, ast.Import):
            assert all(a.name.split(".")[0] not in {"dash", "flask"} for a in node.names)
    assert dash_imports == [("riskgraph_dashboard.server", ["serve"])]
