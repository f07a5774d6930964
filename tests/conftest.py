from pathlib import Path

from django.core.cache import cache

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory

# dns, network and outbound_settings: see tests/network.py.
pytest_plugins = ["tests.network"]


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Deliveries run when a test runs them (deliver_due), never in a background thread.
    settings.WEBHOOK_DELIVERY = "worker"
    # Generous limits everywhere; the throttling tests set tight ones themselves.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "10000/min"),
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_client(other_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(other_user)
    return client


def pytest_sessionstart(session):
    # An interrupted run can leave the SQLite test database's WAL files behind; a new database
    # file next to an old WAL reads as empty ("no such table"), so clear them first.
    from django.conf import settings

    database = settings.DATABASES["default"]
    if "sqlite" in database["ENGINE"]:
        name = database.get("TEST", {}).get("NAME")
        if name:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{name}{suffix}").unlink(missing_ok=True)


def pytest_runtest_setup(item):
    # `requires_postgres` (declared in pyproject.toml): the behaviour needs PostgreSQL's row
    # locks (SELECT ... FOR UPDATE SKIP LOCKED); SQLite locks the whole database instead.
    if item.get_closest_marker("requires_postgres"):
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.skip("needs PostgreSQL row locks")
