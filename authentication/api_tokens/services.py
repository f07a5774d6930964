import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from authentication.api_tokens.auth import TOKEN_PREFIX, password_fingerprint, token_hash
from authentication.models import ApiToken

User = get_user_model()


def _validate_expiry(expires_at: datetime | None) -> None:
    now = timezone.now()
    max_days = settings.API_TOKENS_MAX_DAYS
    if expires_at is None:
        if max_days:
            raise ValidationError({"expires_at": f"Set an expiry, at most {max_days} days from now."})
        return
    if expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if max_days and expires_at > now + timedelta(days=max_days):
        raise ValidationError({"expires_at": f"The expiry may be at most {max_days} days from now."})


@transaction.atomic
def api_token_create(user: User, *, name: str, access: str, expires_at: datetime | None) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never shown again.

    Locks the user's row so concurrent creations cannot pass the per-user limit together.
    """
    _validate_expiry(expires_at)
    User.objects.select_for_update().filter(pk=user.pk).first()
    limit = settings.API_TOKENS_MAX_PER_USER
    if ApiToken.objects.filter(user=user).count() >= limit:
        raise ValidationError(f"You hold {limit} API tokens, the most allowed: revoke one first.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        access=access,
        expires_at=expires_at,
        prefix=secret[:12],
        token_hash=token_hash(secret),
        password_fingerprint=password_fingerprint(user),
    )
    token.full_clean()
    token.save()
    return token, secret


def api_token_revoke(token: ApiToken) -> None:
    """Delete the token: the next request carrying it is refused."""
    token.delete()
