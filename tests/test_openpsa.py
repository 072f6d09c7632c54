"""Open-PSA MEF: import (coherent fault trees → packages), export (a capability's fault tree),
the round trip between them, and SCRAM's answers on exported trees.

The SCRAM tests fail (never skip) when the ``scram`` binary is missing: install the Debian
package ``scram`` (.ci/run does).
"""

from __future__ import annotations

import itertools
import random
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from randpkg import write_random_package
from riskgraph import critical_pairs, load_network, single_points_of_failure
from riskgraph.analyses.montecarlo import exact_unavailability
from riskgraph.cli import main
from riskgraph.importers import write_import
from riskgraph.importers.openpsa import import_openpsa
from riskgraph.interchange.openpsa import fault_tree_xml, write_fault_tree


# --------------------------------------------------------------------------- references

def random_tree(rng: random.Random) -> tuple[str, dict, dict]:
    """A random coherent MEF document; returns (xml, gates, probabilities), gates as
    name -> (op, k, inputs) with nested formulas named like the importer does not need."""
    events = [f"E{i}" for i in range(rng.randint(2, 7))]
    prob = {e: rng.choice([0.0, 0.05, 0.1, 0.3]) for e in events}
    gates: dict = {}
    pool = list(events)
    body = []
    for i in range(rng.randint(1, 5)):
        name = f"G{i}"
        inputs = rng.sample(pool, min(len(pool), rng.randint(1, 4)))
        op = rng.choice(["and", "or", "atleast"]) if len(inputs) > 1 else "or"
        k = {"or": 1, "and": len(inputs)}.get(op) or rng.randint(1, len(inputs))
        gates[name] = (op, k, inputs)
        refs = "".join(f'<gate name="{x}"/>' if x in gates else f'<basic-event name="{x}"/>'
                       for x in inputs)
        if len(inputs) == 1:
            formula = refs
        elif op == "atleast":
            formula = f'<atleast min="{k}">{refs}</atleast>'
        else:
            formula = f"<{op}>{refs}</{op}>"
        if rng.random() < 0.3 and len(pool) >= 2:  # a nested formula: or(formula, x, y)
            a, b = rng.sample(pool, 2)
            nested = f"N{i}"
            gates[nested] = (op, k, inputs)
            gates[name] = ("or", 1, [nested, a, b])
            formula = (f"<or>{formula}" + "".join(
                f'<gate name="{x}"/>' if x in gates else f'<basic-event name="{x}"/>'
                for x in (a, b)) + "</or>")
        body.append(f'<define-gate name="{name}"><label>gate {name}</label>'
                    f"{formula}</define-gate>")
        pool.append(name)
    body += [f'<define-basic-event name="{e}"><float value="{p}"/></define-basic-event>'
             for e, p in prob.items()]
    xml = ('<?xml version="1.0"?>\n<opsa-mef><define-fault-tree name="T">'
           + "\n".join(body) + "</define-fault-tree></opsa-mef>\n")
    return xml, gates, prob


def fails(gates: dict, name: str, down: set) -> bool:
    """docs/design.md §7.4 read straight off the tree: does ``name`` fail?"""
    if name not in gates:
        return name in down
    op, k, inputs = gates[name]
    return sum(fails(gates, x, down) for x in inputs) >= k


def cut_sets(gates: dict, top: str, events) -> set[frozenset]:
    """Minimal cut sets of order <= 2, by brute force."""
    singles = {frozenset([e]) for e in events if fails(gates, top, {e})}
    pairs = {frozenset(p) for p in itertools.combinations(events, 2)
             if not any(frozenset([x]) in singles for x in p) and fails(gates, top, set(p))}
    return singles | pairs


def riskgraph_cut_sets(net, capability: str, keep=None) -> set[frozenset]:
    """riskgraph's SPOFs and critical pairs of one capability, as sets of typed ids
    (restricted to ``keep`` when given)."""
    spof = single_points_of_failure(net)
    pairs = critical_pairs(net)
    out = {frozenset([x]) for x in spof.loc[[capability], "failure_point"]}
    if capability in pairs.index:
        rows = pairs.loc[[capability], ["failure_point_a", "failure_point_b"]]
        out |= {frozenset(r) for r in rows.values.tolist()}
    return {s for s in out if keep is None or s <= keep}


def imported(tmp_path: Path, xml: str, name: str = "tree"):
    src = tmp_path / f"{name}.xml"
    src.write_text(xml)
    out = tmp_path / name
    write_import(import_openpsa(src), out, command="test")
    return load_network(out)


def leaves(net) -> dict[str, str]:
    """Basic-event components of an imported tree: typed id -> MEF name."""
    comps = net.package.components
    mats = comps.index[(comps["kind"] == "material") & (comps.index != "placeholder")]
    return {f"component:{c}": c for c in mats}


# --------------------------------------------------------------------------- import

@pytest.mark.parametrize("seed", range(20))
def test_import_keeps_the_cut_sets_and_probability(tmp_path, seed):
    xml, gates, prob = random_tree(random.Random(seed))
    net = imported(tmp_path, xml)
    leaf = leaves(net)
    tops = [g for g in gates if not any(g in i for _, _, i in gates.values())
            and g.startswith("G")]
    exact = exact_unavailability(net).capabilities["p_unavailable"]
    for top in tops:
        cap = f"capability:XXX/{top}"
        got = {frozenset(leaf[x] for x in s)
               for s in riskgraph_cut_sets(net, cap, keep=set(leaf))}
        assert got == cut_sets(gates, top, list(prob))
        # exact top-event probability by enumerating every state of the events
        p = 0.0
        for state in itertools.product([0, 1], repeat=len(prob)):
            down = {e for e, s in zip(prob, state) if s}
            w = 1.0
            for e, s in zip(prob, state):
                w *= prob[e] if s else 1 - prob[e]
            p += w * fails(gates, top, down)
        assert exact[cap] == pytest.approx(p, abs=1e-12)


@pytest.mark.parametrize("op", ["not", "xor", "nand", "nor", "iff"])
def test_non_coherent_gates_are_refused_by_name(tmp_path, capsys, op):
    src = tmp_path / "t.xml"
    src.write_text('<?xml version="1.0"?>\n<opsa-mef>\n<define-fault-tree name="T">\n'
                   '<define-gate name="Top"><or><gate name="Bad"/><basic-event name="A"/>'
                   '</or></define-gate>\n'
                   f'<define-gate name="Bad">\n<{op}><basic-event name="A"/>'
                   f'<basic-event name="B"/></{op}></define-gate>\n'
                   "</define-fault-tree></opsa-mef>\n")
    assert main(["import", "openpsa", str(src), "--out", str(tmp_path / "p")]) == 3
    err = capsys.readouterr().err
    assert f"t.xml:6: gate 'Bad' uses <{op}>: only coherent fault trees" in err
    assert not (tmp_path / "p").exists()


def test_entities_and_doctype_are_refused(tmp_path, capsys):
    src = tmp_path / "lol.xml"
    src.write_text('<?xml version="1.0"?>\n<!DOCTYPE opsa-mef [<!ENTITY a "aaaaaaaa">'
                   '<!ENTITY b "&a;&a;&a;&a;">]>\n<opsa-mef><define-gate name="G">'
                   '<or><basic-event name="&b;"/></or></define-gate></opsa-mef>')
    assert main(["import", "openpsa", str(src), "--out", str(tmp_path / "p")]) == 3
    assert "document type declarations are not accepted" in capsys.readouterr().err


def test_malformed_and_wrong_files(tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_text('<?xml version="1.0"?>\n<opsa-mef>\n<define-gate name="G">\n</opsa-mef>')
    assert main(["import", "openpsa", str(bad), "--out", str(tmp_path / "p")]) == 3
    assert "bad.xml:4: not well-formed XML" in capsys.readouterr().err
    csv = tmp_path / "register.csv"
    csv.write_text("Recipient,Supplier,Weapon designation,Number delivered\nA,B,C,1\n")
    assert main(["import", "openpsa", str(csv), "--out", str(tmp_path / "p")]) == 3
    err = capsys.readouterr().err
    assert "expected the columns <opsa-mef> root element" in err
    assert "riskgraph import sipri" in err
    other = tmp_path / "other.xml"
    other.write_text('<?xml version="1.0"?>\n<graphml><opsa-mef/></graphml>')
    assert main(["import", "openpsa", str(other), "--out", str(tmp_path / "p")]) == 3
    assert "found <graphml>" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.xml", "other.xml",
                                                          "register.csv"]


# --------------------------------------------------------------------------- round trips

def _random_network(tmp_path: Path, seed: int):
    folder = tmp_path / f"pkg{seed}"
    write_random_package(random.Random(seed), folder)
    return load_network(folder)


@pytest.mark.parametrize("seed", range(15))
def test_export_then_import_gives_the_same_cut_sets(tmp_path, seed):
    net = _random_network(tmp_path, seed)
    for cap in net.compiled.ids[net.compiled.capabilities].tolist():
        xml, info = fault_tree_xml(net, cap)
        back = imported(tmp_path, xml, name=f"rt{len(list(tmp_path.iterdir()))}")
        to_id = {f"component:{name}": typed for typed, name in info["names"].items()}
        (top,) = back.compiled.ids[back.compiled.capabilities].tolist()
        got = {frozenset(to_id[x] for x in s)
               for s in riskgraph_cut_sets(back, top, keep=set(to_id))}
        assert got == riskgraph_cut_sets(net, cap)


@pytest.mark.parametrize("seed", range(10))
def test_import_export_import_round_trip(tmp_path, seed):
    xml, gates, prob = random_tree(random.Random(100 + seed))
    first = imported(tmp_path, xml, "first")
    for cap in first.compiled.ids[first.compiled.capabilities].tolist():
        xml2, info = fault_tree_xml(first, cap)
        second = imported(tmp_path, xml2, f"second{cap.split('/')[-1]}")
        to_id = {f"component:{name}": typed for typed, name in info["names"].items()}
        (top,) = second.compiled.ids[second.compiled.capabilities].tolist()
        again = {frozenset(to_id[x] for x in s)
                 for s in riskgraph_cut_sets(second, top, keep=set(to_id))}
        assert again == riskgraph_cut_sets(first, cap)
        # and on the original basic events, the original tree's cut sets
        leaf = leaves(first)
        assert {frozenset(leaf[x] for x in s) for s in again if s <= set(leaf)} == \
            cut_sets(gates, cap.split("/", 1)[1], list(prob))


def test_export_cli_and_unknown_capability(tmp_path, capsys):
    out = tmp_path / "ft.xml"
    assert main(["export", "openpsa", "tests/fixtures/worked", "--capability", "USA/P1",
                 "--out", str(out)]) == 0
    assert "9 basic events" in capsys.readouterr().out
    ET.parse(out)  # well-formed
    assert main(["export", "openpsa", "tests/fixtures/worked", "--capability", "USA/P9",
                 "--out", str(tmp_path / "x.xml")]) == 2
    assert "unknown capability 'USA/P9'" in capsys.readouterr().err
    assert main(["export", "openpsa", "tests/fixtures/worked", "--out",
                 str(tmp_path / "x.xml")]) == 2
    assert not (tmp_path / "x.xml").exists()


# --------------------------------------------------------------------------- SCRAM

def scram(path: Path, tmp_path: Path) -> tuple[set[frozenset], float]:
    """SCRAM's minimal cut sets of order <= 2 and exact (BDD) top-event probability."""
    exe = shutil.which("scram")
    assert exe, "SCRAM is not installed: apt-get install scram (.ci/run installs it)"
    report = tmp_path / "scram-report.xml"
    subprocess.run([exe, str(path), "--bdd", "--probability", "true", "--limit-order", "2",
                    "-o", str(report)], check=True, capture_output=True, timeout=120)
    root = ET.parse(report).getroot()
    (sop,) = root.iter("sum-of-products")
    products = {frozenset(e.get("name") for e in p.iter("basic-event"))
                for p in sop.iter("product")}
    return products, float(sop.get("probability", "0"))


@pytest.mark.parametrize("seed", range(12))
def test_scram_agrees_with_riskgraph(tmp_path, seed):
    net = _random_network(tmp_path, seed)
    exact = exact_unavailability(net, max_random_points=18).capabilities["p_unavailable"]
    for cap in net.compiled.ids[net.compiled.capabilities].tolist():
        path = tmp_path / "ft.xml"
        info = write_fault_tree(net, cap, path)
        products, probability = scram(path, tmp_path)
        name_of = info["names"]
        want = {frozenset(name_of[x] for x in s) for s in riskgraph_cut_sets(net, cap)}
        assert products == want
        assert probability == pytest.approx(float(exact[cap]), rel=1e-5, abs=1e-9)
