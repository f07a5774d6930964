from django.urls import path

from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns


class BareView(APIView):
    """The baseline: DRF parsing a JSON body and rendering a JSON answer, no database."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = []

    def post(self, request):
        return Response({"ok": True, "echo": request.data.get("value")})


# After the project's routes, so resolving it costs what resolving a project route costs.
urlpatterns = [*project_urlpatterns, path("bench/bare/", BareView.as_view())]
