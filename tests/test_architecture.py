"""The layout keeps its promises (docs/architecture.md): size limits, no private imports
across modules, and every design reference pointing at a section of docs/design.md."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "riskgraph").rglob("*.py"), *(ROOT / "dashboard").rglob("*.py")])
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 500, 60  # a function's lines: code, not docstring
#: A module or function may exceed a limit only with a reason stated in its docstring.
REASON = re.compile(r"^(Size|Length): ", re.MULTILINE)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


@pytest.mark.parametrize("path", SOURCES, ids=_rel)
def test_modules_and_functions_stay_small_or_say_why(path):
    tree = _tree(path)
    lines = len(path.read_text(encoding="utf-8").splitlines())
    problems = []
    if lines > MAX_MODULE_LINES and not REASON.search(ast.get_docstring(tree) or ""):
        problems.append(f"{lines} lines (> {MAX_MODULE_LINES}) and no 'Size: ' reason in "
                        "the module docstring")
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.end_lineno - node.lineno + 1
            doc = node.body[0] if node.body else None
            if isinstance(doc, ast.Expr) and isinstance(getattr(doc, "value", None),
                                                        ast.Constant) \
                    and isinstance(doc.value.value, str):
                body -= doc.end_lineno - doc.lineno + 1
            if body > MAX_FUNCTION_LINES and not REASON.search(ast.get_docstring(node) or ""):
                problems.append(f"{node.name} at line {node.lineno}: {body} lines "
                                f"(> {MAX_FUNCTION_LINES}) and no 'Length: ' reason")
    assert not problems, "\n".join(problems)


TEST_AND_BENCH = sorted([*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")])


@pytest.mark.parametrize("path", SOURCES + TEST_AND_BENCH, ids=_rel)
def test_no_private_name_crosses_a_module_boundary(path):
    problems = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] in ("riskgraph", "riskgraph_dashboard"):
            private = [a.name for a in node.names if a.name.startswith("_")
                       and not a.name.startswith("__")]
            if private:
                problems.append(f"line {node.lineno}: from {node.module} import "
                                f"{', '.join(private)}")
    assert not problems, "\n".join(problems)


def _design_sections() -> set[str]:
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    return set(re.findall(r"^#+\s+(\d+(?:\.\d+)*)[.\s]", text, re.MULTILINE))


def test_design_references_point_at_docs_design_md():
    sections = _design_sections()
    assert {"2", "3.1", "3.2", "3.3", "4.1", "4.8"} <= sections
    stale, dangling = [], []
    for path in [*SOURCES, *TEST_AND_BENCH]:
        text = path.read_text(encoding="utf-8")
        for i, line in enumerate(text.splitlines(), 1):
            if re.search(r"\bDESIGN(\.md)? §", line):
                stale.append(f"{_rel(path)}:{i}")
            for ref in re.findall(r"docs/design\.md §(\d+(?:\.\d+)*)", line):
                if ref not in sections:
                    dangling.append(f"{_rel(path)}:{i}: §{ref}")
    assert not stale, "cite docs/design.md, not DESIGN: " + ", ".join(stale)
    assert not dangling, "no such section in docs/design.md: " + ", ".join(dangling)
