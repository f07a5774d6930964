import pytest

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"


@pytest.fixture
def three_per_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "auth": "3/min"},
    }


def _login(client, **extra):
    return client.post(LOGIN, {"username": "x", "password": "y"}, **extra)


def test_login_is_throttled_with_retry_after(api_client, three_per_minute):
    statuses = [_login(api_client).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    blocked = _login(api_client)
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert "detail" in blocked.json()


def test_register_and_refresh_share_the_auth_budget(api_client, three_per_minute):
    api_client.post("/api/auth/register/", {})
    api_client.post("/api/auth/token/refresh/", {"refresh": "x"})
    _login(api_client)
    assert api_client.post("/api/auth/register/", {}).status_code == 429
    assert api_client.post("/api/auth/token/refresh/", {"refresh": "x"}).status_code == 429


def test_rotating_x_forwarded_for_does_not_reset_the_count(api_client, three_per_minute):
    for n in range(3):
        _login(api_client, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert _login(api_client, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_behind_one_proxy_each_client_ip_has_its_own_budget(api_client, three_per_minute, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for _ in range(3):
        _login(api_client, HTTP_X_FORWARDED_FOR="spoofed, 203.0.113.7")
    # The client can prepend whatever it likes; the proxy-appended address still counts.
    assert _login(api_client, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7").status_code == 429
    assert _login(api_client, HTTP_X_FORWARDED_FOR="203.0.113.8").status_code == 401
