import pytest

from tests.factories import ChatbotFactory, published_bot

pytestmark = pytest.mark.django_db


def test_the_owner_gets_ready_snippets_for_every_way_to_embed(auth_client, user):
    bot = published_bot(owner=user, appearance={"title": "Help desk"})
    response = auth_client.get(f"/api/chatbots/{bot.pk}/embed/")
    assert response.status_code == 200
    script = "http://testserver/static/chat/widget.js"
    page = f"http://testserver/chat/{bot.public_id}/"
    tag = f'<script src="{script}" data-bot="{bot.public_id}" data-mode="{{}}"{{}} async></script>'
    assert response.json() == {
        "public_id": bot.public_id,
        "published": True,
        "script_url": script,
        "chat_url": page,
        "snippets": {
            "bubble": tag.format("bubble", ""),
            "popup": tag.format("popup", "")
            + f'\n<button type="button" data-chatbot-open="{bot.public_id}">Chat with us</button>',
            "standard": f'<div id="chatbot-{bot.public_id}" style="width: 100%; height: 600px"></div>\n'
            + tag.format("standard", f' data-container="#chatbot-{bot.public_id}"'),
            "iframe": f'<iframe src="{page}" title="Help desk" style="border: 0; width: 100%; height: 600px" '
            'allow="autoplay; fullscreen; clipboard-write"></iframe>',
            "link": page,
        },
    }


def test_the_snippets_escape_what_the_owner_typed(auth_client, user):
    bot = ChatbotFactory(owner=user, name='Say "hi" <b>now</b>')
    body = auth_client.get(f"/api/chatbots/{bot.pk}/embed/").json()
    assert 'title="Say &quot;hi&quot; &lt;b&gt;now&lt;/b&gt;"' in body["snippets"]["iframe"]
    assert body["published"] is False  # the snippets work once it is published


def test_only_the_owner_sees_the_snippets(api_client, other_client, user):
    bot = published_bot(owner=user)
    assert other_client.get(f"/api/chatbots/{bot.pk}/embed/").status_code == 404
    assert api_client.get(f"/api/chatbots/{bot.pk}/embed/").status_code == 401


def test_the_snippets_follow_the_host_the_builder_uses(auth_client, user):
    bot = published_bot(owner=user)
    body = auth_client.get(f"/api/chatbots/{bot.pk}/embed/", HTTP_HOST="localhost").json()
    assert body["script_url"] == "http://localhost/static/chat/widget.js"
    assert body["chat_url"] == f"http://localhost/chat/{bot.public_id}/"
