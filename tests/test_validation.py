"""Tests for riskgraph.io.validation (and read_package, and the ``validate`` CLI).

Every rule gets one test on a tiny broken copy of the valid worked fixture
(``tests/fixtures/worked``), made in ``tmp_path``. The fixture, for reference::

    nations.csv      nation_id,name,alignment          USA member, DEU member
    suppliers.csv    supplier_id,name,nation_id        S_A USA, S_B1 USA, S_B2 DEU
    components.csv   component_id,name,kind            A part, B part, C system,
                                                       P1 platform, P2 platform
    bom.csv          parent_id,child_id,quantity       C<-A, C<-B (2), P1<-C, P2<-B
    sourcing.csv     component_id,supplier_id,share,source
                                                       A S_A 1, B S_B1 0.6, B S_B2 0.6
    fielding.csv     nation_id,platform_id,quantity    USA P1 10, USA P2 5

Line numbers are physical lines of the file; the header is line 1.
"""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import riskgraph.io.reading as reading
import riskgraph.io.validation as validation
from riskgraph.errors import ValidationError
from riskgraph.io.package import DataPackage, read_package
from riskgraph.io.schema import TABLES
from riskgraph.io.validation import Issue, ValidationReport, validate_package, validate_tables

REPO = Path(__file__).resolve().parents[1]
# the worked fixture's tables; the optional tables not in it (controls.csv,
# mitigations.csv, ...) are tested beside their features (e.g. tests/test_vetoes.py)
_WORKED_TABLES = [t for t in TABLES.values()
                  if (REPO / "tests" / "fixtures" / "worked" / t.filename).exists()]
FILES = [t.filename for t in _WORKED_TABLES]
REQUIRED_FILES = [t.filename for t in _WORKED_TABLES if t.required]
REQUIRED_COLUMNS = [(t.filename, c.name) for t in _WORKED_TABLES for c in t.columns
                    if c.required]


# --------------------------------------------------------------------------- helpers


def read(pkg: Path, name: str) -> str:
    return (pkg / name).read_text(encoding="utf-8")


def write(pkg: Path, name: str, text: str) -> None:
    (pkg / name).write_text(text, encoding="utf-8", newline="")


def set_cell(pkg: Path, name: str, line: int, column: str, raw: str) -> None:
    """Write ``raw`` (as-is, quotes included) into one cell of the (unquoted) fixture."""
    rows = read(pkg, name).splitlines()
    header = rows[0].split(",")
    cells = rows[line - 1].split(",")
    cells[header.index(column)] = raw
    rows[line - 1] = ",".join(cells)
    write(pkg, name, "\n".join(rows) + "\n")


def add_column(pkg: Path, name: str, column: str, values: list[str]) -> None:
    """Append a column; ``values`` gives one cell per data row, in order."""
    rows = read(pkg, name).splitlines()
    assert len(values) == len(rows) - 1
    rows = [rows[0] + "," + column] + [r + "," + v for r, v in zip(rows[1:], values)]
    write(pkg, name, "\n".join(rows) + "\n")


def append(pkg: Path, name: str, *rows: str) -> None:
    write(pkg, name, read(pkg, name) + "".join(r + "\n" for r in rows))


def the_error(report: ValidationReport) -> Issue:
    """The report's only error (fails, listing them all, if there is not exactly one)."""
    assert len(report.errors) == 1, str(report)
    return report.errors[0]


def only(report: ValidationReport, code: str, severity: str = "error") -> Issue:
    found = [i for i in report.issues if i.code == code and i.severity == severity]
    assert len(found) == 1, str(report)
    return found[0]


def check(issue: Issue, code: str, file: str, line: int | None, column: str | None,
          value: str | None = None, severity: str = "error") -> None:
    """The issue's place and tag; and that its message names the offending value."""
    assert (issue.severity, issue.code, issue.file, issue.line, issue.column) == \
        (severity, code, file, line, column), str(issue)
    if value is not None:
        assert issue.value == value, str(issue)
        assert value in issue.message, str(issue)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>")
            for p in sorted(folder.rglob("*"))}


# --------------------------------------------------------------------------- baseline


def test_worked_fixture_is_valid_and_clean(worked_dir):
    report = validate_package(worked_dir)
    assert report.ok
    assert report.issues == []
    assert report.source == str(worked_dir)


def test_read_package_returns_typed_tables(worked_dir):
    pkg = read_package(worked_dir)
    assert isinstance(pkg, DataPackage)
    assert list(pkg.nations.index) == ["USA", "DEU"]
    assert list(pkg.suppliers.index) == ["S_A", "S_B1", "S_B2"]
    assert list(pkg.components.index) == ["A", "B", "C", "P1", "P2"]
    assert pkg.nations.index.name == "nation_id"
    assert len(pkg.bom) == 4 and len(pkg.sourcing) == 3 and len(pkg.fielding) == 2
    assert pkg.sourcing["share"].tolist() == [1.0, 0.6, 0.6]
    assert pkg.bom["quantity"].tolist() == [1.0, 2.0, 1.0, 1.0]
    assert set(pkg.sha256) == set(FILES)
    assert pkg.report is not None and pkg.report.ok


def test_issue_str_is_file_line_column_message():
    issue = Issue("error", "x", "suppliers.csv", "bad thing", line=4, column="nation_id")
    assert str(issue) == "suppliers.csv:4:nation_id: bad thing"
    assert str(Issue("error", "x", "a.csv", "m", line=2)) == "a.csv:2: m"
    assert str(Issue("error", "x", "a.csv", "m")) == "a.csv: m"
    assert str(Issue("warning", "x", "a.csv", "m", 3, "c")) == "a.csv:3:c: warning: m"


# --------------------------------------------------------------------------- files


@pytest.mark.parametrize("name", REQUIRED_FILES)
def test_missing_required_file(worked_copy, name):
    (worked_copy / name).unlink()
    issue = the_error(validate_package(worked_copy))
    check(issue, "missing-file", name, None, None)
    assert name in issue.message


def test_missing_bom_is_allowed(worked_copy):
    (worked_copy / "bom.csv").unlink()
    report = validate_package(worked_copy)
    assert report.ok, str(report)
    # without a BOM, the system and platforms have neither sourcing nor BOM rows
    assert {i.value for i in report.warnings if i.code == "unmapped"} == {"C", "P1", "P2"}
    assert read_package(worked_copy).bom.empty


def test_wrong_case_file_name_is_missing_with_a_hint(worked_copy):
    (worked_copy / "nations.csv").rename(worked_copy / "Nations.csv")
    issue = the_error(validate_package(worked_copy))
    check(issue, "missing-file", "nations.csv", None, None)
    assert "Nations.csv" in issue.message and "lower case" in issue.message


@pytest.mark.parametrize("name", FILES)
@pytest.mark.parametrize("content", ["", "\n\n", "  \n"], ids=["zero-bytes", "newlines",
                                                              "blank"])
def test_empty_file(worked_copy, name, content):
    write(worked_copy, name, content)
    check(the_error(validate_package(worked_copy)), "empty-file", name, None, None)


@pytest.mark.parametrize("name", REQUIRED_FILES)
def test_header_only_required_file(worked_copy, name):
    write(worked_copy, name, read(worked_copy, name).splitlines()[0] + "\n")
    report = validate_package(worked_copy)
    check(only(report, "no-rows"), "no-rows", name, 1, None)
    # references into a table that could not be read are not reported as dangling
    assert not [i for i in report.errors if i.code == "dangling-reference"], str(report)


def test_header_only_bom_is_an_error_with_advice(worked_copy):
    """An optional file that is present must hold rows: a header alone is likely a mistake."""
    write(worked_copy, "bom.csv", "parent_id,child_id,quantity\n")
    issue = the_error(validate_package(worked_copy))
    check(issue, "no-rows", "bom.csv", 1, None)
    assert "delete bom.csv" in issue.message


@pytest.mark.parametrize("name, column", REQUIRED_COLUMNS)
def test_missing_required_column(worked_copy, name, column):
    rows = [r.split(",") for r in read(worked_copy, name).splitlines()]
    k = rows[0].index(column)
    write(worked_copy, name, "".join(",".join(r[:k] + r[k + 1:]) + "\n" for r in rows))
    issue = the_error(validate_package(worked_copy))
    check(issue, "missing-column", name, 1, column)
    assert repr(column) in issue.message


def test_missing_column_suggests_a_near_miss(worked_copy):
    write(worked_copy, "nations.csv",
          "nation_id,name,aligment\nUSA,United States,member\nDEU,Germany,member\n")
    issue = the_error(validate_package(worked_copy))
    check(issue, "missing-column", "nations.csv", 1, "alignment")
    assert "'aligment'" in issue.message


def test_duplicate_header(worked_copy):
    write(worked_copy, "nations.csv",
          "nation_id,name,alignment,name\nUSA,United States,member,US\n"
          "DEU,Germany,member,DE\n")
    issue = the_error(validate_package(worked_copy))
    check(issue, "duplicate-header", "nations.csv", 1, "name")
    assert "'name'" in issue.message


@pytest.mark.parametrize("delim, shown", [(";", "';'"), ("\t", "tab")], ids=["semicolon", "tab"])
def test_wrong_delimiter(worked_copy, delim, shown):
    text = read(worked_copy, "nations.csv").replace(",", delim)
    write(worked_copy, "nations.csv", text)
    issue = the_error(validate_package(worked_copy))
    check(issue, "wrong-delimiter", "nations.csv", 1, None)
    assert issue.value == f"nation_id{delim}name{delim}alignment"
    assert shown in issue.message


@pytest.mark.parametrize("row, n", [("DEU,Germany", 2), ("DEU,Germany,member,x", 4)],
                         ids=["short", "long"])
def test_ragged_row(worked_copy, row, n):
    write(worked_copy, "nations.csv",
          f"nation_id,name,alignment\nUSA,United States,member\n{row}\n")
    report = validate_package(worked_copy)
    issue = only(report, "ragged-row")
    check(issue, "ragged-row", "nations.csv", 3, None)
    assert issue.value == row
    assert f"has {n} fields but the header has 3" in issue.message
    assert repr(row) in issue.message
    # the skipped row loses DEU: S_B2 then points at an unknown nation
    assert {(i.code, i.file) for i in report.errors} == {
        ("ragged-row", "nations.csv"), ("dangling-reference", "suppliers.csv")}


def test_bad_encoding_latin1_byte_in_a_name(worked_copy):
    (worked_copy / "nations.csv").write_bytes(
        b"nation_id,name,alignment\nUSA,United States,member\nDEU,Germany,member\n"
        b"FRA,R\xe9publique fran\xe7aise,member\n")
    issue = the_error(validate_package(worked_copy))
    check(issue, "bad-encoding", "nations.csv", 4, None, value="0xe9")
    assert "UTF-8" in issue.message


def test_utf16_is_refused(worked_copy):
    (worked_copy / "nations.csv").write_bytes(read(worked_copy, "nations.csv")
                                              .encode("utf-16"))
    issue = the_error(validate_package(worked_copy))
    check(issue, "bad-encoding", "nations.csv", None, None)
    assert "UTF-16" in issue.message


def test_utf8_byte_order_mark_is_accepted(worked_copy):
    for name in FILES:
        (worked_copy / name).write_bytes(b"\xef\xbb\xbf" + (worked_copy / name).read_bytes())
    report = validate_package(worked_copy)
    assert report.ok and report.issues == [], str(report)
    pkg = read_package(worked_copy)
    assert pkg.nations.index.name == "nation_id"
    assert list(pkg.nations.index) == ["USA", "DEU"]


def test_unterminated_quote(worked_copy):
    write(worked_copy, "nations.csv",
          'nation_id,name,alignment\nUSA,United States,member\nDEU,"Germany,member\n'
          "FRA,France,member\n")
    issue = only(validate_package(worked_copy), "unterminated-quote")
    check(issue, "unterminated-quote", "nations.csv", 3, None)


def test_stray_quote_inside_a_field(worked_copy):
    write(worked_copy, "nations.csv",
          'nation_id,name,alignment\nUSA,"United" States,member\nDEU,Germany,member\n')
    issue = only(validate_package(worked_copy), "bad-quoting")
    check(issue, "bad-quoting", "nations.csv", 2, None)


def test_line_numbers_are_physical(worked_copy):
    # a blank line and a quoted name spanning two lines push the bad row to line 6
    write(worked_copy, "nations.csv",
          'nation_id,name,alignment\n\nUSA,"United\nStates",member\nDEU,Germany,member\n'
          "FRA,France,ally\n")
    check(the_error(validate_package(worked_copy)), "unknown-value", "nations.csv", 6,
          "alignment", value="ally")


def test_crlf_line_endings_are_accepted(worked_copy):
    for name in FILES:
        write(worked_copy, name, read(worked_copy, name).replace("\n", "\r\n"))
    assert validate_package(worked_copy).issues == []
    write(worked_copy, "nations.csv", "nation_id,name,alignment\r\nUSA,United States,member"
          "\r\nDEU,Germany,ally\r\n")
    check(the_error(validate_package(worked_copy)), "unknown-value", "nations.csv", 3,
          "alignment", value="ally")


def test_file_over_the_size_cap_is_refused_before_parsing(worked_copy, monkeypatch):
    # nations.csv is the only file over the cap: it must never reach the CSV parser
    append(worked_copy, "nations.csv", *(f"X{i:02d},Filler {i},neutral" for i in range(20)))
    cap = max((worked_copy / n).stat().st_size for n in FILES if n != "nations.csv")
    size = (worked_copy / "nations.csv").stat().st_size
    assert size > cap
    real = reading.parse_csv

    def guarded(data, table, report, sha, **kwargs):
        assert table.name != "nations", "an over-size file was parsed"
        return real(data, table, report, sha, **kwargs)

    monkeypatch.setattr(reading, "parse_csv", guarded)
    issue = the_error(validate_package(worked_copy, max_file_bytes=cap))
    check(issue, "file-too-large", "nations.csv", None, None)
    assert f"{size:,}" in issue.message and f"{cap:,}" in issue.message


def test_every_file_over_the_size_cap(worked_copy, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("an over-size file was parsed")

    monkeypatch.setattr(reading, "parse_csv", never)
    report = validate_package(worked_copy, max_file_bytes=10)
    assert {(i.code, i.file) for i in report.errors} == {("file-too-large", n) for n in FILES}
    with pytest.raises(ValidationError):
        read_package(worked_copy, max_file_bytes=10)


def test_gzip_bytes_in_a_csv_are_refused(worked_copy):
    (worked_copy / "nations.csv").write_bytes(gzip.compress((worked_copy / "nations.csv")
                                                            .read_bytes()))
    issue = the_error(validate_package(worked_copy))
    check(issue, "compressed", "nations.csv", None, None)
    assert "gzip" in issue.message


def test_compressed_file_instead_of_csv_is_refused(worked_copy):
    src = worked_copy / "nations.csv"
    (worked_copy / "nations.csv.gz").write_bytes(gzip.compress(src.read_bytes()))
    src.unlink()
    issue = the_error(validate_package(worked_copy))
    check(issue, "missing-file", "nations.csv", None, None)
    assert "nations.csv.gz" in issue.message and "compressed" in issue.message


def test_zip_archive_as_package_is_refused(worked_copy, tmp_path):
    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in FILES:
            zf.write(worked_copy / name, name)
    issue = the_error(validate_package(archive))
    check(issue, "compressed", str(archive), None, None)
    assert "zip" in issue.message
    with pytest.raises(ValidationError):
        read_package(archive)


@pytest.mark.parametrize("url", ["https://example.org/pkg", "file:///tmp/pkg",
                                 "s3://bucket/pkg"])
def test_url_is_refused(url):
    issue = the_error(validate_package(url))
    check(issue, "url", url, None, None)


def test_missing_package_folder(tmp_path):
    check(the_error(validate_package(tmp_path / "nope")), "missing-package",
          str(tmp_path / "nope"), None, None)


def test_single_csv_file_is_not_a_package(worked_copy):
    path = worked_copy / "nations.csv"
    check(the_error(validate_package(path)), "not-a-folder", str(path), None, None)


# --------------------------------------------------------------------------- keys


@pytest.mark.parametrize("name, row, line, column, value", [
    ("nations.csv", "USA,Again,member", 4, "nation_id", "USA"),
    ("suppliers.csv", "S_A,Again,DEU", 5, "supplier_id", "S_A"),
    ("components.csv", "A,Again,part", 7, "component_id", "A"),
    ("sourcing.csv", "A,S_A,0.5,again", 5, "supplier_id", "S_A"),
    ("bom.csv", "C,A,3", 6, "child_id", "A"),
    ("fielding.csv", "USA,P1,3", 4, "platform_id", "P1"),
])
def test_duplicate_id_or_row(worked_copy, name, row, line, column, value):
    append(worked_copy, name, row)
    issue = the_error(validate_package(worked_copy))
    check(issue, "duplicate-id", name, line, column, value=value)
    assert "line 2" in issue.message or "already on line" in issue.message


def test_ids_differing_only_by_surrounding_whitespace(worked_copy):
    append(worked_copy, "suppliers.csv", " S_A,Spaced,USA")
    report = validate_package(worked_copy)
    found = [i for i in report.errors if i.code == "whitespace-id"]
    assert found and {(i.file, i.line, i.column, i.value) for i in found} == {
        ("suppliers.csv", 5, "supplier_id", " S_A")}, str(report)
    assert all("' S_A'" in i.message for i in found)
    assert any("'S_A'" in i.message and "line 2" in i.message for i in found)
    assert {i.code for i in report.errors} == {"whitespace-id"}


def test_reference_with_surrounding_whitespace(worked_copy):
    set_cell(worked_copy, "sourcing.csv", 2, "supplier_id", "S_A ")
    report = validate_package(worked_copy)
    check(only(report, "whitespace-id"), "whitespace-id", "sourcing.csv", 2, "supplier_id",
          value="S_A ")
    issue = only(report, "dangling-reference")
    check(issue, "dangling-reference", "sourcing.csv", 2, "supplier_id", value="S_A ")
    assert "did you mean 'S_A'" in issue.message


def test_ids_are_kept_exactly_as_written(worked_copy):
    # NA is Namibia, not missing; 00123 is a string, not the number 123
    append(worked_copy, "nations.csv", "NA,Namibia,partner")
    append(worked_copy, "suppliers.csv", "00123,Rossing Mine,NA")
    append(worked_copy, "components.csv", "007,Uranium,material", "1e3,Thing,part")
    append(worked_copy, "sourcing.csv", "007,00123,1,mine", "1e3,00123,1,mine")
    append(worked_copy, "bom.csv", "A,007,1")
    append(worked_copy, "fielding.csv", "NA,P1,2")
    report = validate_package(worked_copy)
    assert report.ok, str(report)
    pkg = read_package(worked_copy)
    assert "NA" in pkg.nations.index
    assert pkg.nations.loc["NA", "name"] == "Namibia"
    assert pkg.suppliers.loc["00123", "nation_id"] == "NA"
    assert "00123" in pkg.suppliers.index and 123 not in pkg.suppliers.index
    assert {"007", "1e3"} <= set(pkg.components.index)
    assert pkg.sourcing["supplier_id"].tolist()[-2:] == ["00123", "00123"]
    assert pkg.fielding["nation_id"].tolist() == ["USA", "USA", "NA"]
    for df in (pkg.nations, pkg.suppliers, pkg.components):
        assert df.index.dtype == object
    assert all(isinstance(v, str) for v in pkg.sourcing["supplier_id"])


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize("name, line, column, value", [
    ("suppliers.csv", 2, "nation_id", "FRA"),
    ("suppliers.csv", 3, "owner_nation_id", "CHN"),
    ("bom.csv", 2, "parent_id", "Q"),
    ("bom.csv", 5, "child_id", "Z"),
    ("sourcing.csv", 2, "component_id", "Z"),
    ("sourcing.csv", 2, "supplier_id", "S_X"),
    ("fielding.csv", 2, "nation_id", "FRA"),
    ("fielding.csv", 2, "platform_id", "P9"),
])
def test_dangling_reference(worked_copy, name, line, column, value):
    if column == "owner_nation_id":
        add_column(worked_copy, name, column, ["USA", value, ""])
    else:
        set_cell(worked_copy, name, line, column, value)
    issue = the_error(validate_package(worked_copy))
    ref = TABLES[name.removesuffix(".csv")].column(column).ref
    check(issue, "dangling-reference", name, line, column, value=value)
    assert f"{ref}.csv" in issue.message


def test_dangling_reference_suggests_a_near_miss(worked_copy):
    set_cell(worked_copy, "sourcing.csv", 3, "supplier_id", "S_B")
    issue = the_error(validate_package(worked_copy))
    assert "did you mean 'S_B" in issue.message


# --------------------------------------------------------------------------- cells


@pytest.mark.parametrize("raw", ["0", "-0.1", "1.5", "1.0001"])
def test_share_out_of_range(worked_copy, raw):
    set_cell(worked_copy, "sourcing.csv", 2, "share", raw)
    issue = the_error(validate_package(worked_copy))
    check(issue, "out-of-range", "sourcing.csv", 2, "share", value=raw)
    assert "0 < share <= 1" in issue.message


@pytest.mark.parametrize("raw", ["1", "1.0", "0.000001", " 0.5 "])
def test_share_in_range(worked_copy, raw):
    set_cell(worked_copy, "sourcing.csv", 2, "share", raw)
    assert validate_package(worked_copy).ok


@pytest.mark.parametrize("raw, code", [
    ("abc", "not-a-number"),
    ("-5", "out-of-range"),
    ("NaN", "not-a-number"),
    ("nan", "not-a-number"),
    ("inf", "not-a-number"),
    ("-Infinity", "not-a-number"),
    ("N/A", "not-a-number"),
    ("1" + "0" * 400, "out-of-range"),  # a decimal that overflows a float to inf
    ("1e309", "out-of-range"),  # not "write it as a plain decimal: inf" (issue 11)
    ("-1e400", "out-of-range"),
    ("0x10", "not-a-number"),
    ("1_000", "not-a-number"),
])
def test_bad_number(worked_copy, raw, code):
    set_cell(worked_copy, "fielding.csv", 2, "quantity", raw)
    issue = the_error(validate_package(worked_copy))
    check(issue, code, "fielding.csv", 2, "quantity")
    assert issue.value == raw
    assert raw[:40] in issue.message


@pytest.mark.parametrize("raw, value, hint", [
    ('"1,200"', "1,200", "1200"),
    ("45%", "45%", "0.45"),
    ("1.23E+05", "1.23E+05", "write it as a plain decimal: 123000"),
    ("1E-7", "1E-7", "write it as a plain decimal: 0.0000001"),
    ('"2,5"', "2,5", "2.5"),
])
def test_spreadsheet_artefact(worked_copy, raw, value, hint):
    set_cell(worked_copy, "fielding.csv", 2, "quantity", raw)
    issue = the_error(validate_package(worked_copy))
    check(issue, "spreadsheet-artefact", "fielding.csv", 2, "quantity", value=value)
    assert hint in issue.message


@pytest.mark.parametrize("name, column, line, raw", [
    ("nations.csv", "disruption_prob", 2, "1.5"),
    ("suppliers.csv", "lat", 2, "90.5"),
    ("suppliers.csv", "lon", 2, "-181"),
    ("suppliers.csv", "disruption_prob", 3, "-0.01"),
    ("suppliers.csv", "recovery_days", 4, "-1"),
    ("components.csv", "stock_days", 2, "-3"),
    ("components.csv", "disruption_prob", 4, "2"),
    ("components.csv", "min_sources", 3, "0"),
    ("bom.csv", "quantity", 3, "0"),
    ("sourcing.csv", "lead_time_days", 3, "-7"),
    ("sourcing.csv", "confidence", 4, "1.2"),
    ("fielding.csv", "quantity", 3, "-1"),
])
def test_number_out_of_range(worked_copy, name, column, line, raw):
    if column in read(worked_copy, name).splitlines()[0].split(","):
        set_cell(worked_copy, name, line, column, raw)
    else:
        n = len(read(worked_copy, name).splitlines()) - 1
        add_column(worked_copy, name, column, [raw if i == line - 2 else "" for i in range(n)])
    issue = the_error(validate_package(worked_copy))
    check(issue, "out-of-range", name, line, column, value=raw)
    assert TABLES[name.removesuffix(".csv")].column(column).range_text() in issue.message


@pytest.mark.parametrize("raw, code", [
    ("1.5", "not-an-integer"),
    ("0.5", "out-of-range"),
    ("-2.5", "out-of-range"),
    ("99999999999999999999", "out-of-range"),
])
def test_min_sources_must_be_a_whole_number_in_range(worked_copy, raw, code):
    add_column(worked_copy, "components.csv", "min_sources", ["", raw, "", "", ""])
    issue = the_error(validate_package(worked_copy))
    check(issue, code, "components.csv", 3, "min_sources", value=raw)


@pytest.mark.parametrize("name, line, column", [
    ("nations.csv", 2, "name"),
    ("nations.csv", 3, "alignment"),
    ("suppliers.csv", 2, "name"),
    ("suppliers.csv", 3, "nation_id"),
    ("components.csv", 2, "name"),
    ("components.csv", 4, "kind"),
    ("bom.csv", 3, "child_id"),
    ("sourcing.csv", 3, "share"),
    ("sourcing.csv", 4, "supplier_id"),
    ("fielding.csv", 2, "platform_id"),
])
def test_empty_required_cell(worked_copy, name, line, column):
    set_cell(worked_copy, name, line, column, "")
    issue = the_error(validate_package(worked_copy))
    check(issue, "empty-cell", name, line, column)
    assert issue.value == ""
    assert repr(column) in issue.message


@pytest.mark.parametrize("name, column, line", [
    ("nations.csv", "nation_id", 3),
    ("suppliers.csv", "supplier_id", 2),
    ("components.csv", "component_id", 5),
])
def test_empty_id_cell(worked_copy, name, column, line):
    # the row's id is lost, so rows referring to it dangle too: those are reported as well
    set_cell(worked_copy, name, line, column, "")
    report = validate_package(worked_copy)
    check(only(report, "empty-cell"), "empty-cell", name, line, column)


def test_whitespace_only_id_is_empty(worked_copy):
    set_cell(worked_copy, "fielding.csv", 3, "platform_id", "  ")
    check(the_error(validate_package(worked_copy)), "empty-cell", "fielding.csv", 3,
          "platform_id")


@pytest.mark.parametrize("name, line, column, value", [
    ("nations.csv", 3, "alignment", "ally"),
    ("nations.csv", 2, "alignment", "Member"),
    ("components.csv", 4, "kind", "widget"),
    ("components.csv", 2, "kind", "Part"),
])
def test_unknown_enum_value(worked_copy, name, line, column, value):
    set_cell(worked_copy, name, line, column, value)
    issue = the_error(validate_package(worked_copy))
    check(issue, "unknown-value", name, line, column, value=value)
    for valid in TABLES[name.removesuffix(".csv")].column(column).values:
        assert valid in issue.message
    if value != value.lower():
        assert f"write it as {value.lower()!r}" in issue.message


# --------------------------------------------------------------------------- cross checks


@pytest.mark.parametrize("platform, kind", [("C", "system"), ("A", "part")])
def test_fielding_of_a_non_platform(worked_copy, platform, kind):
    append(worked_copy, "fielding.csv", f"DEU,{platform},1")
    issue = the_error(validate_package(worked_copy))
    check(issue, "not-a-platform", "fielding.csv", 4, "platform_id", value=platform)
    assert kind in issue.message


def test_bom_self_loop(worked_copy):
    append(worked_copy, "bom.csv", "A,A,1")
    issue = the_error(validate_package(worked_copy))
    check(issue, "bom-cycle", "bom.csv", 6, "child_id", value="A")
    assert "self-loop" in issue.message


@pytest.mark.parametrize("rows, path, line", [
    (["A,C,1"], "A -> C -> A", 6),
    (["A,P1,1"], "A -> P1 -> C -> A", 6),
    (["B,X,1", "X,P2,1", "X,Thing,1"], "B -> X -> P2 -> B", 6),
])
def test_bom_cycle_prints_the_path(worked_copy, rows, path, line):
    if any("X" in r for r in rows):
        append(worked_copy, "components.csv", "X,Assembly X,part", "Thing,Thing,material")
    append(worked_copy, "bom.csv", *rows)
    issue = the_error(validate_package(worked_copy))
    check(issue, "bom-cycle", "bom.csv", line, "child_id")
    assert path in issue.message


def test_two_separate_bom_cycles_are_both_reported(worked_copy):
    append(worked_copy, "components.csv", "X,X,part", "Y,Y,part")
    append(worked_copy, "bom.csv", "A,C,1", "X,Y,1", "Y,X,1")
    report = validate_package(worked_copy)
    msgs = sorted(i.message for i in report.errors)
    assert [i.code for i in report.errors] == ["bom-cycle", "bom-cycle"], str(report)
    assert "A -> C -> A" in msgs[0] and "X -> Y -> X" in msgs[1]


@pytest.mark.parametrize("values, line, cid, have", [
    (["", "3", "", "", ""], 3, "B", 2),
    (["2", "", "", "", ""], 2, "A", 1),
])
def test_min_sources_larger_than_sourcing_rows(worked_copy, values, line, cid, have):
    add_column(worked_copy, "components.csv", "min_sources", values)
    issue = the_error(validate_package(worked_copy))
    need = values[line - 2]
    check(issue, "min-sources", "components.csv", line, "min_sources", value=need)
    assert repr(cid) in issue.message and f"only {have}" in issue.message


def test_min_sources_equal_to_sourcing_rows_is_fine(worked_copy):
    add_column(worked_copy, "components.csv", "min_sources", ["1", "2", "", "", ""])
    pkg = read_package(worked_copy)
    assert pkg.components["min_sources"].tolist() == [1, 2, 1, 1, 1]


def test_unmapped_non_material_is_a_warning(worked_copy):
    append(worked_copy, "components.csv", "X,Gadget,part", "M,Titanium,material")
    report = validate_package(worked_copy)
    assert report.ok, str(report)
    issue = only(report, "unmapped", "warning")
    check(issue, "unmapped", "components.csv", 7, "component_id", value="X",
          severity="warning")
    assert str(issue).startswith("components.csv:7:component_id: warning: ")
    pkg = read_package(worked_copy)
    assert {"X", "M"} <= set(pkg.components.index)
    assert [w.code for w in pkg.report.warnings] == ["unmapped"]


def test_shares_below_one_are_a_shortfall_warning(worked_copy):
    set_cell(worked_copy, "sourcing.csv", 2, "share", "0.4")
    report = validate_package(worked_copy)
    assert report.ok
    # the cause is in sourcing.csv: the warning points there, not at components.csv (issue 12)
    issue = only(report, "shortfall", "warning")
    check(issue, "shortfall", "sourcing.csv", 2, "share", value="A", severity="warning")
    assert "(lines 2)" in issue.message


def test_shortfall_warning_lists_every_sourcing_row_of_the_component(worked_copy):
    set_cell(worked_copy, "sourcing.csv", 3, "share", "0.3")
    set_cell(worked_copy, "sourcing.csv", 4, "share", "0.2")
    append(worked_copy, "sourcing.csv", "A,S_B2,0.1,x")
    set_cell(worked_copy, "sourcing.csv", 2, "share", "0.5")
    report = validate_package(worked_copy)
    found = sorted((i.line, i.value, i.message.split(" (lines ")[1].split(")")[0])
                   for i in report.warnings if i.code == "shortfall")
    assert found == [(2, "A", "2, 5"), (3, "B", "3, 4")]
    assert all(i.file == "sourcing.csv" for i in report.warnings if i.code == "shortfall")


def test_all_problems_are_reported_at_once(worked_copy):
    set_cell(worked_copy, "nations.csv", 3, "alignment", "ally")
    set_cell(worked_copy, "sourcing.csv", 4, "share", "2")
    set_cell(worked_copy, "fielding.csv", 2, "nation_id", "FRA")
    append(worked_copy, "bom.csv", "A,C,1")
    append(worked_copy, "fielding.csv", "DEU,C,1")
    report = validate_package(worked_copy)
    assert {(i.file, i.line, i.column, i.code) for i in report.errors} == {
        ("nations.csv", 3, "alignment", "unknown-value"),
        ("sourcing.csv", 4, "share", "out-of-range"),
        ("fielding.csv", 2, "nation_id", "dangling-reference"),
        ("fielding.csv", 4, "platform_id", "not-a-platform"),
        ("bom.csv", 6, "child_id", "bom-cycle"),
    }, str(report)
    with pytest.raises(ValidationError) as exc:
        read_package(worked_copy)
    assert exc.value.report.errors == report.errors
    text = str(exc.value)
    assert "5 problem(s)" in text
    assert "nations.csv:3:alignment: unknown alignment 'ally'" in text


def test_many_errors_are_capped_with_a_summary(worked_copy):
    n = validation.MAX_ISSUES_PER_KIND + 5
    append(worked_copy, "fielding.csv", *(f"USA,P1,x{i}" for i in range(n)))
    report = validate_package(worked_copy)
    bad = [i for i in report.errors if i.code == "not-a-number"]
    # the duplicate (USA, P1) rows are a second kind, capped on their own
    assert len(bad) == validation.MAX_ISSUES_PER_KIND + 1
    assert bad[-1].message == "... and 5 more 'not-a-number' problems"


# --------------------------------------------------------------------------- typed output


def test_unknown_extra_columns_are_kept(worked_copy):
    add_column(worked_copy, "nations.csv", "notes", ["big", ""])
    add_column(worked_copy, "sourcing.csv", "contract_ref", ["K-1", "007", "=1+1"])
    report = validate_package(worked_copy)
    assert report.ok and report.issues == [], str(report)
    pkg = read_package(worked_copy)
    assert pkg.nations["notes"].tolist()[0] == "big"
    assert pkg.sourcing["contract_ref"].tolist() == ["K-1", "007", "=1+1"]


def test_defaults_are_filled_when_columns_are_absent(worked_dir):
    pkg = read_package(worked_dir)
    assert pkg.components["stock_days"].tolist() == [0.0] * 5
    assert pkg.components["min_sources"].tolist() == [1] * 5
    assert pkg.components["min_sources"].dtype == np.int64
    assert pkg.nations["alliances"].tolist() == ["", ""]
    assert pkg.suppliers["owner_nation_id"].isna().all()
    assert pkg.suppliers["lat"].isna().all()


def test_defaults_are_filled_for_empty_cells(worked_copy):
    add_column(worked_copy, "components.csv", "stock_days", ["", "30", "", "", ""])
    add_column(worked_copy, "components.csv", "min_sources", ["", "2", "", "", ""])
    set_cell(worked_copy, "bom.csv", 3, "quantity", "")
    (worked_copy / "bom.csv").write_text(read(worked_copy, "bom.csv") + "P1,A,\n")
    pkg = read_package(worked_copy)
    assert pkg.components["stock_days"].tolist() == [0.0, 30.0, 0.0, 0.0, 0.0]
    assert pkg.components["min_sources"].tolist() == [1, 2, 1, 1, 1]
    assert pkg.bom["quantity"].tolist() == [1.0, 1.0, 1.0, 1.0, 1.0]
    assert pkg.bom["substitute_group"].tolist() == [""] * 5


def test_bom_quantity_defaults_when_column_absent(worked_copy):
    write(worked_copy, "bom.csv", "parent_id,child_id\nC,A\nC,B\nP1,C\nP2,B\n")
    pkg = read_package(worked_copy)
    assert pkg.bom["quantity"].tolist() == [1.0] * 4


def test_validation_does_not_write_to_the_package(worked_copy):
    before = snapshot(worked_copy)
    validate_package(worked_copy)
    read_package(worked_copy)
    assert snapshot(worked_copy) == before
    set_cell(worked_copy, "nations.csv", 3, "alignment", "ally")
    before = snapshot(worked_copy)
    validate_package(worked_copy)
    assert snapshot(worked_copy) == before


# --------------------------------------------------------------------------- CLI


def run_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "riskgraph", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_cli_valid_package_exits_0_and_writes_nothing(worked_copy):
    before = snapshot(worked_copy)
    proc = run_cli("validate", worked_copy)
    assert proc.returncode == 0, proc.stderr
    assert snapshot(worked_copy) == before


def test_cli_warnings_go_to_stderr_and_exit_0(worked_copy):
    append(worked_copy, "components.csv", "X,Gadget,part")
    before = snapshot(worked_copy)
    proc = run_cli("validate", worked_copy)
    assert proc.returncode == 0, proc.stderr
    assert "components.csv:7:component_id: warning:" in proc.stderr
    assert "components.csv:7" not in proc.stdout
    assert snapshot(worked_copy) == before


def test_cli_invalid_package_exits_3_with_every_error_and_writes_nothing(worked_copy):
    set_cell(worked_copy, "nations.csv", 3, "alignment", "ally")
    set_cell(worked_copy, "sourcing.csv", 4, "share", "2")
    set_cell(worked_copy, "fielding.csv", 2, "nation_id", "FRA")
    before = snapshot(worked_copy)
    proc = run_cli("validate", worked_copy)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "nations.csv:3:alignment: unknown alignment 'ally'" in out
    assert "sourcing.csv:4:share: share '2' is out of range" in out
    assert "fielding.csv:2:nation_id: nation_id 'FRA' is not in nations.csv" in out
    assert snapshot(worked_copy) == before


def test_cli_unreadable_package_exits_3(worked_copy, tmp_path):
    (worked_copy / "nations.csv").write_bytes(gzip.compress(b"nation_id\n"))
    proc = run_cli("validate", worked_copy)
    assert proc.returncode == 3
    assert "nations.csv" in proc.stdout + proc.stderr


@pytest.mark.parametrize("args", [["validate"], ["no-such-command"], []],
                         ids=["no-path", "unknown-command", "nothing"])
def test_cli_usage_error_exits_2(args, tmp_path):
    proc = run_cli(*args, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- fast parser


def _outcome(path, fast):
    report, result = validate_tables(path, fast=fast)
    return [vars(i) for i in report.issues], result


HOSTILE = {
    "quoted names": ("suppliers.csv", lambda t: re.sub(r",Works (\d+),", r',"Works, ""\1""",', t)
                     + 'S_X,"Bad ""quote""",XXX,,1\n'),
    "bad quoting": ("suppliers.csv", lambda t: t.replace("Works", '"Works, ""A"""')),
    "quoted newline": ("components.csv", lambda t: t.replace(",part", ',"pa\nrt"', 1)),
    "crlf": ("bom.csv", lambda t: t.replace("\n", "\r\n")),
    "mixed endings": ("bom.csv", lambda t: t.replace("\n", "\r\n", 2)),
    "bare cr": ("fielding.csv", lambda t: t.replace("\n", "\r")),
    "blank lines": ("sourcing.csv", lambda t: t.replace("\n", "\n\n", 3)
                    + "\n\nC_X,S_X,2,x\n"),
    "ragged": ("sourcing.csv", lambda t: t.replace("\n", ",x\n", 4)),
    "bad quote": ("nations.csv", lambda t: t.replace("member", '"mem"ber', 1)),
    "unterminated": ("nations.csv", lambda t: t.replace("member", '"member', 1)),
    "no final newline": ("fielding.csv", lambda t: t.rstrip("\n")),
    "bom": ("nations.csv", lambda t: "\ufeff" + t),
    "spaces": ("components.csv", lambda t: t.replace(",part", ", part ", 3)
               .replace("\n", " \n", 2)),
    "decimal commas": ("sourcing.csv", lambda t: t.replace(",1.0,", ',"1,0",', 2)
                       .replace(",1,", ",1%,", 1)),
    "NA and zeros": ("nations.csv", lambda t: t + "NA,Namibia,neutral\n007,Zero,neutral\n"),
    "unicode": ("suppliers.csv", lambda t: t.replace("S", "Ś", 3)
                .replace("Works", "Wor\u00a0ks", 2)),
    "control": ("bom.csv", lambda t: t.replace(",", ",\x0b", 2)),
    "unicode digits": ("sourcing.csv", lambda t: t.replace(",1.0,", ",\u0661,", 2)),
    "header only": ("fielding.csv", lambda t: t.split("\n")[0] + "\n"),
    "huge field": ("suppliers.csv", lambda t: t.replace("Works", "W" * 140_000, 1)),
}


@pytest.fixture(scope="module")
def random_package(tmp_path_factory):
    from riskgraph.io.synthetic import generate_package

    folder = tmp_path_factory.mktemp("random")
    generate_package(folder, nodes=600, seed=3)
    return folder


def test_fast_and_careful_parsers_agree_on_valid_packages(worked_dir, random_package):
    for folder in (worked_dir, REPO / "data" / "allied-defence", random_package):
        fast, careful = _outcome(folder, True), _outcome(folder, False)
        assert fast[0] == careful[0]
        assert fast[1] is not None and fast[1][1] == careful[1][1]
        for name, table in fast[1][0].items():
            pd.testing.assert_frame_equal(table, careful[1][0][name], check_exact=True)


@pytest.mark.parametrize("variant", sorted(HOSTILE))
def test_fast_and_careful_parsers_agree_on_hostile_files(random_package, tmp_path, variant):
    import shutil

    folder = tmp_path / "pkg"
    shutil.copytree(random_package, folder)
    name, change = HOSTILE[variant]
    text = (folder / name).read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text, "the variant must change the file"
    (folder / name).write_text(changed, encoding="utf-8", newline="")
    fast, careful = _outcome(folder, True), _outcome(folder, False)
    assert fast[0] == careful[0]
    assert (fast[1] is None) == (careful[1] is None)
    if fast[1] is not None:
        for key, table in fast[1][0].items():
            pd.testing.assert_frame_equal(table, careful[1][0][key], check_exact=True)


# ------------------------------------------- hostile input, against slow references


_LOOKS = {"A": "\u0410\u0391", "B": "\u0412\u0392", "E": "\u0415\u0395", "O": "\u041e\u039f",
          "o": "\u043e\u03bf", "-": "\u2013\u2212"}


def _random_ids(rng, n: int) -> list[str]:
    """Short ids over a few letters, some with look-alike letters swapped in."""
    ids = []
    for _ in range(n):
        text = "".join(rng.choice("ABEOo-x") for _ in range(rng.randint(1, 3)))
        ids.append("".join(rng.choice(_LOOKS[c]) if c in _LOOKS and rng.random() < 0.3
                           else c for c in text))
    return list(dict.fromkeys(ids))  # distinct: duplicates are another check


@pytest.mark.parametrize("seed", range(12))
def test_look_alike_warnings_match_a_pairwise_comparison(seed):
    """Every id whose skeleton equals an earlier (or any ASCII) id's is warned about, and
    no other: checked against comparing every pair."""
    import random

    import pyarrow as pa

    from riskgraph.io.cells import look_alikes
    from riskgraph.io.characters import skeleton

    rng = random.Random(seed)
    ids = _random_ids(rng, rng.randint(2, 40))
    lines = np.arange(2, len(ids) + 2)
    report = ValidationReport("x")
    look_alikes("t.csv", "id", pa.array(ids), lines, report)
    warned = {i.line for i in report.warnings}
    expected = set()
    for i, a in enumerate(ids):
        if a.isascii():
            continue  # an ASCII id is the original others imitate
        sk = skeleton(a)
        if any(b != a and skeleton(b) == sk and (b.isascii() or j < i)
               for j, b in enumerate(ids)):
            expected.add(i + 2)
    assert warned == expected
    for issue in report.warnings:  # each names the other row, which does look the same
        other_line = int(issue.message.split("on t.csv:")[1].split(":")[0])
        assert skeleton(ids[other_line - 2]) == skeleton(ids[issue.line - 2])
        assert ids[other_line - 2] != ids[issue.line - 2]


@pytest.mark.parametrize("seed", range(10))
def test_bom_depth_limit_matches_the_longest_path(seed, tmp_path, monkeypatch):
    """A BOM is refused for depth exactly when its longest parent->child path has more
    edges than the limit (networkx's longest path as the reference; a small limit)."""
    import random

    import networkx as nx

    import riskgraph.io.checks as checks
    from riskgraph.io.schema import Limits

    rng = random.Random(seed)
    limit = rng.randint(1, 4)
    monkeypatch.setattr(checks, "LIMITS", Limits(max_bom_depth=limit))
    n = rng.randint(2, 9)
    edges = sorted({(f"C{i}", f"C{j}") for i in range(n) for j in range(i + 1, n)
                    if rng.random() < 0.35} | {("P", "C0")})
    comps = ["component_id,name,kind", "P,P,platform"] + [f"C{i},c,part" for i in range(n)]
    pkg = tmp_path / "pkg"
    shutil_copy_worked(pkg)
    write(pkg, "components.csv", "\n".join(comps) + "\n")
    write(pkg, "bom.csv", "parent_id,child_id\n" + "".join(f"{p},{c}\n" for p, c in edges))
    write(pkg, "sourcing.csv", "component_id,supplier_id,share\n" +
          "".join(f"C{i},S_A,1\n" for i in range(n)))
    write(pkg, "fielding.csv", "nation_id,platform_id\nUSA,P\n")
    deep = [i for i in validate_package(pkg).errors if i.code == "bom-too-deep"]
    longest = nx.dag_longest_path_length(nx.DiGraph(edges))
    assert bool(deep) == (longest > limit), (edges, limit)


def shutil_copy_worked(dest: Path) -> None:
    import shutil

    shutil.copytree(REPO / "tests" / "fixtures" / "worked", dest)


@pytest.mark.parametrize("seed", range(10))
def test_shortfall_warnings_name_exactly_the_sourcing_rows(seed, tmp_path):
    """On random packages: one warning per component whose shares sum below 1, on its
    first sourcing.csv row, listing all its rows' lines (a slow reference over the file)."""
    import csv
    import random
    from collections import defaultdict

    from randpkg import write_random_package

    write_random_package(random.Random(seed), tmp_path)
    with open(tmp_path / "sourcing.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by = defaultdict(list)
    for line, row in enumerate(rows, start=2):
        by[row["component_id"]].append((line, float(row["share"])))
    expected = {(v[0][0], k, ", ".join(str(x) for x, _ in v)) for k, v in by.items()
                if sum(s for _, s in v) < 1 - 1e-9}
    report = validate_package(tmp_path)
    found = {(i.line, i.value, i.message.split("(lines ")[1].split(")")[0])
             for i in report.warnings if i.code == "shortfall"}
    assert all(i.file == "sourcing.csv" for i in report.warnings if i.code == "shortfall")
    assert found == expected  # the ten seeds give 20 shortfalls in all
