"""Browser tests: Playwright for Python driving Debian's Chromium against a live server.

Every page runs behind a network guard: a request to any host other than this machine is
aborted and recorded, and the test fails. Screenshots and timings go to
`test-artifacts/browser/` (git-ignored).

Chromium is found at CHROMIUM_PATH (default /usr/bin/chromium). When it is missing these tests
skip, unless BROWSER_TESTS_REQUIRED=1 (as CI sets), where they fail instead.
"""

import io
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.management import call_command

import pytest

from chatbots.models import Chatbot
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="package")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)."
        if os.environ.get("BROWSER_TESTS_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls are
    # plain synchronous code all the same.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Guard:
    """What the pages of one test tried: requests that would have left the machine, uncaught
    script errors, console messages."""

    def __init__(self):
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.console: list[str] = []

    def route(self, route):
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOCAL_HOSTS:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def watch(self, page):
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))


@pytest.fixture
def guard():
    return Guard()


@pytest.fixture
def context(browser, guard, request):
    viewport = getattr(request, "param", None) or {"width": 1024, "height": 768}
    ctx = browser.new_context(viewport=viewport)
    ctx.set_default_timeout(TIMEOUT_MS)
    ctx.route("**/*", guard.route)
    ctx.on("page", guard.watch)
    yield ctx
    ctx.close()
    assert guard.outside == [], f"requests left the machine: {guard.outside}"
    assert guard.errors == [], f"uncaught script errors: {guard.errors}"


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def record_timing(name: str, value: float) -> None:
    """Keep a figure measured in the browser (reported, never asserted)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    timings[name] = round(value, 1)
    path.write_text(json.dumps(timings, indent=2, sort_keys=True))


@pytest.fixture
def demo_bot(live_server) -> Chatbot:
    call_command("setup_demo", "--force", "--base-url", live_server.url, stdout=io.StringIO())
    return Chatbot.objects.get(name="Demo assistant")


class OtherSite:
    """A plain page served from another origin (127.0.0.1 on its own port; the app is on localhost)."""

    def __init__(self, server):
        self.server = server
        self.origin = server.url_for("/").rstrip("/")

    def __call__(self, html: str, path: str = "/shop.html") -> str:
        self.server.expect_request(path).respond_with_data(html, content_type="text/html; charset=utf-8")
        return self.server.url_for(path)


@pytest.fixture
def other_site(httpserver_ipv4) -> OtherSite:
    return OtherSite(httpserver_ipv4)


def chat(page):
    """The chat widget's shadow root on the page (Playwright's CSS selectors pierce it)."""
    return page.locator("[data-chatbot]")


def bubbles(page) -> list[str]:
    """The conversation as shown: 'bot: …' and 'user: …', in order."""
    rows = page.locator("[data-chatbot] .row")
    return [
        f"{'user' if 'user' in row.get_attribute('class') else 'bot'}: {row.inner_text().strip()}" for row in rows.all()
    ]
