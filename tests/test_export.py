"""Tests of riskgraph.io.export: formula neutralising, CSV bytes, atomic folder writes."""

from __future__ import annotations

import csv
import datetime as dt
import fcntl
import hashlib
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskgraph import __version__, read_package
from riskgraph.io import export, outdir
from riskgraph.errors import UsageError
from riskgraph.io.export import (FORMULA_TRIGGERS, MANIFEST_NAME, check_output_dir,
                                 neutralize_formulas, to_csv_bytes, write_outputs)


def read_back(data: bytes, **kwargs) -> pd.DataFrame:
    # pandas >= 3 parses floats exactly by default (older pandas: float_precision="round_trip").
    return pd.read_csv(io.BytesIO(data), keep_default_na=False, na_values=[""], **kwargs)


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".riskgraph-tmp-" in p.name)


@pytest.fixture
def package(worked_dir):
    return read_package(worked_dir)


@pytest.fixture
def tables():
    return {
        "spof.csv": pd.DataFrame({"supplier_id": ["S1", "=HYPERLINK(\"x\")"],
                                  "loss_fraction": [0.1 + 0.2, -1.0]}),
        "pairs.csv": pd.DataFrame({"x": ["a", "b", "c"], "n": [1, -2, 3]}),
    }


# --------------------------------------------------------------------------- neutralising


@pytest.mark.parametrize("trigger", FORMULA_TRIGGERS)
def test_each_trigger_is_prefixed(trigger):
    df = pd.DataFrame({"note": [f"{trigger}cmd|' /C calc'!A0", "plain"]})
    out = neutralize_formulas(df)
    assert out["note"].tolist() == [f"'{trigger}cmd|' /C calc'!A0", "plain"]
    back = read_back(to_csv_bytes(df))
    assert back["note"].tolist() == [f"'{trigger}cmd|' /C calc'!A0", "plain"]


@pytest.mark.parametrize("text", ["a=b", " =1+1", "'=1", "", "x-5", "5", "1e-3", "é=",
                                  "\u00a0=1"])
def test_non_triggers_are_left_alone(text):
    df = pd.DataFrame({"note": [text]}, dtype=object)
    assert neutralize_formulas(df)["note"].tolist() == [text]


def test_numbers_stay_numbers_but_text_numbers_are_prefixed():
    df = pd.DataFrame({
        "int": [-5, 3],
        "float": [-0.5, np.nan],
        "flag": [True, False],
        "nullable": pd.array([-1, None], dtype="Int64"),
        "text": ["-5", "+3"],
        "mixed": [-7, "-7"],  # object column: only the str cell is text
    })
    out = neutralize_formulas(df)
    assert out["int"].tolist() == [-5, 3] and out["int"].dtype == np.int64
    assert out["float"].iloc[0] == -0.5 and np.isnan(out["float"].iloc[1])
    assert out["flag"].tolist() == [True, False] and out["flag"].dtype == bool
    assert out["nullable"].iloc[0] == -1 and out["nullable"].isna().iloc[1]
    assert out["text"].tolist() == ["'-5", "'+3"]
    assert out["mixed"].tolist() == [-7, "'-7"]

    data = to_csv_bytes(df)
    assert data.splitlines()[1] == b"-5,-0.5,True,-1,'-5,-7"
    back = read_back(data)
    assert back["int"].tolist() == [-5, 3]
    assert back["flag"].dtype == bool
    assert back["text"].tolist() == ["'-5", "'+3"]


def test_missing_values_stay_empty():
    df = pd.DataFrame({"s": ["=a", None, np.nan, "b"], "o": pd.Series([None, "@x", 1, pd.NA],
                                                                       dtype=object)})
    out = neutralize_formulas(df)
    assert out["s"].iloc[0] == "'=a" and out["s"].isna().tolist() == [False, True, True, False]
    assert out["o"].iloc[0] is None and out["o"].iloc[3] is pd.NA
    assert out["o"].iloc[1] == "'@x" and out["o"].iloc[2] == 1
    assert to_csv_bytes(df).decode().splitlines()[1:] == ["'=a,", ",'@x", ",1", "b,"]


def test_dtypes_and_input_are_preserved():
    df = pd.DataFrame({"s": ["=a", "b"], "o": pd.Series(["=a", "b"], dtype=object),
                       "c": pd.Categorical(["=a", "'=a"])})
    before = df.copy()
    out = neutralize_formulas(df)
    pd.testing.assert_frame_equal(df, before)  # the caller's table is untouched
    assert out["s"].dtype == df["s"].dtype
    assert out["o"].dtype == object
    # Prefixing "=a" would collide with the existing category "'=a": object it is.
    assert out["c"].tolist() == ["'=a", "'=a"]


def test_labels_are_neutralised():
    df = pd.DataFrame({"=extra": ["v"], "ok": [1]}, index=pd.Index(["-S1"], name="@id"))
    out = neutralize_formulas(df)
    assert list(out.columns) == ["'=extra", "ok"]
    assert list(out.index) == ["'-S1"] and out.index.name == "'@id"
    assert to_csv_bytes(df, index=True).decode() == "'@id,'=extra,ok\n'-S1,v,1\n"
    assert to_csv_bytes(df).decode() == "'=extra,ok\nv,1\n"

    multi = pd.DataFrame({"v": [1, 2]}, index=pd.MultiIndex.from_tuples(
        [("=a", 1), ("b", -2)], names=["k", "n"]))
    assert to_csv_bytes(multi, index=True).decode() == "k,n,v\n'=a,1,1\nb,-2,2\n"


def test_index_name_clash_is_a_usage_error():
    df = pd.DataFrame({"id": [1]}, index=pd.Index(["a"], name="id"))
    with pytest.raises(UsageError, match="index"):
        to_csv_bytes(df, index=True)


def test_not_a_dataframe_is_refused():
    with pytest.raises(UsageError, match="DataFrame"):
        neutralize_formulas(pd.Series([1]))


# --------------------------------------------------------------------------- CSV bytes


def test_round_trip_through_read_csv():
    df = pd.DataFrame({
        "component_id": ["C1", "Zürich-ü", "東京", "a,b", 'q"uote', "line\nbreak"],
        "share": [0.1 + 0.2, 1 / 3, 1e-300, 123456789.123456789, -2.5e17, 0.0],
        "count": [0, -1, 2, 3, 4, 5],
        "up": [True, False, True, True, False, True],
    })
    data = to_csv_bytes(df)
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" not in data and data.endswith(b"\n")
    pd.testing.assert_frame_equal(read_back(data), df, check_dtype=False)
    back = read_back(data)
    assert back["share"].tolist() == df["share"].tolist()  # bit-exact floats
    assert back["up"].dtype == bool and back["count"].dtype == np.int64


def test_csv_bytes_are_deterministic():
    rng = np.random.default_rng(7)
    df = pd.DataFrame({"x": rng.random(200), "s": [f"=s{i}" for i in range(200)]})
    assert to_csv_bytes(df) == to_csv_bytes(df.copy()) == to_csv_bytes(df)


# --------------------------------------------------------------------------- write_outputs


def test_write_outputs_writes_tables_and_manifest(tmp_path, tables, package, worked_dir):
    params = {
        "horizon_days": np.float64(365.0),
        "trials": np.int64(1000),
        "allied": np.bool_(True),
        "scenario": Path("scen") / "a.toml",
        "failed": ("nation:RUS", "supplier:S1"),
        "nations": {"USA", "DEU", "FRA"},
        "weights": np.array([0.5, 0.25]),
        "limit": float("inf"),
        "when": dt.date(2024, 1, 2),
    }
    out = write_outputs(tmp_path / "a" / "b", tables, command="riskgraph analyse",
                        package=package, parameters=params, seed=np.int64(42))
    assert out == tmp_path / "a" / "b"
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "pairs.csv", "spof.csv"]
    assert (out / "spof.csv").read_bytes() == to_csv_bytes(tables["spof.csv"])

    def strict(name):
        raise ValueError(f"non-standard JSON constant {name}")

    manifest = json.loads((out / MANIFEST_NAME).read_text("utf-8"), parse_constant=strict)
    assert manifest["tool"] == "riskgraph"
    assert manifest["version"] == __version__
    assert manifest["command"] == "riskgraph analyse"
    created = dt.datetime.fromisoformat(manifest["created_utc"])
    assert created.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.timezone.utc) - created) < dt.timedelta(minutes=5)
    assert manifest["python"].count(".") == 2
    assert manifest["package_path"] == str(worked_dir.resolve())
    expected_inputs = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                       for p in worked_dir.glob("*.csv")}
    assert manifest["inputs"] == expected_inputs
    assert manifest["seed"] == 42 and type(manifest["seed"]) is int
    assert manifest["parameters"] == {
        "allied": True,
        "failed": ["nation:RUS", "supplier:S1"],
        "horizon_days": 365.0,
        "limit": "inf",
        "nations": ["DEU", "FRA", "USA"],
        "scenario": os.fspath(Path("scen") / "a.toml"),
        "trials": 1000,
        "weights": [0.5, 0.25],
        "when": "2024-01-02",
    }
    assert set(manifest["outputs"]) == {"spof.csv", "pairs.csv"}
    for name, info in manifest["outputs"].items():
        assert info["sha256"] == hashlib.sha256((out / name).read_bytes()).hexdigest()
        assert info["rows"] == len(tables[name])
    assert temp_files(out) == []


def test_manifest_without_package_and_with_dataclass_parameters(tmp_path):
    @dataclass(frozen=True)
    class Weights:
        spof: float = 2.0
        tags: frozenset = frozenset({"b", "a"})

    write_outputs(tmp_path, {}, command="x", parameters={"weights": Weights()})
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text("utf-8"))
    assert manifest["package_path"] is None and manifest["inputs"] == {}
    assert manifest["seed"] is None and manifest["outputs"] == {}
    assert manifest["parameters"] == {"weights": {"spof": 2.0, "tags": ["a", "b"]}}


def test_unrecordable_parameter_writes_nothing(tmp_path, tables):
    out = tmp_path / "out"
    with pytest.raises(UsageError, match=r"parameters\['fn'\].*function"):
        write_outputs(out, tables, command="x", parameters={"fn": lambda: 1})
    assert not out.exists()


def test_outputs_are_deterministic(tmp_path, tables, package):
    a = write_outputs(tmp_path / "a", tables, command="c", package=package, seed=1)
    b = write_outputs(tmp_path / "b", tables, command="c", package=package, seed=1)
    for name in tables:
        assert (a / name).read_bytes() == (b / name).read_bytes()
    ma, mb = (json.loads((d / MANIFEST_NAME).read_text("utf-8")) for d in (a, b))
    ma.pop("created_utc"), mb.pop("created_utc")
    assert ma == mb


def test_unicode_names_survive(tmp_path):
    df = pd.DataFrame({"Zürich_ü": ["Москва", "=日本"], "n": [1, 2]})
    name = "résumé_漢字.csv"
    out = write_outputs(tmp_path / "ñ-out", {name: df}, command="riskgraph what-if «test»")
    back = read_back((out / name).read_bytes())
    assert list(back.columns) == ["Zürich_ü", "n"]
    assert back["Zürich_ü"].tolist() == ["Москва", "'=日本"]
    manifest = json.loads((out / MANIFEST_NAME).read_text("utf-8"))
    assert list(manifest["outputs"]) == [name]
    assert manifest["command"] == "riskgraph what-if «test»"


def test_overwrites_previous_export_completely(tmp_path, tables):
    write_outputs(tmp_path, tables, command="first")
    newer = {"spof.csv": pd.DataFrame({"x": ["short"]})}
    write_outputs(tmp_path, newer, command="second")
    assert (tmp_path / "spof.csv").read_bytes() == b"x\nshort\n"
    manifest = json.loads((tmp_path / MANIFEST_NAME).read_text("utf-8"))
    assert manifest["command"] == "second" and list(manifest["outputs"]) == ["spof.csv"]


# --------------------------------------------------------------------------- all or nothing


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` (recursively) by relative path; folders end in '/'."""
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix() + ("/" if p.is_dir() else ""):
            (b"" if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))}


def tables_of(state: dict[str, bytes]) -> dict[str, bytes]:
    """A snapshot without the manifest's bytes, but with the outputs it lists."""
    manifest = json.loads(state[MANIFEST_NAME]) if MANIFEST_NAME in state else {}
    return {**{k: v for k, v in state.items() if k != MANIFEST_NAME},
            "listed": sorted(manifest.get("outputs", {})), "command": manifest.get("command")}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.rglob("*") if ".riskgraph-" in p.name)


def _old_export(folder: Path, tables) -> dict[str, bytes]:
    write_outputs(folder, tables, command="old")
    return snapshot(folder)


def _new_tables(tables):
    return {name: pd.concat([df, df], ignore_index=True) for name, df in tables.items()}


#: The os calls of a swap (and of its clean-up) that a fault can hit.
STEPS = ("open", "fsync", "mkdir", "rename", "replace", "link", "chmod", "unlink", "rmdir")


class Faults:
    """Make the ``fail_at``-th call of any of STEPS (or of the exchange) raise ``error``."""

    def __init__(self, monkeypatch, fail_at: int, error: BaseException):
        self.calls: list[str] = []
        self.fail_at, self.error = fail_at, error
        for name in STEPS:
            monkeypatch.setattr(outdir.os, name, self._wrap(getattr(os, name), name))
        monkeypatch.setattr(outdir, "exchange_folders",
                            self._wrap(outdir.exchange_folders, "exchange"))

    def _wrap(self, real, name):
        def call(*args, **kwargs):
            self.calls.append(name)
            if len(self.calls) == self.fail_at:
                raise self.error
            return real(*args, **kwargs)
        return call


def _fault_run(out: Path, tables, fail_at: int, error) -> tuple[bool, str]:
    """Write the new set with a fault at call ``fail_at``: (was there such a call, which)."""
    with pytest.MonkeyPatch.context() as mp:
        faults = Faults(mp, fail_at, error)
        try:
            write_outputs(out, _new_tables(tables), command="new")
        except (OSError, KeyboardInterrupt) as exc:
            assert type(exc) is type(error)
        if len(faults.calls) < fail_at:
            return False, "-"
        return True, faults.calls[fail_at - 1]


@pytest.mark.parametrize("exchange", [True, False], ids=["exchange", "rename-aside"])
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()],
                         ids=["ENOSPC", "Ctrl-C"])
def test_a_failure_at_any_step_leaves_the_old_set_or_the_new_one(tmp_path, tables, error,
                                                                 exchange, monkeypatch):
    """Raise at the 1st, 2nd, ... file-system call of write_outputs: the folder holds the
    complete old set (byte for byte, with a file of the user's) or the complete new one, and
    the next run sweeps whatever was left beside it."""
    if not exchange:
        monkeypatch.setattr(outdir, "exchange_folders", lambda a, b: False)
    reference = tmp_path / "reference"
    write_outputs(reference, _new_tables(tables), command="new")
    new = {**tables_of(snapshot(reference)), "notes.txt": b"mine"}
    k, outcomes, hit = 0, set(), True
    while hit:
        k += 1
        out = tmp_path / f"run{k}" / "out"
        out.mkdir(parents=True)
        (out / "notes.txt").write_bytes(b"mine")
        old = _old_export(out, tables)
        hit, step = _fault_run(out, tables, k, error)
        after = snapshot(out)
        if after == old:
            outcomes.add("old")
        else:
            assert tables_of(after) == new, f"a fault at call {k} ({step}) left a mix"
            outcomes.add("new")
        write_outputs(out, tables, command="next")
        assert leftovers(out.parent) == [], f"call {k} ({step}): not swept"
        assert tables_of(snapshot(out)) == {**tables_of(old), "command": "next"}
    assert outcomes == {"old", "new"} and k > 15


def test_a_crash_between_the_fallback_renames_is_undone_by_the_next_run(tmp_path, tables):
    """Where folders cannot be exchanged, the old set is renamed aside first: a kill before
    the new set is renamed in leaves no folder, and the next run (or pre-flight) puts the
    old set back and removes the half-built new one."""
    out = tmp_path / "out"
    old = _old_export(out, tables)
    os.rename(out, tmp_path / ".out.riskgraph-old-0123abcd")
    (tmp_path / ".out.riskgraph-tmp-4567cdef").mkdir()
    (tmp_path / ".out.riskgraph-tmp-4567cdef" / "spof.csv").write_bytes(b"half")
    assert check_output_dir(out) == out.resolve()
    assert snapshot(out) == old and leftovers(tmp_path) == []


def test_a_folder_another_run_is_building_is_not_swept(tmp_path, tables):
    out = tmp_path / "out"
    busy = tmp_path / ".out.riskgraph-tmp-busy"
    busy.mkdir()
    fd = os.open(busy, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        write_outputs(out, tables, command="x")
        assert busy.is_dir()
    finally:
        os.close(fd)
    write_outputs(out, tables, command="y")
    assert not busy.exists()


def test_user_files_survive_and_dropped_outputs_go(tmp_path, tables):
    out = tmp_path / "out"
    write_outputs(out, {**tables, "extra.csv": pd.DataFrame({"a": [1]})}, command="first")
    (out / "notes.txt").write_bytes(b"mine")
    (out / ".hidden").write_bytes(b"also mine")
    os.symlink("notes.txt", out / "link")
    out.chmod(0o750)
    write_outputs(out, tables, command="second")
    assert sorted(os.listdir(out)) == [".hidden", "link", MANIFEST_NAME, "notes.txt",
                                       "pairs.csv", "spof.csv"]
    assert (out / "notes.txt").read_bytes() == b"mine" and os.readlink(out / "link") == "notes.txt"
    assert (out / ".hidden").read_bytes() == b"also mine"
    assert out.stat().st_mode & 0o777 == 0o750
    if os.geteuid() == 0:  # root writing someone else's folder leaves it theirs
        os.chown(out, 65534, 65534)
        write_outputs(out, tables, command="third")
        assert (out.stat().st_uid, out.stat().st_gid) == (65534, 65534)


def test_a_folder_with_subfolders_is_updated_in_place(tmp_path, tables):
    """A swap would have to copy a tree of the user's: such a folder is written file by
    file, the manifest removed first and written last."""
    out = tmp_path / "out"
    (out / "mine").mkdir(parents=True)
    (out / "mine" / "a.txt").write_bytes(b"a")
    inode = out.stat().st_ino
    write_outputs(out, tables, command="x")
    assert out.stat().st_ino == inode
    assert (out / "mine" / "a.txt").read_bytes() == b"a"
    assert sorted(os.listdir(out)) == [MANIFEST_NAME, "mine", "pairs.csv", "spof.csv"]


def test_the_working_directory_is_updated_in_place(tmp_path, tables, monkeypatch):
    out = tmp_path / "out"
    out.mkdir()
    inode = out.stat().st_ino
    monkeypatch.chdir(out)
    write_outputs(".", tables, command="x")
    assert out.stat().st_ino == inode and (out / "spof.csv").exists()


def test_in_place_crash_between_renames_leaves_whole_files_and_no_manifest(tmp_path, tables,
                                                                          monkeypatch):
    out = tmp_path / "out"
    (out / "mine").mkdir(parents=True)
    old = _old_export(out, tables)
    new = _new_tables(tables)
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("simulated crash")
        real_replace(src, dst)

    monkeypatch.setattr(outdir.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="simulated crash"):
        write_outputs(out, new, command="new")
    assert temp_files(out) == []
    for name in tables:  # each table wholly old or wholly new, never a prefix
        assert (out / name).read_bytes() in (old[name], to_csv_bytes(new[name]))
    # The old manifest no longer describes the folder, so it must be gone.
    assert not (out / MANIFEST_NAME).exists()


def test_stale_temp_files_are_removed(tmp_path, tables):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".spof.csv.riskgraph-tmp-deadbeef").write_bytes(b"partial")
    (out / ".manifest.json.riskgraph-tmp-0123").write_bytes(b"{")
    (out / ".keep-me").write_bytes(b"user file")
    (out / "notes.txt").write_bytes(b"user file")
    write_outputs(out, tables, command="x")
    assert temp_files(out) == []
    assert (out / ".keep-me").read_bytes() == (out / "notes.txt").read_bytes() == b"user file"


# --------------------------------------------------------------------------- pre-flight


def test_preflight_creates_nothing_and_accepts_missing_parents(tmp_path):
    assert check_output_dir(tmp_path / "a" / "b") == (tmp_path / "a" / "b").resolve()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["out", "parent"])
def test_preflight_refuses_a_file_where_a_folder_is_needed(tmp_path, where):
    (tmp_path / "f").write_text("x")
    out = tmp_path / "f" if where == "out" else tmp_path / "f" / "out"
    with pytest.raises(UsageError, match="'.*f' exists and is not a folder"):
        check_output_dir(out)


def test_preflight_refuses_the_package_folder(tmp_path, worked_copy):
    with pytest.raises(UsageError, match="input package folder"):
        check_output_dir(worked_copy / "out", package_dir=worked_copy)


def test_preflight_reports_an_unwritable_folder_by_its_name(tmp_path, monkeypatch):
    real_open = os.open

    def read_only(path, flags=0, mode=0o777, **kwargs):
        if flags & os.O_TMPFILE or flags == 0o777:
            raise OSError(30, "Read-only file system", os.fspath(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(outdir.os, "open", read_only)
    monkeypatch.setattr(outdir.os, "mkdir", lambda path, mode=0o777: read_only(path, mode))
    for out in (tmp_path, tmp_path / "new" / "out"):
        with pytest.raises(OSError) as info:
            check_output_dir(out)
        assert info.value.errno == 30 and info.value.filename == os.fspath(out)
    assert list(tmp_path.iterdir()) == []


def test_preflight_falls_back_to_a_probe_folder_without_o_tmpfile(tmp_path, monkeypatch):
    real_open = os.open

    def no_tmpfile(path, flags=0, mode=0o777, **kwargs):
        if flags & os.O_TMPFILE:
            raise OSError(95, "Operation not supported", os.fspath(path))
        return real_open(path, flags, mode, **kwargs)

    monkeypatch.setattr(outdir.os, "open", no_tmpfile)
    assert check_output_dir(tmp_path / "out") == (tmp_path / "out").resolve()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- refusals


def test_refuses_the_package_folder(worked_copy, tables):
    package = read_package(worked_copy)
    before = {p.name: p.read_bytes() for p in worked_copy.iterdir()}
    with pytest.raises(UsageError, match="input package folder"):
        write_outputs(worked_copy, tables, command="x", package=package)
    with pytest.raises(UsageError, match="input package folder"):
        write_outputs(worked_copy, {"nations.csv": tables["spof.csv"]}, command="x",
                      package=package)
    assert {p.name: p.read_bytes() for p in worked_copy.iterdir()} == before


@pytest.mark.parametrize("sub", ["out", "deep/er/out", "out/../x"])
def test_refuses_a_folder_inside_the_package(worked_copy, tables, sub):
    package = read_package(worked_copy)
    with pytest.raises(UsageError, match="inside it"):
        write_outputs(worked_copy / sub, tables, command="x", package=package)
    assert sorted(p.name for p in worked_copy.iterdir()) == sorted(package.sha256)


def test_refuses_the_package_folder_through_a_symlink(tmp_path, worked_copy, tables):
    package = read_package(worked_copy)
    link = tmp_path / "link"
    try:
        link.symlink_to(worked_copy, target_is_directory=True)
    except OSError:  # pragma: no cover - no symlinks on this platform
        pytest.skip("symlinks unavailable")
    with pytest.raises(UsageError, match="input package folder"):
        write_outputs(link / "out", tables, command="x", package=package)
    with pytest.raises(UsageError, match="input package folder"):
        write_outputs(link, tables, command="x", package=package)


def test_refuses_an_output_that_is_an_input_file(tmp_path, worked_copy, tables):
    package = read_package(worked_copy)
    out = tmp_path / "out"
    out.mkdir()
    try:
        (out / "nations.csv").symlink_to(worked_copy / "nations.csv")
    except OSError:  # pragma: no cover
        pytest.skip("symlinks unavailable")
    before = (worked_copy / "nations.csv").read_bytes()
    with pytest.raises(UsageError, match="input file"):
        write_outputs(out, {"nations.csv": tables["spof.csv"]}, command="x", package=package)
    assert (worked_copy / "nations.csv").read_bytes() == before


def test_sibling_folder_is_allowed(worked_copy, tables):
    package = read_package(worked_copy)
    sibling = worked_copy.parent / (worked_copy.name + "-out")  # shares the name prefix
    write_outputs(sibling, tables, command="x", package=package)
    assert (sibling / MANIFEST_NAME).exists()


@pytest.mark.parametrize("name", ["", ".", "..", "../x.csv", "a/b.csv", "a\\b.csv",
                                  ".hidden.csv", "manifest.json", "MANIFEST.json",
                                  " spof.csv", 3])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(UsageError):
        write_outputs(tmp_path / "out", {name: pd.DataFrame()}, command="x")
    assert not (tmp_path / "out").exists()


def test_names_differing_only_in_case_are_refused(tmp_path):
    with pytest.raises(UsageError, match="case"):
        write_outputs(tmp_path, {"a.csv": pd.DataFrame(), "A.csv": pd.DataFrame()},
                      command="x")


def test_bad_tables_write_nothing(tmp_path, tables):
    out = tmp_path / "out"
    with pytest.raises(UsageError, match="DataFrame"):
        write_outputs(out, {**tables, "z.csv": [1, 2]}, command="x")
    with pytest.raises(UsageError, match="mapping"):
        write_outputs(out, tables, command="x", parameters=[("a", 1)])
    assert not out.exists()


def test_out_dir_that_is_a_file_is_refused(tmp_path, tables):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        write_outputs(target, tables, command="x")


def test_carriage_return_inside_text_keeps_rows_intact():
    df = pd.DataFrame({"note": ["a\rb", "c\r\nd", "=e"], "n": [1.5, -2.0, np.nan],
                       "k": [1, 2, 3]})
    data = to_csv_bytes(df)
    back = read_back(data)
    assert back["note"].tolist() == ["a\rb", "c\r\nd", "'=e"]
    assert back["n"].tolist()[:2] == [1.5, -2.0] and np.isnan(back["n"].iloc[2])
    assert back["k"].tolist() == [1, 2, 3]
    assert data.split(b"\n")[1].startswith(b'"a\rb",1.5,1')  # numbers stay unquoted
    # Without a carriage return, quoting is minimal.
    assert to_csv_bytes(df.iloc[2:]).decode() == "note,n,k\n'=e,,3\n"


@pytest.mark.parametrize("seed", range(5))
def test_column_wise_scan_equals_cell_by_cell(seed):
    """The pyarrow scan of text columns finds exactly the cells a Python loop would."""
    import random

    rng = random.Random(seed)
    alphabet = ["=", "+", "-", "@", "\t", "\r", "\n", "a", "1", " ", "é", "'"]
    cells = [None if rng.random() < 0.1 else
             "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4)))
             for _ in range(400)]
    mixed = cells + [5, 2.5]
    for values in (cells, mixed):
        df = pd.DataFrame({"t": pd.Series(values, dtype=object)})
        got = to_csv_bytes(df).decode()
        want_cells = ["'" + v if isinstance(v, str) and v.startswith(export.FORMULA_TRIGGERS)
                      else v for v in values]
        quoting = csv.QUOTE_NONNUMERIC if any(isinstance(v, str) and "\r" in v
                                              for v in values) else csv.QUOTE_MINIMAL
        want = pd.DataFrame({"t": pd.Series(want_cells, dtype=object)}).to_csv(
            index=False, lineterminator="\n", na_rep="", quoting=quoting)
        assert got == want


@pytest.mark.parametrize("seed", range(8))
def test_column_wise_csv_writer_equals_pandas(seed):
    """Plain tables (text, bool, int, float) are joined by pyarrow: the bytes must be
    exactly what pandas writes."""
    import random

    rng = random.Random(seed)
    n = rng.randint(1, 300)
    alphabet = ["a", "Z", " ", ",", '"', "\n", "é", "1", ";", "'", "x"]

    def text():
        return None if rng.random() < 0.15 else \
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))

    floats = [rng.choice([float("nan"), 0.1, 1.0, -0.0, 1e-5, 1e16, 1e300, 5e-324,
                          float("inf"), rng.random(), rng.uniform(-1e12, 1e12)])
              for _ in range(n)]
    df = pd.DataFrame({"s": [text() for _ in range(n)],
                       "b": [rng.random() < 0.5 for _ in range(n)],
                       "i": [rng.randint(-10**12, 10**12) for _ in range(n)],
                       "f": floats,
                       "t": pd.Series([text() for _ in range(n)], dtype="str")})
    safe = neutralize_formulas(df)
    want = safe.to_csv(index=False, lineterminator="\n", na_rep="",
                       quoting=csv.QUOTE_MINIMAL).encode("utf-8")
    assert export.to_csv_bytes(df) == want
    assert export.to_csv_bytes(df.iloc[:, :1]) == safe.iloc[:, :1].to_csv(
        index=False, lineterminator="\n", na_rep="").encode("utf-8")
