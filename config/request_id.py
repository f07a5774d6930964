"""Request ids: every response carries X-Request-ID, and every log record its `request_id`.

django-guid does the work (the id in a context variable, the response header, the log filter,
and passing the id on to Celery tasks). It either takes the incoming header as it is or
accepts UUIDs only; a load balancer's id (nginx's 32 hex digits, Heroku's, a trace id) is
worth keeping, but a client may send anything. This middleware, placed before django-guid's,
drops an incoming id that is not a short plain token, so django-guid makes a new one.
"""

import re

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
# A UUID, or up to 64 letters, digits, dots, dashes and underscores: safe in a log line and a header.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class IncomingRequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get(_META_KEY)
        if given is not None and not SANE_REQUEST_ID.fullmatch(given):
            del request.META[_META_KEY]
            request.__dict__.pop("headers", None)  # HttpRequest.headers is a cached view of META
        return self.get_response(request)
