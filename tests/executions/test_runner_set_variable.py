import random

from tests.executions.snapshots import NOW, chain, context, node, start


def run_set(operation, value="", variables=None, variable="v", **kwargs):
    snapshot = chain(
        node("s", "start"),
        node("x", "set_variable", variable=variable, operation=operation, value=value),
        variables={"v": None, **(variables or {})},
    )
    return start(snapshot, **kwargs)


def test_value_operation_stores_templated_text():
    result = run_set("value", "Hello {{name}} #{{n}}", {"name": "Ana", "n": 3.0})
    assert result.state.variables["v"] == "Hello Ana #3"


def test_value_operation_cuts_huge_values_and_warns():
    result = run_set("value", "{{big}}{{big}}", {"big": "x" * 8000})
    assert len(result.state.variables["v"]) == 10_000
    assert [log.level for log in result.logs if log.level != "debug"] == ["warning"]


def test_expression_operation_stores_the_result():
    assert run_set("expression", "n * 2", {"n": "21"}).state.variables["v"] == 42


def test_expression_division_that_is_integral_stores_an_int():
    value = run_set("expression", "n / 2", {"n": 10}).state.variables["v"]
    assert value == 5
    assert isinstance(value, int)


def test_empty_operation_clears_the_variable():
    assert run_set("empty", variables={"v": "something"}).state.variables["v"] is None


def test_append_turns_a_scalar_into_a_list():
    assert run_set("append", "b", {"v": "a"}).state.variables["v"] == ["a", "b"]


def test_append_to_an_unset_variable_starts_a_list():
    assert run_set("append", "{{name}}", {"name": "Ana"}).state.variables["v"] == ["Ana"]
    assert run_set("append", "x", {"v": ""}).state.variables["v"] == ["x"]


def test_append_to_a_list_adds_the_rendered_value_without_mutating_the_old_list():
    old = ["a"]
    result = run_set("append", "{{n}}", {"v": old, "n": 2})
    assert result.state.variables["v"] == ["a", "2"]
    assert old == ["a"]


def test_append_refuses_to_grow_a_list_past_its_bound():
    result = run_set("append", "x", {"v": ["i"] * 1000})
    assert len(result.state.variables["v"]) == 1000
    assert any(log.level == "warning" for log in result.logs)


def test_now_operation_stores_iso_utc_seconds():
    assert run_set("now").state.variables["v"] == "2026-03-11T10:30:15Z"


def test_now_operation_converts_other_timezones_to_utc():
    from datetime import timedelta, timezone

    lisbon_summer = NOW.astimezone(timezone(timedelta(hours=1)))
    assert run_set("now", now=lisbon_summer).state.variables["v"] == "2026-03-11T10:30:15Z"


def test_random_id_operation_stores_32_hex_characters_from_the_context_rng():
    value = run_set("random_id", seed=7).state.variables["v"]
    assert len(value) == 32
    assert int(value, 16) == random.Random(7).getrandbits(128)
    assert run_set("random_id", seed=8).state.variables["v"] != value


def test_session_id_operation_stores_the_context_session_id():
    assert run_set("session_id").state.variables["v"] == context().session_id


def test_an_undeclared_variable_can_be_assigned_at_run_time():
    result = run_set("value", "x", variable="not_declared")
    assert result.state.variables["not_declared"] == "x"


def test_set_variable_logs_one_debug_entry():
    logs = run_set("value", "x").logs
    assert [(log.node_id, log.level) for log in logs] == [("x", "debug")]
