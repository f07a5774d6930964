from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from authentication.models import ApiToken, OAuthExchangeCode, OAuthIdentity, OAuthSignIn, User, UserProfile


class UserProfileInline(admin.StackedInline):
    model = UserProfile
    can_delete = False
    readonly_fields = ["created_at", "updated_at"]
    fields = ["avatar", "bio", "timezone", "settings", "notification_preferences", "created_at", "updated_at"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [UserProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "date_joined"]
    search_fields = ["username", "email", "first_name", "last_name"]


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "timezone", "updated_at"]
    search_fields = ["user__username", "user__email"]
    list_filter = ["timezone"]
    readonly_fields = ["created_at", "updated_at"]
    list_select_related = ["user"]


@admin.register(OAuthIdentity)
class OAuthIdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "display_name", "email", "email_verified", "created_at", "last_login_at"]
    list_filter = ["provider", "email_verified"]
    search_fields = ["user__username", "user__email", "email", "display_name"]
    readonly_fields = ["provider", "subject", "email", "email_verified", "created_at", "last_login_at"]
    list_select_related = ["user"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Operators can see and revoke (delete) tokens, never make one: the secret would have no one to go to."""

    list_display = ["name", "user", "prefix", "access", "expires_at", "last_used_at", "created_at"]
    list_filter = ["access"]
    search_fields = ["name", "prefix", "user__username", "user__email"]
    readonly_fields = ["user", "prefix", "access", "expires_at", "last_used_at", "created_at"]
    exclude = ["token_hash", "password_fingerprint"]
    list_select_related = ["user"]

    def has_add_permission(self, request) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OAuthSignIn)
class OAuthSignInAdmin(ReadOnlyAdmin):
    """Sign-ins in flight (a state's hash, never the state): to see why one failed."""

    list_display = ["provider", "redirect_uri", "link_user", "created_at", "expires_at", "used_at"]
    list_filter = ["provider"]
    search_fields = ["provider", "redirect_uri"]
    exclude = ["secret_hash", "code_verifier", "nonce", "client_challenge"]


@admin.register(OAuthExchangeCode)
class OAuthExchangeCodeAdmin(ReadOnlyAdmin):
    list_display = ["user", "new_account", "error_code", "created_at", "expires_at", "used_at"]
    list_filter = ["error_code"]
    search_fields = ["user__username", "error_code", "error_detail"]
    exclude = ["secret_hash", "client_challenge"]
    list_select_related = ["user"]
