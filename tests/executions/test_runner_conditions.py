import pytest

from tests.executions.snapshots import make_snapshot, node, start


def branch_taken(rules, variables, match="all", extra_branches=()):
    """Run start → condition and return the handle taken (a message per handle says which)."""
    branches = [{"id": "yes", "match": match, "rules": rules}, *extra_branches]
    handles = [b["id"] for b in branches] + ["else"]
    nodes = [node("s", "start"), node("c", "condition", branches=branches)]
    nodes += [node(f"m_{h}", "message", text=h) for h in handles]
    edges = [("s", "c")] + [("c", h, f"m_{h}") for h in handles]
    result = start(make_snapshot(nodes, edges, variables=variables))
    assert result.status == "completed"
    return result.messages[0].text, result


def rule(variable, operator, value=""):
    return {"variable": variable, "operator": operator, "value": value}


@pytest.mark.parametrize(
    ("operator", "left", "right", "expected"),
    [
        ("equals", "Ana", "ana", True),
        ("equals", " Ana ", "ANA", True),
        ("equals", "10", 10.0, True),
        ("equals", 10, "10.0", True),
        ("equals", "3,5", "3.5", True),
        ("equals", "10", "010", True),
        ("equals", "abc", "abd", False),
        ("equals", None, "", True),
        ("equals", True, "TRUE", True),
        ("not_equals", "10", 10, False),
        ("not_equals", "Ana", "Bob", True),
        ("contains", "Hello World", "WORLD", True),
        ("contains", "Hello", "bye", False),
        ("contains", ["red", "Blue"], "blue", True),
        ("contains", ["red", "blueish"], "blue", False),
        ("contains", [1, 2], "2", True),
        ("not_contains", "Hello", "bye", True),
        ("not_contains", ["a", "b"], "a", False),
        ("starts_with", "Hello", "he", True),
        ("starts_with", "Hello", "lo", False),
        ("ends_with", "Hello", "LO", True),
        ("ends_with", "Hello", "he", False),
        ("greater_than", "10", "9", True),
        ("greater_than", "9", "10", False),
        ("greater_than", 10, 10, False),
        ("greater_or_equal", 10, "10", True),
        ("less_than", "2.5", 3, True),
        ("less_or_equal", "3", 3, True),
        ("less_or_equal", "4", 3, False),
        ("greater_than", "2026-12-25", "2026-01-01", True),
        ("less_than", "2026-12-25T10:00", "2026-12-25", False),
        ("less_than", "2026-01-01", "2026-01-01T10:00:00Z", True),
        ("greater_than", "b", "a", False),
        ("less_than", "abc", 5, False),
        ("greater_than", None, 5, False),
        ("is_set", "x", "", True),
        ("is_set", 0, "", True),
        ("is_set", False, "", True),
        ("is_set", None, "", False),
        ("is_set", "", "", False),
        ("is_set", [], "", False),
        ("is_empty", None, "", True),
        ("is_empty", "", "", True),
        ("is_empty", [], "", True),
        ("is_empty", "x", "", False),
        ("matches_regex", "ABC-123", r"^[A-Z]{3}-\d+$", True),
        ("matches_regex", "abc", r"^\d+$", False),
        ("not_matches_regex", "abc", r"^\d+$", True),
        ("not_matches_regex", "123", r"^\d+$", False),
    ],
)
def test_condition_operators(operator, left, right, expected):
    taken, _ = branch_taken([rule("x", operator, right)], {"x": left})
    assert taken == ("yes" if expected else "else")


def test_an_unset_variable_compares_as_empty():
    assert branch_taken([rule("nope", "equals", "")], {})[0] == "yes"
    assert branch_taken([rule("nope", "is_empty")], {})[0] == "yes"


def test_rule_values_are_templated():
    assert branch_taken([rule("a", "equals", "{{b}}")], {"a": "same", "b": "SAME"})[0] == "yes"
    assert branch_taken([rule("a", "greater_than", "{{limit}}")], {"a": "12", "limit": 10})[0] == "yes"


def test_all_needs_every_rule_and_any_needs_one():
    rules = [rule("a", "equals", "1"), rule("b", "equals", "2")]
    assert branch_taken(rules, {"a": "1", "b": "0"}, match="all")[0] == "else"
    assert branch_taken(rules, {"a": "1", "b": "2"}, match="all")[0] == "yes"
    assert branch_taken(rules, {"a": "1", "b": "0"}, match="any")[0] == "yes"
    assert branch_taken(rules, {"a": "0", "b": "0"}, match="any")[0] == "else"


def test_the_first_matching_branch_wins():
    second = {"id": "also", "match": "all", "rules": [rule("a", "equals", "1")]}
    assert branch_taken([rule("a", "equals", "1")], {"a": "1"}, extra_branches=[second])[0] == "yes"
    assert branch_taken([rule("a", "equals", "2")], {"a": "1"}, extra_branches=[second])[0] == "also"


def test_an_invalid_regex_makes_the_rule_false_and_warns():
    for operator in ("matches_regex", "not_matches_regex"):
        taken, result = branch_taken([rule("a", operator, "([unclosed")], {"a": "x"})
        assert taken == "else"
        warnings = [log for log in result.logs if log.level == "warning"]
        assert len(warnings) == 1
        assert "Not a valid regular expression" in warnings[0].message


@pytest.mark.parametrize(
    ("pattern", "subject", "expected"),
    [
        (r"^(a+)+!$", "a" * 99_999 + "!", "yes"),
        (r"^(a|aa)*$", "a" * 100_000, "yes"),
        (r"(a|aa)+$", "a" * 99_999 + "b", "else"),
        (r"^(\w+\s?)*$", "word " * 19_999 + "word!", "else"),
    ],
)
def test_pathological_patterns_on_a_100000_character_subject_are_answered_exactly(pattern, subject, expected):
    """A backtracking engine takes exponential time on these (and the old one only searched the
    first 10,000 characters); RE2 answers them exactly, in linear time, while the test process's
    other thread keeps running."""
    import threading

    outcome = {}

    def run():
        outcome["taken"], outcome["result"] = branch_taken([rule("a", "matches_regex", pattern)], {"a": subject})

    worker = threading.Thread(target=run)
    worker.start()
    heartbeats = 0
    while worker.is_alive():  # the main thread stays free while the pattern runs
        heartbeats += 1
        worker.join(0.01)
    assert len(subject) >= 100_000
    assert outcome["taken"] == expected
    assert [log for log in outcome["result"].logs if log.level == "warning"] == []


def test_a_rendered_pattern_longer_than_the_limit_counts_as_false_and_warns():
    taken, result = branch_taken([rule("a", "matches_regex", "^{{b}}$")], {"a": "x", "b": "x" * 1001})
    assert taken == "else"
    (warning,) = [log for log in result.logs if log.level == "warning"]
    assert "at most 1000 characters" in warning.message


def test_constructs_re2_cannot_run_in_linear_time_count_as_false():
    for pattern in (r"(a)\1", r"(?=a)a", r"(?<!b)a"):
        taken, result = branch_taken([rule("a", "matches_regex", pattern)], {"a": "aa"})
        assert taken == "else"
        assert any("RE2" in log.message for log in result.logs if log.level == "warning")


def test_a_condition_without_edge_for_the_taken_handle_is_a_dead_end():
    snapshot = make_snapshot(
        [node("s", "start"), node("c", "condition", branches=[{"id": "b1", "rules": [rule("a", "is_set")]}])],
        [("s", "c")],
        variables={"a": "x"},
    )
    result = start(snapshot)
    assert result.status == "completed"
    assert result.messages == ()


def test_the_condition_logs_the_branch_it_took():
    _, result = branch_taken([rule("a", "is_set")], {"a": "x"})
    assert [(log.node_id, log.level, log.details["branch"]) for log in result.logs] == [("c", "debug", "yes")]


def test_the_runner_builds_no_entries_for_log_levels_nobody_keeps():
    snapshot = make_snapshot(
        [
            node("s", "start"),
            node("c", "condition", branches=[{"id": "b1", "rules": [rule("a", "matches_regex", "(")]}]),
        ],
        [("s", "c")],
        variables={"a": "x"},
    )
    kept = start(snapshot, log_levels=frozenset({"warning", "error"}))
    assert [log.level for log in kept.logs] == ["warning"]
    everything = start(snapshot)
    assert sorted(log.level for log in everything.logs) == ["debug", "warning"]


def test_a_turns_regular_expressions_share_a_budget_of_work():
    """Many rules over a long subject cannot add up to a long turn: past the budget, rules
    count as false with a warning (RE2 may cost subject length x program size per search)."""
    rules = [rule("a", "matches_regex", f"^[ab]{{0,100}}z{n}$") for n in range(50)]
    taken, result = branch_taken(rules, {"a": "ab" * 50_000}, match="any")
    assert taken == "else"
    (warning,) = [log for log in result.logs if log.level == "warning"]
    assert "as much as a turn may" in warning.message


def test_patterns_too_complex_to_search_quickly_count_as_false():
    taken, result = branch_taken([rule("a", "matches_regex", ".{0,1000}$")], {"a": "x"})
    assert taken == "else"
    assert any("too complex" in log.message for log in result.logs if log.level == "warning")
