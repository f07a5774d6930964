import json
import zoneinfo

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from rest_framework_simplejwt.tokens import RefreshToken

from authentication.avatars import avatar_process
from authentication.models import NOTIFICATION_DEFAULTS, UserProfile

User = get_user_model()

MAX_PROFILE_SETTINGS_BYTES = 16 * 1024


def _validate_new_password(password: str, *, user: User, field: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def token_pair_for(user: User) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> User:
    """Create a user (and, through the post_save signal, its profile)."""
    user = User(username=username, email=email)
    _validate_new_password(password, user=user, field="password")
    user.set_password(password)
    user.full_clean()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration took the name or email first
        raise ValidationError({"username": "A user with that username or email already exists."}) from exc
    return user


def user_change_password(user: User, *, old_password: str | None = None, new_password: str) -> None:
    """Change the password. Every token issued before carries the old password's hash and is refused from now on.

    An account made through a sign-in provider has no password: it sets its first one without `old_password`.
    """
    if user.has_usable_password():
        if not old_password:
            raise ValidationError({"old_password": "This field is required."})
        if not user.check_password(old_password):
            raise ValidationError({"old_password": "The current password is wrong."})
    _validate_new_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])


def timezone_check(name: str) -> None:
    if name not in zoneinfo.available_timezones():
        raise ValidationError({"timezone": f"{name!r} is not a time zone of the IANA database (e.g. Europe/Lisbon)."})


def notification_preferences_check(preferences: dict) -> None:
    unknown = sorted(set(preferences) - set(NOTIFICATION_DEFAULTS))
    if unknown:
        known = ", ".join(NOTIFICATION_DEFAULTS)
        raise ValidationError({"notification_preferences": f"Unknown keys: {', '.join(unknown)}. Known: {known}."})
    not_bool = sorted(key for key, value in preferences.items() if not isinstance(value, bool))
    if not_bool:
        raise ValidationError({"notification_preferences": f"Values must be true or false: {', '.join(not_bool)}."})


@transaction.atomic
def profile_update(
    profile: UserProfile,
    *,
    first_name: str | None = None,
    last_name: str | None = None,
    bio: str | None = None,
    timezone: str | None = None,
    settings: dict | None = None,
    notification_preferences: dict | None = None,
    avatar=None,
    remove_avatar: bool = False,
) -> UserProfile:
    """Apply a partial profile update; `settings` and `notification_preferences` merge into what is stored.
    `first_name` and `last_name` are the user's."""
    names = {name: value for name, value in (("first_name", first_name), ("last_name", last_name)) if value is not None}
    if names:
        user = profile.user
        for name, value in names.items():
            setattr(user, name, value.strip())
        user.full_clean(exclude=[f.name for f in user._meta.fields if f.name not in names])
        user.save(update_fields=list(names))
    old_avatar = profile.avatar.name if profile.avatar else None
    processed_avatar = None
    if avatar is not None:
        try:
            processed_avatar = avatar_process(avatar)
        except ValidationError as exc:
            raise ValidationError({"avatar": exc.messages}) from exc
    if bio is not None:
        profile.bio = bio
    if timezone is not None:
        timezone_check(timezone)
        profile.timezone = timezone
    if settings is not None:
        merged = {**profile.settings, **settings}
        if len(json.dumps(merged).encode()) > MAX_PROFILE_SETTINGS_BYTES:
            raise ValidationError({"settings": "Settings may hold at most 16 KB."})
        profile.settings = merged
    if notification_preferences is not None:
        notification_preferences_check(notification_preferences)
        profile.notification_preferences = {**profile.notification_preferences, **notification_preferences}
    if remove_avatar:
        profile.avatar = None
    profile.full_clean(exclude=["avatar"])
    if processed_avatar is not None:
        profile.avatar.save(processed_avatar.name, processed_avatar, save=False)
    profile.save()
    new_avatar = profile.avatar.name if profile.avatar else None
    if old_avatar and old_avatar != new_avatar:
        storage = profile.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return profile


@transaction.atomic
def user_delete(user: User, *, password: str) -> None:
    """Delete the account and everything it owns: chatbots with their flows, versions, sessions
    and uploaded files, templates, connections, webhooks, integrations, the avatar. Files go
    once the deletion has committed (the models' post_delete receivers). Every token of the
    user stops working. Raises ValidationError (nothing changes) when the password is wrong."""
    if not user.check_password(password):
        raise ValidationError({"password": "The password is wrong."})
    user.delete()
