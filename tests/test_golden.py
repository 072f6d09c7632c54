"""Golden outputs: ``analyse``, ``whatif`` and ``montecarlo`` write byte-identical CSVs.

The digests in ``tests/golden/digests.json`` were recorded before the topology layer and the
scaling work (issues 9 and 10) moved any code; every later change must reproduce them
exactly. They cover the bundled sample and three generated packages that are committed
under ``tests/golden/`` (so that a change to the generator cannot hide a change in results),
each with a ``scenarios.toml`` of four scenarios mixing nation, supplier and component
failures, explicit and default down times, capacity factors and a short horizon.

``manifest.json`` is left out: it holds a timestamp and the parameters, which may gain keys.

Re-record only for an intended change of results, and say so in the commit::

    .venv/bin/python tests/test_golden.py --update
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
DIGESTS = GOLDEN / "digests.json"
PACKAGES = {
    "allied-defence": ROOT / "data" / "allied-defence",
    "gen-400": GOLDEN / "gen-400",
    "gen-1500": GOLDEN / "gen-1500",
    "gen-4000": GOLDEN / "gen-4000",
}
MC_TRIALS, MC_SEED = 2000, 7


def _commands(package: Path, out: Path) -> dict[str, list[str]]:
    scenarios = str(package / "scenarios.toml")
    return {
        "analyse": ["analyse", str(package), "--no-cache", "--out", str(out / "analyse")],
        "whatif": ["whatif", str(package), "--scenarios", scenarios, "--compare",
                   "--out", str(out / "whatif")],
        "montecarlo": ["montecarlo", str(package), "--trials", str(MC_TRIALS),
                       "--seed", str(MC_SEED), "--no-progress",
                       "--out", str(out / "montecarlo")],
    }


def _run(argv: list[str]) -> None:
    from riskgraph.cli import main

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    assert code == 0, f"riskgraph {' '.join(argv)} exited {code}"


def digests(package: Path, command: str, out: Path) -> dict[str, str]:
    """Run one command on one package; sha256 of every CSV it wrote, by file name."""
    _run(_commands(package, out)[command])
    folder = out / command
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()
            for f in sorted(folder.glob("*.csv"))}


def _recorded() -> dict:
    return json.loads(DIGESTS.read_text(encoding="utf-8"))


@pytest.mark.parametrize("command", ["analyse", "whatif", "montecarlo"])
@pytest.mark.parametrize("name", list(PACKAGES))
def test_outputs_match_golden_digests(name, command, tmp_path):
    expected = _recorded()[name][command]
    assert digests(PACKAGES[name], command, tmp_path) == expected


def _update() -> None:
    import tempfile

    recorded = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, package in PACKAGES.items():
            recorded[name] = {}
            for command in ("analyse", "whatif", "montecarlo"):
                out = Path(tmp) / name
                recorded[name][command] = digests(package, command, out)
    DIGESTS.write_text(json.dumps(recorded, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {DIGESTS}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    _update()
