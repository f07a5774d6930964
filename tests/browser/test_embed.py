import json

import pytest

from executions.models import ChatSession
from tests.browser.conftest import bubbles, chat
from tests.factories import edge, node, published_bot


def greeting_bot(**fields):
    graph = {
        "nodes": [
            node("start", "start"),
            node("hi", "message", text="Hello {{name}}, welcome from {{utm_source}}!"),
            node("ask", "text_input", prompt="What are you looking for?", variable="wish"),
            node("bye", "message", text="Noted: {{wish}}."),
            node("end", "end"),
        ],
        "edges": [edge("start", "hi"), edge("hi", "ask"), edge("ask", "bye"), edge("bye", "end")],
        "variables": [{"name": n, "default": None} for n in ("name", "utm_source", "wish")],
    }
    fields.setdefault("behavior", {})
    fields["behavior"].setdefault("typing_delay_ms", 50)
    return published_bot(graph=graph, **fields)


def shop_page(live_server, bot, *, mode="bubble", extra_attrs="", body="<h1>Our shop</h1>", head=""):
    variables = json.dumps({"name": "Zé"}).replace('"', "&quot;")
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Shop</title>{head}</head><body>{body}"
        f'<script src="{live_server.url}/static/chat/widget.js" data-bot="{bot.public_id}" data-mode="{mode}"'
        f' data-variables="{variables}"{extra_attrs} async></script></body></html>'
    )


def test_the_bubble_on_another_sites_page_chats_with_the_variables_it_was_given(
    page, live_server, other_site, artifacts
):
    bot = greeting_bot(
        appearance={"title": "Shop helper", "welcome_text": "Questions?"},
        behavior={"allowed_origins": [other_site.origin]},
    )
    page.goto(other_site(shop_page(live_server, bot)))
    widget = chat(page)
    launcher = widget.get_by_role("button", name="Open the chat: Shop helper")
    launcher.wait_for()
    assert widget.get_by_role("button", name="Questions?").is_visible()  # the welcome text, by the launcher
    assert ChatSession.objects.count() == 0  # nothing starts before the visitor opens it

    page.evaluate(
        "window.seen = []; ['open', 'close', 'end'].forEach(name =>"
        " addEventListener('chatbot:' + name, event => seen.push([name, event.detail.status || null])))"
    )
    # Variables from the page's JS reach the start call too.
    page.evaluate("Chatbot.setVariables({utm_source: 'newsletter'})")
    launcher.click()
    widget.get_by_text("Hello Zé, welcome from newsletter!").wait_for()
    field = widget.get_by_role("textbox", name="What are you looking for?")
    field.fill("A red bike")
    field.press("Enter")
    widget.get_by_text("This conversation has ended.").wait_for()
    assert bubbles(page)[-2:] == ["user: A red bike", "bot: Noted: A red bike."]
    page.screenshot(path=artifacts / "bubble-on-another-site.png")

    session = ChatSession.objects.get()
    assert session.variables == {"name": "Zé", "utm_source": "newsletter", "wish": "A red bike"}
    assert session.referrer.startswith(other_site.origin)

    # The JS API: start over, close, open again.
    page.evaluate("Chatbot.reset()")
    widget.get_by_role("textbox", name="What are you looking for?").wait_for()
    assert ChatSession.objects.count() == 2
    page.evaluate("Chatbot.close()")
    assert not widget.get_by_role("dialog").is_visible()
    page.evaluate("Chatbot.open()")
    assert widget.get_by_role("dialog").is_visible()
    assert page.evaluate("window.seen") == [["open", None], ["end", "completed"], ["close", None], ["open", None]]


def test_a_site_the_bot_does_not_allow_gets_no_widget_and_is_told_why(page, live_server, other_site):
    bot = greeting_bot(behavior={"allowed_origins": ["https://shop.example"]})
    url = other_site(shop_page(live_server, bot))
    warnings = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.goto(url)
    page.wait_for_function("() => document.querySelector('[data-chatbot]')?.hidden === true")
    assert any(other_site.origin in text and "behavior.allowed_origins" in text for text in warnings), warnings
    assert ChatSession.objects.count() == 0


@pytest.mark.parametrize("context", [{"width": 360, "height": 640}], indirect=True)
def test_the_bubble_works_from_the_keyboard_on_a_small_screen(page, live_server, other_site, artifacts):
    bot = greeting_bot(appearance={"title": "Helper"})
    page.goto(other_site(shop_page(live_server, bot, body='<h1>Shop</h1><a href="#top">Top</a>')))
    widget = chat(page)
    widget.get_by_role("button", name="Open the chat: Helper").wait_for()

    page.keyboard.press("Tab")  # the page's own link
    page.keyboard.press("Tab")  # the launcher
    page.keyboard.press("Enter")
    field = widget.get_by_role("textbox", name="What are you looking for?")
    field.wait_for()
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.getAttribute('aria-label')") == (
        "What are you looking for?"
    )
    log = widget.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    assert "What are you looking for?" in log.inner_text()

    panel = widget.get_by_role("dialog", name="Helper")
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert box["y"] >= 0 and box["y"] + box["height"] <= 640
    page.keyboard.type("Shoes")
    page.keyboard.press("Enter")
    widget.get_by_text("Noted: Shoes.").wait_for()
    page.screenshot(path=artifacts / "bubble-360px.png")

    page.keyboard.press("Escape")
    assert not panel.is_visible()
    launcher = widget.get_by_role("button", name="Open the chat: Helper")
    assert launcher.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.shadowRoot.activeElement.className") == "launcher"


def test_a_popup_opens_from_a_button_of_the_page_and_keeps_the_focus_inside(page, live_server, other_site):
    bot = greeting_bot(appearance={"title": "Helper"})
    body = f'<h1>Shop</h1><button type="button" data-chatbot-open="{bot.public_id}">Chat with us</button>'
    page.goto(other_site(shop_page(live_server, bot, mode="popup", body=body)))
    page.wait_for_function("() => window.Chatbot && window.Chatbot.get()")
    page.get_by_role("button", name="Chat with us").click()
    widget = chat(page)
    dialog = widget.get_by_role("dialog", name="Helper")
    assert dialog.get_attribute("aria-modal") == "true"
    widget.get_by_role("textbox", name="What are you looking for?").wait_for()
    for _ in range(6):  # Tab never leaves the dialog
        page.keyboard.press("Tab")
        assert page.evaluate("!!document.activeElement.shadowRoot")
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Chat with us"
