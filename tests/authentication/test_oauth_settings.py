"""Sign-in providers come from the environment; a half-configured one stops the server at start."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
READ_SETTINGS = (
    "import json, django; from django.conf import settings; "
    "print(json.dumps({'providers': settings.OAUTH_PROVIDERS, 'redirects': settings.OAUTH_REDIRECT_URIS}))"
)
# What production needs besides, so that a test can switch DEBUG off.
PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "x" * 60,
    "FIELD_ENCRYPTION_KEYS": "Jf2l6xVfXg0FQyQO3m0n2w1bQbq9cE8bZx0bq2mYk2Q=",
}


def load_settings(**env):
    base = {key: value for key, value in os.environ.items() if not key.startswith("OAUTH_")}
    base.update({"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "True"}, **env)
    return subprocess.run(  # noqa: S603  (our interpreter running our settings)
        [sys.executable, "-c", READ_SETTINGS], cwd=PROJECT, env=base, capture_output=True, text=True, check=False
    )


def test_github_google_and_named_oidc_providers_are_read_from_the_environment():
    result = load_settings(
        **PRODUCTION,
        OAUTH_REDIRECT_URIS="https://builder.example.com/auth/callback,http://localhost:5173/cb",
        OAUTH_GITHUB_CLIENT_ID="gh-id",
        OAUTH_GITHUB_CLIENT_SECRET="gh-secret",
        OAUTH_GOOGLE_CLIENT_ID="g-id",
        OAUTH_GOOGLE_CLIENT_SECRET="g-secret",
        OAUTH_OIDC_PROVIDERS="gitlab,corp_sso",
        OAUTH_GITLAB_ISSUER="https://gitlab.com",
        OAUTH_GITLAB_CLIENT_ID="gl-id",
        OAUTH_GITLAB_CLIENT_SECRET="gl-secret",
        OAUTH_CORP_SSO_ISSUER="https://sso.example.com/realms/staff",
        OAUTH_CORP_SSO_CLIENT_ID="c-id",
        OAUTH_CORP_SSO_CLIENT_SECRET="c-secret",
        OAUTH_CORP_SSO_NAME="Staff SSO",
        OAUTH_CORP_SSO_SCOPES="openid email",
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    providers = loaded["providers"]
    assert list(providers) == ["github", "google", "gitlab", "corp_sso"]
    assert providers["github"] == {
        "type": "github",
        "name": "GitHub",
        "base_url": "https://github.com",
        "api_url": "https://api.github.com",
        "scopes": "read:user user:email",
        "client_id": "gh-id",
        "client_secret": "gh-secret",
    }
    assert providers["google"]["issuer"] == "https://accounts.google.com"
    assert (providers["gitlab"]["name"], providers["gitlab"]["issuer"]) == ("Gitlab", "https://gitlab.com")
    assert providers["corp_sso"]["name"] == "Staff SSO"
    assert providers["corp_sso"]["scopes"] == "openid email"
    assert loaded["redirects"] == ["https://builder.example.com/auth/callback", "http://localhost:5173/cb"]


def test_no_provider_is_enabled_by_default():
    result = load_settings()
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["providers"] == {}


def test_a_client_id_without_its_secret_stops_the_server():
    result = load_settings(OAUTH_GITHUB_CLIENT_ID="gh-id")
    assert result.returncode != 0
    assert "OAUTH_GITHUB_CLIENT_SECRET" in result.stderr


def test_a_provider_over_plain_http_stops_the_server_in_production():
    result = load_settings(
        **PRODUCTION,
        OAUTH_OIDC_PROVIDERS="corp",
        OAUTH_CORP_ISSUER="http://sso.example.com",
        OAUTH_CORP_CLIENT_ID="c-id",
        OAUTH_CORP_CLIENT_SECRET="c-secret",
    )
    assert result.returncode != 0
    assert "must be https://" in result.stderr


def test_bad_provider_names_and_redirect_uris_stop_the_server():
    bad_name = load_settings(OAUTH_OIDC_PROVIDERS="Corp-SSO")
    assert bad_name.returncode != 0
    assert "lowercase letters" in bad_name.stderr
    bad_uri = load_settings(OAUTH_REDIRECT_URIS="javascript:alert(1)")
    assert bad_uri.returncode != 0
    assert "OAUTH_REDIRECT_URIS" in bad_uri.stderr
