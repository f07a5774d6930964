from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, viewsets
from rest_framework.exceptions import NotAuthenticated, NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from authentication.api_tokens.auth import JWT_ONLY_AUTH, NotByApiToken
from authentication.exceptions import SignInRefused
from authentication.oauth import services
from authentication.oauth.providers import Provider, provider_get, providers_enabled
from authentication.oauth.selectors import identities_owned, identity_can_unlink
from authentication.oauth.serializers import (
    ExchangeResponseSerializer,
    ExchangeSerializer,
    IdentitySerializer,
    ProviderSerializer,
    SignInErrorSerializer,
    StartResponseSerializer,
    StartSerializer,
)
from authentication.serializers import UserSerializer
from authentication.services import token_pair_for
from config.schema import DETAIL, ERR_400, ERR_401, ERR_404, ERR_409, ERR_429
from config.throttling import IPScopedRateThrottle
from config.viewsets import OwnedQuerysetMixin

REFUSED = OpenApiResponse(SignInErrorSerializer, description="The sign-in was refused; `code` says why.")
UNREACHABLE = OpenApiResponse(SignInErrorSerializer, description="The provider could not be reached.")
# A refused exchange says why ({detail, code}); a malformed body gets field errors or a detail.
EXCHANGE_400 = OpenApiResponse(
    {"anyOf": [{"$ref": f"#/components/schemas/{name}"} for name in ("SignInError", "FieldErrors", "Detail")]},
    description="The sign-in was refused (`code` says why), or the body is malformed (field errors).",
)


def _provider_or_404(slug: str) -> Provider:
    provider = provider_get(slug)
    if provider is None:
        raise NotFound(f"No sign-in provider {slug!r} is enabled.")
    return provider


def _callback_url(request, provider: Provider) -> str:
    path = reverse("authentication:oauth-callback", kwargs={"provider": provider.slug})
    if settings.OAUTH_CALLBACK_BASE_URL:
        return settings.OAUTH_CALLBACK_BASE_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


class ProviderListView(APIView):
    permission_classes = [permissions.AllowAny]
    # Public, for the login page: a stale token in the header must not break it.
    authentication_classes = []

    @extend_schema(
        tags=["auth"],
        summary="The sign-in providers enabled on this server",
        responses={200: ProviderSerializer(many=True)},
    )
    def get(self, request):
        return Response(ProviderSerializer(providers_enabled(), many=True).data)


class StartView(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [IPScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        summary="Start signing in (or linking, with `link` and a JWT) through a provider",
        description=(
            "Returns the provider's authorization URL (with state, PKCE and, for OpenID Connect, a nonce). "
            "The provider sends the browser back to /api/auth/oauth/{provider}/callback/, which redirects to "
            "`redirect_uri?code=…`: a one-time code for POST /api/auth/oauth/exchange/."
        ),
        request=StartSerializer,
        responses={
            200: StartResponseSerializer,
            400: ERR_400,
            401: ERR_401,
            403: DETAIL,
            404: ERR_404,
            429: ERR_429,
            502: UNREACHABLE,
        },
    )
    def post(self, request, provider: str):
        provider = _provider_or_404(provider)
        serializer = StartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        link_user = None
        if data["link"]:
            if not request.user.is_authenticated:
                raise NotAuthenticated("Sign in first to link a provider to your account.")
            if not NotByApiToken().has_permission(request, self):
                raise PermissionDenied(NotByApiToken.message)
            link_user = request.user
        url = services.oauth_start(
            provider,
            redirect_uri=data["redirect_uri"],
            callback_url=_callback_url(request, provider),
            client_challenge=data["code_challenge"],
            link_user=link_user,
        )
        return Response(StartResponseSerializer({"authorization_url": url}).data)


class PublicSignInView(APIView):
    """Needs no credentials, and a stale token in the header must not get in the way; counted
    per IP with login and registration."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [IPScopedRateThrottle]
    throttle_scope = "auth"


class CallbackView(PublicSignInView):
    """Where the provider sends the browser back. Not for the builder to call."""

    @extend_schema(
        tags=["auth"],
        summary="The provider's return address (register it at the provider)",
        description=(
            "Redirects (302) to the builder's redirect_uri with `?code=…`, also when the sign-in was refused: "
            "the exchange then answers the reason. Answers 400 itself when the state is unknown, replayed or "
            "expired, since no builder page can then be trusted."
        ),
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, required=True),
            OpenApiParameter("code", OpenApiTypes.STR),
            OpenApiParameter("error", OpenApiTypes.STR),
            OpenApiParameter("error_description", OpenApiTypes.STR),
        ],
        responses={
            302: OpenApiResponse(description="To the builder's redirect_uri with a one-time code."),
            400: REFUSED,
            404: ERR_404,
            429: ERR_429,
        },
    )
    def get(self, request, provider: str):
        _provider_or_404(provider)
        params = request.query_params
        state = params.get("state", "")
        if not state:
            raise SignInRefused(
                "The provider came back without a state: start the sign-in again.", code="invalid_state"
            )
        location = services.oauth_complete(
            provider,
            state=state,
            code=params.get("code", ""),
            error=params.get("error", ""),
            error_description=params.get("error_description", ""),
        )
        response = HttpResponseRedirect(location)
        # The one-time code must not linger in caches or leak to the next site.
        response["Cache-Control"] = "no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response


class ExchangeView(PublicSignInView):
    @extend_schema(
        tags=["auth"],
        summary="Turn the one-time code from a sign-in into a JWT pair (once, within a minute)",
        request=ExchangeSerializer,
        responses={
            200: ExchangeResponseSerializer,
            400: EXCHANGE_400,
            403: REFUSED,
            409: REFUSED,
            429: ERR_429,
            502: UNREACHABLE,
        },
    )
    def post(self, request):
        serializer = ExchangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, new_account = services.oauth_exchange(**serializer.validated_data)
        body = {**token_pair_for(user), "user": UserSerializer(user).data, "new_account": new_account}
        return Response(ExchangeResponseSerializer(body).data)


@extend_schema_view(
    list=extend_schema(summary="The provider accounts you sign in with"),
    destroy=extend_schema(
        summary="Unlink a provider account (not your last way to sign in)",
        responses={204: None, 401: ERR_401, 403: DETAIL, 404: ERR_404, 409: ERR_409},
        auth=JWT_ONLY_AUTH,
    ),
)
@extend_schema(tags=["auth"])
class IdentityViewSet(OwnedQuerysetMixin, mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    selector = staticmethod(identities_owned)
    serializer_class = IdentitySerializer
    # One identity per provider: the list is short.
    pagination_class = None

    def get_permissions(self):
        if self.action == "destroy":
            return [permissions.IsAuthenticated(), NotByApiToken()]
        return [permissions.IsAuthenticated()]

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user if self.request else None
        if user is not None and user.is_authenticated:
            context["providers"] = {provider.slug: provider for provider in providers_enabled()}
            context["can_unlink"] = identity_can_unlink(user)
        return context

    def perform_destroy(self, instance):
        services.identity_unlink(instance)
