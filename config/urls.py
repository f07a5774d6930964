from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

# Both register routes on the chatbots router, which must happen before its URLs are read:
# flows its flows, executions the preview, results and analytics actions of a chatbot.
import executions.urls  # noqa: F401
import flows.urls
from chatbots.urls import chatbot_router
from chatbots.urls import router as chatbots_router
from config import views
from flows.chat_page import chat_page

api_patterns = [
    # The public chat routes first: they are the hot path, resolved on every reply.
    path("flows/", include(flows.urls.urlpatterns)),
    path("", views.api_root, name="api-root"),
    path("auth/", include("authentication.urls")),
    path("", include(chatbots_router.urls + chatbot_router.urls + flows.urls.flow_router.urls)),
    path("components/", include("components.urls")),
    path("executions/", include("executions.urls")),
    path("integrations/", include("integrations.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("schema/swagger-ui/", views.docs_page(SpectacularSwaggerView.as_view(url_name="schema")), name="swagger-ui"),
    path("schema/redoc/", views.docs_page(SpectacularRedocView.as_view(url_name="schema")), name="redoc"),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="api-root", permanent=False)),
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    # The hosted chat page of a published bot (share its link, or embed it as an iframe).
    path("chat/<str:public_id>/", chat_page, name="chat-page"),
    # Anything else under /api/ is a JSON 404, in DEBUG too.
    re_path(r"^api/", views.api_not_found),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "config.views.handler404"
handler500 = "config.views.handler500"
