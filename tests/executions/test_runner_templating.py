import pytest

from executions.runner.templating import MAX_RENDERED_LENGTH, format_value, render
from tests.executions.snapshots import chain, node, start, texts


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("text", "text"),
        (20, "20"),
        (20.0, "20"),
        (2.5, "2.5"),
        (0.1 + 0.2, "0.3"),
        (-3.0, "-3"),
        (True, "true"),
        (False, "false"),
        (["a", 2, 3.0, None], "a, 2, 3, "),
        ({"a": 1, "b": [1, 2]}, '{"a":1,"b":[1,2]}'),
        ({"name": "Zoë"}, '{"name":"Zoë"}'),
    ],
)
def test_values_are_formatted_as_people_write_them(value, expected):
    assert format_value(value) == expected


def test_render_replaces_every_placeholder_and_tolerates_spaces():
    assert render("Hi {{name}}, {{ name }}!", {"name": "Ana"}) == "Hi Ana, Ana!"


def test_unset_and_none_variables_render_empty():
    assert render("[{{missing}}][{{none}}]", {"none": None}) == "[][]"


def test_text_without_placeholders_is_returned_as_is():
    assert render("{{ not a placeholder }} {single}", {}) == "{{ not a placeholder }} {single}"


def test_rendered_text_is_bounded():
    variables = {"x": "y" * 10_000}
    assert len(render("{{x}}" * 50, variables)) == MAX_RENDERED_LENGTH


def test_messages_render_numbers_booleans_and_lists():
    snapshot = chain(
        node("s", "start"),
        node("m", "message", text="{{n}} items, {{price}} each, paid={{paid}}, tags: {{tags}}"),
        variables={"n": 20.0, "price": 2.5, "paid": True, "tags": ["a", "b"]},
    )
    assert texts(start(snapshot)) == ["20 items, 2.5 each, paid=true, tags: a, b"]
