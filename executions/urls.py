from django.urls import path

from rest_framework import routers

from chatbots.urls import chatbot_router
from executions import views
from integrations.views import WebhookDeliveryViewSet

app_name = "executions"

# A chatbot's chat data and its preview, under /api/chatbots/{chatbot_pk}/ (config/urls.py reads
# the chatbots router after importing this module).
chatbot_router.register("preview", views.ChatbotPreviewViewSet, basename="chatbot-preview")
chatbot_router.register("results", views.ChatbotResultsViewSet, basename="chatbot-results")
chatbot_router.register("analytics", views.ChatbotAnalyticsViewSet, basename="chatbot-analytics")

router = routers.DefaultRouter()
router.include_root_view = False
router.register("sessions", views.ChatSessionViewSet, basename="session")
router.register("messages", views.ChatMessageViewSet, basename="message")
router.register("logs", views.ExecutionLogViewSet, basename="log")
router.register("inputs", views.UserInputViewSet, basename="input")
# Deliveries live in integrations; their URL stays where owners have always found them.
router.register("webhooks", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("uploads/<int:pk>/download/", views.UploadDownloadView.as_view(), name="upload-download"),
    *router.urls,
]
