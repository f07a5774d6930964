"""Shared OpenAPI response descriptions, so every endpoint documents its error statuses."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

DETAIL = inline_serializer("Detail", fields={"detail": serializers.CharField()})
ERR_400 = OpenApiResponse(description="Invalid input; the body names each field and what is wrong.")
ERR_401 = OpenApiResponse(DETAIL, description="Missing, wrong or revoked credentials.")
ERR_404 = OpenApiResponse(DETAIL, description="Not found (or not yours).")
ERR_409 = OpenApiResponse(DETAIL, description="Conflicts with the current state.")
ERR_410 = OpenApiResponse(DETAIL, description="No longer available.")
ERR_429 = OpenApiResponse(DETAIL, description="Too many requests from this address; see Retry-After.")

OWNER_ERRORS = {401: ERR_401, 404: ERR_404}
WRITE_ERRORS = {400: ERR_400, 401: ERR_401, 404: ERR_404}
