import subprocess
import sys

import pytest

from tests.executions.snapshots import ask, chain, make_snapshot, node, reply, start, texts


def parsed(type_name, value, **data):
    result = ask(type_name, value, **data)
    assert result.answer.valid, result.answer.error
    assert result.state.variables["answer"] == result.answer.parsed
    return result.answer.parsed


def refused(type_name, value, **data):
    result = ask(type_name, value, **data)
    return not result.answer.valid


# --- the retry turn --------------------------------------------------------------------------


def test_invalid_email_repeats_the_input_with_retry_message():
    snapshot = chain(
        node("s", "start"),
        node("q", "email_input", prompt="Your email?", variable="email", retry_message="{{name}}, that's not an email"),
        node("m", "message", text="Thanks"),
        variables={"name": "Ana", "email": None},
    )
    first = start(snapshot)
    result = reply(snapshot, first.state, "not-an-email")
    assert [m.to_dict() for m in result.messages] == [
        {"node_id": "q", "type": "text", "text": "Ana, that's not an email"}
    ]
    assert result.input == first.input
    assert result.state == first.state
    assert result.state.variables["email"] is None
    assert result.answer.valid is False
    assert result.answer.error
    assert result.answer.raw == "not-an-email"
    assert result.answer.parsed is None
    assert result.actions == ()
    assert result.flow_transitions == ()
    assert [log.level for log in result.logs] == ["info"]


def test_an_empty_retry_message_falls_back_to_the_catalog_default():
    snapshot = chain(node("s", "start"), node("q", "number_input", retry_message=""))
    result = reply(snapshot, start(snapshot).state, "abc")
    assert texts(result) == ["Please enter a valid number."]


def test_a_valid_answer_is_stored_and_the_flow_advances():
    result = ask("text_input", "  Ana  ")
    assert result.answer.valid
    assert result.answer.parsed == "Ana"
    assert result.state.variables["answer"] == "Ana"
    assert texts(result) == ["Got Ana"]
    assert result.status == "completed"


def test_an_input_without_variable_accepts_without_storing():
    snapshot = chain(node("s", "start"), node("q", "text_input"), node("m", "message", text="ok"))
    result = reply(snapshot, start(snapshot).state, "hello")
    assert result.answer.variable is None
    assert result.answer.parsed == "hello"
    assert dict(result.state.variables) == {}
    assert texts(result) == ["ok"]


def test_the_prompt_is_templated_and_sent_right_before_the_input():
    snapshot = chain(
        node("s", "start"),
        node("m", "message", text="Hello"),
        node("q", "text_input", prompt="What is your age, {{name}}?", placeholder="e.g. {{example}}"),
        variables={"name": "Ana", "example": 30},
    )
    result = start(snapshot)
    assert [(m.node_id, m.text) for m in result.messages] == [("m", "Hello"), ("q", "What is your age, Ana?")]
    assert result.input.to_dict() == {
        "node_id": "q",
        "type": "text_input",
        "options": {"placeholder": "e.g. 30", "multiline": False, "min_length": 0, "max_length": 2000},
    }
    assert result.state.node_id == "q"
    assert result.status == "active"


def test_an_empty_prompt_sends_no_message():
    snapshot = chain(node("s", "start"), node("q", "text_input", prompt="{{unset}}"))
    assert start(snapshot).messages == ()


@pytest.mark.parametrize(
    ("type_name", "data", "options"),
    [
        ("number_input", {"min": 1, "step": 0.5}, {"placeholder": "", "min": 1, "max": None, "step": 0.5}),
        ("email_input", {}, {"placeholder": ""}),
        ("url_input", {"placeholder": "https://"}, {"placeholder": "https://"}),
        ("phone_input", {"default_country": "PT"}, {"placeholder": "", "default_country": "PT"}),
        (
            "date_input",
            {"range": True, "min": "2026-01-01"},
            {"with_time": False, "range": True, "min": "2026-01-01", "max": ""},
        ),
        ("rating", {"max": 5}, {"min": 0, "max": 5}),
        (
            "file_upload",
            {"allowed_types": ["image/*"]},
            {"allowed_types": ["image/*"], "max_size_mb": 10, "required": True},
        ),
    ],
)
def test_each_input_type_exposes_its_options(type_name, data, options):
    snapshot = chain(node("s", "start"), node("q", type_name, **data))
    request = start(snapshot).input.to_dict()
    assert request == {"node_id": "q", "type": type_name, "options": options}


# --- text ------------------------------------------------------------------------------------


def test_text_is_stripped_and_numbers_become_text():
    assert parsed("text_input", "  hi  ") == "hi"
    assert parsed("text_input", 42) == "42"
    assert parsed("text_input", 2.50) == "2.5"


def test_text_respects_length_bounds():
    assert refused("text_input", "ab", min_length=3)
    assert parsed("text_input", "abc", min_length=3) == "abc"
    assert refused("text_input", "abcdef", max_length=5)
    assert parsed("text_input", " abcde ", max_length=5) == "abcde"


@pytest.mark.parametrize("value", ["", "   ", None, ["a"], {"a": 1}])
def test_empty_or_structured_text_is_refused(value):
    assert refused("text_input", value)


# --- number ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3,5", 3.5), (" 12 ", 12), ("12.0", 12), (12.0, 12), (7, 7), ("-2.25", -2.25), ("+4", 4), (",5", 0.5)],
)
def test_numbers_accept_comma_or_dot_decimals(value, expected):
    result = parsed("number_input", value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("value", ["abc", "", "1e3", "1,000.5", "1 000", float("nan"), float("inf"), True, None, [1]])
def test_things_that_are_not_numbers_are_refused(value):
    assert refused("number_input", value)


def test_number_bounds():
    assert refused("number_input", "4", min=5)
    assert parsed("number_input", "5", min=5) == 5
    assert refused("number_input", "10.5", max=10)
    assert parsed("number_input", "10", max=10) == 10


def test_number_step_counts_from_min_or_zero():
    assert parsed("number_input", "3", min=1, step=2) == 3
    assert refused("number_input", "4", min=1, step=2)
    assert parsed("number_input", "0.3", step=0.1) == 0.3
    assert parsed("number_input", "2,5", step=0.5) == 2.5
    assert refused("number_input", "2.25", step=0.5)


# --- email, phone, url -----------------------------------------------------------------------


def test_email_is_stored_lower_cased_and_stripped():
    assert parsed("email_input", "  Ana.Silva@Example.COM ") == "ana.silva@example.com"


@pytest.mark.parametrize("value", ["ana", "ana@", "@example.com", "ana@example", "ana @example.com", 12, None])
def test_invalid_emails_are_refused(value):
    assert refused("email_input", value)


def test_phone_uses_the_default_country_for_national_numbers():
    assert parsed("phone_input", "912 345 678", default_country="PT") == "+351912345678"
    assert parsed("phone_input", "(11) 91234-5678", default_country="BR") == "+5511912345678"


def test_phone_with_a_country_prefix_ignores_the_default_country():
    assert parsed("phone_input", "+55 11 91234-5678", default_country="PT") == "+5511912345678"
    assert parsed("phone_input", "+351 912 345 678") == "+351912345678"


@pytest.mark.parametrize(
    ("value", "country"), [("912 345 678", ""), ("123", "PT"), ("not a phone", "PT"), ("+351 12", ""), (None, "PT")]
)
def test_invalid_phones_are_refused(value, country):
    assert refused("phone_input", value, default_country=country)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("HTTP://Example.COM/Path", "http://example.com/Path"),
        ("example.com/x", "https://example.com/x"),
        (" www.example.com ", "https://www.example.com"),
        ("example.com:8080/x", "https://example.com:8080/x"),
    ],
)
def test_urls_are_normalised(value, expected):
    assert parsed("url_input", value) == expected


@pytest.mark.parametrize(
    "value", ["ftp://example.com", "javascript:alert(1)", "mailto:ana@example.com", "hello", "https://", "http:x", ""]
)
def test_non_http_urls_are_refused(value):
    assert refused("url_input", value)


# --- date (NOW is Wednesday 2026-03-11 10:30 UTC) --------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-25", "2026-12-25"),
        ("25/12/2026", "2026-12-25"),
        ("12/25/2026", "2026-12-25"),
        ("03/04/2026", "2026-04-03"),
        ("Dec 25 2026", "2026-12-25"),
        ("25 December 2026", "2026-12-25"),
        ("tomorrow", "2026-03-12"),
        ("today", "2026-03-11"),
        ("next friday", "2026-03-13"),
        ("in 3 days", "2026-03-14"),
        ("2026-12-25T14:30", "2026-12-25"),
    ],
)
def test_dates_accept_iso_common_and_natural_formats(value, expected):
    assert parsed("date_input", value) == expected


@pytest.mark.parametrize("value", ["hello", "31/02/2026", "1700000000", "", None, ["2026-01-01"]])
def test_things_that_are_not_dates_are_refused(value):
    assert refused("date_input", value)


def test_date_with_time_keeps_the_time():
    assert parsed("date_input", "2026-12-25 14:30", with_time=True) == "2026-12-25T14:30"
    assert parsed("date_input", "tomorrow at 3pm", with_time=True) == "2026-03-12T15:00"
    assert parsed("date_input", "2026-12-25T14:30:00+01:00", with_time=True) == "2026-12-25T13:30"


def test_date_bounds_are_inclusive_dates():
    assert refused("date_input", "2025-12-31", min="2026-01-01")
    assert parsed("date_input", "2026-01-01", min="2026-01-01") == "2026-01-01"
    assert parsed("date_input", "2026-01-31 23:59", max="2026-01-31", with_time=True) == "2026-01-31T23:59"
    assert refused("date_input", "2026-02-01", max="2026-01-31")


def test_date_format_is_applied_when_set():
    assert parsed("date_input", "2026-12-25", format="%d/%m/%Y") == "25/12/2026"


@pytest.mark.parametrize(
    "value",
    ["2026-05-01 to 2026-05-05", "May 1 2026 - May 5 2026", ["1/5/2026", "5/5/2026"], "May 1 2026 until May 5 2026"],
)
def test_date_ranges_store_start_and_end(value):
    assert parsed("date_input", value, range=True) == {"start": "2026-05-01", "end": "2026-05-05"}


def test_date_range_refuses_reversed_incomplete_or_out_of_bounds_ranges():
    assert refused("date_input", "2026-05-05 to 2026-05-01", range=True)
    assert refused("date_input", "2026-05-05", range=True)
    assert refused("date_input", "2026-05-01 to 2026-05-05", range=True, max="2026-05-04")
    assert parsed("date_input", "2026-05-01 to 2026-05-01", range=True) == {"start": "2026-05-01", "end": "2026-05-01"}


def test_importing_the_runner_does_not_import_heavy_libraries():
    code = (
        "import sys, executions.runner; "
        "print(sorted(m for m in ('dateparser', 'phonenumbers', 'regex') if m in sys.modules))"
    )
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert output.strip() == "[]"


# --- rating ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("7", 7), (7, 7), (7.0, 7), (" 0 ", 0), ("10", 10)])
def test_ratings_accept_integers_of_the_scale(value, expected):
    assert parsed("rating", value) == expected


@pytest.mark.parametrize("value", [7.5, "7.5", "11", -1, True, "seven", None])
def test_ratings_refuse_anything_else(value):
    assert refused("rating", value)


def test_rating_uses_the_configured_scale():
    assert refused("rating", "0", min=1, max=5)
    assert parsed("rating", "5", min=1, max=5) == 5
    assert refused("rating", "6", min=1, max=5)


# --- choice ----------------------------------------------------------------------------------

OPTIONS = [
    {"id": "yes", "label": "Yes please", "value": "Y"},
    {"id": "no", "label": "No"},
    {"id": "later", "label": "Ask {{who}}", "value": ""},
]


def choice_snapshot(multiple=False, type_name="choice", options=OPTIONS, edges=()):
    nodes = [
        node("s", "start"),
        node("c", type_name, variable="pick", options=options, multiple=multiple, prompt="Pick"),
        node("m_yes", "message", text="yes branch {{pick}}"),
        node("m_default", "message", text="default branch {{pick}}"),
    ]
    edges = [("s", "c"), ("c", "default", "m_default"), *edges]
    return make_snapshot(nodes, edges, variables={"pick": None, "who": "Bob"})


@pytest.mark.parametrize("value", ["yes", "YES", " y ", "yes please", "  YES PLEASE "])
def test_a_single_choice_matches_by_id_value_or_label_case_insensitively(value):
    snapshot = choice_snapshot(edges=[("c", "yes", "m_yes")])
    result = reply(snapshot, start(snapshot).state, value)
    assert result.answer.parsed == "Y"
    assert texts(result) == ["yes branch Y"]


def test_a_single_choice_without_an_edge_for_the_option_follows_default():
    snapshot = choice_snapshot(edges=[("c", "yes", "m_yes")])
    result = reply(snapshot, start(snapshot).state, "no")
    assert result.answer.parsed == "No"
    assert texts(result) == ["default branch No"]


def test_an_option_without_value_stores_its_rendered_label():
    snapshot = choice_snapshot()
    assert reply(snapshot, start(snapshot).state, "ask bob").answer.parsed == "Ask Bob"


def test_an_unknown_option_is_refused():
    snapshot = choice_snapshot()
    result = reply(snapshot, start(snapshot).state, "maybe")
    assert not result.answer.valid
    assert texts(result) == ["Please pick one of the options."]


def test_choices_show_templated_labels_and_never_values():
    result = start(choice_snapshot())
    assert result.input.to_dict() == {
        "node_id": "c",
        "type": "choice",
        "options": {"multiple": False},
        "choices": [
            {"id": "yes", "label": "Yes please"},
            {"id": "no", "label": "No"},
            {"id": "later", "label": "Ask Bob"},
        ],
    }


def test_picture_choices_show_templated_image_urls():
    options = [
        {"id": "cat", "label": "Cat", "image_url": "https://img.example/{{kind}}.png"},
        {"id": "evil", "label": "Evil", "image_url": "javascript:alert(1)"},
    ]
    snapshot = make_snapshot(
        [node("s", "start"), node("c", "picture_choice", options=options)], [("s", "c")], variables={"kind": "cat"}
    )
    assert start(snapshot).input.to_dict()["choices"] == [
        {"id": "cat", "label": "Cat", "image_url": "https://img.example/cat.png"},
        {"id": "evil", "label": "Evil", "image_url": ""},
    ]


def test_a_multiple_choice_takes_a_list_and_stores_values_in_order_without_repeats():
    snapshot = choice_snapshot(multiple=True, edges=[("c", "yes", "m_yes")])
    result = reply(snapshot, start(snapshot).state, ["no", "Y", "NO"])
    assert result.answer.parsed == ["No", "Y"]
    assert texts(result) == ["default branch No, Y"]


def test_a_multiple_choice_accepts_one_option_or_comma_separated_options():
    snapshot = choice_snapshot(multiple=True)
    state = start(snapshot).state
    assert reply(snapshot, state, "yes").answer.parsed == ["Y"]
    assert reply(snapshot, state, "yes, no").answer.parsed == ["Y", "No"]
    assert not reply(snapshot, state, "yes, maybe").answer.valid


def test_a_multiple_choice_label_with_a_comma_matches_whole():
    options = [{"id": "a", "label": "Red, dark"}, {"id": "b", "label": "Blue"}]
    snapshot = choice_snapshot(multiple=True, options=options)
    assert reply(snapshot, start(snapshot).state, "red, dark").answer.parsed == ["Red, dark"]


def test_a_multiple_choice_refuses_an_empty_list_or_unknown_options():
    snapshot = choice_snapshot(multiple=True)
    state = start(snapshot).state
    assert not reply(snapshot, state, []).answer.valid
    assert not reply(snapshot, state, ["yes", "maybe"]).answer.valid
    assert not reply(snapshot, state, [["yes"]]).answer.valid


def test_a_single_choice_accepts_a_one_item_list_but_not_more():
    snapshot = choice_snapshot()
    state = start(snapshot).state
    assert reply(snapshot, state, ["no"]).answer.parsed == "No"
    assert not reply(snapshot, state, ["no", "yes"]).answer.valid


def test_an_option_id_wins_over_another_options_label():
    options = [{"id": "b", "label": "First"}, {"id": "a", "label": "b"}]
    snapshot = choice_snapshot(options=options)
    assert reply(snapshot, start(snapshot).state, "b").answer.parsed == "First"


def test_of_options_sharing_a_label_the_first_is_chosen():
    options = [{"id": "a", "label": "Same", "value": "1"}, {"id": "b", "label": "same", "value": "2"}]
    snapshot = choice_snapshot(options=options)
    assert reply(snapshot, start(snapshot).state, "SAME").answer.parsed == "1"


def test_a_multiple_choice_matches_every_part_of_a_long_answer_among_many_options():
    options = [{"id": f"o{n}", "label": f"Option {n}", "value": f"v{n}"} for n in range(100)]
    snapshot = choice_snapshot(multiple=True, options=options)
    answer = [f"option {n}" for n in reversed(range(100))] + [f"O{n}" for n in range(100)]
    assert reply(snapshot, start(snapshot).state, answer).answer.parsed == [f"v{n}" for n in reversed(range(100))]


# --- file ------------------------------------------------------------------------------------

PNG = {"url": "https://files.example/a.png", "name": "Photo.PNG", "size": 2048, "content_type": "image/png"}


def test_a_file_description_is_stored():
    assert parsed("file_upload", {**PNG, "extra": "dropped"}) == PNG


@pytest.mark.parametrize("allowed", [["image/png"], ["image/*"], [".png"], ["application/pdf", ".png"], []])
def test_allowed_file_types_match_mime_wildcards_and_extensions(allowed):
    assert parsed("file_upload", PNG, allowed_types=allowed) == PNG


@pytest.mark.parametrize("allowed", [["image/jpeg"], ["video/*"], [".pdf"]])
def test_other_file_types_are_refused(allowed):
    assert refused("file_upload", PNG, allowed_types=allowed)


def test_files_over_the_size_limit_are_refused():
    assert refused("file_upload", {**PNG, "size": 2 * 1024 * 1024 + 1}, max_size_mb=2)
    assert parsed("file_upload", {**PNG, "size": 2 * 1024 * 1024}, max_size_mb=2)["size"] == 2 * 1024 * 1024


@pytest.mark.parametrize("value", [None, "", {}])
def test_an_optional_file_can_be_skipped(value):
    assert parsed("file_upload", value, required=False) is None


@pytest.mark.parametrize("value", [None, "", {}])
def test_a_required_file_cannot_be_skipped(value):
    assert refused("file_upload", value)


@pytest.mark.parametrize(
    "value",
    ["https://files.example/a.png", {"url": "", "name": "a", "size": 1}, {**PNG, "size": "big"}, {**PNG, "size": -1}],
)
def test_malformed_file_descriptions_are_refused(value):
    assert refused("file_upload", value)


def dynamic_snapshot(items, *, type_name="choice", edges=(), **data):
    nodes = [
        node("s", "start"),
        node(
            "c", type_name, variable="pick", dynamic_variable="sizes", options=[{"id": "d1", "label": "Static"}], **data
        ),
        node("m_d1", "message", text="static branch {{pick}}"),
        node("m", "message", text="picked {{pick}}"),
    ]
    return make_snapshot(
        nodes,
        [("s", "c"), ("c", "default", "m"), *edges],
        variables={"sizes": items, "pick": None, "images": ["https://img.example/s.png", "javascript:x"]},
    )


def test_dynamic_choices_are_the_items_of_a_list_variable():
    snapshot = dynamic_snapshot(["Small", "Medium", "{{pick}}", "", 42])
    first = start(snapshot)
    assert first.input.to_dict()["choices"] == [
        {"id": "d1", "label": "Small"},
        {"id": "d2", "label": "Medium"},
        {"id": "d3", "label": "{{pick}}"},
        {"id": "d5", "label": "42"},
    ]
    result = reply(snapshot, first.state, "medium")
    assert result.answer.parsed == "Medium"
    assert texts(result) == ["picked Medium"]


def test_a_dynamic_choice_follows_default_even_when_a_static_option_of_its_id_has_an_edge():
    snapshot = dynamic_snapshot(["Small", "Large"], edges=[("c", "d1", "m_d1")])
    result = reply(snapshot, start(snapshot).state, "d1")
    assert texts(result) == ["picked Small"]


def test_an_empty_or_unset_list_falls_back_to_the_static_options():
    for items in ([], None, ""):
        snapshot = dynamic_snapshot(items)
        assert start(snapshot).input.to_dict()["choices"] == [{"id": "d1", "label": "Static"}]


def test_a_text_variable_is_one_dynamic_choice_and_a_multiple_choice_stores_a_list():
    assert start(dynamic_snapshot("Only")).input.to_dict()["choices"] == [{"id": "d1", "label": "Only"}]
    snapshot = dynamic_snapshot(["Red", "Blue", "Green"], multiple=True)
    assert reply(snapshot, start(snapshot).state, ["green", "red"]).answer.parsed == ["Green", "Red"]


def test_dynamic_picture_choices_take_their_pictures_from_a_second_list():
    snapshot = dynamic_snapshot(["Small", "Large", "Huge"], type_name="picture_choice", dynamic_image_variable="images")
    assert start(snapshot).input.to_dict()["choices"] == [
        {"id": "d1", "label": "Small", "image_url": "https://img.example/s.png"},
        {"id": "d2", "label": "Large", "image_url": ""},
        {"id": "d3", "label": "Huge", "image_url": ""},
    ]


def test_at_most_100_dynamic_choices_are_shown():
    snapshot = dynamic_snapshot([f"item {n}" for n in range(500)])
    assert len(start(snapshot).input.to_dict()["choices"]) == 100
