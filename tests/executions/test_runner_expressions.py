import pytest

from executions.runner.expressions import ExpressionError, evaluate
from tests.executions.snapshots import chain, node, start


@pytest.mark.parametrize(
    ("expression", "variables", "expected"),
    [
        ("1 + 2 * 3", {}, 7),
        ("count + 1", {"count": 4}, 5),
        ("count + 1", {"count": "4"}, 5),
        ("price * qty", {"price": "2.5", "qty": "4"}, 10.0),
        ("total / 4", {"total": 10}, 2.5),
        ("10 // 3 + 10 % 3", {}, 4),
        ("2 ** 10", {}, 1024),
        ("age >= 18 and country == 'PT'", {"age": "20", "country": "PT"}, True),
        ("not flag or false", {"flag": True}, False),
        ("'Hello ' + name", {"name": "Ana"}, "Hello Ana"),
        ("'Total: ' + total", {"total": 20.0}, "Total: 20"),
        ("'big' if n > 5 else 'small'", {"n": 7}, "big"),
        ("abs(-3) + round(2.567, 2)", {}, 5.57),
        ("round(2.5) + floor(2.7) + ceil(2.1)", {}, 7),
        ("min(3, 1, 2) + max(4, 9)", {}, 10),
        ("int('7') + float('1.5')", {}, 8.5),
        ("int('007')", {}, 7),
        ("str(20.0) + str(true)", {}, "20true"),
        ("len(name) + len(items)", {"name": "Ana", "items": ["a", "b"]}, 5),
        ("upper(lower('MiXeD')) + trim('  x  ')", {}, "MIXEDx"),
        ("concat('a', 1, 2.0, null, true)", {}, "a12true"),
        ("items[0]", {"items": ["first", "second"]}, "first"),
        ("null", {}, None),
        ("zip", {"zip": "007"}, "007"),
        ("phone + ''", {"phone": "+351912345678"}, "+351912345678"),
        ("{{count}} + 10", {"count": "4"}, 14),
        ("{{ count }} * {{count}}", {"count": 3}, 9),
        ("'{{count}}' + {{count}}", {"count": 3}, "{{count}}3"),
        ("len({{items}})", {"items": ["a", "b"]}, 2),
    ],
)
def test_expressions_evaluate(expression, variables, expected):
    assert evaluate(expression, variables) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('id')",
        "''.__class__",
        "name.upper()",
        "9**9**9",
        "'x' * 1000000",
        "'x' * 5000 + 'y' * 6000",
        "(lambda: 1)()",
        "[x for x in range(10)]",
        "{'a': 1}",
        "[1, 2]",
        "f'{name:>1000000}'",
        "'%*d' % (1000000, 1)",
        "(x := 1)",
        "eval('1')",
        "open('/etc/passwd')",
        "1; 2",
        "10 ** 400 * 10 ** 400 * 10 ** 400 * 10 ** 400",
        "1 / 0",
        "float('inf')",
        "1e308 * 10",
        "undefined_name + 1",
        "'a' < 1",
        "len",
        "-" * 5000 + "1",
        "1 +",
        "",
    ],
)
def test_unsafe_or_broken_expressions_are_refused(expression):
    with pytest.raises(ExpressionError):
        evaluate(expression, {"name": "Ana"})


def test_long_expressions_are_refused_before_parsing():
    with pytest.raises(ExpressionError, match="longer than 2000"):
        evaluate("1 + " * 600 + "1", {})


def test_a_failing_expression_leaves_the_variable_unchanged_and_warns():
    snapshot = chain(
        node("s", "start"),
        node("x", "set_variable", variable="count", operation="expression", value="''.__class__"),
        node("m", "message", text="count={{count}}"),
        variables={"count": 3},
    )
    result = start(snapshot)
    assert result.status == "completed"
    assert result.state.variables["count"] == 3
    assert result.messages[0].text == "count=3"
    warnings = [log for log in result.logs if log.level == "warning"]
    assert len(warnings) == 1
    assert warnings[0].node_id == "x"
    assert "unchanged" in warnings[0].message


def test_an_expression_sets_the_variable():
    snapshot = chain(
        node("s", "start"),
        node("x", "set_variable", variable="total", operation="expression", value="price * qty"),
        variables={"price": "2.5", "qty": 4, "total": None},
    )
    assert start(snapshot).state.variables["total"] == 10


@pytest.mark.parametrize(
    ("expression", "variables", "expected"),
    [
        ("int('9' * 30)", {}, int("9" * 30)),
        ("int(big)", {"big": "9" * 30}, int("9" * 30)),
        ("big + 1", {"big": "9" * 30}, 10**30),
        ("big - 1", {"big": "12345678901234567890.0"}, 12345678901234567889),
        ("int('123456789012345678901,0')", {}, 123456789012345678901),
    ],
)
def test_whole_numbers_stay_exact_however_long(expression, variables, expected):
    result = evaluate(expression, variables)
    assert result == expected
    assert isinstance(result, int)


@pytest.mark.parametrize(
    "expression",
    ["name.upper()", "{{name}}{{name}}", "len()", "round(1, 2, 3)", "len", "foo(1)", "min", "b'x'", "1j", "a is b"],
)
def test_the_evaluator_and_graph_validation_refuse_the_same_expressions(expression):
    from components.graph import config_errors

    with pytest.raises(ExpressionError, match="not valid"):
        evaluate(expression, {"name": "Ana", "a": 1, "b": 1})
    errors = config_errors("set_variable", {"variable": "x", "operation": "expression", "value": expression})
    assert list(errors) == ["data.value"]
    assert errors["data.value"][0].startswith("The expression is not valid:")
