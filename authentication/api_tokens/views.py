from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response

from authentication.api_tokens import services
from authentication.api_tokens.auth import JWT_ONLY_AUTH, NotByApiToken
from authentication.api_tokens.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
)
from authentication.selectors import api_tokens_owned
from config.schema import DETAIL, ERR_400, ERR_401, ERR_404
from config.viewsets import OwnedQuerysetMixin


@extend_schema_view(
    list=extend_schema(
        summary="Your personal API tokens (never their secrets)",
        auth=JWT_ONLY_AUTH,
        responses={200: ApiTokenSerializer(many=True), 401: ERR_401, 403: DETAIL},
    ),
    retrieve=extend_schema(
        summary="One of your API tokens",
        auth=JWT_ONLY_AUTH,
        responses={200: ApiTokenSerializer, 401: ERR_401, 403: DETAIL, 404: ERR_404},
    ),
    destroy=extend_schema(
        summary="Revoke an API token: it stops working at once",
        auth=JWT_ONLY_AUTH,
        responses={204: None, 401: ERR_401, 403: DETAIL, 404: ERR_404},
    ),
)
@extend_schema(tags=["auth"])
class ApiTokenViewSet(
    OwnedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """API tokens cannot manage API tokens (403): only a signed-in user (JWT) can."""

    selector = staticmethod(api_tokens_owned)
    serializer_class = ApiTokenSerializer
    permission_classes = [permissions.IsAuthenticated, NotByApiToken]

    @extend_schema(
        summary="Create a personal API token; its secret is in this answer only",
        auth=JWT_ONLY_AUTH,
        request=ApiTokenCreateSerializer,
        responses={201: ApiTokenCreatedSerializer, 400: ERR_400, 401: ERR_401, 403: DETAIL},
    )
    def create(self, request):
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.api_token_create(request.user, **serializer.validated_data)
        token.secret = secret
        return Response(ApiTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.api_token_revoke(instance)
