from rest_framework_nested import routers

from chatbots.urls import chatbot_router
from flows import views

chatbot_router.register("flows", views.FlowViewSet, basename="chatbot-flow")

router = routers.DefaultRouter()
router.include_root_view = False
router.register("templates", views.FlowTemplateViewSet, basename="flow-template")

urlpatterns = router.urls
