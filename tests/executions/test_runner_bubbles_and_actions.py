import pytest

from tests.executions.snapshots import chain, node, start, texts


def test_messages_are_sent_in_order_with_their_node_ids():
    snapshot = chain(node("s", "start"), node("a", "message", text="One"), node("b", "message", text="Two"))
    assert [m.to_dict() for m in start(snapshot).messages] == [
        {"node_id": "a", "type": "text", "text": "One"},
        {"node_id": "b", "type": "text", "text": "Two"},
    ]


def test_a_message_that_renders_empty_sends_no_bubble():
    snapshot = chain(node("s", "start"), node("a", "message", text="{{nothing}}"), variables={"nothing": None})
    assert start(snapshot).messages == ()


@pytest.mark.parametrize(
    ("type_name", "data", "expected_extra"),
    [
        (
            "image",
            {"alt": "A {{what}}", "link": "https://example.com/{{what}}"},
            {"alt": "A cat", "link": "https://example.com/cat"},
        ),
        ("video", {"height": 300, "autoplay": True}, {"height": 300, "autoplay": True}),
        ("audio", {}, {"autoplay": False}),
        ("embed", {}, {"height": 400}),
    ],
)
def test_media_messages_carry_their_templated_url_and_options(type_name, data, expected_extra):
    snapshot = chain(
        node("s", "start"),
        node("md", type_name, url="https://cdn.example/{{what}}.bin", **data),
        variables={"what": "cat"},
    )
    (message,) = start(snapshot).messages
    assert message.to_dict() == {
        "node_id": "md",
        "type": type_name,
        "url": "https://cdn.example/cat.bin",
        **expected_extra,
    }


def test_media_with_an_empty_url_is_skipped_with_a_warning():
    snapshot = chain(node("s", "start"), node("md", "image", url="{{unset}}"), node("m", "message", text="after"))
    result = start(snapshot)
    assert texts(result) == ["after"]
    assert [(log.node_id, log.level) for log in result.logs] == [("md", "warning")]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>", "//no-scheme.example"])
def test_media_with_a_non_http_url_is_skipped_with_a_warning(url):
    snapshot = chain(node("s", "start"), node("md", "embed", url=url))
    result = start(snapshot)
    assert result.messages == ()
    assert [log.level for log in result.logs] == ["warning"]


def test_an_image_link_that_is_not_http_is_dropped():
    snapshot = chain(node("s", "start"), node("md", "image", url="https://a.example/x.png", link="javascript:x"))
    (message,) = start(snapshot).messages
    assert message.to_dict()["link"] == ""


def test_wait_and_redirect_become_actions_placed_after_the_messages_before_them():
    snapshot = chain(
        node("s", "start"),
        node("m1", "message", text="One"),
        node("w", "wait", seconds=2),
        node("m2", "message", text="Two"),
        node("r", "redirect", url="https://example.com/?u={{name}}", new_tab=True),
        node("m3", "message", text="Three"),
        variables={"name": "ana"},
    )
    result = start(snapshot)
    assert texts(result) == ["One", "Two", "Three"]
    assert [dict(action) for action in result.actions] == [
        {"type": "wait", "seconds": 2, "message_index": 1},
        {"type": "redirect", "url": "https://example.com/?u=ana", "new_tab": True, "message_index": 2},
    ]
    assert result.status == "completed"


def test_wait_accepts_fractions_and_clamps_its_seconds():
    snapshot = chain(node("s", "start"), node("w1", "wait", seconds=0.5), node("w2", "wait", seconds=600))
    assert [action["seconds"] for action in start(snapshot).actions] == [0.5, 60]


@pytest.mark.parametrize("url", ["{{unset}}", "javascript:alert(document.cookie)"])
def test_a_redirect_without_a_safe_url_is_skipped_with_a_warning(url):
    snapshot = chain(node("s", "start"), node("r", "redirect", url=url), node("m", "message", text="after"))
    result = start(snapshot)
    assert result.actions == ()
    assert texts(result) == ["after"]
    assert [log.level for log in result.logs] == ["warning"]
