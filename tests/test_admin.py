"""Every model is in the admin: changelists (with search) and change pages render."""

from django.contrib import admin
from django.urls import reverse

import pytest

from tests.factories import ChatbotFactory, linear_graph

pytestmark = pytest.mark.django_db


def test_every_project_model_is_registered():
    from django.apps import apps

    ours = {"authentication", "chatbots", "flows", "components", "integrations", "executions"}
    missing = [
        model.__name__
        for model in apps.get_models()
        if model._meta.app_label in ours and model not in admin.site._registry
    ]
    assert missing == []


def test_changelists_and_change_pages_render(admin_client, admin_user):
    chatbot = ChatbotFactory(owner=admin_user)
    admin_client.force_login(admin_user)
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(admin_user)
    api.put(f"/api/chatbots/{chatbot.pk}/flows/{chatbot.main_flow_id}/graph/", linear_graph(4), format="json")
    api.post(f"/api/chatbots/{chatbot.pk}/publish/", {}, format="json")
    for model, _model_admin in admin.site._registry.items():
        if model._meta.app_label not in {
            "authentication",
            "chatbots",
            "flows",
            "components",
            "integrations",
            "executions",
        }:
            continue
        info = model._meta.app_label, model._meta.model_name
        changelist = admin_client.get(reverse("admin:{}_{}_changelist".format(*info)), {"q": "x"})
        assert changelist.status_code == 200, info
        obj = model.objects.first()
        if obj is not None:
            change = admin_client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            assert change.status_code == 200, info
