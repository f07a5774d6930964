"""`make bench-widget`: the chat widget's size and how soon a visitor sees the bot speak.

- Prints the size of static/chat/widget.js, raw and gzipped (the budget is 25 KB gzipped).
- Serves the project with gunicorn (2 workers) on a throwaway database with the demo bot, then
  opens its hosted chat page in headless Chromium (CHROMIUM_PATH, default /usr/bin/chromium)
  a number of times, each in a fresh browser context (no cache, no stored session), and reads
  two marks the widget sets (User Timing): `chatbot:script` when its script starts and
  `chatbot:first-message` when the first bot message is on screen. Both are reported from the
  script's start and from the navigation's start, with the bot's typing delay at its default
  (600 ms) and at 0.

Figures, not assertions: they depend on the machine and what else runs on it.
"""

import argparse
import gzip
import io
import os
import statistics
import sys
from pathlib import Path

from bench.chat import ROOT, prepare_database, serve, server_env
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

WIDGET = Path(ROOT) / "flows" / "static" / "chat" / "widget.js"
MARKS = """() => {
  const at = (name) => performance.getEntriesByName(name)[0].startTime;
  return [at('chatbot:first-message') - at('chatbot:script'), at('chatbot:first-message')];
}"""


def seed(env: dict) -> str:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from chatbots.models import Chatbot

    call_command("migrate", verbosity=0)
    call_command("setup_demo", "--force", stdout=io.StringIO())
    return Chatbot.objects.get(name="Demo assistant").public_id


def set_typing_delay(public_id: str, delay_ms: int) -> None:
    from chatbots.models import Chatbot

    bot = Chatbot.objects.get(public_id=public_id)
    bot.behavior = {**bot.behavior, "typing_delay_ms": delay_ms}
    bot.save()


def measure(browser, url: str, runs: int) -> tuple[list[float], list[float]]:
    from_script, from_navigation = [], []
    for _ in range(runs):
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        page.locator("[data-chatbot] .row.bot").first.wait_for(timeout=15_000)
        script, navigation = page.evaluate(MARKS)
        from_script.append(script)
        from_navigation.append(navigation)
        context.close()
    return from_script, from_navigation


def spread(values: list[float]) -> str:
    return f"median {statistics.median(values):6.0f} ms  (min {min(values):.0f}, max {max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10, help="page loads per typing delay")
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()

    source = WIDGET.read_bytes()
    print(
        f"widget.js: {len(source) / 1024:.1f} KB raw, {len(gzip.compress(source, 9)) / 1024:.1f} KB gzipped "
        f"(level 9; {len(gzip.compress(source, 6)) / 1024:.1f} KB at level 6)"
    )

    if not os.path.exists(CHROMIUM):
        sys.exit(f"Chromium not found at {CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH.")
    env, cleanup = prepare_database(server_env(DJANGO_SETTINGS_MODULE="bench.widget_settings"))
    server = None
    try:
        public_id = seed(env)
        server = serve(args.port, env, "--workers", "2")
        from playwright.sync_api import sync_playwright

        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM writes between Playwright calls
        url = f"http://127.0.0.1:{args.port}/chat/{public_id}/"
        print(f"hosted chat page of the demo bot, {args.runs} fresh page loads each, headless Chromium, localhost")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            measure(browser, url, 2)  # warm both workers
            for delay in (600, 0):
                set_typing_delay(public_id, delay)
                from_script, from_navigation = measure(browser, url, args.runs)
                print(f"typing delay {delay:>3} ms: script start -> first bot message  {spread(from_script)}")
                print(f"                  navigation start -> first bot message  {spread(from_navigation)}")
            browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        cleanup()


if __name__ == "__main__":
    main()
