"""Settings for `make bench-widget`: the bench's, serving static files straight from the apps
(no collectstatic needed for a throwaway run)."""

from bench.settings import *  # noqa: F403

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
