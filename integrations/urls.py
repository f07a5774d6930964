"""`/api/integrations/` is the integrations collection itself; the other resources sit beside
it under names that are not ids (detail routes take digits only, so none shadows another)."""

from django.urls import path

from rest_framework import routers

from integrations import views

app_name = "integrations"

router = routers.DefaultRouter()
router.include_root_view = False
router.register("api-connections", views.ApiConnectionViewSet, basename="api-connection")
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("templates", views.IntegrationTemplateViewSet, basename="integration-template")
router.register("logs", views.IntegrationLogViewSet, basename="log")
# The old place of the collection, kept for one release (answers with a Deprecation header).
router.register("integrations", views.LegacyIntegrationViewSet, basename="integration-legacy")
# Last: the collection at the prefix's root.
router.register("", views.IntegrationViewSet, basename="integration")

urlpatterns = [
    path("test-webhook/", views.TestWebhookView.as_view(), name="test-webhook"),
    path("test-api/", views.TestApiView.as_view(), name="test-api"),
    *router.urls,
]
