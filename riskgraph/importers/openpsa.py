"""Open-PSA Model Exchange Format fault trees → data package (docs/design.md §7.4).

Only coherent logic is read: ``and``, ``or``, ``atleast`` and plain references. A gate using
``not``, ``xor``, ``nand``, ``nor``, ``iff``, ``imply``, ``cardinality``, a constant or a house
event is refused with a message naming the gate and its line. The XML is parsed with expat
and any document type declaration is refused, so no entity is ever expanded.

Mapping (each gate and basic event is a component):

- basic event → a leaf component of kind ``material``, ``disruption_prob`` = its
  probability (a ``float`` or a ``parameter`` defined as one);
- ``or`` (fails when any input fails) → the gate needs every input (plain BOM rows);
- ``and`` (fails when every input fails) → one substitute group of its inputs;
- ``atleast`` k of n (fails when k inputs fail) → for each k-subset of the inputs a
  component ``<gate>~<i>`` holding that subset as a substitute group, all of which the gate
  needs (k = 1 is ``or``, k = n is ``and``);
- a formula nested in a formula → a component ``<gate>~<i>`` of its own;
- a top gate (no other gate uses it) → a ``platform`` fielded by ``--nation``.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from xml.parsers import expat

from riskgraph.importers.common import (
    ImportResult, SourceFile, add_placeholder, empty_tables, frame, refuse,
)
from riskgraph.io.report import ValidationReport

__all__ = ["import_openpsa", "parse_mef", "FaultTree", "MAX_SUBSETS"]

#: An ``atleast`` gate expands into C(n, k) components; more than this is refused.
MAX_SUBSETS = 10_000
COHERENT = ("and", "or", "atleast")
REFUSED = ("not", "xor", "nand", "nor", "iff", "imply", "cardinality", "constant",
           "house-event")
_REFS = ("gate", "basic-event", "event", "house-event")
_META = ("label", "attributes")


@dataclass
class _Node:
    tag: str
    attrib: dict
    line: int
    children: list = field(default_factory=list)
    text: str = ""


def _parse_xml(text: str, file: str) -> _Node:
    """An element tree with line numbers; a DTD or entity declaration is refused."""
    root = _Node("#document", {}, 0)
    stack = [root]
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def start(tag, attrib):
        node = _Node(tag, attrib, parser.CurrentLineNumber)
        stack[-1].children.append(node)
        stack.append(node)

    def doctype(*_):
        raise refuse(file, "document type declarations are not accepted (no DTD or "
                           "entities in an Open-PSA file)", parser.CurrentLineNumber)

    def chars(data):
        stack[-1].text += data

    parser.StartElementHandler = start
    parser.CharacterDataHandler = chars
    parser.EndElementHandler = lambda tag: stack.pop()
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise refuse(file, f"not well-formed XML: {expat.errors.messages[exc.code]} "
                           f"(column {exc.offset + 1})", exc.lineno) from None
    return root


@dataclass
class FaultTree:
    """A coherent fault tree: gates as (operator, k, inputs), basic events with their
    probability (None: not given) and labels, in the file's order."""

    gates: dict = field(default_factory=dict)      # name -> (op, k, [input names], line)
    events: dict = field(default_factory=dict)     # name -> probability or None
    labels: dict = field(default_factory=dict)     # name -> label text
    riskgraph_ids: dict = field(default_factory=dict)  # name -> riskgraph-id attribute

    def tops(self) -> list[str]:
        used = {i for _, _, inputs, _ in self.gates.values() for i in inputs}
        return [g for g in self.gates if g not in used]


def _walk(node: _Node):
    yield node
    for child in node.children:
        yield from _walk(child)


def _formula(node: _Node) -> _Node | None:
    body = [c for c in node.children if c.tag not in _META]
    return body[0] if body else None


class _Reader:
    def __init__(self, file: str, report: ValidationReport):
        self.file, self.report = file, report
        self.tree = FaultTree()
        self.params: dict = {}
        self.anon: dict = {}

    def error(self, message: str, line: int) -> None:
        self.report.add("error", "openpsa", self.file, message, line=line)

    def gate(self, name: str, node: _Node, line: int) -> None:
        """Read the formula of gate ``name``."""
        if node is None:
            self.error(f"gate {name!r} has no formula", line)
            return
        op = node.tag
        if op in REFUSED:
            self.error(f"gate {name!r} uses <{op}>: only coherent fault trees (and, or, "
                       f"atleast) can be imported", node.line)
            return
        if op in _REFS:
            self.tree.gates[name] = ("or", 1, [self.ref(node, name)], line)
            return
        if op not in COHERENT:
            self.error(f"gate {name!r}: unknown formula <{op}>; expected and, or, atleast",
                       node.line)
            return
        inputs = []
        if not [c for c in node.children if c.tag not in _META]:
            self.error(f"gate {name!r}: <{op}> has no inputs", node.line)
        for child in [c for c in node.children if c.tag not in _META]:
            if child.tag in _REFS:
                inputs.append(self.ref(child, name))
            else:  # a nested formula: a component of its own
                self.anon[name] = self.anon.get(name, 0) + 1
                sub = f"{name}~{self.anon[name]}"
                self.gate(sub, child, child.line)
                inputs.append(sub)
        k = 1 if op == "or" else len(inputs)
        if op == "atleast":
            k = self.min_of(name, node, len(inputs))
        if len(set(inputs)) != len(inputs) and op == "atleast":
            self.error(f"gate {name!r}: <atleast> names an input twice", node.line)
        self.tree.gates[name] = (op, k, list(dict.fromkeys(inputs)), line)

    def min_of(self, name: str, node: _Node, n: int) -> int:
        try:
            k = int(node.attrib.get("min", ""))
        except ValueError:
            k = 0
        if not 1 <= k <= n:
            self.error(f"gate {name!r}: <atleast min={node.attrib.get('min')!r}> needs a "
                       f"whole number from 1 to {n}", node.line)
            return 1
        if math.comb(n, k) > MAX_SUBSETS:
            self.error(f"gate {name!r}: <atleast min={k}> of {n} inputs expands into "
                       f"{math.comb(n, k):,} components; the limit is {MAX_SUBSETS:,}",
                       node.line)
            return 1
        return k

    def ref(self, node: _Node, gate: str) -> str:
        name = node.attrib.get("name", "")
        if node.tag == "house-event" or node.attrib.get("type") == "house-event":
            self.error(f"gate {gate!r} uses house event {name!r}: house events are not "
                       f"supported (set them to true or false in the tree)", node.line)
        if not name:
            self.error(f"gate {gate!r}: <{node.tag}> without a name", node.line)
        return name

    def basic_event(self, node: _Node) -> None:
        name = node.attrib.get("name", "")
        expr = _formula(node)
        prob = None
        if expr is not None and expr.tag == "float":
            prob = _probability(expr.attrib.get("value"))
        elif expr is not None and expr.tag == "parameter":
            prob = self.params.get(expr.attrib.get("name"))
        if expr is not None and prob is None:
            self.report.add("warning", "probability", self.file,
                            f"basic event {name!r}: probability <{expr.tag}> is not a "
                            f"constant in [0, 1]: disruption_prob left empty (0)",
                            line=node.line)
        self.tree.events[name] = prob


def _probability(text) -> float | None:
    try:
        p = float(text)
    except (TypeError, ValueError):
        return None
    return p if 0.0 <= p <= 1.0 else None


def _meta(node: _Node, tree: FaultTree, name: str) -> None:
    for child in node.children:
        if child.tag == "attributes":
            for a in child.children:
                if a.attrib.get("name") == "riskgraph-id":
                    tree.riskgraph_ids[name] = a.attrib.get("value", "")


def parse_mef(text: str, file: str = "<mef>") -> tuple[FaultTree, ValidationReport]:
    """Read the gates and basic events of an Open-PSA MEF document.

    Raises ValidationError (wrong source, malformed XML, DTD) at once; problems with
    single gates (non-coherent logic, undefined references) are gathered in the report.
    """
    report = ValidationReport(file)
    root = _parse_xml(text, file)
    top = root.children[0] if root.children else None
    if top is None or top.tag != "opsa-mef":
        raise refuse(file, "not an Open-PSA MEF file: expected an <opsa-mef> root element"
                     + (f", found <{top.tag}>" if top is not None else ""),
                     top.line if top is not None else None)
    r = _Reader(file, report)
    nodes = list(_walk(top))
    for node in nodes:
        if node.tag == "define-parameter":
            expr = _formula(node)
            if expr is not None and expr.tag == "float":
                r.params[node.attrib.get("name")] = _probability(expr.attrib.get("value"))
    seen: dict = {}
    for node in nodes:
        if node.tag not in ("define-gate", "define-basic-event", "define-house-event"):
            continue
        name = node.attrib.get("name", "")
        if name in seen:
            r.error(f"{name!r} is defined twice (first on line {seen[name]})", node.line)
            continue
        seen[name] = node.line
        if node.tag == "define-house-event":
            continue  # refused where a gate uses it
        label = next((c for c in node.children if c.tag == "label"), None)
        _meta(node, r.tree, name)
        if node.tag == "define-gate":
            r.gate(name, _formula(node), node.line)
        else:
            r.basic_event(node)
        if label is not None and label.text.strip():
            r.tree.labels[name] = " ".join(label.text.split())
    _check_references(r)
    return r.tree, report


def _check_references(r: _Reader) -> None:
    for gate, (_, _, inputs, line) in list(r.tree.gates.items()):
        for name in inputs:
            if name and name not in r.tree.gates and name not in r.tree.events:
                # an undefined basic event: MEF tools accept it for qualitative analysis
                r.tree.events[name] = None
                r.report.add("warning", "undefined-event", r.file,
                             f"gate {gate!r} uses {name!r}, which is not defined: taken "
                             f"as a basic event with no probability", line=line)
    if not r.tree.gates and r.report.ok:
        r.error("the file defines no gate (no fault tree to import)", None)


def _package_rows(tree: FaultTree, nation: str) -> dict:
    t = empty_tables()
    tops = set(tree.tops())
    t["nations"].append({"nation_id": nation, "name": "Operator (Open-PSA import)",
                         "alignment": "member"})
    for name, prob in tree.events.items():
        if name not in tree.gates:
            t["components"].append({"component_id": name, "name": tree.labels.get(name, name),
                                    "kind": "material",
                                    "disruption_prob": prob,
                                    "riskgraph_id": tree.riskgraph_ids.get(name)})
    for name, (op, k, inputs, _) in tree.gates.items():
        kind = "platform" if name in tops else "system"
        t["components"].append({"component_id": name, "name": tree.labels.get(name, name),
                                "kind": kind,
                                "riskgraph_id": tree.riskgraph_ids.get(name)})
        n = len(inputs)
        if op == "atleast" and 1 < k < n:
            for i, subset in enumerate(itertools.combinations(inputs, k), 1):
                sub = f"{name}~k{i}"
                t["components"].append({"component_id": sub, "name": sub, "kind": "system"})
                t["bom"].append({"parent_id": name, "child_id": sub})
                t["bom"].extend({"parent_id": sub, "child_id": x, "substitute_group": "any"}
                                for x in subset)
        elif op == "and" or (op == "atleast" and k == n and n > 1):
            t["bom"].extend({"parent_id": name, "child_id": x, "substitute_group": "any"}
                            for x in inputs)
        else:
            t["bom"].extend({"parent_id": name, "child_id": x} for x in inputs)
        if name in tops:
            t["fielding"].append({"nation_id": nation, "platform_id": name})
    add_placeholder(t, nation)
    return {name: frame(name, rows) for name, rows in t.items()}


def import_openpsa(path, *, nation: str = "XXX") -> ImportResult:
    """Read an Open-PSA MEF fault tree as a data package (docs/design.md §7.4)."""
    report = ValidationReport(str(path))
    src = SourceFile(path, report)
    if "<opsa-mef" not in src.text[:20000]:
        from riskgraph.importers.common import wrong_source

        first = [line.split(",") for line in src.text.splitlines()[:5]]
        raise wrong_source(src.name, "Open-PSA MEF", ["<opsa-mef> root element"], first)
    tree, issues = parse_mef(src.text, src.name)
    report.issues.extend(issues.issues)
    if not report.ok:
        from riskgraph.errors import ValidationError

        raise ValidationError(report)
    tables = _package_rows(tree, nation)
    cite = f"Open-PSA MEF fault tree {src.name} (sha256 {src.sha256})"
    kept = len(tree.gates) + len(tree.events)
    md = "\n".join([
        "# Sources", "",
        f"Imported by `riskgraph import openpsa` from `{src.name}` (sha256 {src.sha256}).",
        "",
        f"- {len(tree.gates):,} gates and {len(tree.events):,} basic events; top "
        f"event(s) {', '.join(tree.tops())} fielded by {nation}",
        "- basic event -> material component (disruption_prob = probability); or -> "
        "needs every input; and -> one substitute group; atleast k/n -> every k-subset "
        "as a substitute group (docs/design.md section 7.4)", ""])
    return ImportResult(source="openpsa", input_path=str(path), tables=tables,
                        citation=cite, sources_md=md, report=report, rows_read=kept,
                        rows_kept=kept, unit="gates and basic events",
                        parameters={"nation": nation, "input_sha256": src.sha256})
