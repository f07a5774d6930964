from datetime import timedelta

from django.utils import timezone

from executions.models import ChatSession
from tests.browser.conftest import bubbles, chat
from tests.factories import form_graph, published_bot

EXPIRED_NOTE = "Your previous conversation expired, so a new one has started."


def form_bot():
    """Hello! → name → email → newsletter (choice) → bye (tests.factories.form_graph)."""
    return published_bot(graph=form_graph(), behavior={"typing_delay_ms": 0, "session_timeout_minutes": 30})


def answer(page, text):
    field = chat(page).locator(".composer input")
    field.fill(text)
    field.press("Enter")


def test_a_reload_mid_conversation_resumes_where_it_was(page, live_server):
    bot = form_bot()
    page.goto(f"{live_server.url}/chat/{bot.public_id}/")
    answer(page, "Ana")
    chat(page).get_by_text("Email, Ana?").wait_for()
    before = bubbles(page)

    page.reload()
    widget = chat(page)
    widget.get_by_role("textbox", name="Email, Ana?").wait_for()
    assert bubbles(page) == before == ["bot: Hello!", "bot: Your name?", "user: Ana", "bot: Email, Ana?"]
    answer(page, "ana@example.com")
    widget.get_by_role("button", name="Yes please").click()
    widget.get_by_text("This conversation has ended.").wait_for()
    session = ChatSession.objects.get()  # one conversation, carried on
    assert session.status == "completed"
    assert session.variables == {"name": "Ana", "email": "ana@example.com", "news": "y"}

    page.reload()  # a finished conversation shows as finished, with a way to start again
    widget.get_by_text("This conversation has ended.").wait_for()
    widget.get_by_role("button", name="Start a new conversation").click()
    widget.get_by_role("textbox", name="Your name?").wait_for()
    assert bubbles(page) == ["bot: Hello!", "bot: Your name?"]
    assert ChatSession.objects.count() == 2


def answer_then_idle_past_the_timeout(page, live_server) -> None:
    bot = form_bot()
    page.goto(f"{live_server.url}/chat/{bot.public_id}/")
    answer(page, "Ana")
    chat(page).get_by_text("Email, Ana?").wait_for()
    ChatSession.objects.update(last_activity_at=timezone.now() - timedelta(minutes=31))


def test_a_reload_after_the_session_expired_starts_fresh(page, live_server):
    answer_then_idle_past_the_timeout(page, live_server)
    page.reload()
    chat(page).get_by_role("textbox", name="Your name?").wait_for()
    assert bubbles(page) == ["bot: Hello!", "bot: Your name?"]
    assert chat(page).get_by_text(EXPIRED_NOTE).is_visible()
    assert ChatSession.objects.count() == 2


def test_an_answer_to_a_session_that_expired_meanwhile_starts_fresh(page, live_server):
    answer_then_idle_past_the_timeout(page, live_server)
    answer(page, "ana@example.com")  # the server answers 410
    chat(page).get_by_text(EXPIRED_NOTE).wait_for()
    chat(page).get_by_role("textbox", name="Your name?").wait_for()
    assert bubbles(page) == ["bot: Hello!", "bot: Your name?"]
    assert sorted(ChatSession.objects.values_list("status", flat=True)) == ["active", "expired"]
