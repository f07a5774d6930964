from django.urls import path

from rest_framework_nested import routers

from chatbots.urls import chatbot_router
from flows import chat_views, views

chatbot_router.register("flows", views.FlowViewSet, basename="chatbot-flow")

# /api/chatbots/{chatbot_pk}/flows/{flow_pk}/executions/ (config/urls.py mounts it).
flow_router = routers.NestedSimpleRouter(chatbot_router, "flows", lookup="flow")
flow_router.register("executions", views.FlowExecutionViewSet, basename="flow-execution")

router = routers.DefaultRouter()
router.include_root_view = False
router.register("templates", views.FlowTemplateViewSet, basename="flow-template")

PUBLIC_ID = "<str:public_id>"

urlpatterns = [
    path(f"public/{PUBLIC_ID}/start/", chat_views.ChatStartView.as_view(), name="chat-start"),
    path("public/sessions/<str:session_id>/reply/", chat_views.ChatReplyView.as_view(), name="chat-reply"),
    path("public/sessions/<str:session_id>/files/", chat_views.ChatUploadView.as_view(), name="chat-upload"),
    path("public/sessions/<str:session_id>/", chat_views.ChatSessionView.as_view(), name="chat-session"),
    path(f"public/{PUBLIC_ID}/", chat_views.ChatProfileView.as_view(), name="chat-profile"),
    *router.urls,
]
