from django.urls import path

from rest_framework import routers

from integrations import views

app_name = "integrations"

router = routers.DefaultRouter()
router.include_root_view = False
router.register("api-connections", views.ApiConnectionViewSet, basename="api-connection")
router.register("webhooks", views.WebhookViewSet, basename="webhook")
router.register("templates", views.IntegrationTemplateViewSet, basename="integration-template")
router.register("integrations", views.IntegrationViewSet, basename="integration")
router.register("logs", views.IntegrationLogViewSet, basename="log")

urlpatterns = [
    path("test-webhook/", views.TestWebhookView.as_view(), name="test-webhook"),
    path("test-api/", views.TestApiView.as_view(), name="test-api"),
    *router.urls,
]
