"""Where Chromium is and how it is launched: Debian's package, headless (Playwright's own
browser download is not used). Shared by the browser tests and `make bench-widget`."""

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
