import gzip
import re
from io import StringIO
from pathlib import Path

from django.contrib.staticfiles import finders
from django.core.management import call_command

import pytest

from chatbots.models import Chatbot
from tests.factories import ChatbotFactory, published_bot

pytestmark = pytest.mark.django_db

WIDGET_BUDGET_BYTES = 25 * 1024


def csp(response) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))


def test_the_hosted_page_runs_the_widget_full_page(client):
    bot = published_bot(appearance={"title": "Help <desk>"})
    response = client.get(f"/chat/{bot.public_id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Help &lt;desk&gt;</title>" in html
    script = re.search(r"<script ([^>]*)></script>", html).group(1)
    assert 'src="/static/chat/widget.js"' in script
    assert f'data-bot="{bot.public_id}"' in script
    assert 'data-mode="standard"' in script
    assert 'data-container="#chat"' in script
    for asset in re.findall(r"""(?:src|href)="/static/([^"]+)""", html):
        assert finders.find(asset), asset


def test_the_hosted_page_has_a_strict_content_security_policy(client):
    response = client.get(f"/chat/{published_bot().public_id}/")
    policy = csp(response)
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["base-uri"] == "'none'"
    assert policy["require-trusted-types-for"] == "'script'"
    assert "unsafe" not in response["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()  # nothing inline to allow


def test_the_hosted_page_can_be_framed_by_the_sites_the_bot_allows(client):
    anywhere = client.get(f"/chat/{published_bot().public_id}/")
    assert "X-Frame-Options" not in anywhere
    assert csp(anywhere)["frame-ancestors"] == "*"
    restricted = published_bot(behavior={"allowed_origins": ["https://shop.example", "http://localhost:3000"]})
    response = client.get(f"/chat/{restricted.public_id}/")
    assert csp(response)["frame-ancestors"] == "'self' https://shop.example http://localhost:3000"


def test_only_published_bots_have_a_hosted_page(client):
    assert client.get(f"/chat/{ChatbotFactory().public_id}/").status_code == 404
    archived = published_bot()
    Chatbot.objects.filter(pk=archived.pk).update(status="archived")
    assert client.get(f"/chat/{archived.public_id}/").status_code == 404
    assert client.get("/chat/nope/").status_code == 404


def test_the_hosted_page_only_answers_reads(client):
    bot = published_bot()
    assert client.post(f"/chat/{bot.public_id}/").status_code == 405
    assert client.head(f"/chat/{bot.public_id}/").status_code == 200


def test_the_widget_stays_within_its_size_budget():
    source = Path(finders.find("chat/widget.js")).read_bytes()
    assert len(gzip.compress(source, compresslevel=9)) <= WIDGET_BUDGET_BYTES


def test_the_widget_never_builds_html_from_strings():
    source = Path(finders.find("chat/widget.js")).read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink


def test_make_run_prints_the_demo_bots_chat_page(client, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("setup_demo", "--base-url", "http://127.0.0.1:8000", stdout=out)
    bot = Chatbot.objects.get(name="Demo assistant")
    assert f"http://127.0.0.1:8000/chat/{bot.public_id}/" in out.getvalue()
    assert client.get(f"/chat/{bot.public_id}/").status_code == 200
