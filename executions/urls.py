from django.urls import path

from rest_framework import routers

from executions import views

app_name = "executions"

router = routers.DefaultRouter()
router.include_root_view = False
router.register("sessions", views.ChatSessionViewSet, basename="session")
router.register("messages", views.ChatMessageViewSet, basename="message")
router.register("logs", views.ExecutionLogViewSet, basename="log")
router.register("inputs", views.UserInputViewSet, basename="input")
router.register("webhooks", views.WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("uploads/<int:pk>/download/", views.UploadDownloadView.as_view(), name="upload-download"),
    *router.urls,
]
