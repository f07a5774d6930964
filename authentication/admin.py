from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError

from authentication.avatars import avatar_process
from authentication.models import ApiToken, OAuthExchangeCode, OAuthIdentity, OAuthSignIn, User, UserProfile
from authentication.services import notification_preferences_check, timezone_check
from config.admin import ReadOnlyAdmin, add_service_errors, timestamps


class ProfileForm(forms.ModelForm):
    """The API's checks: an IANA time zone, known notification keys, a clean re-encoded picture."""

    class Meta:
        model = UserProfile
        fields = "__all__"  # noqa: DJ007 (the admin's fieldsets choose and order them)

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if avatar and not getattr(avatar, "_committed", False):
            avatar = avatar_process(avatar)
        return avatar

    def clean(self):
        cleaned = super().clean()
        for name in ("settings", "notification_preferences"):
            if name in cleaned and not isinstance(cleaned[name], dict):
                self.add_error(name, "Must be a JSON object.")
        checks = [("timezone", timezone_check), ("notification_preferences", notification_preferences_check)]
        for name, check in checks:
            if cleaned.get(name) is not None:
                try:
                    check(cleaned[name])
                except ValidationError as exc:
                    add_service_errors(self, exc, fallback=name)
        return cleaned


PROFILE_FIELDSETS = [
    ("Identity", {"fields": ["avatar", "bio"]}),
    ("Configuration", {"fields": ["timezone", "settings", "notification_preferences"]}),
    timestamps("created_at", "updated_at"),
]


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    form = ProfileForm
    can_delete = False
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = PROFILE_FIELDSETS


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    # Django's own fieldsets: identity (username, password), personal info, permissions, dates.
    inlines = [UserProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "date_joined"]
    search_fields = ["username", "email", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined"]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    form = ProfileForm
    list_display = ["user", "timezone", "updated_at"]
    search_fields = ["user__username", "user__email"]
    list_filter = ["timezone"]
    readonly_fields = ["user", "created_at", "updated_at"]
    list_select_related = ["user"]
    fieldsets = [("Identity", {"fields": ["user", "avatar", "bio"]}), *PROFILE_FIELDSETS[1:]]

    def has_add_permission(self, request):
        return False  # every user gets one when created


@admin.register(OAuthIdentity)
class OAuthIdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "display_name", "email", "email_verified", "created_at", "last_login_at"]
    list_filter = ["provider", "email_verified"]
    search_fields = ["user__username", "user__email", "email", "display_name"]
    readonly_fields = ["provider", "subject", "email", "email_verified", "created_at", "last_login_at"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    fieldsets = [
        ("Identity", {"fields": ["user", "provider", "subject"]}),
        ("Configuration", {"fields": ["display_name", "email", "email_verified"]}),
        timestamps("created_at", "last_login_at"),
    ]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators can see and revoke (delete) tokens, never make one: the secret would have no one to go to."""

    list_display = ["name", "user", "prefix", "access", "expires_at", "last_used_at", "created_at"]
    list_filter = ["access"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    readonly_fields = ["user", "prefix", "access", "expires_at", "last_used_at", "created_at"]
    list_select_related = ["user"]
    # The hash and the password fingerprint are never shown.
    fieldsets = [
        ("Identity", {"fields": ["user", "name", "prefix"]}),
        ("Configuration", {"fields": ["access", "expires_at"]}),
        timestamps("created_at", "last_used_at"),
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(OAuthSignIn)
class OAuthSignInAdmin(ReadOnlyAdmin):
    """Sign-ins in flight (a state's hash, never the state): to see why one failed."""

    list_display = ["provider", "redirect_uri", "link_user", "created_at", "expires_at", "used_at"]
    list_filter = ["provider"]
    search_fields = ["provider", "redirect_uri"]
    # Secrets (the state's hash, the PKCE verifier, the nonce) are never shown.
    fieldsets = [
        ("Identity", {"fields": ["provider", "link_user"]}),
        ("Configuration", {"fields": ["redirect_uri", "callback_url"]}),
        timestamps("created_at", "expires_at", "used_at"),
    ]


@admin.register(OAuthExchangeCode)
class OAuthExchangeCodeAdmin(ReadOnlyAdmin):
    list_display = ["user", "new_account", "error_code", "created_at", "expires_at", "used_at"]
    list_filter = ["error_code"]
    search_fields = ["user__username", "error_code", "error_detail"]
    list_select_related = ["user"]
    fieldsets = [
        ("Identity", {"fields": ["user", "new_account"]}),
        ("State", {"fields": ["error_code", "error_detail", "error_status"]}),
        timestamps("created_at", "expires_at", "used_at"),
    ]
