"""Shared OpenAPI response descriptions, so every endpoint documents its error statuses."""

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, inline_serializer
from rest_framework import serializers

from config.contract import PublishErrorSerializer

DETAIL = inline_serializer("Detail", fields={"detail": serializers.CharField()})
ERR_400 = OpenApiResponse(description="Invalid input; the body names each field and what is wrong.")
ERR_401 = OpenApiResponse(DETAIL, description="Missing, wrong or revoked credentials.")
ERR_403_ORIGIN = OpenApiResponse(
    DETAIL,
    description="The page's origin may not embed this chatbot; the detail names the origin and the "
    "setting (behavior.allowed_origins) that would let it in.",
)
ERR_404 = OpenApiResponse(DETAIL, description="Not found (or not yours).")
ERR_409 = OpenApiResponse(DETAIL, description="Conflicts with the current state.")
ERR_410 = OpenApiResponse(DETAIL, description="No longer available.")
ERR_429 = OpenApiResponse(DETAIL, description="Too many requests from this address; see Retry-After.")
ERR_429_USER = OpenApiResponse(DETAIL, description="Too many of these requests from your account; see Retry-After.")

OWNER_ERRORS = {401: ERR_401, 404: ERR_404}
WRITE_ERRORS = {400: ERR_400, 401: ERR_401, 404: ERR_404}


class FieldErrorsSerializer(serializers.Serializer):
    """DRF's validation errors: each field named, with its messages."""


class _FieldErrorsSchema(OpenApiSerializerExtension):
    target_class = FieldErrorsSerializer

    def get_name(self, auto_schema, direction):
        return "FieldErrors"

    def map_serializer(self, auto_schema, direction):
        return {
            "type": "object",
            "description": (
                "Each invalid field with its messages; a field holding an object or a list of objects "
                "names its own invalid keys or items the same way."
            ),
            "additionalProperties": {"oneOf": [{"type": "array"}, {"type": "object"}]},
        }


def error_list_or_field_errors(name: str, serializer_class, description: str) -> OpenApiResponse:
    """A 400 whose body is a JSON list of `serializer_class` items (problems found in what
    the request points at), DRF's field errors (an invalid body) or a detail (unparsable)."""
    return OpenApiResponse(
        PolymorphicProxySerializer(
            component_name=name,
            serializers=[serializer_class(many=True), FieldErrorsSerializer, DETAIL],
            resource_type_field_name=None,
            many=False,
        ),
        description=description,
    )


# A draft that cannot be published (or previewed): what blocks it.
PUBLISH_400 = error_list_or_field_errors(
    "PublishFailure",
    PublishErrorSerializer,
    "What blocks publishing the draft, one item per problem (or field errors for a malformed body).",
)


_DETAIL_REF = {"$ref": "#/components/schemas/Detail"}
_STANDARD_ERRORS = {
    "400": ERR_400.description,
    "401": ERR_401.description,
    "404": ERR_404.description,
}


def document_standard_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation lists the errors it can answer
    whether or not its view says so: 401 where credentials are required, 404 where the path
    names an object or the list is paginated (an unknown page), 400 where it takes a body or
    filters or a page size. Views still document anything more specific (409, 410, 429, bodies of 400s)."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            security = operation.get("security")
            params = {param.get("name") for param in operation.get("parameters", []) if param.get("in") == "query"}
            wanted = set()
            if security and {} not in security:
                wanted.add("401")
            if "{" in path or "page" in params:
                wanted.add("404")
            # (A malformed page_size is a 400 too; `page` past the end is a 404.)
            if "requestBody" in operation or params - {"page", "ordering", "search", "format"}:
                wanted.add("400")
            for code in sorted(wanted - set(responses)):
                response = {"description": _STANDARD_ERRORS[code]}
                if code != "400":
                    response["content"] = {"application/json": {"schema": _DETAIL_REF}}
                responses[code] = response
    return result


def document_auth(result, generator, request, public):
    """drf-spectacular postprocessing hook. JWT is how clients authenticate (the session cookie
    only serves the admin), so Swagger's Authorize dialog offers it first; and an operation
    that reads no credentials (register, login, refresh, the API root) shows no padlock."""
    schemes = result.get("components", {}).get("securitySchemes")
    if schemes and "jwtAuth" in schemes:
        result["components"]["securitySchemes"] = {"jwtAuth": schemes["jwtAuth"], **schemes}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "security" not in operation:
                continue
            if operation["security"] == [{}]:
                del operation["security"]
            else:
                operation["security"].sort(key=lambda requirement: "jwtAuth" not in requirement)
    return result
