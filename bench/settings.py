"""Settings for `make bench`: the project's own, plus a bare DRF endpoint to compare against."""

import os
import warnings

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
SECURE_SSL_REDIRECT = False
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}

# The bench serves no static files; whitenoise would warn that collectstatic never ran.
# (The warning is attributed to Django's handler, which builds the middleware, so no module filter.)
warnings.filterwarnings("ignore", message="No directory at")

# `make bench` on SQLite serves the same database a second time with Django's stock backend
# (no writer queue), to measure the queue against it side by side.
if os.environ.get("BENCH_SQLITE_BACKEND") == "stock" and DATABASES["default"]["ENGINE"] == "config.db.sqlite3":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "django.db.backends.sqlite3"  # noqa: F405
