"""Reads of what belongs to an account (sign-in identities: `authentication.oauth.selectors`)."""

from django.db.models import QuerySet

from authentication.models import ApiToken, User


def api_tokens_owned(*, user: User) -> QuerySet[ApiToken]:
    """The user's personal API tokens (a revoked one is deleted)."""
    return ApiToken.objects.filter(user=user)
