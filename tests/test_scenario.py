"""Scenario files and scenario objects (docs/design.md §4.6): every error names file, scenario, key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from riskgraph import RiskgraphError, UsageError, ValidationError, load_network
from riskgraph.model.scenario import (Scenario, ScenarioError, check_scenario, read_scenarios,
                                scenario_from_options)
from riskgraph.analyses.whatif import run_scenarios

HERE = Path(__file__).parent
SCENARIOS = HERE / "fixtures" / "scenarios"
WORKED = HERE / "fixtures" / "worked"


@pytest.fixture(scope="module")
def worked():
    return load_network(WORKED)


def write(tmp_path, text: str, name: str = "scenarios.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def errors_of(path, network=None) -> ScenarioError:
    with pytest.raises(ScenarioError) as err:
        read_scenarios(path, network)
    return err.value


# --------------------------------------------------------------------------- good files


def test_documented_example_parses():
    (s,) = read_scenarios(SCENARIOS / "example.toml")
    assert s == Scenario("China export ban, Radford outage",
                         fail=("nation:CHN", "supplier:RADFORD"),
                         days={"supplier:RADFORD": 120},
                         capacity={"supplier:HOLSTON": 0.5}, horizon_days=365)
    assert isinstance(s.horizon_days, float)


def test_worked_file_parses_checks_and_runs(worked):
    scenarios = read_scenarios(SCENARIOS / "worked.toml", worked)
    assert [s.name for s in scenarios] == ["Sole source of part A down 100 days",
                                           "Germany cut off", "B1 at half capacity"]
    assert scenarios[0].horizon_days == 365.0 and scenarios[2].horizon_days == 180.0
    res = run_scenarios(worked, scenarios)
    assert len(res.capabilities) == 6


def test_scenario_is_frozen_hashable_and_copies_its_inputs():
    capacity = {"supplier:S_A": 0.5}
    s = Scenario("x", fail=["supplier:S_B1"], capacity=capacity)
    capacity["supplier:S_A"] = 0.0
    assert s.capacity["supplier:S_A"] == 0.5 and s.fail == ("supplier:S_B1",)
    with pytest.raises(Exception):
        s.name = "y"
    with pytest.raises(TypeError):
        s.capacity["supplier:S_A"] = 0.1
    assert hash(s) == hash(Scenario("x", fail=("supplier:S_B1",), capacity={"supplier:S_A": 0.5}))
    assert Scenario("one", fail="nation:USA").fail == ("nation:USA",)


def test_scenario_error_is_a_validation_error():
    assert issubclass(ScenarioError, ValidationError)
    assert issubclass(ScenarioError, RiskgraphError)


# ---------------------------------------------------------------------------- bad files


def assert_names(err: ScenarioError, path: Path, scenario: str, key: str, *fragments: str):
    """One issue names the file, the scenario and the key, plus the given fragments."""
    text = str(err)
    matches = [str(i) for i in err.report.errors
               if i.file == str(path) and i.column == key and scenario in i.message
               and all(f in str(i) for f in fragments)]
    assert matches, text
    assert str(path) in text


def test_toml_syntax_error_has_line_and_column(tmp_path):
    path = write(tmp_path, """
        [[scenario]]
        name = "ok"
        fail = ["supplier:S_A",, "nation:USA"]
        """)
    err = errors_of(path)
    (issue,) = err.report.errors
    assert issue.line == 3 and "line 3, column 24" in issue.message
    assert str(path) in str(err) and "TOML syntax error" in str(err)
    # an unclosed array is reported at the end of the document
    path = write(tmp_path, '[[scenario]]\nname = "ok"\nfail = ["supplier:S_A"\n')
    assert errors_of(path).report.errors[0].line == 3


def test_unknown_top_level_and_scenario_keys(tmp_path):
    path = write(tmp_path, """
        title = "my scenarios"
        [[scenario]]
        name = "typo"
        fails = ["supplier:S_A"]
        """)
    err = errors_of(path)
    assert any(i.column == "title" and "top-level" in i.message for i in err.report.errors)
    assert_names(err, path, "'typo'", "fails", "unknown key", "valid keys: name, "
                 "horizon_days, fail, days, capacity")
    issue = next(i for i in err.report.errors if i.column == "fails")
    assert issue.line == 4


@pytest.mark.parametrize("body, label, fragment", [
    ('fail = ["supplier:S_A"]', "scenario #1", "missing name"),
    ('name = ""', "scenario #1", "non-empty string"),
    ('name = "   "', "scenario #1", "non-empty string"),
    ("name = 3", "scenario #1", "non-empty string"),
])
def test_missing_or_empty_name(tmp_path, body, label, fragment):
    path = write(tmp_path, f"[[scenario]]\n{body}\n")
    assert_names(errors_of(path), path, label, "name", fragment)


def test_duplicate_name(tmp_path):
    path = write(tmp_path, """
        [[scenario]]
        name = "same"
        [[scenario]]
        name = "same"
        """)
    err = errors_of(path)
    assert_names(err, path, "'same' (#2)", "name", "duplicate name", "#1")
    assert err.report.errors[0].line == 4


def test_unknown_ids_with_suggestions(tmp_path, worked):
    path = write(tmp_path, """
        [[scenario]]
        name = "typos"
        fail = ["supplier:S_AA", "nation:usa", "supplier:DEU"]
        capacity = { "supplier:S_B3" = 0.5 }
        """)
    err = errors_of(path, worked)
    assert_names(err, path, "'typos'", "fail", "unknown supplier 'S_AA'", "'supplier:S_A'")
    assert_names(err, path, "'typos'", "fail", "unknown nation 'usa'", "'nation:USA'")
    assert_names(err, path, "'typos'", "fail", "unknown supplier 'DEU'", "'nation:DEU'")
    assert_names(err, path, "'typos'", "capacity", "unknown supplier 'S_B3'")
    assert len(err.report.errors) == 4
    # without a network only the form is checked
    assert read_scenarios(path)[0].fail == ("supplier:S_AA", "nation:usa", "supplier:DEU")


@pytest.mark.parametrize("typed", ["S_A", "supplier:", "vendor:S_A", "capability:USA/P1"])
def test_malformed_typed_ids(tmp_path, typed):
    path = write(tmp_path, f'[[scenario]]\nname = "bad"\nfail = ["{typed}"]\n')
    assert_names(errors_of(path), path, "'bad'", "fail", "not a typed failure-point id",
                 "nation, supplier, component")


@pytest.mark.parametrize("value", ["1.5", "-0.1", '"half"', "true", "nan", "[0.5]"])
def test_bad_capacity_factors(tmp_path, value):
    path = write(tmp_path, f"""
        [[scenario]]
        name = "cap"
        capacity = {{ "supplier:S_A" = {value} }}
        """)
    assert_names(errors_of(path), path, "'cap'", "capacity", "[0, 1]", "supplier:S_A")


def test_capacity_bounds_are_inclusive(tmp_path):
    path = write(tmp_path, """
        [[scenario]]
        name = "ends"
        capacity = { "supplier:S_A" = 0, "supplier:S_B1" = 1 }
        """)
    assert dict(read_scenarios(path)[0].capacity) == {"supplier:S_A": 0, "supplier:S_B1": 1}


@pytest.mark.parametrize("value", ["0", "-5", "inf", "nan", "true", '"90"'])
def test_bad_durations(tmp_path, value):
    path = write(tmp_path, f"""
        [[scenario]]
        name = "dur"
        fail = ["supplier:S_A"]
        days = {{ "supplier:S_A" = {value} }}
        """)
    assert_names(errors_of(path), path, "'dur'", "days", "number of days > 0")


@pytest.mark.parametrize("value", ["0", "-1", "inf", "true", '"1y"'])
def test_bad_horizon(tmp_path, value):
    path = write(tmp_path, f'[[scenario]]\nname = "h"\nhorizon_days = {value}\n')
    assert_names(errors_of(path), path, "'h'", "horizon_days", "number of days > 0")


def test_days_for_a_point_not_failed(tmp_path):
    path = write(tmp_path, """
        [[scenario]]
        name = "d"
        fail = ["supplier:S_A"]
        capacity = { "supplier:S_B1" = 0.5 }
        days = { "supplier:S_B1" = 30 }
        """)
    assert_names(errors_of(path), path, "'d'", "days", "not in fail", "supplier:S_B1")


@pytest.mark.parametrize("body, key, fragment", [
    ('fail = "supplier:S_A"', "fail", "must be a list"),
    ("fail = { a = 1 }", "fail", "must be a list"),
    ("fail = [1]", "fail", "not a string"),
    ('fail = ["supplier:S_A", "supplier:S_A"]', "fail", "listed twice"),
    ("capacity = 0.5", "capacity", "must be a table"),
    ('days = ["supplier:S_A"]', "days", "must be a table"),
])
def test_wrong_types(tmp_path, body, key, fragment):
    path = write(tmp_path, f'[[scenario]]\nname = "t"\n{body}\n')
    assert_names(errors_of(path), path, "'t'", key, fragment)


def test_single_brackets_and_empty_file(tmp_path):
    path = write(tmp_path, '[scenario]\nname = "one"\n')
    assert "[[scenario]]" in str(errors_of(path))
    path = write(tmp_path, "# nothing yet\n", name="empty.toml")
    assert "no [[scenario]] tables" in str(errors_of(path))


def test_all_errors_of_a_file_are_raised_at_once(tmp_path):
    path = write(tmp_path, """
        [[scenario]]
        name = "first"
        horizon_days = 0
        capacity = { "supplier:S_A" = 2 }

        [[scenario]]
        fail = ["bogus"]
        days = { "supplier:S_B1" = -3 }
        """)
    err = errors_of(path)
    keys = sorted((i.column, i.line) for i in err.report.errors)
    assert keys == [("capacity", 4), ("days", 8), ("days", 8), ("fail", 7), ("horizon_days", 3),
                    ("name", 6)]
    assert "6 problem(s)" in str(err)


def test_unreadable_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read scenario file"):
        read_scenarios(tmp_path / "missing.toml")


# ------------------------------------------------------------------ scenarios from code


def test_check_scenario_names_scenario_and_key(worked):
    with pytest.raises(ScenarioError) as err:
        check_scenario(worked, Scenario("code", fail=["supplier:S_A"],
                                        days={"supplier:S_A": 0},
                                        capacity={"component:Z": 0.5}, horizon_days=-1))
    errors = err.value.report.errors
    assert {i.column for i in errors} == {"days", "capacity", "horizon_days"}
    assert all(i.file == "<code>" and "scenario 'code' (#1)" in i.message for i in errors)
    check_scenario(worked, Scenario("fine", fail=["nation:DEU"]))


def test_non_scenarios_are_refused(worked):
    with pytest.raises(UsageError, match="Scenario objects"):
        run_scenarios(worked, [42])
    with pytest.raises(UsageError, match="unknown key 'failures'"):
        run_scenarios(worked, [{"name": "dict", "failures": ["supplier:S_A"]}])
    with pytest.raises(UsageError, match="no 'name'"):
        run_scenarios(worked, [{"fail": ["supplier:S_A"]}])
    # a mapping with the TOML keys is a scenario
    assert run_scenarios(worked, [{"name": "dict"}]).capabilities["up"].all()
    with pytest.raises(UsageError, match="capacity must be a mapping"):
        Scenario("x", capacity=[("supplier:S_A", 0.5)])


# --------------------------------------------------------------------- CLI ad-hoc form


def test_scenario_from_options(worked):
    s = scenario_from_options(worked, ["nation:DEU", "supplier:S_A"], ["supplier:S_B1=0.5"],
                              days=180, horizon_days=200)
    assert s.name == "ad hoc" and s.fail == ("nation:DEU", "supplier:S_A")
    assert dict(s.days) == {"nation:DEU": 180.0, "supplier:S_A": 180.0}
    assert dict(s.capacity) == {"supplier:S_B1": 0.5} and s.horizon_days == 200.0
    plain = scenario_from_options(worked, ["supplier:S_A"])
    assert dict(plain.days) == {} and plain.horizon_days == 365.0


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(fail=["supplier:NOPE"]), "--fail 'supplier:NOPE'"),
    (dict(fail=["S_A"]), "--fail 'S_A'"),
    (dict(capacity=["supplier:S_A"]), "--capacity 'supplier:S_A'"),
    (dict(capacity=["supplier:S_A=half"]), "--capacity 'supplier:S_A=half'"),
    (dict(capacity=["supplier:S_A=1.5"]), "[0, 1]"),
    (dict(capacity=["supplier:S_X=0.5"]), "--capacity 'supplier:S_X=0.5'"),
    (dict(fail=["supplier:S_A"], days=0), "--days 0"),
    (dict(fail=["supplier:S_A"], days=float("inf")), "--days inf"),
    (dict(days=30), "--days given without --fail"),
    (dict(horizon_days=0), "--horizon-days 0"),
])
def test_scenario_from_options_errors(worked, kwargs, fragment):
    with pytest.raises(UsageError) as err:
        scenario_from_options(worked, **kwargs)
    assert fragment in str(err.value)
    assert not isinstance(err.value, ValidationError)


SAMPLE = HERE.parent / "data" / "allied-defence"


@pytest.mark.skipif(not (SAMPLE / "scenarios.toml").exists(), reason="no sample scenarios")
def test_sample_scenario_library_parses_and_runs():
    net = load_network(SAMPLE)
    scenarios = read_scenarios(SAMPLE / "scenarios.toml", net)
    assert len(scenarios) >= 6
    res = run_scenarios(net, scenarios)
    caps = res.capabilities
    for s in scenarios:  # every scenario of the library costs something somewhere
        assert caps.loc[caps["scenario"] == s.name, "loss_fraction"].max() > 0, s.name
