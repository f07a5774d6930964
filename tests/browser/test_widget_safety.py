from tests.browser.conftest import chat
from tests.factories import edge, node, published_bot

HOSTILE = (
    'Hi <img src=x onerror="window.pwned = 1"> **bold** and *soft* text, '
    "[a trap](javascript:window.pwned=2) and [a real link](https://example.com/help)."
)


def echo_bot():
    graph = {
        "nodes": [
            node("start", "start"),
            node("hostile", "message", text=HOSTILE),
            node("ask", "text_input", prompt="Say something", variable="said"),
            node("echo", "message", text="You said: {{said}}"),
            node("end", "end"),
        ],
        "edges": [edge("start", "hostile"), edge("hostile", "ask"), edge("ask", "echo"), edge("echo", "end")],
        "variables": [{"name": "said", "default": None}],
    }
    return published_bot(graph=graph, behavior={"typing_delay_ms": 0})


def test_html_and_javascript_links_in_messages_render_inert(page, live_server, artifacts):
    bot = echo_bot()
    page.goto(f"{live_server.url}/chat/{bot.public_id}/")
    widget = chat(page)
    first = widget.locator(".row.bot .msg").first
    first.wait_for()
    assert first.inner_text() == (
        'Hi <img src=x onerror="window.pwned = 1"> bold and soft text, a trap and a real link.'
    )
    assert first.locator("img").count() == 0
    assert first.locator("strong").inner_text() == "bold"
    assert first.locator("em").inner_text() == "soft"
    links = first.locator("a")
    assert links.count() == 1
    assert links.get_attribute("href") == "https://example.com/help"
    assert links.get_attribute("rel") == "noopener noreferrer nofollow"
    assert widget.locator("a[href^='javascript']").count() == 0

    field = widget.get_by_role("textbox", name="Say something")
    field.fill('<script>window.pwned = 3</script><img src=x onerror="window.pwned = 4">')
    field.press("Enter")
    widget.get_by_text("You said: <script>", exact=False).wait_for()
    assert widget.locator(".log script, .log img").count() == 0
    assert page.evaluate("window.pwned") is None
    page.screenshot(path=artifacts / "inert-html.png")


AGGRESSIVE_CSS = """
* { display: none !important; color: red !important; font-size: 40px !important;
    background: lime !important; visibility: hidden !important; opacity: 0 !important;
    transform: scale(0.1) !important; }
html, body { display: block !important; visibility: visible !important; opacity: 1 !important;
    transform: none !important; }
"""


def test_the_host_pages_aggressive_css_neither_hides_nor_restyles_the_widget(page, live_server, other_site, artifacts):
    bot = echo_bot()
    html = (
        f"<!doctype html><html><head><style>{AGGRESSIVE_CSS}</style></head><body><p>Hidden by its own page</p>"
        f'<script src="{live_server.url}/static/chat/widget.js" data-bot="{bot.public_id}" async></script>'
        "</body></html>"
    )
    page.goto(other_site(html))
    widget = chat(page)
    launcher = widget.locator(".launcher")
    launcher.wait_for()  # visible despite `* { display: none }`
    launcher.click()
    message = widget.locator(".row.bot .msg").first
    message.wait_for()
    style = message.evaluate(
        "el => { const s = getComputedStyle(el); return [s.color, s.fontSize, s.backgroundColor] }"
    )
    assert style == ["rgb(17, 24, 39)", "15px", "rgb(243, 244, 246)"]
    page.screenshot(path=artifacts / "aggressive-host-css.png")


def test_the_widgets_css_does_not_leak_into_the_page(page, live_server, other_site):
    bot = echo_bot()
    html = (
        '<!doctype html><html><body><button class="send launcher">Page button</button><div class="msg">Page text</div>'
        f'<script src="{live_server.url}/static/chat/widget.js" data-bot="{bot.public_id}" async></script>'
        "</body></html>"
    )
    page.goto(other_site(html))
    chat(page).locator(".launcher").wait_for()
    button = page.get_by_role("button", name="Page button")
    assert button.evaluate("el => getComputedStyle(el).position") == "static"
    assert page.locator("div.msg").evaluate("el => getComputedStyle(el).borderRadius") == "0px"
