"""The hostile-input corpus (issue 11): packages and scenario files built to break riskgraph.

Each :class:`Case` builds its input into a temporary folder (small cases are a few bytes
changed in a copy of the worked fixture; the large ones — 200k-character fields, a
1,000,000-column header, 10,000-deep BOM chains, 1,000-long cycles, 10,000 scenarios —
are generated, never committed) and names what the real CLI must do with it: the exit
code, the place of the message (``file:line:column`` or ``file:line``) and words of it.
``tests/test_hostile.py`` runs every case and also checks that nothing was written.

The worked fixture (``tests/fixtures/worked``), with the lines the cases refer to::

    nations.csv     2 USA, 3 DEU                 (nation_id,name,alignment)
    suppliers.csv   2 S_A, 3 S_B1, 4 S_B2        (supplier_id,name,nation_id)
    components.csv  2 A, 3 B, 4 C, 5 P1, 6 P2    (component_id,name,kind)
    bom.csv         2 C<-A, 3 C<-B, 4 P1<-C, 5 P2<-B
    sourcing.csv    2 A S_A 1, 3 B S_B1 0.6, 4 B S_B2 0.6 (…,share,source)
    fielding.csv    2 USA P1 10, 3 USA P2 5
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORKED = ROOT / "tests" / "fixtures" / "worked"


@dataclass(frozen=True)
class Case:
    """One hostile input and what must come of it.

    ``build(tmp)`` writes the input under ``tmp`` and returns the CLI arguments; ``PKG``,
    ``OUT`` and ``SCN`` in them stand for ``tmp/pkg``, ``tmp/out`` and ``tmp/s.toml``.
    ``where`` must appear in stderr (the message's place), and so must each of ``words``.
    ``patch(monkeypatch, tmp)``, if given, fakes an OS condition (run before the CLI).
    """

    id: str
    build: Callable[[Path], list[str]]
    code: int
    where: str
    words: tuple[str, ...] = ()
    patch: Callable | None = None


ANALYSE = ["analyse", "PKG", "--out", "OUT", "--no-cache"]
WHATIF = ["whatif", "PKG", "--scenarios", "SCN", "--out", "OUT"]


def base(tmp: Path) -> Path:
    pkg = tmp / "pkg"
    shutil.copytree(WORKED, pkg)
    return pkg


def set_cell(pkg: Path, name: str, line: int, column: str, raw: str) -> None:
    rows = (pkg / name).read_text(encoding="utf-8").splitlines()
    header = rows[0].split(",")
    cells = rows[line - 1].split(",")
    if column not in header:
        header.append(column)
        rows = [",".join(header)] + [r + "," for r in rows[1:]]
        cells = rows[line - 1].split(",")
    cells[header.index(column)] = raw
    rows[line - 1] = ",".join(cells)
    (pkg / name).write_text("\n".join(rows) + "\n", encoding="utf-8", newline="")


def cell_case(id, name, line, column, raw, code, words=(), where=None) -> Case:
    """A case changing one cell of the worked fixture; run through ``analyse``."""
    def build(tmp):
        set_cell(base(tmp), name, line, column, raw)
        return ANALYSE
    return Case(id, build, code, where or f"{name}:{line}:{column}", tuple(words))


def bytes_case(id, name, data: bytes, where, words=(), code=3) -> Case:
    """A case replacing one file of the worked fixture with ``data``."""
    def build(tmp):
        (base(tmp) / name).write_bytes(data)
        return ANALYSE
    return Case(id, build, code, where, tuple(words))


def fs_case(id, change: Callable[[Path], None], where, words=(), code=3) -> Case:
    """A case changing the package's files themselves (links, folders, FIFOs)."""
    def build(tmp):
        change(base(tmp))
        return ANALYSE
    return Case(id, build, code, where, tuple(words))


NATIONS = (WORKED / "nations.csv").read_text(encoding="utf-8")


# ----------------------------------------------------------------- encodings and bytes

ENCODINGS = [
    bytes_case("utf16-le-bom", "nations.csv", NATIONS.encode("utf-16"), "nations.csv:",
               ["UTF-16 LE", "save it as UTF-8"]),
    bytes_case("utf16-be-bom", "nations.csv", b"\xfe\xff" + NATIONS.encode("utf-16-be"),
               "nations.csv:", ["UTF-16 BE"]),
    bytes_case("utf16-le-no-bom", "nations.csv", NATIONS.encode("utf-16-le"), "nations.csv:",
               ["UTF-16 LE without a byte-order mark"]),
    bytes_case("utf16-be-no-bom", "nations.csv", NATIONS.encode("utf-16-be"), "nations.csv:",
               ["UTF-16 BE without a byte-order mark"]),
    bytes_case("utf32-le-bom", "nations.csv", NATIONS.encode("utf-32"), "nations.csv:",
               ["UTF-32 LE"]),
    bytes_case("utf32-be-no-bom", "nations.csv", NATIONS.encode("utf-32-be"), "nations.csv:",
               ["UTF-32 BE"]),
    bytes_case("latin1", "nations.csv", NATIONS.replace("Germany", "Württemberg")
               .encode("latin-1"), "nations.csv:3", ["0xfc", "not valid UTF-8"]),
    bytes_case("invalid-utf8", "suppliers.csv",
               b"supplier_id,name,nation_id\nS_A,A\x80,USA\nS_B1,B1,USA\nS_B2,B2,DEU\n",
               "suppliers.csv:2", ["0x80"]),
    bytes_case("nul-byte", "nations.csv", NATIONS.replace("Germany", "Ger\0many").encode(),
               "nations.csv:3", ["NUL"]),
    bytes_case("gzip-inside", "nations.csv", b"\x1f\x8b\x08\x00" + b"x" * 20,
               "nations.csv:", ["gzip"]),
    bytes_case("crlf-accepted", "nations.csv", NATIONS.replace("\n", "\r\n").encode(),
               "wrote", code=0),
    bytes_case("cr-only-accepted", "nations.csv", NATIONS.replace("\n", "\r").encode(),
               "wrote", code=0),
    bytes_case("cr-only-error-line", "nations.csv", NATIONS.replace("\n", "\r")
               .replace("DEU,Germany,member", "DEU,Germany,ally").encode(),
               "nations.csv:3:alignment", ["unknown alignment 'ally'"]),
    bytes_case("crlf-error-line", "nations.csv", NATIONS.replace("\n", "\r\n")
               .replace("DEU,Germany,member", "DEU,Germany,ally").encode(),
               "nations.csv:3:alignment", ["unknown alignment 'ally'"]),
    bytes_case("utf8-bom-accepted", "nations.csv", b"\xef\xbb\xbf" + NATIONS.encode(),
               "wrote", code=0),
    bytes_case("empty-file", "nations.csv", b"", "nations.csv:", ["file is empty"]),
    bytes_case("whitespace-file", "suppliers.csv", b"  \n\n \n", "suppliers.csv:",
               ["file is empty"]),
    bytes_case("header-only", "fielding.csv", b"nation_id,platform_id,quantity\n",
               "fielding.csv:1", ["no data rows"]),
    bytes_case("header-only-bom", "bom.csv", b"parent_id,child_id\n", "bom.csv:1",
               ["no data rows", "delete bom.csv"]),
]


# ----------------------------------------------------------------------- CSV structure


def _long_field(tmp):
    pkg = base(tmp)
    set_cell(pkg, "nations.csv", 3, "name", "G" * 200_000)
    return ANALYSE


def _wide_header(tmp):
    pkg = base(tmp)
    extra = 1_000_000
    rows = NATIONS.splitlines()
    text = "\n".join([rows[0] + "".join(f",x{i}" for i in range(extra))] +
                     [r + "," * extra for r in rows[1:]]) + "\n"
    (pkg / "nations.csv").write_text(text, encoding="utf-8")
    return ANALYSE


STRUCTURE = [
    bytes_case("duplicate-header", "nations.csv",
               b"nation_id,name,alignment,name\nUSA,U,member,U\nDEU,D,member,D\n",
               "nations.csv:1:name", ["appears twice"]),
    bytes_case("header-case-only", "nations.csv",
               b"nation_id,name,alignment,Name\nUSA,U,member,U\nDEU,D,member,D\n",
               "nations.csv:1:Name", ["differ only in case"]),
    bytes_case("empty-header-name", "nations.csv",
               b"nation_id,name,alignment,\nUSA,U,member,\nDEU,D,member,\n",
               "nations.csv:1", ["no name"]),
    bytes_case("missing-column-wrong-case", "nations.csv",
               b"Nation_ID,name,alignment\nUSA,U,member\nDEU,D,member\n",
               "nations.csv:1:nation_id", ["is missing"]),
    bytes_case("unbalanced-quote", "nations.csv",
               b'nation_id,name,alignment\nUSA,"United States,member\nDEU,Germany,member\n',
               "nations.csv:2", ["never closed"]),
    bytes_case("stray-quote", "nations.csv",
               b'nation_id,name,alignment\nUSA,"Uni"ted,member\nDEU,Germany,member\n',
               "nations.csv:2", ["quoting"]),
    bytes_case("ragged-row", "nations.csv",
               b"nation_id,name,alignment\nUSA,United States,member,extra\nDEU,G,member\n",
               "nations.csv:2", ["too many"]),
    bytes_case("semicolon-delimited", "nations.csv",
               b"nation_id;name;alignment\nUSA;U;member\nDEU;G;member\n",
               "nations.csv:1", ["separated"]),
    Case("field-200k-chars", _long_field, 3, "nations.csv:3",
         ("longer than 131,072 characters",)),
    Case("header-1m-columns", _wide_header, 3, "nations.csv:1",
         ("1,000,003 columns", "limit of 1,000")),
]


# ------------------------------------------------------------------------------ numbers

NUMBERS = [
    cell_case("stock-days-1e300", "components.csv", 3, "stock_days", "1e300", 3,
              ["out of range", "36525"]),
    cell_case("stock-days-plain-1e300", "components.csv", 3, "stock_days", "1" + "0" * 300,
              3, ["out of range"]),
    cell_case("stock-days-1e309", "components.csv", 3, "stock_days", "1e309", 3,
              ["out of range"]),
    cell_case("stock-days-negative", "components.csv", 3, "stock_days", "-1", 3,
              ["out of range"]),
    cell_case("stock-days-nan", "components.csv", 3, "stock_days", "NaN", 3,
              ["not a finite number"]),
    cell_case("stock-days-inf", "components.csv", 3, "stock_days", "inf", 3,
              ["not a finite number"]),
    cell_case("recovery-days-200-years", "suppliers.csv", 2, "recovery_days", "73050", 3,
              ["out of range"]),
    cell_case("lead-time-inf", "sourcing.csv", 2, "lead_time_days", "Infinity", 3,
              ["not a finite number"]),
    cell_case("share-zero", "sourcing.csv", 2, "share", "0", 3, ["0 < share <= 1"]),
    cell_case("share-nan", "sourcing.csv", 2, "share", "nan", 3, ["not a finite number"]),
    cell_case("share-negative", "sourcing.csv", 2, "share", "-0.5", 3, ["out of range"]),
    cell_case("share-huge", "sourcing.csv", 2, "share", "1e308", 3, ["out of range"]),
    cell_case("prob-over-one", "suppliers.csv", 2, "disruption_prob", "1.5", 3,
              ["out of range"]),
    cell_case("prob-nan", "nations.csv", 2, "disruption_prob", "NaN", 3,
              ["not a finite number"]),
    cell_case("lat-91", "suppliers.csv", 3, "lat", "91", 3, ["out of range"]),
    cell_case("lon-minus-inf", "suppliers.csv", 3, "lon", "-inf", 3,
              ["not a finite number"]),
    cell_case("min-sources-fraction", "components.csv", 3, "min_sources", "1.5", 3,
              ["whole number"]),
    cell_case("min-sources-2-pow-60", "components.csv", 3, "min_sources",
              str(2 ** 60), 3, ["out of range"]),
    cell_case("bom-quantity-zero", "bom.csv", 3, "quantity", "0", 3, ["out of range"]),
    cell_case("bom-quantity-negative", "bom.csv", 3, "quantity", "-2", 3, ["out of range"]),
    cell_case("bom-quantity-plain-1e300", "bom.csv", 3, "quantity", "1" + "0" * 300, 3,
              ["out of range", "1000000"]),
    cell_case("fielding-quantity-two-million", "fielding.csv", 2, "quantity", "2000000", 3,
              ["out of range", "1000000"]),
    cell_case("fielding-quantity-nan", "fielding.csv", 2, "quantity", "nan", 3,
              ["not a finite number"]),
    cell_case("confidence-two", "sourcing.csv", 3, "confidence", "2", 3, ["out of range"]),
    cell_case("thousands-separator", "fielding.csv", 2, "quantity", '"1,000"', 3,
              ["thousands separator"]),
]


# -------------------------------------------------------------------- ids and characters

CYRILLIC_A = "\u0410"

CHARACTERS = [
    cell_case("id-leading-space", "suppliers.csv", 2, "supplier_id", " S_A", 3,
              ["whitespace"]),
    cell_case("id-zero-width-space", "components.csv", 2, "component_id", "A\u200b", 3,
              ["U+200B", "ZERO WIDTH SPACE"]),
    cell_case("id-bidi-isolate", "suppliers.csv", 3, "supplier_id", "S_\u2066B1", 3,
              ["U+2066"]),
    cell_case("name-bidi-override", "suppliers.csv", 2, "name", "Supplier \u202eA", 3,
              ["U+202E", "RIGHT-TO-LEFT OVERRIDE"]),
    cell_case("name-rlm", "nations.csv", 3, "name", "Germany\u200f", 3, ["U+200F"]),
    cell_case("name-arabic-letter-mark", "components.csv", 3, "name", "Part\u061cB", 3,
              ["U+061C"]),
    cell_case("name-escape-sequence", "components.csv", 4, "name", "Sys\x1b[31mC", 3,
              ["U+001B", "ESCAPE"]),
    cell_case("extra-column-bidi", "fielding.csv", 3, "note", "x\u202dy", 3, ["U+202D"]),
    cell_case("enum-with-bidi", "nations.csv", 2, "alignment", "mem\u202eber", 3,
              ["unknown alignment"]),
    cell_case("homoglyph-reference", "sourcing.csv", 2, "supplier_id", "S_" + CYRILLIC_A,
              3, ["did you mean 'S_A'? the value has look-alike characters: U+0410"]),
    cell_case("homoglyph-greek-component", "components.csv", 3, "component_id", "\u0391",
              3, ["not in components.csv"], where="bom.csv:3:child_id"),
    cell_case("duplicate-id", "suppliers.csv", 3, "supplier_id", "S_A", 3,
              ["already on line 2"]),
    cell_case("dangling-reference", "sourcing.csv", 2, "supplier_id", "S_Z", 3,
              ["not in suppliers.csv"]),
]


def _homoglyph_warning_only(tmp):
    pkg = base(tmp)
    with open(pkg / "suppliers.csv", "a", encoding="utf-8") as fh:
        fh.write(f"S_{CYRILLIC_A},Look-alike,USA\n")
    return ANALYSE


CHARACTERS.append(Case("homoglyph-duplicate-row", _homoglyph_warning_only, 0,
                       "suppliers.csv:5:supplier_id: warning",
                       ("looks like 'S_A' on suppliers.csv:2",)))


# ------------------------------------------------------------------ BOM shapes


def _chain(tmp, n: int, *, cycle: bool = False) -> list[str]:
    pkg = tmp / "pkg"
    pkg.mkdir()
    (pkg / "nations.csv").write_text(NATIONS, encoding="utf-8")
    (pkg / "suppliers.csv").write_text("supplier_id,name,nation_id\nS1,One,USA\n")
    comps = ["component_id,name,kind", "P,Plat,platform"] + [f"C{i},c{i},part"
                                                           for i in range(n)]
    (pkg / "components.csv").write_text("\n".join(comps) + "\n")
    bom = ["parent_id,child_id", "P,C0"] + [f"C{i},C{i + 1}" for i in range(n - 1)]
    if cycle:
        bom.append(f"C{n - 1},C0")
    (pkg / "bom.csv").write_text("\n".join(bom) + "\n")
    (pkg / "sourcing.csv").write_text(f"component_id,supplier_id,share\nC{n - 1},S1,1\n")
    (pkg / "fielding.csv").write_text("nation_id,platform_id\nUSA,P\n")
    return ANALYSE


BOM = [
    Case("bom-chain-10000-deep", lambda tmp: _chain(tmp, 10_000), 3, "bom.csv:1002:parent_id",
         ("more than 1,000 levels deep",)),
    Case("bom-chain-at-the-limit", lambda tmp: _chain(tmp, 1_000) and ["validate", "PKG"],
         0, "valid:"),
    Case("bom-cycle-1000", lambda tmp: _chain(tmp, 1_000, cycle=True), 3,
         "bom.csv:3:child_id", ("BOM cycle of 1,000 components: C0 -> C1 ->",
                                "... 988 more ...", "C999 -> C0")),
    cell_case("bom-self-loop", "bom.csv", 2, "child_id", "C", 3, ["self-loop"]),
]


# -------------------------------------------------------------- the file system


def _symlink_outside(pkg: Path) -> None:
    outside = pkg.parent / "elsewhere.csv"
    shutil.copy(pkg / "suppliers.csv", outside)
    (pkg / "suppliers.csv").unlink()
    os.symlink(outside, pkg / "suppliers.csv")


def _broken_link(pkg: Path) -> None:
    (pkg / "bom.csv").unlink()
    os.symlink(pkg / "no-such-file.csv", pkg / "bom.csv")


def _folder_as_csv(name):
    def change(pkg: Path) -> None:
        (pkg / name).unlink()
        (pkg / name).mkdir()
    return change


def _fifo(pkg: Path) -> None:
    (pkg / "nations.csv").unlink()
    os.mkfifo(pkg / "nations.csv")


def _upper_bom(pkg: Path) -> None:
    (pkg / "bom.csv").rename(pkg / "BOM.csv")


def _link_inside(pkg: Path) -> None:
    (pkg / "real").mkdir()
    (pkg / "nations.csv").rename(pkg / "real" / "nations.csv")
    os.symlink(Path("real") / "nations.csv", pkg / "nations.csv")


def _package_is(path_of: Callable[[Path], Path]):
    def build(tmp):
        target = path_of(tmp)
        return ["analyse", str(target), "--out", "OUT", "--no-cache"]
    return build


def _a_file(tmp):
    (tmp / "pkg.csv").write_text(NATIONS)
    return tmp / "pkg.csv"


def _a_fifo(tmp):
    os.mkfifo(tmp / "pipe")
    return tmp / "pipe"


def _denied(name: str | None):
    """Fake EACCES on opening ``name`` in the package (None: listing the folder), as an
    unprivileged user gets after chmod 000 (the tests may run as root)."""
    def patch(monkeypatch, tmp):
        import riskgraph.io.files as files

        real_open, real_listdir = open, os.listdir

        def fake_open(path, *args, **kwargs):
            if name and Path(path).name == name:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        def fake_listdir(path="."):
            if name is None and Path(path) == tmp / "pkg":
                raise PermissionError(13, "Permission denied", str(path))
            return real_listdir(path)

        monkeypatch.setattr(files, "open", fake_open, raising=False)
        monkeypatch.setattr(files.os, "listdir", fake_listdir)
    return patch


FILESYSTEM = [
    fs_case("symlink-outside-package", _symlink_outside, "suppliers.csv:",
            ["outside the package"]),
    fs_case("symlink-inside-accepted", _link_inside, "wrote", code=0),
    fs_case("broken-symlink-bom", _broken_link, "bom.csv:", ["does not exist"]),
    fs_case("folder-named-bom-csv", _folder_as_csv("bom.csv"), "bom.csv:",
            ["is a folder, not a CSV file"]),
    fs_case("folder-named-nations-csv", _folder_as_csv("nations.csv"), "nations.csv:",
            ["is a folder"]),
    fs_case("fifo-as-csv", _fifo, "nations.csv:", ["named pipe"]),
    fs_case("differently-cased-bom", _upper_bom, "bom.csv:",
            ["found BOM.csv", "rename it to bom.csv"]),
    Case("package-is-dev-null", _package_is(lambda tmp: Path("/dev/null")), 3,
         "/dev/null:", ("character device", "not a folder")),
    Case("package-is-a-file", _package_is(_a_file), 3, "pkg.csv:", ("not a single file",)),
    Case("package-is-a-fifo", _package_is(_a_fifo), 3, "pipe:", ("named pipe",)),
    Case("package-missing", _package_is(lambda tmp: tmp / "nope"), 3, "nope:",
         ("no such folder",)),
    Case("package-folder-denied", lambda tmp: base(tmp) and ANALYSE, 3, "pkg:",
         ("Permission denied",), patch=_denied(None)),
    Case("file-denied", lambda tmp: base(tmp) and ANALYSE, 3, "suppliers.csv:",
         ("cannot read suppliers.csv: Permission denied",), patch=_denied("suppliers.csv")),
]


# ----------------------------------------------------------------------- scenario files


def scenario_case(id, text: str | bytes, code, where, words=(), extra=()) -> Case:
    """A scenario file run through ``whatif`` (``extra=None``: an ad-hoc what-if with a
    200-year horizon instead)."""
    def build(tmp):
        base(tmp)
        if extra is None:
            return ["whatif", "PKG", "--fail", "supplier:S_A", "--horizon-days", "73050",
                    "--out", "OUT"]
        f = tmp / "s.toml"
        if isinstance(text, bytes):
            f.write_bytes(text)
        else:
            f.write_text(text, encoding="utf-8")
        return WHATIF + list(extra)
    return Case(id, build, code, where, tuple(words))


ONE = '[[scenario]]\nname = "A down"\nfail = ["supplier:S_A"]\n'
MANY = "".join(f'[[scenario]]\nname = "s{i}"\nfail = ["supplier:S_A"]\n'
               for i in range(10_000))

SCENARIOS = [
    scenario_case("toml-10000-scenarios", MANY, 3, "s.toml:3001:scenario",
                  ["10,000 scenarios", "limit of 1,000", "--max-scenarios"]),
    scenario_case("toml-unknown-key", ONE + "fial = []\n", 3, "s.toml:4:fial",
                  ["unknown key 'fial'", "valid keys: name, horizon_days"]),
    scenario_case("toml-unknown-top-level", "horizon = 3\n" + ONE, 3, "s.toml:1:horizon",
                  ["unknown top-level key"]),
    scenario_case("toml-wrong-type-fail", '[[scenario]]\nname = "x"\nfail = "supplier:S_A"\n',
                  3, "s.toml:3:fail", ["must be a list"]),
    scenario_case("toml-wrong-type-capacity", ONE + 'capacity = 0.5\n', 3,
                  "s.toml:4:capacity", ["must be a table"]),
    scenario_case("toml-unknown-failure-point", '[[scenario]]\nname = "x"\n'
                  'fail = ["supplier:S_Z"]\n', 3, "s.toml:3:fail", ["unknown supplier"]),
    scenario_case("toml-capability-as-failure-point", '[[scenario]]\nname = "x"\n'
                  'fail = ["capability:USA/P1"]\n', 3, "s.toml:3:fail",
                  ["not a typed failure-point id"]),
    scenario_case("toml-horizon-200-years", ONE + "horizon_days = 73050\n", 3,
                  "s.toml:4:horizon_days", ["36525"]),
    scenario_case("toml-horizon-inf", ONE + "horizon_days = inf\n", 3,
                  "s.toml:4:horizon_days", ["got inf"]),
    scenario_case("toml-days-1e300", ONE + 'days = { "supplier:S_A" = 1e300 }\n', 3,
                  "s.toml:4:days", ["36525"]),
    scenario_case("toml-capacity-nan", ONE + 'capacity = { "supplier:S_A" = nan }\n', 3,
                  "s.toml:4:capacity", ["capacity factor in [0, 1]"]),
    scenario_case("toml-deep-arrays", ONE + "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
                  3, "s.toml:4", ["nest more than 16 levels"]),
    scenario_case("toml-deep-inline-tables", ONE + "x = " + "{a=" * 5_000 + "1" +
                  "}" * 5_000 + "\n", 3, "s.toml:4", ["nest more than 16 levels"]),
    scenario_case("toml-deep-dotted-key", ONE + "capacity." + ".".join(["a"] * 5_000) +
                  " = 1\n", 3, "s.toml:4:capacity", ["nests more than 16 levels"]),
    scenario_case("toml-deep-table-header", ONE + "[" + ".".join(["t"] * 5_000) + "]\nx = 1\n",
                  3, "s.toml:4:t", ["unknown top-level key 't'"]),
    scenario_case("toml-utf8-bom-accepted", b"\xef\xbb\xbf" + ONE.encode(), 0, "A down:"),
    scenario_case("toml-utf16", ONE.encode("utf-16"), 3, "s.toml:",
                  ["UTF-16 LE", "save it as UTF-8"]),
    scenario_case("toml-utf32", ONE.encode("utf-32"), 3, "s.toml:", ["UTF-32 LE"]),
    scenario_case("toml-latin1", ONE.replace("A down", "Ä down").encode("latin-1"), 3,
                  "s.toml:2", ["not valid UTF-8"]),
    scenario_case("toml-nul-byte", ONE.replace("A down", "A\0down").encode(), 3,
                  "s.toml:2", ["TOML syntax error"]),
    scenario_case("toml-syntax", ONE + "days = {\n", 3, "s.toml:4", ["TOML syntax error"]),
    scenario_case("toml-empty", "", 3, "s.toml:", ["no [[scenario]] tables"]),
    scenario_case("toml-duplicate-name", ONE + ONE, 3, "s.toml:5:name", ["duplicate name"]),
    scenario_case("toml-name-bidi", ONE.replace("A down", "A \\u202e down"), 3,
                  "s.toml:2:name", ["U+202E"]),
    scenario_case("toml-homoglyph-id", '[[scenario]]\nname = "x"\nfail = ["supplier:S_'
                  + CYRILLIC_A + '"]\n', 3, "s.toml:3:fail", ["did you mean 'supplier:S_A'"]),
    scenario_case("adhoc-horizon-200-years", "", 2, "--horizon-days 73050.0",
                  ["36525"], extra=None),
    Case("toml-is-a-folder", lambda tmp: (base(tmp), (tmp / "s.toml").mkdir()) and WHATIF, 2,
         "cannot read scenario file", ("it is a folder",)),
    Case("toml-missing", lambda tmp: base(tmp) and WHATIF, 2, "cannot read scenario file",
         ("No such file",)),
]

#: Every case, in a stable order.
CASES: list[Case] = ENCODINGS + STRUCTURE + NUMBERS + CHARACTERS + BOM + FILESYSTEM + SCENARIOS
