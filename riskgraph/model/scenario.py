"""What-if scenarios: which points fail, for how long, and which run at reduced capacity.

A :class:`Scenario` is plain data (docs/design.md §4.6). Build one in code or read many from a TOML
file written by hand::

    [[scenario]]
    name = "China export ban, Radford outage"
    horizon_days = 365                               # optional, default 365
    fail = ["nation:CHN", "supplier:RADFORD"]        # down from day 0 for their recovery_days
    days = { "supplier:RADFORD" = 120 }              # ... unless overridden here (days down)
    capacity = { "supplier:HOLSTON" = 0.5 }          # capacity factor in [0, 1] over the horizon

Failure points are typed ids of nations, suppliers and components (``nation:CHN``,
``supplier:S07``, ``component:TNT``); a nation's failure takes its suppliers with it through
the graph. :func:`read_scenarios` and :func:`check_scenario` gather *every* problem and raise
one :class:`ScenarioError` whose report names the file, the scenario and the key of each.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from riskgraph.errors import UsageError
from riskgraph.io.characters import first_hidden, visible
from riskgraph.io.report import ValidationReport
from riskgraph.io.schema import LIMITS
from riskgraph.model.scenario_toml import (
    ScenarioError, block_lines, key_line, raise_if_errors, scenario_tables, scenario_text,
    too_many,
)

__all__ = [
    "FAILURE_KINDS",
    "Scenario",
    "ScenarioError",
    "check_scenario",
    "read_scenarios",
    "scenario_from_options",
]

#: Kinds of node a scenario may fail or throttle (capabilities only follow).
FAILURE_KINDS = ("nation", "supplier", "component")
#: Keys allowed in one ``[[scenario]]`` table, in the order the docs list them.
SCENARIO_KEYS = ("name", "horizon_days", "fail", "days", "capacity")
DEFAULT_HORIZON_DAYS = 365.0


@dataclass(frozen=True)
class Scenario:
    """One what-if: failed points, their down time, capacity factors and a horizon.

    Parameters
    ----------
    name
        Unique, non-empty label (shown in every result row).
    fail
        Typed ids of failure points (``nation:``, ``supplier:``, ``component:``), down from
        day 0.
    capacity
        Capacity factor in [0, 1] per typed id, applying over the whole horizon (0.5 = half
        output). A factor of exactly 0 for a point not in ``fail`` counts as a failure for
        the whole horizon.
    days
        Days down per failed point (must be in ``fail``); default: the point's
        ``recovery_days`` (supplier 90, nation 365, component 90 unless the data say other).
    horizon_days
        The period the time results cover, ``[0, horizon_days)``.

    Examples
    --------
    >>> s = Scenario("S_A outage", fail=["supplier:S_A"], days={"supplier:S_A": 100})
    >>> s.fail, dict(s.days), s.horizon_days
    (('supplier:S_A',), {'supplier:S_A': 100}, 365.0)
    """

    name: str
    fail: tuple[str, ...] = ()
    capacity: Mapping[str, float] = field(default_factory=dict)
    days: Mapping[str, float] = field(default_factory=dict)
    horizon_days: float = DEFAULT_HORIZON_DAYS

    def __post_init__(self) -> None:
        fail = self.fail
        if isinstance(fail, str):  # one id given bare: a convenience in code
            fail = (fail,)
        if not isinstance(fail, Iterable):
            raise UsageError(f"scenario {self.name!r}: fail must be a list of typed ids, "
                             f"got {type(fail).__name__}")
        object.__setattr__(self, "fail", tuple(fail))
        for key in ("capacity", "days"):
            value = getattr(self, key)
            if not isinstance(value, Mapping):
                raise UsageError(f"scenario {self.name!r}: {key} must be a mapping of typed "
                                 f"id -> number, got {type(value).__name__}")
            object.__setattr__(self, key, MappingProxyType(dict(value)))
        if isinstance(self.horizon_days, (int, float)) and not isinstance(self.horizon_days,
                                                                           bool):
            object.__setattr__(self, "horizon_days", float(self.horizon_days))

    def __hash__(self) -> int:
        return hash((self.name, self.fail, tuple(sorted(self.capacity.items())),
                     tuple(sorted(self.days.items())), self.horizon_days))

    def to_dict(self) -> dict:
        """Plain data (lists and dicts), as in a scenario file; :meth:`from_dict` inverts it.

        >>> s = Scenario("A", fail=["supplier:S_A"], days={"supplier:S_A": 10})
        >>> Scenario.from_dict(s.to_dict()) == s
        True
        """
        return {"name": self.name, "horizon_days": self.horizon_days,
                "fail": list(self.fail), "capacity": dict(self.capacity),
                "days": dict(self.days)}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Scenario":
        """A scenario from :meth:`to_dict`'s form (missing keys take their defaults);
        unknown keys are refused with the valid ones named."""
        unknown = sorted(set(data) - set(SCENARIO_KEYS))
        if unknown:
            raise UsageError(f"unknown scenario key(s) {', '.join(map(repr, unknown))}; "
                             f"valid: {', '.join(SCENARIO_KEYS)}")
        return cls(**dict(data))


# ----------------------------------------------------------------------------- checking


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _is_days(x) -> bool:
    """A duration riskgraph accepts: > 0 and at most ``LIMITS.max_days`` (100 years)."""
    return _is_number(x) and math.isfinite(x) and 0 < x <= LIMITS.max_days


def _label(name, i: int) -> str:
    if isinstance(name, str) and name.strip():
        return f"scenario {name!r} (#{i})"
    return f"scenario #{i}"


def _typed_problem(typed) -> str | None:
    """Why ``typed`` is not a failure-point id, or None when its form is right."""
    if not isinstance(typed, str):
        return f"{typed!r} is not a string; write a typed id like 'supplier:S01'"
    kind, sep, ident = typed.partition(":")
    if not sep or not ident or kind not in FAILURE_KINDS + ("veto",):
        return (f"{typed!r} is not a typed failure-point id; write kind:id with kind one of "
                f"{', '.join(FAILURE_KINDS)} (e.g. nation:CHN, supplier:S07, component:TNT), "
                f"or veto:NATION (docs/design.md §3.4)")
    return None


def _unknown_message(network, typed: str) -> str | None:
    """None when ``typed`` is in the network, else a message with the closest matches."""
    index = network.compiled.index
    if typed in index:
        return None
    if typed.startswith("veto:"):  # a nation's licence refusal (docs/design.md §3.4)
        nation = typed.partition(":")[2]
        if nation in network.package.nations.index:
            return None
        return f"unknown nation {nation!r} ({typed}): a veto names a nation of nations.csv"
    kind, _, ident = typed.partition(":")
    same_kind = [v for v in index if v.startswith(kind + ":")]
    hints = [v for v in same_kind if v.lower() == typed.lower()]
    hints += [v for v in (f"{k}:{ident}" for k in FAILURE_KINDS) if v in index]
    idents = {v.partition(":")[2]: v for v in same_kind}
    hints += [idents[m] for m in difflib.get_close_matches(ident, list(idents), n=3,
                                                           cutoff=0.6)]
    hints = list(dict.fromkeys(hints))[:3]
    if hints:
        hint = f"; did you mean {' or '.join(repr(h) for h in hints)}?"
    else:
        known = sorted(idents)
        shown = ", ".join(known[:8]) + (f", ... ({len(known)} in all)" if len(known) > 8
                                        else "")
        hint = f"; known {kind}s: {shown}" if known else f"; the package has no {kind}s"
    return f"unknown {kind} {ident!r} ({typed}): not in the package{hint}"


def _problems(raw: Mapping, network=None) -> list[tuple[str, object, str]]:
    """Problems of one scenario table as ``(key, value, message)``."""
    out: list[tuple[str, object, str]] = []
    for key in raw:
        if key not in SCENARIO_KEYS:
            out.append((str(key), None, f"unknown key {key!r}; valid keys: "
                                        f"{', '.join(SCENARIO_KEYS)}"))
    name = raw.get("name")
    if "name" not in raw:
        out.append(("name", None, "missing name; every scenario needs a unique name = \"...\""))
    elif not isinstance(name, str) or not name.strip():
        out.append(("name", name, f"name must be a non-empty string, got {name!r}"))
    elif first_hidden(name):
        out.append(("name", name, f"name {visible(name)!r} contains {first_hidden(name)}: "
                                  "control and bidi characters can hide or reorder text on "
                                  "screen; remove it"))
    horizon = raw.get("horizon_days", DEFAULT_HORIZON_DAYS)
    if not _is_days(horizon):
        out.append(("horizon_days", horizon, f"horizon_days must be a number of days > 0 and "
                                             f"<= {LIMITS.max_days:g} (100 years), got "
                                             f"{horizon!r}"))

    def check_id(key, typed) -> bool:
        problem = _typed_problem(typed)
        if problem is None and network is not None:
            problem = _unknown_message(network, typed)
        if problem is not None:
            out.append((key, typed, problem))
        return problem is None

    fail = raw.get("fail", [])
    _fail_problems(fail, check_id, out)
    for key in ("capacity", "days"):
        _table_problems(key, raw.get(key, {}), fail, check_id, out)
    return out


def _fail_problems(fail, check_id, out: list) -> None:
    if isinstance(fail, (str, bytes)) or not isinstance(fail, (list, tuple)):
        out.append(("fail", fail, f"fail must be a list of typed ids like "
                                  f"[\"nation:CHN\", \"supplier:S07\"], got {fail!r}"))
        return
    failed: set = set()
    for typed in fail:
        if check_id("fail", typed):
            if typed in failed:
                out.append(("fail", typed, f"{typed!r} is listed twice"))
            failed.add(typed)


_TABLE_VALUES = {"capacity": "a capacity factor in [0, 1]",
                 "days": f"a number of days > 0 and <= {LIMITS.max_days:g} (100 years)"}


def _table_problems(key: str, table, fail, check_id, out: list) -> None:
    """Problems of the ``capacity`` or ``days`` table (typed id -> number)."""
    what = _TABLE_VALUES[key]
    if not isinstance(table, Mapping):
        out.append((key, table, f"{key} must be a table of typed id = {what}, e.g. "
                                f"{{ \"supplier:S09\" = {0.5 if key == 'capacity' else 120} "
                                f"}}, got {table!r}"))
        return
    fail_is_list = isinstance(fail, (list, tuple))
    listed = {x for x in fail if isinstance(x, str)} if fail_is_list else set()
    for typed, value in table.items():
        check_id(key, typed)
        if key == "capacity":
            ok = _is_number(value) and 0.0 <= value <= 1.0
        else:
            ok = _is_days(value)
        if not ok:
            out.append((key, value, f"{key} of {typed!r} must be {what}, got {value!r}"))
        if key == "days" and isinstance(typed, str) and typed not in listed and fail_is_list:
            out.append((key, typed, f"days given for {typed!r}, which is not in fail; "
                                    f"add it to fail or remove it from days"))


def _raise(report: ValidationReport) -> None:
    raise_if_errors(report)


def check_scenarios(network, scenarios: Iterable[Scenario], *, source: str = "<code>") -> None:
    """Check scenarios built in code (values, ids against ``network``, unique names).

    Raises
    ------
    ScenarioError
        Listing every problem of every scenario.
    """
    report = ValidationReport(source)
    seen: dict[str, int] = {}
    for i, scenario in enumerate(scenarios, start=1):
        if not isinstance(scenario, Scenario):
            raise UsageError(f"expected Scenario objects, got {type(scenario).__name__} "
                             f"(read files with read_scenarios)")
        label = _label(scenario.name, i)
        for key, value, message in _problems(scenario.to_dict(), network):
            report.add("error", "scenario", source, f"{label}, key {key!r}: {message}",
                       column=key,
                       value=None if value is None else str(value))
        if isinstance(scenario.name, str) and scenario.name in seen:
            report.add("error", "scenario", source,
                       f"{label}, key 'name': duplicate name, already used by scenario "
                       f"#{seen[scenario.name]}; names must be unique", column="name",
                       value=scenario.name)
        if isinstance(scenario.name, str):
            seen.setdefault(scenario.name, i)
    _raise(report)


def check_scenario(network, scenario: Scenario) -> None:
    """Check one scenario against ``network``; raises :class:`ScenarioError` if invalid.

    Examples
    --------
    >>> from riskgraph import load_network
    >>> net = load_network("tests/fixtures/worked")
    >>> try:  # doctest: +NORMALIZE_WHITESPACE
    ...     check_scenario(net, Scenario("typo", fail=["supplier:S_AA"]))
    ... except ScenarioError as err:
    ...     print(err.report.errors[0].message)
    scenario 'typo' (#1), key 'fail': unknown supplier 'S_AA' (supplier:S_AA): not in the
    package; did you mean 'supplier:S_A'?
    """
    check_scenarios(network, [scenario])


# ------------------------------------------------------------------------------ reading


def read_scenarios(path, network=None, *, max_scenarios: int | None = None
                   ) -> list[Scenario]:
    """Read every ``[[scenario]]`` of a TOML file.

    Parameters
    ----------
    path
        The TOML file (format in the module docstring): UTF-8, a byte-order mark allowed.
    network
        When given, ids are checked against it, with close-match suggestions.
    max_scenarios
        Refuse a file with more scenarios (default ``LIMITS.max_scenarios``, 1,000).

    Returns
    -------
    list of Scenario
        In file order.

    Raises
    ------
    ScenarioError
        Every problem in the file at once, each with file, line, scenario and key.
    UsageError
        When the file cannot be read.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "s.toml"
    >>> _ = f.write_text('[[scenario]]\\nname = "A down"\\nfail = ["supplier:S_A"]\\n')
    >>> read_scenarios(f)[0].fail
    ('supplier:S_A',)
    """
    path = Path(path)
    source = str(path)
    report = ValidationReport(source)
    text = scenario_text(path, report)
    tables = scenario_tables(text, source, report)
    blocks = block_lines(text)
    limit = LIMITS.max_scenarios if max_scenarios is None else max_scenarios
    too_many(tables, blocks, source, limit, report)
    seen: dict[str, int] = {}
    scenarios = []
    for i, raw in enumerate(tables, start=1):
        block = blocks[i - 1] if len(blocks) == len(tables) else None
        label = _label(raw.get("name"), i)
        problems = _problems(raw, network)
        name = raw.get("name")
        if isinstance(name, str) and name.strip():
            if name in seen:
                problems.append(("name", name, f"duplicate name, already used by scenario "
                                               f"#{seen[name]}; names must be unique"))
            seen.setdefault(name, i)
        for key, value, message in problems:
            report.add("error", "scenario", source, f"{label}, key {key!r}: {message}",
                       line=key_line(block, key), column=key,
                       value=None if value is None else str(value))
        if not problems:
            scenarios.append(Scenario.from_dict(raw))
    _raise(report)
    return scenarios


# -------------------------------------------------------------------------- CLI options


def scenario_from_options(network, fail: Iterable[str] = (), capacity: Iterable[str] = (),
                          days: float | None = None, horizon_days: float = DEFAULT_HORIZON_DAYS,
                          name: str = "ad hoc") -> Scenario:
    """The scenario of the CLI's ad-hoc form.

    ``riskgraph whatif PKG --fail nation:CHN --fail supplier:S07 --capacity supplier:S09=0.5
    --days 180`` becomes ``scenario_from_options(net, ["nation:CHN", "supplier:S07"],
    ["supplier:S09=0.5"], 180)``; ``days`` applies to every failed point.

    Raises
    ------
    UsageError
        Naming the option and the bad value (malformed or unknown id, bad number).

    Examples
    --------
    >>> from riskgraph import load_network
    >>> net = load_network("tests/fixtures/worked")
    >>> s = scenario_from_options(net, ["supplier:S_A"], ["supplier:S_B1=0.5"], days=100)
    >>> dict(s.capacity), dict(s.days)
    ({'supplier:S_B1': 0.5}, {'supplier:S_A': 100.0})
    """
    problems = []

    def check_id(option, value, typed) -> bool:
        problem = _typed_problem(typed) or _unknown_message(network, typed)
        if problem:
            problems.append(f"{option} {value!r}: {problem}")
        return problem is None

    fail = list(fail)
    for typed in fail:
        check_id("--fail", typed, typed)
    factors = {}
    for item in capacity:
        typed, sep, text = str(item).rpartition("=")
        if not sep or not typed:
            problems.append(f"--capacity {item!r}: write kind:id=factor, e.g. "
                            f"supplier:S09=0.5")
            continue
        if not check_id("--capacity", item, typed):
            continue
        try:
            factor = float(text)
        except ValueError:
            factor = math.nan
        if not 0.0 <= factor <= 1.0:
            problems.append(f"--capacity {item!r}: the factor must be a number in [0, 1], "
                            f"got {text!r}")
            continue
        factors[typed] = factor
    most = f"{LIMITS.max_days:g} (100 years)"
    if days is not None and not _is_days(days):
        problems.append(f"--days {days!r}: must be a number of days > 0 and <= {most}")
    if not _is_days(horizon_days):
        problems.append(f"--horizon-days {horizon_days!r}: must be a number of days > 0 and "
                        f"<= {most}")
    if days is not None and not fail:
        problems.append("--days given without --fail: it sets how long the failed points "
                        "stay down")
    if problems:
        raise UsageError("; ".join(problems))
    unique = list(dict.fromkeys(fail))
    return Scenario(name=name, fail=tuple(unique), capacity=factors,
                    days={} if days is None else {x: float(days) for x in unique},
                    horizon_days=horizon_days)
