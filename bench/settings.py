"""Settings for `make bench`: the project's own, plus a bare DRF endpoint to compare against."""

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
