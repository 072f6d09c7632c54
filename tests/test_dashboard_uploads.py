"""Uploads: only package files are written, only into the private folder, within limits."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest

from riskgraph_dashboard.uploads import (PACKAGE_FILES, UploadLimits, decode_data_url,
                                         extract_upload)

WORKED = Path(__file__).parent / "fixtures" / "worked"


def make_zip(entries) -> bytes:
    """``entries``: name -> bytes, or name -> (bytes, ZipInfo tweaks)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if isinstance(data, tuple):
                data, mode = data
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return buf.getvalue()


def codes(result) -> set[str]:
    return {p["code"] for p in result.problems}


@pytest.fixture
def dest(tmp_path):
    d = tmp_path / "incoming"
    d.mkdir()
    return d


def test_a_zipped_package_folder_is_flattened(dest):
    files = {f"pkg/{p.name}": p.read_bytes() for p in WORKED.glob("*.csv")}
    files["__MACOSX/pkg/._nations.csv"] = b"junk"
    files["pkg/README.txt"] = b"hello"
    r = extract_upload([("pkg.zip", make_zip(files))], dest)
    assert r.ok and sorted(r.written) == sorted(p.name for p in WORKED.glob("*.csv"))
    assert sorted(p.name for p in dest.iterdir()) == sorted(r.written)
    assert codes(r) == {"ignored"}  # README skipped and listed; macOS junk silently


@pytest.mark.parametrize("name", ["../nations.csv", "pkg/../../nations.csv",
                                  "/etc/nations.csv", "C:\\temp\\nations.csv",
                                  "..\\..\\nations.csv"])
def test_zip_slip_is_refused(dest, tmp_path, name):
    r = extract_upload([("evil.zip", make_zip({name: b"x"}))], dest)
    assert not r.ok and "unsafe-path" in codes(r)
    assert not any(dest.iterdir())
    assert not (tmp_path / "nations.csv").exists()


def test_symlinks_are_refused(dest):
    r = extract_upload([("evil.zip", make_zip({"nations.csv": (b"/etc/passwd",
                                                                stat.S_IFLNK | 0o777)}))],
                       dest)
    assert not r.ok and "unsafe-link" in codes(r) and not any(dest.iterdir())


def test_zip_bombs_are_refused_by_ratio_and_by_counting(dest):
    bomb = make_zip({"nations.csv": b"0" * (20 * 2**20)})  # 20 MiB of zeros, ~20 KiB zipped
    r = extract_upload([("bomb.zip", bomb)], dest)
    assert not r.ok and "zip-bomb" in codes(r) and not any(dest.iterdir())
    # a member that lies about its size is stopped while inflating
    limits = UploadLimits(max_file_bytes=1000, max_ratio=10**9)
    liar = bytearray(make_zip({"nations.csv": b"a" * 5000}))
    # patch the declared size (central directory and local header) down to 10 bytes
    cd = liar.rfind(b"PK\x01\x02")
    liar[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    liar[22:26] = (10).to_bytes(4, "little")
    r = extract_upload([("liar.zip", bytes(liar))], dest, limits)
    assert not r.ok and codes(r) & {"zip-bomb", "bad-zip"} and not any(dest.iterdir())


def test_too_many_members_and_too_large_uploads(dest):
    many = make_zip({f"f{i}.txt": b"x" for i in range(300)})
    assert "zip-members" in codes(extract_upload([("many.zip", many)], dest))
    small = UploadLimits(max_upload_bytes=10)
    assert "upload-too-large" in codes(extract_upload([("nations.csv", b"x" * 11)], dest,
                                                      small))
    big = UploadLimits(max_total_bytes=100, max_ratio=10**9)
    r = extract_upload([("p.zip", make_zip({"nations.csv": b"a" * 80,
                                            "suppliers.csv": b"b" * 80}))], dest, big)
    assert "upload-too-large" in codes(r)


def test_duplicates_encryption_and_garbage(dest):
    dup = make_zip({"a/nations.csv": b"x", "b/nations.csv": b"y"})
    assert "duplicate-file" in codes(extract_upload([("d.zip", dup)], dest))
    assert "bad-zip" in codes(extract_upload([("x.zip", b"PK\x03\x04 not a zip")], dest))
    assert "upload-empty" in codes(extract_upload([("x.zip", make_zip({"a.txt": b"x"}))],
                                                  dest))
    enc = bytearray(make_zip({"nations.csv": b"x"}))
    cd = enc.rfind(b"PK\x01\x02")
    enc[cd + 8] |= 0x1  # mark the entry encrypted
    assert "encrypted" in codes(extract_upload([("e.zip", bytes(enc))], dest))


def test_plain_csv_files(dest):
    files = [(p.name, p.read_bytes()) for p in WORKED.glob("*.csv")]
    r = extract_upload(files + [("C:\\Users\\me\\scenarios.toml", b"")], dest)
    assert r.ok and "scenarios.toml" in r.written
    assert set(r.written) <= PACKAGE_FILES
    again = dest.parent / "again"
    again.mkdir()
    assert "duplicate-file" in codes(extract_upload(files + files[:1], again))
    mixed = dest.parent / "mixed"
    mixed.mkdir()
    assert "upload-mixed" in codes(extract_upload(files + [("p.zip", b"")], mixed))


def test_decode_data_url():
    assert decode_data_url("data:text/csv;base64,eA==") == b"x"
    for bad in ("eA==", "data:text/csv,x", "data:text/csv;base64,@@@", 42):
        with pytest.raises(ValueError):
            decode_data_url(bad)
    with pytest.raises(ValueError, match="larger than"):
        decode_data_url("data:a;base64," + "A" * 100, UploadLimits(max_upload_bytes=10))


# ----------------------------------------------------------------------------- intake
# The real child process (spawned), with limits small enough to hit.



@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A package made for these tests (not the sample, whose contents move on)."""
    from riskgraph.io.synthetic import generate_package

    folder = tmp_path_factory.mktemp("generated") / "pkg"
    generate_package(folder, nodes=1500, seed=11)
    return folder


def _files(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.csv"))]


@pytest.fixture
def workspace(tmp_path):
    from riskgraph_dashboard.state import Workspace

    ws = Workspace([WORKED], work_dir=tmp_path / "ws")
    yield ws
    ws.close()


def _intake(**limits):
    from riskgraph_dashboard.intake import Intake

    return Intake(UploadLimits(**limits))


def _nothing_left(ws) -> bool:
    return not any(ws.upload_dir.glob("incoming-*"))


def test_a_package_over_the_node_limit_is_refused_before_analysis(workspace, generated):
    import riskgraph

    nodes = len(riskgraph.load_network(generated).nodes)
    r = _intake(max_nodes=nodes - 1).take(workspace, _files(generated), "big.zip")
    assert r.key is None and r.kind == "error"
    [row] = [p for p in r.problems if p["code"] == "too-many-nodes"]
    assert row["message"] == (f"package too large: {nodes:,} nodes, the limit is "
                              f"{nodes - 1:,} (riskgraph dashboard --max-nodes)")
    assert len(workspace.refs()) == 0 and _nothing_left(workspace)
    ok = _intake(max_nodes=nodes).take(workspace, _files(generated), "sample")
    assert ok.key and ok.kind == "success" and f"{nodes:,} nodes" in ok.text
    assert workspace.ref(ok.key).origin == "upload" and _nothing_left(workspace)


def test_time_and_memory_limits_stop_the_child(workspace, generated):
    slow = _intake(max_seconds=0.3).take(workspace, _files(generated), "x")
    assert slow.key is None and "took longer than 0 s" in slow.text
    fat = _intake(max_memory_bytes=40 * 2**20).take(workspace, _files(generated), "x")
    assert fat.key is None and "needed more than 40 MiB" in fat.text
    assert [p["code"] for p in fat.problems] == ["upload-limit"]
    assert len(workspace.refs()) == 0 and _nothing_left(workspace)


def test_one_upload_at_a_time_and_a_reupload_is_recognised(workspace, generated):
    import threading
    import time

    intake = _intake()
    results = {}
    first = threading.Thread(target=lambda: results.update(
        a=intake.take(workspace, _files(generated), "sample")))
    first.start()
    while not intake.busy and first.is_alive():
        time.sleep(0.01)
    busy = intake.take(workspace, _files(WORKED), "worked")
    assert busy.key is None and busy.title == "Busy"
    first.join(120)
    assert results["a"].kind == "success"
    again = intake.take(workspace, _files(generated), "sample again")
    assert again.key == results["a"].key and again.title == "Already loaded"
    assert "already loaded, as sample" in again.text
    bad = intake.take(workspace, [("nations.csv", b"nation_id,name\nX,\n")], "bad")
    assert bad.key is None and bad.title == "Invalid package" and bad.problems
    assert _nothing_left(workspace)


def test_an_upload_is_seen_by_every_worker_process_of_the_server(tmp_path, generated):
    """Worker processes share the work folder: a package one took in, another finds by
    its content hash; a made-up or climbing key finds nothing."""
    import shutil

    from riskgraph_dashboard.state import InputError, Workspace

    a = Workspace([WORKED], work_dir=tmp_path / "shared")
    b = Workspace([WORKED], work_dir=tmp_path / "shared")
    folder = a.new_upload_folder()
    for p in generated.glob("*.csv"):
        shutil.copy(p, folder / p.name)
    ref = a.add_upload(folder, "sample.zip")
    seen = b.ref(ref.key)
    assert (seen.key, seen.name, seen.path, seen.origin) == (ref.key, "sample.zip", ref.path,
                                                             "upload")
    assert b.get(ref.key).network is not None
    for bad in ("0" * 64, "../" + ref.key, ref.key.upper(), ref.key + ".json"):
        with pytest.raises(InputError):
            b.ref(bad)


def test_the_stages_of_an_upload_are_reported(workspace, tmp_path, generated):
    """In order, with the node count once known; and live, for a page to poll."""
    import threading
    import time

    import riskgraph
    from riskgraph_dashboard.intake import check_package

    heard = []
    (tmp_path / "x").mkdir()
    out = check_package(str(tmp_path / "x"), _files(generated), UploadLimits(),
                        lambda stage, **facts: heard.append((stage, facts)))
    nodes = len(riskgraph.load_network(generated).nodes)
    assert out["ok"] and heard == [("extracting", {}), ("validating", {}),
                                   ("analysing", {"nodes": nodes})]
    intake = _intake()
    assert intake.progress() is None
    seen, done = [], threading.Event()
    t = threading.Thread(target=lambda: (intake.take(workspace, _files(generated), "s"),
                                         done.set()))
    t.start()
    while not done.is_set():
        now = intake.progress()
        if now is not None:
            seen.append(now)
        time.sleep(0.01)
    t.join()
    assert seen and seen[0]["stage"] == "starting" and seen[-1]["seconds"] >= 0
    stages = [s["stage"] for s in seen]
    assert stages == sorted(stages, key=["starting", "extracting", "validating",
                                         "analysing"].index)  # never backwards
    assert intake.progress() is None
