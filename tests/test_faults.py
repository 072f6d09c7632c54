"""Faults from outside: kills, Ctrl-C, SIGTERM, I/O errors, full and read-only disks
(docs/design.md §5).

Each fault is real: ``strace --inject`` makes the N-th write, fsync, mkdir, link, rename,
exchange or clean-up unlink of a ``riskgraph analyse|whatif|montecarlo`` process fail with
EIO or delivers SIGKILL, SIGINT or SIGTERM right there; RLIMIT_FSIZE and a tiny tmpfs fill
the disk; a read-only remount and a root stripped of CAP_DAC_OVERRIDE deny writing. After
every fault the output folder holds exactly the previous export (byte for byte, with a file
of the user's) or exactly the complete new one, the exit code is the documented one with a
one-line message, and the next run sweeps whatever the fault left beside the folder.

strace is required (installed by .ci/run): without it these tests fail, they do not skip.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from riskgraph.errors import EXIT_INTERRUPTED, EXIT_IO, EXIT_TERMINATED, EXIT_USAGE
from riskgraph.io.export import check_output_dir

HERE = Path(__file__).parent
WORKED = HERE / "fixtures" / "worked"
SAMPLE = HERE.parent / "data" / "allied-defence"
SCENARIOS = HERE / "fixtures" / "scenarios" / "worked.toml"
STRACE = shutil.which("strace")
#: The syscalls a fault is injected into: every step of writing and swapping a set.
SYSCALLS = ("write", "fsync", "mkdir", "linkat", "rename", "renameat2", "unlinkat", "rmdir")
#: By default the first and last syscall of each phase (writing the temp files, fsyncing
#: them, the folder, the swap, the clean-up ...); RISKGRAPH_ALL_FAULTS=1 tries every one
#: (about 40 per command and fault: minutes, not seconds).
ALL_POINTS = os.environ.get("RISKGRAPH_ALL_FAULTS") == "1"

#: Each command on the worked example: its new export, and a different previous one.
COMMANDS = {
    "analyse": (["analyse", WORKED, "--no-cache"], ["analyse", SAMPLE, "--no-cache"]),
    "whatif": (["whatif", WORKED, "--scenarios", SCENARIOS],
               ["whatif", WORKED, "--fail", "supplier:S_A"]),
    "montecarlo": (["montecarlo", WORKED, "--trials", "300", "--seed", "1", "--no-progress"],
                   ["montecarlo", WORKED, "--trials", "100", "--seed", "2", "--no-progress"]),
}


def riskgraph(*args) -> list[str]:
    return [sys.executable, "-m", "riskgraph", *map(str, args)]


def run(cmd, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, **kw)


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def without_time(state: dict[str, bytes]) -> dict:
    """A snapshot with the manifest parsed and its timestamp dropped."""
    out = dict(state)
    if "manifest.json" in out:
        manifest = json.loads(out.pop("manifest.json"))
        manifest.pop("created_utc")
        out["manifest"] = manifest
    return out


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.rglob("*") if ".riskgraph-" in p.name)


def require_strace():
    if STRACE is None:
        pytest.fail("strace is not installed (.ci/run installs it): the fault-injection "
                    "tests cannot run")


@dataclass(frozen=True)
class Point:
    """One syscall of a clean run: what it is, its 1-based count among its kind, its phase."""
    syscall: str
    when: int
    phase: str


@dataclass
class Case:
    """One command in a scratch folder: the previous export, the expected new one."""
    name: str
    root: Path
    old: dict
    new: dict

    @property
    def argv(self) -> list[str]:
        return [*riskgraph(*COMMANDS[self.name][0]), "--out", self.out]

    @property
    def out(self) -> Path:
        return self.root / "out"

    def fresh(self, tag: str) -> Path:
        """A scratch copy of the previous export (with the user's notes.txt)."""
        folder = Path(tempfile.mkdtemp(prefix=f"{tag}-", dir=self.root))
        shutil.copytree(self.root / "old", folder / "out", symlinks=True)
        return folder / "out"

    def check(self, out: Path) -> str:
        """Whether ``out`` holds the previous set or the new one; fails on anything else."""
        state = snapshot(out)
        if state == self.old:
            return "old"
        assert without_time(state) == self.new, f"{out} holds a mix of old and new files"
        return "new"


def _phase(line: str) -> str:
    if "probe-" in line:
        return "pre-flight"
    if line.startswith(("write(1", "write(2")):
        return "stdout"
    if line.startswith(("rename", "linkat")):
        return "swap" if line.startswith("rename") else "carry-over"
    if ".riskgraph-tmp-" not in line:
        return "fsync-parent" if line.startswith("fsync") else "other"
    if line.startswith(("unlinkat", "rmdir")):
        return "clean-up"
    if line.startswith("fsync") and re.search(r"riskgraph-tmp-\w+>\)", line):
        return "fsync-folder"
    return {"write": "temp-write", "fsync": "temp-fsync", "mkdir": "temp-folder"}.get(
        line.split("(")[0], "other")


def trace_points(case: Case, out: Path) -> list[Point]:
    """Run the command cleanly under strace; every traced syscall of its main thread."""
    log = out.parent / "trace"
    res = run([STRACE, "-qq", "-y", "-o", log, "-e", f"trace={','.join(SYSCALLS)}",
               *case.argv[:-1], out])
    assert res.returncode == 0, res.stderr
    counts: dict[str, int] = {}
    points = []
    for line in log.read_text().splitlines():
        syscall = line.split("(")[0]
        counts[syscall] = counts.get(syscall, 0) + 1
        points.append(Point(syscall, counts[syscall], _phase(line)))
    return points


def inject(case: Case, out: Path, point: Point, fault: str) -> subprocess.CompletedProcess:
    action = "error=EIO" if fault == "EIO" else f"signal={fault}"
    return run([STRACE, "-qq", "-o", "/dev/null", "-e", f"trace={point.syscall}",
                "-e", f"inject={point.syscall}:{action}:when={point.when}",
                *case.argv[:-1], out])


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, Case]:
    """For each command: the previous export (another run, plus a user file) and the new."""
    require_strace()
    made = {}
    for name, (new_args, old_args) in COMMANDS.items():
        root = tmp_path_factory.mktemp(name)
        for tag, args in (("old", old_args), ("new", new_args)):
            res = run([*riskgraph(*args), "--out", root / tag])
            assert res.returncode == 0, res.stderr
        (root / "old" / "notes.txt").write_bytes(b"the user's own file\n")
        new = without_time(snapshot(root / "new"))
        new["notes.txt"] = b"the user's own file\n"
        made[name] = Case(name, root, snapshot(root / "old"), new)
        assert made[name].old != snapshot(root / "new")
    return made


EXPECTED_EXIT = {"EIO": (0, EXIT_IO), "KILL": (-signal.SIGKILL,),
                 "INT": (EXIT_INTERRUPTED, 0), "TERM": (EXIT_TERMINATED, 0)}


def _one_fault(case: Case, point: Point, fault: str, tag: str) -> tuple[str, str]:
    out = case.fresh(tag)
    res = inject(case, out, point, fault)
    where = f"{case.name}: {fault} at {point}"
    assert res.returncode in EXPECTED_EXIT[fault], f"{where}: exit {res.returncode}\n{res.stderr}"
    if res.returncode > 0:
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"riskgraph {case.name}: "), \
            f"{where}: not one line:\n{res.stderr}"
        assert "Traceback" not in res.stderr
    outcome = case.check(out)
    if fault == "EIO" and res.returncode != 0:
        # a run that reports an I/O error did not swap in the new set, unless the error
        # came after the swap (syncing the parent folder, printing the summary)
        assert outcome == "old" or point.phase in ("fsync-parent", "stdout"), where
    check_output_dir(out)  # what the next run does first: sweep
    assert leftovers(out.parent) == [], f"{where}: not swept"
    assert case.check(out) == outcome
    return point.phase, outcome


def by_phase(points: list[Point], every: bool = ALL_POINTS) -> list[Point]:
    """Every point, or the first and the last of each phase."""
    if every:
        return points
    phases: dict[str, list[Point]] = {}
    for point in points:
        phases.setdefault(point.phase, []).append(point)
    return [p for group in phases.values() for p in dict.fromkeys([group[0], group[-1]])]


def _sweep_points(case: Case, faults_for) -> set[tuple[str, str, str]]:
    points = by_phase(trace_points(case, case.fresh("trace")))
    jobs = [(p, f) for p in points for f in faults_for(p)]
    assert {p.phase for p, _ in jobs} >= {"temp-folder", "temp-write", "temp-fsync",
                                          "fsync-folder", "swap", "clean-up"}
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda j: (j[1], *_one_fault(case, j[0], j[1],
                                                              f"{j[1]}-{j[0].syscall}-"
                                                              f"{j[0].when}")), jobs))
    return set(results)


def test_analyse_any_kill_or_io_error_leaves_the_old_set_or_the_new_one(cases):
    """SIGKILL and EIO at writes, fsyncs, mkdirs, links, the exchange and clean-up unlinks
    of ``riskgraph analyse`` (first and last of each phase; all with
    RISKGRAPH_ALL_FAULTS=1): never a mix."""
    def faults(point: Point) -> list[str]:
        if point.phase in ("other", "pre-flight"):
            return []
        return ["KILL", "EIO"] if point.phase != "stdout" else ["EIO"]

    results = _sweep_points(cases["analyse"], faults)
    kinds = {(fault, outcome) for fault, _phase, outcome in results}
    assert {("KILL", "old"), ("KILL", "new"), ("EIO", "old"), ("EIO", "new")} <= kinds


#: (phase, fault) pairs tried on each command: every phase of writing a set, every fault.
PHASE_FAULTS = {
    "analyse": [("temp-write", "INT"), ("swap", "INT"), ("clean-up", "INT"),
                ("temp-fsync", "TERM"), ("swap", "TERM"), ("clean-up", "TERM")],
    "whatif": [("temp-write", "KILL"), ("temp-fsync", "EIO"), ("fsync-folder", "INT"),
               ("swap", "KILL"), ("swap", "TERM"), ("clean-up", "EIO"), ("clean-up", "INT")],
    "montecarlo": [("temp-folder", "EIO"), ("temp-write", "TERM"), ("temp-fsync", "KILL"),
                   ("swap", "EIO"), ("swap", "INT"), ("clean-up", "KILL"),
                   ("stdout", "EIO")],
}


@pytest.mark.parametrize("command", ["analyse", "whatif", "montecarlo"])
def test_signals_and_errors_in_each_phase_leave_a_whole_set(cases, command):
    """SIGINT, SIGTERM, SIGKILL and EIO at the first syscall of each phase of writing the
    set (temp folder, temp files, fsyncs, the swap, the clean-up, the summary): exit 130,
    143 or 4 with one line, and a whole set."""
    case = cases[command]
    firsts: dict[str, Point] = {}
    for point in trace_points(case, case.fresh("trace")):
        firsts.setdefault(point.phase, point)
    jobs = [(firsts[phase], fault) for phase, fault in PHASE_FAULTS[command]]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda j: _one_fault(case, j[0], j[1],
                                                     f"{j[1]}-{j[0].syscall}-{j[0].when}"),
                                jobs))
    assert {outcome for _, outcome in results} == {"old", "new"}


def test_the_next_real_run_sweeps_what_a_kill_left(cases):
    """After a kill in the clean-up (the old set still beside the folder under its temp
    name), the next ``riskgraph analyse`` removes it and writes the new set."""
    case = cases["analyse"]
    cleanup = [p for p in trace_points(case, case.fresh("trace"))
               if p.phase == "clean-up"][0]
    out = case.fresh("kill-then-rerun")
    assert inject(case, out, cleanup, "KILL").returncode == -signal.SIGKILL
    assert leftovers(out.parent)  # the old set, aside
    assert case.check(out) == "new"
    res = run([*case.argv[:-1], out])
    assert res.returncode == 0, res.stderr
    assert leftovers(out.parent) == [] and case.check(out) == "new"


# --------------------------------------------------------------------------- full disk


def _limit_file_size(limit: int):
    def preexec():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return preexec


@pytest.mark.parametrize("command", ["analyse", "whatif", "montecarlo"])
def test_a_file_size_limit_is_a_clean_error_and_keeps_the_old_set(cases, command):
    """RLIMIT_FSIZE (``ulimit -f``) below the largest output: EFBIG, exit 4, one line, the
    previous set intact and no temp folder left."""
    case = cases[command]
    out = case.fresh("fsize")
    biggest = max(len(v) for k, v in case.new.items() if isinstance(v, bytes))
    res = run([*case.argv[:-1], out], preexec_fn=_limit_file_size(biggest // 2))
    assert res.returncode == EXIT_IO, res.stderr
    assert res.stderr.strip().splitlines() == [
        line for line in res.stderr.strip().splitlines()
        if "file too large for the limit" in line and line.startswith(f"riskgraph {command}")]
    assert case.check(out) == "old" and leftovers(out.parent) == []


@pytest.fixture
def tmpfs(tmp_path):
    """A 4 MiB tmpfs mounted in tmp_path (the container must allow mount)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=755", "tmpfs", mnt],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"mount not permitted here ({res.stderr.strip()}); the RLIMIT_FSIZE "
                    "tests cover a full disk")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], check=False)


def test_a_full_disk_is_a_clean_error_and_keeps_the_old_set(cases, tmpfs):
    """The previous export, then a filler file up to the last byte: the new export's first
    table cannot be written (ENOSPC), exit 4 with one line naming it."""
    case = cases["analyse"]
    shutil.copytree(case.root / "old", tmpfs / "out")
    with open(tmpfs / "filler", "wb", buffering=0) as fh, \
            pytest.raises(OSError, match="No space"):
        while True:
            fh.write(b"x" * 4096)
    res = run([*case.argv[:-1], tmpfs / "out"])
    assert res.returncode == EXIT_IO, res.stderr
    assert re.fullmatch(rf"riskgraph analyse: error: '{re.escape(str(tmpfs / 'out'))}/"
                        r"\w+\.csv': disk full \(no space left on device\)\n", res.stderr)
    assert case.check(tmpfs / "out") == "old" and leftovers(tmpfs) == []


def test_a_read_only_disk_fails_before_the_analysis(cases, tmpfs, tmp_path):
    case = cases["analyse"]
    shutil.copytree(case.root / "old", tmpfs / "out")
    subprocess.run(["mount", "-o", "remount,ro", tmpfs], check=True)
    log = tmp_path / "trace"
    res = run([STRACE or "strace", "-qq", "-f", "-o", log, "-e", "trace=openat",
               *case.argv[:-1], tmpfs / "out"])
    assert res.returncode == EXIT_IO, res.stderr
    assert res.stderr.strip() == (f"riskgraph analyse: error: '{tmpfs / 'out'}': "
                                  "read-only file system")
    assert "nations.csv" not in log.read_text()  # refused before reading the package
    assert case.check(tmpfs / "out") == "old"


def test_an_unwritable_folder_fails_before_the_analysis(cases, tmp_path):
    """A 0555 folder (for root: with CAP_DAC_OVERRIDE dropped by setpriv): EACCES, exit 4,
    before the package is read."""
    case = cases["whatif"]
    out = case.fresh("ro")
    out.chmod(0o555)
    drop = []
    if os.geteuid() == 0:  # root writes anywhere unless the override is dropped
        setpriv = shutil.which("setpriv")
        assert setpriv, "setpriv (util-linux) is needed to drop root's override"
        drop = [setpriv, "--bounding-set", "-dac_override,-dac_read_search", "--"]
    res = run([*drop, *case.argv[:-1], out])
    assert res.returncode == EXIT_IO, res.stderr
    assert res.stderr.strip() == f"riskgraph whatif: error: '{out}': permission denied"
    assert res.stdout == "" and case.check(out) == "old"


@pytest.mark.parametrize("where", ["file", "under-a-file"])
def test_a_file_where_the_folder_should_be_is_a_usage_error(cases, tmp_path, where):
    target = tmp_path / "taken"
    target.write_bytes(b"mine")
    out = target if where == "file" else target / "out"
    res = run(riskgraph("montecarlo", WORKED, "--trials", "10", "--out", out))
    assert res.returncode == EXIT_USAGE
    assert len(res.stderr.strip().splitlines()) == 1 and "not a folder" in res.stderr
    assert target.read_bytes() == b"mine"


def test_generate_checks_its_folder_first(tmp_path):
    target = tmp_path / "taken"
    target.write_bytes(b"mine")
    res = run(riskgraph("generate", "--nodes", "200", "--out", target / "pkg"))
    assert res.returncode == EXIT_USAGE and "not a folder" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_generate_on_a_full_disk_is_one_line_and_exit_4(tmp_path):
    """``riskgraph generate`` under a file size limit: exit 4 and one line, no traceback,
    and the folder as it was: nothing at all for a new one, the previous package for one
    generate wrote before (built beside it and swapped in whole)."""
    pkg = tmp_path / "pkg"
    res = run(riskgraph("generate", "--nodes", "400", "--out", pkg),
              preexec_fn=_limit_file_size(4096))
    assert res.returncode == EXIT_IO, res.stderr
    assert res.stderr == (f"riskgraph generate: error: '{pkg}': file too large "
                          "for the limit (ulimit -f)\n")
    assert sorted(os.listdir(tmp_path)) == []
    assert run(riskgraph("generate", "--nodes", "300", "--seed", "1", "--out", pkg)
               ).returncode == 0
    (pkg / "notes.txt").write_text("mine")
    before = {p.name: p.read_bytes() for p in pkg.iterdir()}
    res = run(riskgraph("generate", "--nodes", "400", "--seed", "2", "--out", pkg),
              preexec_fn=_limit_file_size(4096))
    assert res.returncode == EXIT_IO, res.stderr
    assert {p.name: p.read_bytes() for p in pkg.iterdir()} == before
    assert sorted(os.listdir(tmp_path)) == ["pkg"]
    assert run(riskgraph("generate", "--nodes", "400", "--seed", "2", "--out", pkg)
               ).returncode == 0
    assert (pkg / "notes.txt").read_text() == "mine"
    assert (pkg / "sourcing.csv").read_bytes() != before["sourcing.csv"]


# --------------------------------------------------------------------------- Ctrl-C


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_and_sigterm_mid_run_exit_cleanly(cases, sig):
    """A signal while Monte Carlo runs: exit 130 (SIGINT) or 143 (SIGTERM), one line on
    stderr, the previous set intact, nothing left over."""
    case = cases["montecarlo"]
    out = case.fresh(f"signal-{sig}")
    proc = subprocess.Popen([*riskgraph("montecarlo", SAMPLE, "--trials", "50000000",
                                        "--no-progress"), "--out", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    busy = psutil.Process(proc.pid)
    while busy.cpu_times().user < 2.0:  # past imports, reading, model building: sampling
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    want = EXIT_INTERRUPTED if sig == signal.SIGINT else EXIT_TERMINATED
    assert proc.returncode == want, stderr
    what = "interrupted" if sig == signal.SIGINT else "terminated (SIGTERM)"
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"riskgraph montecarlo: {what}"), stderr
    assert case.check(out) == "old" and leftovers(out.parent) == []


# --------------------------------------------------------------------------- inputs


@pytest.mark.parametrize("command", ["analyse", "whatif", "montecarlo"])
def test_inputs_are_opened_read_only_and_left_unchanged(cases, tmp_path, command):
    case = cases[command]
    inputs = [WORKED, SCENARIOS]
    before = {p: p.read_bytes() for folder in inputs
              for p in ([folder] if folder.is_file() else folder.iterdir())}
    log = tmp_path / "trace"
    res = run([STRACE or "strace", "-qq", "-f", "-o", log, "-e", "trace=openat,open,creat,"
               "truncate,unlink,unlinkat,rename,renameat2", *case.argv[:-1], tmp_path / "o"])
    assert res.returncode == 0, res.stderr
    touched = [line for line in log.read_text().splitlines()
               if str(WORKED.resolve()) in line or str(WORKED) in line or "worked.toml" in line]
    assert any("nations.csv" in line for line in touched)
    for line in touched:
        assert line.split()[1].startswith(("openat(", "open(")), line
        assert "O_RDONLY" in line and not re.search(r"O_WRONLY|O_RDWR|O_CREAT|O_TRUNC", line)
    assert {p: p.read_bytes() for p in before} == before


# --------------------------------------------------------------------------- main()


def _main_with(monkeypatch, capsys, action) -> tuple[int, list[str]]:
    """Run ``riskgraph analyse`` in process with the pre-flight replaced by ``action``."""
    from riskgraph.cli import main
    from riskgraph.io import export

    monkeypatch.setattr(export, "check_output_dir", lambda *a, **k: action())
    code = main(["analyse", str(WORKED), "--out", "unused", "--no-cache"])
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize("errno_, reason", [
    (28, "disk full (no space left on device)"),
    (27, "file too large for the limit (ulimit -f)"),
    (30, "read-only file system"),
    (13, "permission denied"),
    (5, "input/output error (failing disk or storage)"),
    (122, "disk quota exceeded"),
])
def test_main_turns_an_os_error_into_one_line_and_exit_4(monkeypatch, capsys, errno_, reason):
    def fail():
        raise OSError(errno_, os.strerror(errno_), "out/spof.csv")

    code, err = _main_with(monkeypatch, capsys, fail)
    assert code == EXIT_IO == 4
    assert err == [f"riskgraph analyse: error: 'out/spof.csv': {reason}"]


def test_main_turns_ctrl_c_into_130_and_sigterm_into_143(monkeypatch, capsys):
    def ctrl_c():
        raise KeyboardInterrupt

    code, err = _main_with(monkeypatch, capsys, ctrl_c)
    assert code == EXIT_INTERRUPTED == 130
    assert len(err) == 1 and err[0].startswith("riskgraph analyse: interrupted")

    def sigterm():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises long before this ends
        raise AssertionError("SIGTERM did not stop the command")

    before = signal.getsignal(signal.SIGTERM)
    code, err = _main_with(monkeypatch, capsys, sigterm)
    assert code == EXIT_TERMINATED == 143
    assert len(err) == 1 and err[0].startswith("riskgraph analyse: terminated (SIGTERM)")
    assert signal.getsignal(signal.SIGTERM) is before  # restored after the command
