import functools

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response
from rest_framework.reverse import reverse

from config import database
from config.throttling import redis_status

# The API's entry points by area, each a URL name: the root lists them so a client can discover the API.
API_ROOT_LINKS = {
    "auth": {
        "register": "authentication:register",
        "login": "authentication:login",
        "token_refresh": "authentication:token-refresh",
        "logout": "authentication:logout",
        "profile": "authentication:profile",
        "change_password": "authentication:change-password",
        "stats": "authentication:stats",
        "oauth_providers": "authentication:oauth-providers",
        "oauth_exchange": "authentication:oauth-exchange",
        "oauth_accounts": "authentication:oauth-account-list",
        "api_tokens": "authentication:api-token-list",
    },
    "builder": {
        "chatbots": "chatbot-list",
        "flow_templates": "flow-template-list",
        "component_types": "component-types",
        "component_categories": "component-category-list",
        "nodes": "component-instance-list",
        "edges": "component-connection-list",
        "variables": "component-variable-list",
    },
    "runtime": {
        "sessions": "executions:session-list",
        "messages": "executions:message-list",
        "logs": "executions:log-list",
        "inputs": "executions:input-list",
        "dashboard": "executions:dashboard",
    },
    "integrations": {
        "api_connections": "integrations:api-connection-list",
        "webhooks": "integrations:webhook-list",
        "integrations": "integrations:integration-list",
        "templates": "integrations:integration-template-list",
        "logs": "integrations:log-list",
        "test_webhook": "integrations:test-webhook",
        "test_api": "integrations:test-api",
        "deliveries": "executions:webhook-delivery-list",
    },
    "docs": {"schema": "schema", "swagger_ui": "swagger-ui", "redoc": "redoc"},
}


@extend_schema(
    tags=["meta"],
    summary="Index of the API's endpoints",
    responses={200: inline_serializer("ApiRoot", fields={"auth": serializers.DictField()})},
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([permissions.AllowAny])
def api_root(request):
    body = {
        area: {key: reverse(name, request=request) for key, name in links.items()}
        for area, links in API_ROOT_LINKS.items()
    }
    return Response(body)


def healthz(request):
    """200 while the database answers; 503 otherwise, within DB_CONNECT_TIMEOUT, with the body
    every request gets then (`detail`, `code`: config/database.py) besides the check's fields.
    Redis, when configured, is reported but does not fail the check: without it the app still
    serves (rate limits are not enforced, the cache is bypassed)."""
    body = {"status": "ok", "database": "ok"}
    redis = redis_status()
    if redis is not None:
        body["redis"] = redis
        if redis != "ok":
            body["status"] = "degraded"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        database.report_outage(exc)
        body = {**body, "status": "error", "database": "unavailable", "detail": database.DETAIL, "code": database.CODE}
        return database.quiet(JsonResponse(body, status=503))
    return JsonResponse(body)


@csrf_exempt  # it changes nothing; without this a POST with a cookie got Django's HTML 403
def api_not_found(request, *args, **kwargs):
    body = {"detail": "Not found."}
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_not_found:
            body["detail"] = f"Not found. Did you mean {request.path}/ (with a trailing slash)?"
    return JsonResponse(body, status=404)


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return api_not_found(request)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: JSON under /api/ (a session-cookie client without the token)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": f"CSRF failed: {reason}"}, status=403)
    from django.views.csrf import csrf_failure as default_csrf_failure

    return default_csrf_failure(request, reason)


def handler500(request):
    # An error raised outside a view (a middleware's query) that is the database being down.
    unavailable = database.unavailable_response_for_current_error(request)
    if unavailable is not None:
        return unavailable
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    from django.views.defaults import server_error

    return server_error(request)


# Swagger UI and ReDoc load everything from our own static files; this keeps it so. ReDoc's
# bundle adds its vendor's logo from a CDN: the browser blocks it and ReDoc drops the image.
# (Both pages run inline code and styles of their own, hence 'unsafe-inline'.)
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'self'"
)


def docs_page(view):
    """Wrap a documentation page's view: nothing it loads may come from another host."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Content-Security-Policy"] = DOCS_CSP
        return response

    return wrapped
