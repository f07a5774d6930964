"""One place that turns domain errors into HTTP statuses (docs/errors.md)."""

import logging

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404

from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "The resource is no longer available."
    default_code = "gone"


class BadGateway(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_detail = "An upstream service could not be reached."
    default_code = "bad_gateway"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "too_large"


class StructuredBadRequest(exceptions.APIException):
    """A 400 whose body is given as is (numbers and nulls kept), e.g. a list of graph errors."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, detail=None, code=None):
        self.detail = detail if detail is not None else "Invalid input."


# Domain exception class -> APIException class. Apps register theirs from their AppConfig.ready
# so this module never imports an app (config sits above them all, but keeps no knowledge of them).
DOMAIN_ERROR_MAP: dict[type[Exception], type[exceptions.APIException]] = {}


def register_domain_error(error_class: type[Exception], api_exception: type[exceptions.APIException]) -> None:
    DOMAIN_ERROR_MAP[error_class] = api_exception


def _map_domain_error(exc: Exception) -> exceptions.APIException | None:
    for klass in type(exc).__mro__:
        api_exception = DOMAIN_ERROR_MAP.get(klass)
        if api_exception is not None:
            mapped = api_exception(detail=getattr(exc, "detail", None) or str(exc) or None)
            if getattr(exc, "retry_after", None):
                mapped.wait = exc.retry_after  # DRF's handler sends it as Retry-After
            return mapped
    return None


def _suspicious_request(exc: SuspiciousOperation) -> exceptions.APIException:
    """What Django answers 400 to (a request past its upload limits, a forged header...), as
    DRF errors; logged where Django logs them."""
    logging.getLogger(f"django.security.{type(exc).__name__}").warning(str(exc))
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, TooManyFieldsSent):
        return exceptions.ParseError("Too many fields in the request.")
    if isinstance(exc, TooManyFilesSent):
        return exceptions.ParseError("Too many files in the request.")
    return exceptions.ParseError("Bad request.")


def _all_messages(detail) -> bool:
    return isinstance(detail, list) and bool(detail) and all(isinstance(item, str) for item in detail)


def _token_refused(exc: InvalidToken) -> InvalidToken:
    """simplejwt answers "Given token not valid for any token type" and puts why in a list;
    with one reason (there is one token type), that reason is the detail: "Token is expired"."""
    detail = exc.detail
    if isinstance(detail, dict):
        reasons = {str(m["message"]) for m in detail.get("messages") or [] if isinstance(m, dict) and "message" in m}
        if len(reasons) == 1:
            detail["detail"] = exceptions.ErrorDetail(reasons.pop(), code=exc.default_code)
    return exc


def _scheme_refused(exc: exceptions.NotAuthenticated, request) -> exceptions.APIException:
    """Credentials under another scheme than Bearer are not read at all; say so, rather than
    that none were given."""
    header = request.headers.get("Authorization", "") if request is not None else ""
    scheme = header.split(" ", 1)[0]
    if not scheme or scheme in jwt_settings.AUTH_HEADER_TYPES:
        return exc
    expected = jwt_settings.AUTH_HEADER_TYPES[0]
    refused = exceptions.NotAuthenticated(
        f"The Authorization header must use the {expected} scheme: `Authorization: {expected} <access token>` "
        f"(got {scheme[:20]!r})."
    )
    refused.status_code, refused.auth_header = exc.status_code, getattr(exc, "auth_header", None)
    return refused


def api_exception_handler(exc, context):
    if isinstance(exc, InvalidToken):
        exc = _token_refused(exc)
    elif isinstance(exc, exceptions.NotAuthenticated):
        exc = _scheme_refused(exc, context.get("request"))
    elif isinstance(exc, SuspiciousOperation):
        exc = _suspicious_request(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif not isinstance(exc, exceptions.APIException | Http404 | PermissionDenied):
        exc = _map_domain_error(exc) or exc
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        # A view's ValidationError({"field": "message"}) answers like a serializer's
        # ({"field": ["message"]}).
        exc.detail = {key: value if isinstance(value, list | dict) else [value] for key, value in exc.detail.items()}
    elif isinstance(exc, exceptions.ValidationError) and _all_messages(exc.detail):
        # ValidationError("message") from a view or a filter (DRF's search refuses NUL that
        # way) would answer a bare list; errors that concern no field are {"detail": "message"}.
        exc = StructuredBadRequest({"detail": " ".join(str(message) for message in exc.detail)})
    return exception_handler(exc, context)
