"""Redis down (a closed port, or a port that accepts and never answers) is never a 500 nor a
hang: rate limits fail open, the cache reads as empty, one warning is logged, and /healthz
reports Redis as degraded."""

import logging
import socket
import time
import uuid
from collections.abc import Iterator

from django.core.cache import cache

import pytest

from config import throttling
from tests.factories import DEFAULT_PASSWORD, UserFactory, published_bot

pytestmark = pytest.mark.django_db


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections are accepted by the kernel (the backlog) and never answered."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


@pytest.fixture(params=["closed_port", "silent_port"])
def unreachable_redis(request, settings) -> Iterator[None]:
    port = request.getfixturevalue(request.param)
    original = settings.CACHES
    settings.REDIS_SOCKET_TIMEOUT = 0.2
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/11",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    throttling._redis_state.update(down_until=0.0)
    throttling._redis_warning_due.reset()
    yield
    throttling._redis_state.update(down_until=0.0)
    throttling._redis_warning_due.reset()
    settings.CACHES = original  # before the suite's teardown clears the cache


@pytest.mark.usefixtures("unreachable_redis")
def test_login_register_and_chat_work_with_one_warning(api_client, caplog):
    caplog.set_level(logging.WARNING, logger="config.throttling")
    registered = api_client.post(
        "/api/auth/register/",
        {
            "username": "newbie",
            "email": "n@example.com",
            "password": "Pa55-phrase!",
            "password_confirm": "Pa55-phrase!",
        },
        format="json",
    )
    assert registered.status_code == 201, registered.json()
    user = UserFactory()
    login = api_client.post("/api/auth/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert login.status_code == 200

    bot = published_bot(owner=user)
    started = api_client.post(f"/api/flows/public/{bot.public_id}/start/", {}, format="json")
    assert started.status_code == 201
    session_id = started.json()["session_id"]
    replied = api_client.post(f"/api/flows/public/sessions/{session_id}/reply/", {"value": "Ana"}, format="json")
    assert replied.status_code == 200
    assert api_client.get(f"/api/flows/public/sessions/{session_id}/").status_code == 200
    # The profile reads and writes the cache (whether the version takes files).
    assert api_client.get(f"/api/flows/public/{bot.public_id}/").status_code == 200
    assert api_client.get(f"/chat/{bot.public_id}/").status_code == 200

    warnings = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.usefixtures("unreachable_redis")
def test_the_cache_reads_as_empty_and_drops_writes_without_waiting_on_redis_each_time(caplog):
    caplog.set_level(logging.WARNING, logger="config.throttling")
    began = time.monotonic()
    cache.set("a", 1)
    assert cache.get("a") is None
    assert cache.get("a", "fallback") == "fallback"
    assert cache.get_or_set("b", 2) == 2
    assert cache.add("c", 3) is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.has_key("a") is False
    assert cache.delete("a") is False
    cache.delete_many(["a", "b"])
    assert cache.touch("a") is False
    with pytest.raises(ValueError, match="not found"):
        cache.incr("counter")
    # One socket timeout (0.2 s) at most: after the first failure Redis is skipped.
    assert time.monotonic() - began < 1.0
    assert len([r for r in caplog.records if "Redis is unreachable" in r.getMessage()]) == 1


def test_the_fail_soft_cache_is_an_ordinary_cache_while_redis_answers(settings):
    import redis

    location = "redis://127.0.0.1:6379/11"
    try:
        redis.Redis.from_url(location, socket_connect_timeout=0.5).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    settings.CACHES = {"default": {"BACKEND": "config.cache.FailSoftRedisCache", "LOCATION": location}}
    key = f"test-fail-soft-{uuid.uuid4().hex}"
    try:
        cache.set(key, {"x": 1}, timeout=30)
        assert cache.get(key) == {"x": 1}
        assert cache.add(key, "other") is False
        assert cache.get_many([key]) == {key: {"x": 1}}
        cache.set(f"{key}:n", 1, timeout=30)
        assert cache.incr(f"{key}:n") == 2
        assert cache.delete(key) is True
        assert cache.get(key) is None
    finally:
        cache.delete_many([key, f"{key}:n"])


@pytest.mark.usefixtures("unreachable_redis")
def test_after_a_failure_redis_is_skipped_for_a_while_and_warned_about_once_a_minute(api_client, caplog, monkeypatch):
    import redis

    caplog.set_level(logging.WARNING, logger="config.throttling")
    clock = [1000.0]
    monkeypatch.setattr(throttling.time, "monotonic", lambda: clock[0])
    attempts = []

    class DownPipeline:
        def set(self, *args, **kwargs):
            pass

        def incr(self, *args):
            pass

        def execute(self):
            attempts.append(clock[0])
            raise redis.ConnectionError("refused")

    monkeypatch.setattr(
        throttling, "_client_for", lambda location: type("C", (), {"pipeline": lambda *a, **k: DownPipeline()})()
    )

    def login():
        assert api_client.post("/api/auth/login/", {"username": "x", "password": "y"}).status_code == 401

    for _ in range(3):
        login()
    assert len(attempts) == 1  # the next requests did not wait on Redis again
    clock[0] += throttling.RETRY_AFTER_FAILURE + 1
    login()
    assert len(attempts) == 2
    assert len([r for r in caplog.records if "Redis is unreachable" in r.getMessage()]) == 1
    clock[0] += throttling.WARNING_INTERVAL
    login()
    assert len(attempts) == 3
    assert len([r for r in caplog.records if "Redis is unreachable" in r.getMessage()]) == 2


@pytest.mark.usefixtures("unreachable_redis")
def test_healthz_reports_redis_degraded_but_stays_200(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}


def test_healthz_reports_a_reachable_redis(client, settings):
    import redis

    location = "redis://127.0.0.1:6379/11"
    try:
        redis.Redis.from_url(location, socket_connect_timeout=0.5).ping()
    except redis.ConnectionError:
        pytest.skip("no Redis server at 127.0.0.1:6379")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}}
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "redis": "ok"}
