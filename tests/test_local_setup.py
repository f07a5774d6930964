"""What a newcomer meets first: `make run`'s demo set-up and the site's root."""

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

import pytest

from executions.management.commands.setup_demo import DEMO_PASSWORD, DEMO_USERNAME

pytestmark = pytest.mark.django_db


def _setup_demo(settings) -> str:
    settings.DEBUG = True
    out = StringIO()
    call_command("setup_demo", "--base-url", "http://127.0.0.1:8123", stdout=out)
    return out.getvalue()


def test_setup_demo_prints_the_password_it_set_and_the_urls_it_serves_on(settings):
    output = _setup_demo(settings)
    assert f"Demo superuser: {DEMO_USERNAME} / {DEMO_PASSWORD}\n" in output
    assert "http://127.0.0.1:8123/api/schema/swagger-ui/" in output
    again = _setup_demo(settings)
    assert f"{DEMO_USERNAME} / {DEMO_PASSWORD} (already there)" in again


def test_setup_demo_leaves_a_changed_password_alone_and_does_not_print_one(settings, client):
    _setup_demo(settings)
    demo = get_user_model().objects.get(username=DEMO_USERNAME)
    demo.set_password("my-own-Secret-42")
    demo.save()
    output = _setup_demo(settings)
    assert DEMO_PASSWORD not in output
    assert "its password was changed and is left as is" in output
    demo.refresh_from_db()
    assert demo.check_password("my-own-Secret-42")
    assert client.login(username=DEMO_USERNAME, password="my-own-Secret-42")


def test_the_site_root_redirects_to_the_api_root(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/api/"
    assert client.get("/", follow=True).json()["docs"]["swagger_ui"].endswith("/api/schema/swagger-ui/")
