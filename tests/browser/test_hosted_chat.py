from executions.models import ChatSession
from tests.browser.conftest import bubbles, chat, record_timing
from tests.factories import edge, node, published_bot

DEMO_EMAIL_RETRY = "This email doesn't seem to be valid. Can you type it again?"


def send(page, text: str) -> None:
    field = chat(page).locator(".composer input, .composer textarea")
    field.fill(text)
    field.press("Enter")


def test_a_whole_conversation_with_the_demo_bot_on_its_hosted_page(page, live_server, demo_bot, artifacts):
    page.goto(f"{live_server.url}/chat/{demo_bot.public_id}/")
    widget = chat(page)
    field = widget.locator(".composer input")
    field.wait_for()
    assert page.title() == "Demo assistant"
    # The page is only the chat: the first question has the focus.
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.tagName") == "INPUT"

    send(page, "Ana")
    widget.get_by_text("What's your email?", exact=False).wait_for()
    send(page, "not-an-email")
    widget.get_by_text(DEMO_EMAIL_RETRY).wait_for()
    send(page, "Ana@Example.com")
    widget.get_by_role("button", name="I want to build a bot").click()
    widget.get_by_role("button", name="9", exact=True).click()
    widget.get_by_text("This conversation has ended.").wait_for()

    assert bubbles(page) == [
        "bot: Hi! I'm the demo bot of this chatbot builder. 👋",
        "bot: What's your name?",
        "user: Ana",
        "bot: Nice to meet you, Ana! What's your email? (It stays in this demo's results.)",
        "user: not-an-email",
        f"bot: {DEMO_EMAIL_RETRY}",
        "user: Ana@Example.com",
        "bot: Thanks! What brings you here?",
        "user: I want to build a bot",
        "bot: Great! Open Swagger UI at /api/schema/swagger-ui/ to try the API.",
        "bot: How would you rate this demo, from 0 to 10?",
        "user: 9",
        "bot: Thank you, Ana! A 9 made our day. 🎉",
        "bot: That's the end of the demo. Goodbye, Ana!",
    ]
    assert widget.get_by_role("button", name="Start a new conversation").is_visible()
    page.screenshot(path=artifacts / "hosted-page-finished-conversation.png", full_page=True)

    session = ChatSession.objects.get()
    assert session.status == "completed"
    assert session.variables["email"] == "ana@example.com"
    assert session.variables["goal"] == "build"
    # Reported, not asserted: from the script starting to the first bot message on screen
    # (the demo bot's typing delay, 600 ms, included).
    record_timing(
        "hosted_page_script_to_first_message_ms",
        page.evaluate(
            "performance.getEntriesByName('chatbot:first-message')[0].startTime"
            " - performance.getEntriesByName('chatbot:script')[0].startTime"
        ),
    )


def test_the_hosted_page_works_inside_an_iframe_of_another_site(page, live_server, demo_bot, other_site, artifacts):
    chat_url = f"{live_server.url}/chat/{demo_bot.public_id}/"
    url = other_site(
        f'<!doctype html><title>Shop</title><h1>Our shop</h1><iframe src="{chat_url}" title="Chat"'
        ' width="400" height="600"></iframe>'
    )
    page.goto(url)
    frame = page.frame_locator("iframe")
    frame.locator("[data-chatbot] .composer input").fill("Zoé")
    frame.locator("[data-chatbot] .composer input").press("Enter")
    frame.get_by_text("Nice to meet you, Zoé!", exact=False).wait_for()
    page.screenshot(path=artifacts / "hosted-page-in-an-iframe.png")
    assert ChatSession.objects.get().variables["name"] == "Zoé"


def test_a_conversation_the_server_stopped_says_why_and_offers_a_new_one(page, live_server, settings):
    settings.RUNNER_MAX_STEPS = 2  # the bot's three messages in a row are one step too many
    graph = {
        "nodes": [node("start", "start")] + [node(f"m{i}", "message", text=f"Part {i}") for i in range(3)],
        "edges": [edge("start", "m0"), edge("m0", "m1"), edge("m1", "m2")],
        "variables": [],
    }
    bot = published_bot(graph=graph, behavior={"typing_delay_ms": 0})
    page.goto(f"{live_server.url}/chat/{bot.public_id}/")
    widget = chat(page)
    widget.get_by_text("This conversation stopped.").wait_for()
    assert "stuck in a loop" in bubbles(page)[-1]
    assert ChatSession.objects.get().status == "failed"
    ended = widget.locator(".end").element_handle()
    widget.get_by_role("button", name="Start a new conversation").click()
    ended.wait_for_element_state("hidden")  # gone with the old conversation
    widget.get_by_text("This conversation stopped.").wait_for()
    assert ChatSession.objects.count() == 2


def test_a_site_outside_the_bots_allowed_origins_cannot_frame_its_hosted_page(page, live_server, other_site):
    bot = published_bot(behavior={"allowed_origins": ["https://shop.example"]})
    url = other_site(f'<!doctype html><iframe src="{live_server.url}/chat/{bot.public_id}/" title="Chat"></iframe>')
    with page.expect_event("framenavigated", predicate=lambda frame: frame.parent_frame is not None):
        page.goto(url)
    frame = page.frames[1]
    frame.wait_for_load_state()
    assert frame.url.startswith("chrome-error://")  # refused by the page's frame-ancestors
    assert ChatSession.objects.count() == 0
