from django.urls import path

from rest_framework import routers

from chatbots.urls import router as chatbots_router
from executions import views
from integrations.views import WebhookDeliveryViewSet

app_name = "executions"

# A chatbot's preview, results and analytics: /api/chatbots/{id}/preview/ and so on, on the
# chatbots router (config/urls.py reads it after importing this module).
chatbots_router.register("chatbots", views.ChatbotRuntimeViewSet, basename="chatbot-runtime")

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
