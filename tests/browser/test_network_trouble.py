"""What the widget does when the network or the server says no (simulated in the browser)."""

from rest_framework.test import APIClient

from executions.models import ChatSession
from tests.browser.conftest import bubbles, chat
from tests.factories import form_graph, published_bot


def open_form(page, live_server):
    bot = published_bot(graph=form_graph(), behavior={"typing_delay_ms": 0})
    page.goto(f"{live_server.url}/chat/{bot.public_id}/")
    chat(page).get_by_role("textbox", name="Your name?").wait_for()


def fail_first(page, pattern: str, respond):
    """Answer the first request matching `pattern` with `respond(route)`; let the others through."""
    seen = []

    def handler(route):
        seen.append(route.request.url)
        if len(seen) == 1:
            respond(route)
        else:
            route.continue_()

    page.route(pattern, handler)
    return seen


def test_a_reply_answered_409_with_retry_after_is_sent_again_after_the_wait(page, live_server):
    open_form(page, live_server)
    seen = fail_first(
        page,
        "**/reply/",
        lambda route: route.fulfill(
            status=409, headers={"Retry-After": "1"}, json={"detail": "Another reply is being processed."}
        ),
    )
    field = chat(page).get_by_role("textbox", name="Your name?")
    field.fill("Ana")
    field.press("Enter")
    chat(page).get_by_role("textbox", name="Email, Ana?").wait_for()
    assert len(seen) == 2
    assert bubbles(page)[-2:] == ["user: Ana", "bot: Email, Ana?"]
    assert ChatSession.objects.get().variables["name"] == "Ana"


def test_a_reply_throttled_with_429_is_sent_again_after_the_wait(page, live_server):
    open_form(page, live_server)
    slow_down = {"status": 429, "headers": {"Retry-After": "1"}, "json": {"detail": "Request was throttled."}}
    seen = fail_first(page, "**/reply/", lambda route: route.fulfill(**slow_down))
    field = chat(page).get_by_role("textbox", name="Your name?")
    field.fill("Ana")
    field.press("Enter")
    chat(page).get_by_role("textbox", name="Email, Ana?").wait_for()
    assert len(seen) == 2


def test_a_lost_connection_says_so_and_the_answer_can_be_sent_again(page, live_server):
    open_form(page, live_server)
    fail_first(page, "**/reply/", lambda route: route.abort())
    field = chat(page).get_by_role("textbox", name="Your name?")
    field.fill("Ana")
    field.press("Enter")
    chat(page).get_by_role("alert").get_by_text("Can't reach the chat server", exact=False).wait_for()
    assert bubbles(page) == ["bot: Hello!", "bot: Your name?"]  # the unsent answer is not shown as sent
    field = chat(page).get_by_role("textbox", name="Your name?")
    assert field.input_value() == "Ana"  # kept, to send again
    field.press("Enter")
    chat(page).get_by_role("textbox", name="Email, Ana?").wait_for()
    assert not chat(page).get_by_role("alert").is_visible()


def test_a_reply_refused_because_another_tab_moved_on_catches_up(page, live_server):
    open_form(page, live_server)
    session = ChatSession.objects.get()
    # Another tab answers first.
    APIClient().post(f"/api/flows/public/sessions/{session.pk}/reply/", {"value": "Bea"}, format="json")
    field = chat(page).get_by_role("textbox", name="Your name?")
    field.fill("Ana")
    field.press("Enter")  # 409: that input was already answered
    chat(page).get_by_role("textbox", name="Email, Bea?").wait_for()
    assert bubbles(page) == ["bot: Hello!", "bot: Your name?", "user: Bea", "bot: Email, Bea?"]


def test_a_reload_while_the_bots_http_request_is_under_way_waits_for_it(page, live_server):
    open_form(page, live_server)
    field = chat(page).get_by_role("textbox", name="Your name?")
    field.fill("Ana")
    field.press("Enter")
    chat(page).get_by_role("textbox", name="Email, Ana?").wait_for()

    def busy(route):  # what the session read answers while a call of the turn is under way
        body = route.fetch().json()
        route.fulfill(status=200, headers={"Retry-After": "1"}, json={**body, "input": None})

    seen = fail_first(page, "**/api/flows/public/sessions/*/", busy)
    page.reload()
    chat(page).get_by_role("textbox", name="Email, Ana?").wait_for()
    assert len(seen) == 2
    assert bubbles(page) == ["bot: Hello!", "bot: Your name?", "user: Ana", "bot: Email, Ana?"]
