"""Every message and input type through the widget, with the control each one calls for."""

import itertools

from executions.models import ChatSession, ChatUpload
from tests.browser.conftest import chat
from tests.factories import edge, node, published_bot


def every_type_bot(base: str):
    static = f"{base}/static/chat"
    steps = [
        node("logo", "image", url=f"{static}/favicon.svg", alt="Logo", link="https://example.com/"),
        node("clip", "video", url=f"{static}/missing-clip.mp4", height=200),
        node("jingle", "audio", url=f"{static}/missing-jingle.mp3"),
        node("page", "embed", url=f"{static}/page.css", height=120),
        node("pause", "wait", seconds=1),
        node("after", "message", text="After the pause."),
        node("story", "text_input", prompt="Tell me a story", variable="story", multiline=True),
        node("count", "number_input", prompt="How many?", variable="count", min=1, max=10),
        node("email", "email_input", prompt="Your email?", variable="email"),
        node("phone", "phone_input", prompt="Your phone?", variable="phone", default_country="FR"),
        node("site", "url_input", prompt="Your website?", variable="site"),
        node("stay", "date_input", prompt="When do you come?", variable="stay", range=True, min="2030-01-01"),
        node(
            "toppings",
            "choice",
            prompt="Toppings?",
            variable="toppings",
            multiple=True,
            options=[
                {"id": "cheese", "label": "Cheese", "value": "cheese"},
                {"id": "olives", "label": "Olives", "value": "olives"},
                {"id": "basil", "label": "Basil", "value": "basil"},
            ],
        ),
        node(
            "colour",
            "picture_choice",
            prompt="Which one?",
            variable="colour",
            options=[
                {"id": "blue", "label": "Blue", "value": "blue", "image_url": f"{static}/favicon.svg"},
                {"id": "red", "label": "Red", "value": "red", "image_url": f"{static}/favicon.svg"},
            ],
        ),
        node("stars", "rating", prompt="Stars?", variable="stars", min=1, max=5),
        node("score", "rating", prompt="Score?", variable="score", min=0, max=100),
        node("notes", "file_upload", prompt="Your notes?", variable="notes", allowed_types=[".txt"], max_size_mb=1),
        node("thanks", "message", text="Thanks! {{count}} / {{phone}} / {{site}} / {{stars}}."),
        node("away", "redirect", url=f"{base}/healthz"),
    ]
    nodes = [node("start", "start"), *steps, node("end", "end")]
    handles = {"choice": "default", "picture_choice": "default"}
    variables = [step["data"]["variable"] for step in steps if "variable" in step["data"]]
    return {
        "nodes": nodes,
        "edges": [edge(a["id"], b["id"], handles.get(a["type"], "next")) for a, b in itertools.pairwise(nodes)],
        "variables": [{"name": name, "default": None} for name in variables],
    }


def test_every_message_and_input_type_gets_its_control(page, live_server, tmp_path, artifacts):
    bot = published_bot(graph=every_type_bot(live_server.url), behavior={"typing_delay_ms": 0})
    page.goto(f"{live_server.url}/chat/{bot.public_id}/")
    widget = chat(page)
    log = widget.locator(".log")

    # Bubbles: media by URL, the wait, then text.
    widget.get_by_text("After the pause.").wait_for()
    image = log.get_by_role("img", name="Logo")
    assert image.get_attribute("src").endswith("/static/chat/favicon.svg")
    assert log.locator("a:has(img[alt=Logo])").get_attribute("href") == "https://example.com/"
    assert log.locator("video").get_attribute("src").endswith("missing-clip.mp4")
    assert log.locator("audio").get_attribute("controls") == ""
    embed = log.locator("iframe")
    assert embed.get_attribute("src").endswith("/static/chat/page.css")
    assert "allow-scripts" in embed.get_attribute("sandbox")
    assert embed.evaluate("el => el.style.height") == "120px"

    def answer_in(field, text):
        field.fill(text)
        field.press("Enter")

    story = widget.locator("textarea")
    assert story.get_attribute("aria-label") == "Tell me a story"
    story.fill("Once upon a time")
    story.press("Shift+Enter")  # a new line, not a send
    story.type("the end")
    story.press("Enter")

    number = widget.get_by_role("textbox", name="How many?")
    assert number.get_attribute("inputmode") == "decimal"
    answer_in(number, "3")
    email = widget.get_by_role("textbox", name="Your email?")
    assert email.get_attribute("type") == "email"
    answer_in(email, "Me@Example.com")
    phone = widget.get_by_role("textbox", name="Your phone?")
    assert (phone.get_attribute("type"), phone.get_attribute("inputmode")) == ("tel", "tel")
    answer_in(phone, "01 23 45 67 89")
    site = widget.get_by_role("textbox", name="Your website?")
    assert site.get_attribute("type") == "url"
    answer_in(site, "example.com")

    start, end = widget.get_by_label("From"), widget.get_by_label("To")
    assert start.get_attribute("type") == "date" and start.get_attribute("min") == "2030-01-01"
    start.fill("2030-05-01")
    end.fill("2030-05-05")
    widget.get_by_role("button", name="Send").click()

    cheese = widget.get_by_role("button", name="Cheese")
    send = widget.get_by_role("button", name="Send")
    assert send.is_disabled()
    cheese.click()
    widget.get_by_role("button", name="Basil").click()
    assert cheese.get_attribute("aria-pressed") == "true"
    send.click()

    red = widget.get_by_role("button", name="Red")
    assert red.locator("img").get_attribute("src").endswith("favicon.svg")
    red.click()
    stars = widget.get_by_role("group", name="Stars? (1 to 5)")
    stars.wait_for()
    assert stars.get_by_role("button").all_inner_texts() == ["1", "2", "3", "4", "5"]
    stars.get_by_role("button", name="4").click()
    slider = widget.get_by_role("slider", name="Score? (0 to 100)")
    slider.fill("73")
    widget.get_by_role("button", name="Send").click()

    notes = tmp_path / "notes.txt"
    notes.write_text("remember the milk")
    widget.get_by_role("button", name="Your notes?: choose a file").wait_for()
    widget.locator("input[type=file]").set_input_files(notes)
    page.screenshot(path=artifacts / "every-input-type.png", full_page=True)

    page.wait_for_url(f"{live_server.url}/healthz")  # the redirect action, after the last message
    session = ChatSession.objects.get()
    assert session.status == "completed"
    variables = session.variables
    assert variables["story"] == "Once upon a time\nthe end"
    assert variables["count"] == 3
    assert variables["email"] == "me@example.com"
    assert variables["phone"] == "+33123456789"
    assert variables["site"] == "https://example.com"
    assert variables["stay"] == {"start": "2030-05-01", "end": "2030-05-05"}
    assert variables["toppings"] == ["cheese", "basil"]
    assert variables["colour"] == "red"
    assert (variables["stars"], variables["score"]) == (4, 73)
    assert variables["notes"]["name"] == "notes.txt"
    assert ChatUpload.objects.get().size == len("remember the milk")
    shown = [m.content.get("text") for m in session.messages.filter(sender="user").order_by("seq")]
    assert shown[-6:] == ["2030-05-01 – 2030-05-05", "Cheese, Basil", "Red", "4", "73", "notes.txt"]
