from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import QueryDict

from rest_framework import serializers
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer, TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from authentication.models import UserProfile

User = get_user_model()


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "email", "first_name", "last_name", "date_joined"]
        read_only_fields = fields


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    password_confirm = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})

    def validate_username(self, value: str) -> str:
        if "@" in value:
            raise serializers.ValidationError("A username may not contain '@' (it is how we tell emails apart).")
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("A user with that username already exists.")
        return value

    def validate_email(self, value: str) -> str:
        if User.objects.filter(email__iexact=value).exists():
            raise serializers.ValidationError("A user with this email already exists.")
        return value

    def validate(self, attrs):
        if attrs["password"] != attrs["password_confirm"]:
            raise serializers.ValidationError({"password_confirm": "The two passwords differ."})
        return attrs


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AuthResponseSerializer(TokenPairSerializer):
    user = UserSerializer()


class LoginSerializer(TokenObtainPairSerializer):
    """simplejwt's pair serializer; the `username` field also takes an email."""

    def validate(self, attrs):
        data = super().validate(attrs)
        data["user"] = UserSerializer(self.user).data
        return data


class RotatingRefreshSerializer(TokenRefreshSerializer):
    """Refresh with rotation, refusing (401, never 500) tokens of deleted or inactive users
    and tokens issued before the user's last password change.

    The outstanding-token row is locked, so two concurrent refreshes with one token cannot
    both succeed.
    """

    refresh = serializers.CharField()
    access = serializers.CharField(read_only=True)

    def validate(self, attrs):
        with transaction.atomic():
            token = RefreshToken(attrs["refresh"])
            OutstandingToken.objects.select_for_update().filter(jti=token[jwt_settings.JTI_CLAIM]).first()
            token.check_blacklist()
            user = User.objects.filter(**{jwt_settings.USER_ID_FIELD: token.get(jwt_settings.USER_ID_CLAIM)}).first()
            if user is None or not user.is_active:
                raise AuthenticationFailed("No active account found for the given token.", "no_active_account")
            if token.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
                raise AuthenticationFailed("The password has changed since this token was issued.", "password_changed")
            return super().validate(attrs)


class LogoutSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class ProfileSerializer(serializers.ModelSerializer):
    user = UserSerializer(read_only=True)
    avatar = serializers.ImageField(read_only=True)

    class Meta:
        model = UserProfile
        fields = [
            "user",
            "avatar",
            "bio",
            "timezone",
            "settings",
            "notification_preferences",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProfileUpdateSerializer(serializers.Serializer):
    """Shape only; the service validates time zones, preference keys and the picture."""

    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    bio = serializers.CharField(max_length=1000, allow_blank=True, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    settings = serializers.DictField(required=False)
    notification_preferences = serializers.DictField(required=False)
    avatar = serializers.FileField(required=False, allow_null=True, allow_empty_file=True)

    def to_internal_value(self, data):
        # In a form, DRF reads an empty value as "not given"; a blank time zone is no time zone.
        if isinstance(data, QueryDict) and data.get("timezone") == "":
            raise serializers.ValidationError({"timezone": ["This field may not be blank."]})
        return super().to_internal_value(data)

    def validate(self, attrs):
        if "avatar" in attrs and attrs["avatar"] is None:
            attrs.pop("avatar")
            attrs["remove_avatar"] = True
        return attrs


class AccountDeleteSerializer(serializers.Serializer):
    password = serializers.CharField(
        write_only=True, max_length=128, style={"input_type": "password"}, help_text="Your current password."
    )


class ChangePasswordSerializer(serializers.Serializer):
    old_password = serializers.CharField(
        write_only=True,
        max_length=128,
        required=False,
        help_text="Required unless the account has no password yet (made through a sign-in provider).",
    )
    new_password = serializers.CharField(write_only=True, max_length=128)
    new_password_confirm = serializers.CharField(write_only=True, max_length=128)

    def validate(self, attrs):
        if attrs["new_password"] != attrs["new_password_confirm"]:
            raise serializers.ValidationError({"new_password_confirm": "The two passwords differ."})
        return attrs


class StatsSerializer(serializers.Serializer):
    chatbots = serializers.IntegerField()
    flows = serializers.IntegerField()
    sessions = serializers.IntegerField()
    messages = serializers.IntegerField()
