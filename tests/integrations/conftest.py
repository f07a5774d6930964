import pytest


@pytest.fixture
def target(httpserver, settings):
    """A local HTTP server that the outbound guard lets through (and nothing else)."""
    settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{httpserver.port}", f"localhost:{httpserver.port}"]
    return httpserver


@pytest.fixture
def fast_retries(settings):
    settings.WEBHOOK_RETRY_DELAYS = [0, 0, 0]
