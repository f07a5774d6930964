"""The chatbots router. Child resources of other apps nest onto `chatbot_router` (flows
registers its flows there); config/urls.py reads both routers once every app has registered."""

from rest_framework_nested import routers

from chatbots import views

router = routers.DefaultRouter()
router.include_root_view = False
router.register("chatbots", views.ChatbotViewSet, basename="chatbot")

chatbot_router = routers.NestedDefaultRouter(router, "chatbots", lookup="chatbot")
chatbot_router.include_root_view = False
chatbot_router.register("versions", views.ChatbotVersionViewSet, basename="chatbot-version")
