from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from authentication.models import User, UserProfile


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
