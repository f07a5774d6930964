"""The admin checks what the API checks, groups every model's fields, and leaves the records the
product writes (sessions, messages, answers, logs) read-only."""

import json

from django.contrib import admin
from django.db import models
from django.urls import reverse

import pytest
from rest_framework.test import APIClient

from components.models import ComponentConnection, ComponentInstance, ComponentVariable
from executions.models import ChatMessage, ChatSession, ExecutionLog, UserInput
from integrations.crypto import secret_decrypt
from integrations.models import Integration, Webhook
from tests.executions.test_results_and_analytics import play
from tests.factories import ChatbotFactory, linear_graph, published_bot

pytestmark = pytest.mark.django_db

OURS = {"authentication", "chatbots", "flows", "components", "integrations", "executions"}


def _url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def _admins():
    return [
        (model, model_admin) for model, model_admin in admin.site._registry.items() if model._meta.app_label in OURS
    ]


def test_every_model_groups_its_fields_and_shows_timestamps_read_only(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user
    for model, model_admin in _admins():
        obj = model()  # a change page's fieldsets (the user admin has others for adding)
        fieldsets = model_admin.get_fieldsets(request, obj)
        assert len(fieldsets) > 1, model.__name__
        shown = {name for _, options in fieldsets for name in options["fields"]}
        stamps = [
            f.name for f in model._meta.fields if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add)
        ]
        readonly = set(model_admin.get_readonly_fields(request, obj)) | (
            shown if not model_admin.has_change_permission(request, obj) else set()
        )
        for name in stamps:
            if name in shown:
                assert name in readonly, (model.__name__, name)


def test_change_pages_show_the_groups(admin_client, admin_user):
    chatbot = ChatbotFactory(owner=admin_user)
    page = admin_client.get(_url(type(chatbot), "change", chatbot.pk)).content.decode()
    for title in ("Identity", "Configuration", "State", "Timestamps"):
        assert f">{title}<" in page, title


@pytest.fixture
def flow(admin_user):
    chatbot = ChatbotFactory(owner=admin_user)
    api = APIClient()
    api.force_authenticate(admin_user)
    url = f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/graph/"
    assert api.put(url, linear_graph(4), format="json").status_code == 200
    return chatbot.main_flow


def _node_form(flow, **fields) -> dict:
    return {
        "flow": flow.pk,
        "node_id": "ask",
        "type": "rating",
        "label": "",
        "position_x": "0",
        "position_y": "0",
        "config": json.dumps({"max": 5, "variable": "score"}),
        **fields,
    }


def test_a_node_of_an_unknown_type_or_with_bad_data_is_refused(admin_client, flow):
    add = _url(ComponentInstance, "add")
    unknown = admin_client.post(add, _node_form(flow, type="teleport"))
    assert unknown.status_code == 200  # the form again, with its errors
    assert "teleport is not one of the available choices" in unknown.content.decode()
    bad = admin_client.post(add, _node_form(flow, config=json.dumps({"max": 500})))
    assert bad.status_code == 200
    assert "data.max: Must be at most 100." in bad.content.decode()
    unknown_key = admin_client.post(add, _node_form(flow, config=json.dumps({"maximum": 5})))
    assert "data.maximum" in unknown_key.content.decode()
    assert not ComponentInstance.objects.filter(node_id="ask").exists()


def test_a_node_saved_in_the_admin_goes_through_the_graph_services(admin_client, flow):
    response = admin_client.post(_url(ComponentInstance, "add"), _node_form(flow))
    assert response.status_code == 302
    node = ComponentInstance.objects.get(flow=flow, node_id="ask")
    assert node.config["min"] == 0 and node.config["max"] == 5  # defaults filled in, as the API does
    assert ComponentVariable.objects.get(flow=flow, name="score").written_by == ["ask"]
    changed = admin_client.post(
        _url(ComponentInstance, "change", node.pk), _node_form(flow, config=json.dumps({"max": 7}))
    )
    assert changed.status_code == 302
    node.refresh_from_db()
    assert node.config["max"] == 7 and node.config["variable"] == ""  # replaced whole, not merged
    assert not ComponentVariable.objects.filter(flow=flow, name="score").exists()


def test_a_node_change_that_would_strand_an_edge_is_refused(admin_client, flow, admin_user):
    api = APIClient()
    api.force_authenticate(admin_user)
    choice = {"options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}]}
    api.post(
        "/api/components/instances/", {"flow": flow.pk, "id": "c", "type": "choice", "data": choice}, format="json"
    )
    api.post(
        "/api/components/connections/",
        {"flow": flow.pk, "edge_id": "cb", "source": "c", "source_handle": "b", "target": "end"},
        format="json",
    )
    node = ComponentInstance.objects.get(flow=flow, node_id="c")
    form = _node_form(flow, type="choice", config=json.dumps({"options": [{"id": "a", "label": "A"}]}))
    response = admin_client.post(_url(ComponentInstance, "change", node.pk), form)
    assert response.status_code == 200
    assert "Edge &#x27;cb&#x27;, source_handle" in response.content.decode()
    node.refresh_from_db()
    assert len(node.config["options"]) == 2


def test_an_edge_in_the_admin_is_checked_like_the_api_checks_it(admin_client, flow):
    nodes = {n.node_id: n.pk for n in ComponentInstance.objects.filter(flow=flow)}
    add = _url(ComponentConnection, "add")
    form = {"flow": flow.pk, "edge_id": "x", "source": nodes["start"], "source_handle": "nope", "target": nodes["end"]}
    refused = admin_client.post(add, form)
    assert refused.status_code == 200
    assert "has no handle" in refused.content.decode()
    into_start = admin_client.post(
        add, {**form, "source_handle": "next", "source": nodes["end"], "target": nodes["start"]}
    )
    assert "The start node cannot have incoming edges." in into_start.content.decode()
    assert not ComponentConnection.objects.filter(edge_id="x").exists()


def test_a_webhook_created_in_the_admin_gets_its_signing_secret_and_the_api_can_change_it(
    admin_client, admin_user, settings
):
    settings.OUTBOUND_ALLOWED_HOSTS = ["hooks.example.com"]
    form = {
        "owner": admin_user.pk,
        "name": "CRM",
        "url": "https://hooks.example.com/in",
        "events": '["session.completed"]',
    }
    refused = admin_client.post(_url(Webhook, "add"), {**form, "url": "http://127.0.0.1:9/x", "is_active": "on"})
    assert refused.status_code == 200 and not Webhook.objects.exists()
    unknown_event = admin_client.post(_url(Webhook, "add"), {**form, "events": '["session.exploded"]'})
    assert unknown_event.status_code == 200 and not Webhook.objects.exists()
    created = admin_client.post(_url(Webhook, "add"), {**form, "is_active": "on"}, follow=True)
    assert created.status_code == 200
    webhook = Webhook.objects.get()
    secret = secret_decrypt(webhook.secret_encrypted)
    assert secret.startswith("whsec_")
    assert secret in created.content.decode()  # shown once, in the confirmation
    api = APIClient()
    api.force_authenticate(admin_user)
    patched = api.patch(f"/api/integrations/webhooks/{webhook.pk}/", {"name": "CRM 2"}, format="json")
    assert patched.status_code == 200, patched.json()


def test_an_integration_created_in_the_admin_is_checked_and_gets_a_secret(admin_client, admin_user, settings):
    from integrations.models import IntegrationTemplate

    settings.OUTBOUND_ALLOWED_HOSTS = ["hooks.example.com"]
    slack = IntegrationTemplate.objects.get(slug="slack")
    form = {"owner": admin_user.pk, "template": slack.pk, "name": "Team", "events": '["session.started"]'}
    bad = admin_client.post(_url(Integration, "add"), {**form, "config": '{"url": "http://10.0.0.1/x"}'})
    assert bad.status_code == 200 and not Integration.objects.exists()
    ok = admin_client.post(_url(Integration, "add"), {**form, "config": '{"url": "https://hooks.example.com/s"}'})
    assert ok.status_code == 302
    assert secret_decrypt(Integration.objects.get().secret_encrypted).startswith("whsec_")


def test_chatbot_settings_in_the_admin_are_checked_like_the_api_checks_them(admin_client, admin_user):
    chatbot = ChatbotFactory(owner=admin_user)
    form = {
        "owner": admin_user.pk,
        "name": chatbot.name,
        "description": "",
        "appearance": "{}",
        "behavior": json.dumps({"allowed_origins": ["not an origin"]}),
        "status": "draft",
        "flows-TOTAL_FORMS": "0",
        "flows-INITIAL_FORMS": "0",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    refused = admin_client.post(_url(type(chatbot), "change", chatbot.pk), form)
    assert refused.status_code == 200
    assert "an origin such as https://example.com" in refused.content.decode()
    published = admin_client.post(
        _url(type(chatbot), "change", chatbot.pk), {**form, "behavior": "{}", "status": "published"}
    )
    assert "never been published" in published.content.decode()
    saved = admin_client.post(_url(type(chatbot), "change", chatbot.pk), {**form, "behavior": '{"typing_delay_ms": 5}'})
    assert saved.status_code == 302
    chatbot.refresh_from_db()
    assert chatbot.behavior["typing_delay_ms"] == 5
    assert chatbot.behavior["session_timeout_minutes"] == 1440  # completed with defaults


@pytest.mark.parametrize("model", [ChatSession, ChatMessage, UserInput, ExecutionLog])
def test_chat_records_are_read_only_in_the_admin(admin_client, admin_user, api_client, model):
    bot = published_bot(owner=admin_user)
    play(api_client, bot, ["Ana", "nope"])
    obj = model.objects.first()
    assert admin_client.get(_url(model, "add")).status_code == 403
    page = admin_client.get(_url(model, "change", obj.pk))
    assert page.status_code == 200
    assert 'type="submit" value="Save"' not in page.content.decode()
    assert admin_client.post(_url(model, "change", obj.pk), {}).status_code == 403
    if model is ChatSession:
        assert "preview_snapshot" not in page.content.decode() and "Runner position" not in page.content.decode()


def test_a_flow_template_graph_in_the_admin_is_checked(admin_client, admin_user):
    from flows.models import FlowTemplate

    form = {"name": "T", "description": "", "category": "other", "tags": "[]", "owner": admin_user.pk}
    bad = {"nodes": [{"id": "s", "type": "start"}, {"id": "x", "type": "teleport"}], "edges": []}
    refused = admin_client.post(_url(FlowTemplate, "add"), {**form, "graph": json.dumps(bad)})
    assert refused.status_code == 200
    assert "Unknown component type" in refused.content.decode()
    assert not FlowTemplate.objects.filter(name="T").exists()
    saved = admin_client.post(_url(FlowTemplate, "add"), {**form, "graph": json.dumps(linear_graph(3))})
    assert saved.status_code == 302
    stored = FlowTemplate.objects.get(name="T").graph
    assert stored["nodes"][1]["data"]["text"] == "Step 0 for {{name}}"


def test_an_api_connection_in_the_admin_takes_a_write_only_secret(admin_client, admin_user, settings):
    from integrations.models import ApiConnection

    settings.OUTBOUND_ALLOWED_HOSTS = ["api.example.com"]
    form = {"owner": admin_user.pk, "name": "CRM", "base_url": "https://api.example.com", "auth_type": "bearer"}
    form |= {"auth_name": "", "headers": "{}"}
    refused = admin_client.post(_url(ApiConnection, "add"), form)
    assert refused.status_code == 200
    assert "This authentication type needs a secret." in refused.content.decode()
    assert admin_client.post(_url(ApiConnection, "add"), {**form, "secret": "sk_live_12345678"}).status_code == 302
    connection = ApiConnection.objects.get()
    assert secret_decrypt(connection.secret_encrypted) == "sk_live_12345678"
    assert connection.secret_hint.endswith("5678")
    page = admin_client.get(_url(ApiConnection, "change", connection.pk)).content.decode()
    assert "sk_live_12345678" not in page
