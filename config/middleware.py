import logging

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse

from config.parsers import NUL, NUL_MESSAGE, query_has_nul

logger = logging.getLogger("django.request")


def _is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def _query_has_nul(request) -> bool:
    try:
        return query_has_nul(request.GET)
    except SuspiciousOperation:  # too many parameters: the view answers that (as JSON) itself
        return False


class ApiErrorMiddleware:
    """Keeps every response under /api/ JSON, errors included, in DEBUG too.

    - A declared body larger than MAX_REQUEST_BODY_BYTES gets 413 before anything reads it.
    - An exception nobody handled becomes a 500 JSON body (a traceback only in DEBUG), logged.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _is_api(request):
            # Query strings and paths reach filters and lookups that hand them to the database,
            # which cannot store a NUL character: refuse it here, once, for the whole API.
            if NUL in request.path_info or _query_has_nul(request):
                return JsonResponse({"detail": f"Query parameters and paths: {NUL_MESSAGE}"}, status=400)
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"detail": "Invalid Content-Length header."}, status=400)
            if length > settings.MAX_REQUEST_BODY_BYTES:
                return JsonResponse(
                    {"detail": f"Request body too large (limit {settings.MAX_REQUEST_BODY_BYTES} bytes)."},
                    status=413,
                )
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not _is_api(request):
            return None
        logger.exception("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        body = {"detail": "Internal server error."}
        if settings.DEBUG:
            body["exception"] = repr(exception)
        return JsonResponse(body, status=500)
