from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from authentication import services
from authentication.api_tokens.auth import JWT_ONLY_AUTH, NotByApiToken
from authentication.serializers import (
    AccountDeleteSerializer,
    AuthResponseSerializer,
    ChangePasswordSerializer,
    LoginSerializer,
    LogoutSerializer,
    ProfileSerializer,
    ProfileUpdateSerializer,
    RegisterSerializer,
    RotatingRefreshSerializer,
    StatsSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from authentication.stats import user_stats
from config.parsers import SafeFormParser, SafeJSONParser, SafeMultiPartParser
from config.schema import DETAIL, ERR_400, ERR_401, ERR_429, ERR_429_USER
from config.throttling import IPScopedRateThrottle, UserScopedRateThrottle


class RegisterView(APIView):
    authentication_classes = []  # open to anyone: credentials are neither needed nor read
    permission_classes = [permissions.AllowAny]
    throttle_classes = [IPScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        request=RegisterSerializer,
        responses={201: AuthResponseSerializer, 400: ERR_400, 429: ERR_429},
        summary="Create an account and get a token pair",
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = services.user_register(username=data["username"], email=data["email"], password=data["password"])
        body = {**services.token_pair_for(user), "user": UserSerializer(user).data}
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(TokenObtainPairView):
    serializer_class = LoginSerializer
    throttle_classes = [IPScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        responses={200: AuthResponseSerializer, 400: ERR_400, 401: ERR_401, 429: ERR_429},
        summary="Log in with username or email",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class RefreshView(TokenRefreshView):
    serializer_class = RotatingRefreshSerializer
    throttle_classes = [IPScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(
        tags=["auth"],
        responses={200: TokenPairSerializer, 400: ERR_400, 401: ERR_401, 429: ERR_429},
        summary="Exchange a refresh token for a new pair (the old refresh token is revoked)",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class LogoutView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=["auth"],
        request=LogoutSerializer,
        responses={204: None, 400: ERR_400, 401: ERR_401},
        summary="Revoke a refresh token",
    )
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            RefreshToken(serializer.validated_data["refresh"]).blacklist()
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProfileView(APIView):
    parser_classes = [SafeJSONParser, SafeMultiPartParser, SafeFormParser]

    @extend_schema(tags=["auth"], responses={200: ProfileSerializer, 401: ERR_401}, summary="Your profile")
    def get(self, request):
        return Response(ProfileSerializer(request.user.profile, context={"request": request}).data)

    @extend_schema(
        tags=["auth"],
        request={"application/json": ProfileUpdateSerializer, "multipart/form-data": ProfileUpdateSerializer},
        responses={200: ProfileSerializer, 400: ERR_400, 401: ERR_401},
        summary="Update your profile (multipart for an avatar; avatar=null removes it)",
    )
    def patch(self, request):
        serializer = ProfileUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        profile = services.profile_update(request.user.profile, **serializer.validated_data)
        return Response(ProfileSerializer(profile, context={"request": request}).data)

    @extend_schema(
        tags=["auth"],
        request={"application/json": ProfileUpdateSerializer, "multipart/form-data": ProfileUpdateSerializer},
        responses={200: ProfileSerializer, 400: ERR_400, 401: ERR_401},
        summary="Update your profile (as PATCH: the fields you leave out keep their values)",
    )
    def put(self, request):
        return self.patch(request)

    @extend_schema(
        tags=["auth"],
        request=AccountDeleteSerializer,
        responses={204: None, 400: ERR_400, 401: ERR_401},
        summary="Delete your account and everything it owns (confirm with your password)",
    )
    def delete(self, request):
        serializer = AccountDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_delete(request.user, password=serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChangePasswordView(APIView):
    permission_classes = [permissions.IsAuthenticated, NotByApiToken]
    throttle_classes = [UserScopedRateThrottle]
    throttle_scope = "change_password"

    @extend_schema(
        auth=JWT_ONLY_AUTH,
        tags=["auth"],
        request=ChangePasswordSerializer,
        responses={200: TokenPairSerializer, 400: ERR_400, 401: ERR_401, 403: DETAIL, 429: ERR_429_USER},
        summary="Change (or set a first) password; every older token stops working, a fresh pair is returned",
    )
    def post(self, request):
        serializer = ChangePasswordSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.user_change_password(
            request.user,
            old_password=serializer.validated_data.get("old_password"),
            new_password=serializer.validated_data["new_password"],
        )
        return Response(services.token_pair_for(request.user))


class StatsView(APIView):
    @extend_schema(tags=["auth"], responses={200: StatsSerializer, 401: ERR_401}, summary="Your own figures")
    def get(self, request):
        return Response(StatsSerializer(user_stats(request.user)).data)
