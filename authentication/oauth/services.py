"""Sign-in through a provider: start → the provider → our callback → the builder with a
one-time code → exchange for the usual JWT pair.

Linking rules: a known identity signs its user in; a new one joins the account with the same
email only when the provider says it verified that email; otherwise it gets a new account, or
is refused (409) when the email is taken. A signed-in user may link an identity on purpose
(`link_user`). One identity per provider per account.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from authentication.exceptions import (
    SIGN_IN_ERRORS,
    AccountDisabled,
    LastSignInMethod,
    SignInConflict,
    SignInRefused,
)
from authentication.models import OAuthExchangeCode, OAuthIdentity, OAuthSignIn, SingleUse
from authentication.oauth.providers import Provider, ProviderAccount, provider_get
from authentication.oauth.selectors import identity_can_unlink

User = get_user_model()

# Expired sign-ins and codes are kept this long, so a late or replayed request is told why
# it is refused; older ones are deleted whenever a sign-in starts.
KEEP_EXPIRED = timedelta(hours=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def oauth_start(
    provider: Provider,
    *,
    redirect_uri: str,
    callback_url: str,
    client_challenge: str = "",
    link_user: User | None = None,
) -> str:
    """Record a sign-in and return the provider's authorization URL to send the browser to.

    Raises ValidationError when redirect_uri is not on OAUTH_REDIRECT_URIS.
    """
    if redirect_uri not in settings.OAUTH_REDIRECT_URIS:
        raise ValidationError(
            {"redirect_uri": "This address is not on the list of builder pages a sign-in may return to."}
        )
    state, code_verifier, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(48), secrets.token_urlsafe(24)
    url = provider.authorization_url(callback_url=callback_url, state=state, code_verifier=code_verifier, nonce=nonce)
    now = timezone.now()
    sign_in = OAuthSignIn(
        secret_hash=_digest(state),
        provider=provider.slug,
        redirect_uri=redirect_uri,
        callback_url=callback_url,
        code_verifier=code_verifier,
        nonce=nonce,
        client_challenge=client_challenge,
        link_user=link_user,
        expires_at=now + timedelta(seconds=settings.OAUTH_STATE_SECONDS),
    )
    sign_in.full_clean()
    with transaction.atomic():
        OAuthSignIn.objects.filter(expires_at__lt=now - KEEP_EXPIRED).delete()
        OAuthExchangeCode.objects.filter(expires_at__lt=now - KEEP_EXPIRED).delete()
        sign_in.save()
    return url


def _unspent(queryset: QuerySet[SingleUse], secret: str, *, noun: str, name: str) -> SingleUse:
    """The row `secret` opens, if it is known, unused and not expired."""
    row = queryset.filter(secret_hash=_digest(secret)).first()
    if row is None:
        raise SignInRefused(f"Unknown {noun}: sign in again.", code=f"invalid_{name}")
    if row.used_at is not None:
        raise SignInRefused(f"This {noun} was already used: sign in again.", code=f"{name}_used")
    if row.expires_at <= timezone.now():
        raise SignInRefused(f"This {noun} has expired: sign in again.", code=f"{name}_expired")
    return row


def _spend(row: SingleUse, *, noun: str, name: str) -> None:
    """Mark the row used; of two concurrent requests with one secret, only one gets here."""
    if not type(row).objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=timezone.now()):
        raise SignInRefused(f"This {noun} was already used: sign in again.", code=f"{name}_used")


def oauth_complete(provider_slug: str, *, state: str, code: str, error: str, error_description: str) -> str:
    """Finish a sign-in at the provider's callback and return where to send the browser: the
    builder's redirect URI with a one-time code. The code turns into a JWT pair, or, when the
    sign-in was refused, into the reason at exchange, so the builder has one path to follow.

    Raises SignInRefused when the state is unknown, replayed or expired: there is then no
    builder page we may trust to send the browser to.
    """
    sign_in = _unspent(OAuthSignIn.objects.select_related("link_user"), state, noun="sign-in state", name="state")
    if sign_in.provider != provider_slug:
        raise SignInRefused("This sign-in state belongs to another provider: sign in again.", code="invalid_state")
    _spend(sign_in, noun="sign-in state", name="state")
    result = OAuthExchangeCode(client_challenge=sign_in.client_challenge)
    try:
        provider = provider_get(provider_slug)
        if provider is None:
            raise SignInRefused("This provider is no longer enabled.", code="provider_disabled")
        if error:
            reason = f"{error[:60]} ({error_description[:200]})" if error_description else error[:60]
            raise SignInRefused(f"{provider.name} refused the sign-in: {reason}.", code="provider_error")
        if not code:
            raise SignInRefused(f"{provider.name} came back without an authorization code.", code="provider_error")
        account = provider.account_from_code(
            code=code, callback_url=sign_in.callback_url, code_verifier=sign_in.code_verifier, nonce=sign_in.nonce
        )
        result.user, result.new_account = _user_for_account(provider, account, link_user=sign_in.link_user)
    except SignInRefused as exc:
        result.error_code, result.error_detail, result.error_status = exc.code, exc.message[:500], exc.status
    one_time_code = secrets.token_urlsafe(32)
    result.secret_hash = _digest(one_time_code)
    result.expires_at = timezone.now() + timedelta(seconds=settings.OAUTH_EXCHANGE_CODE_SECONDS)
    result.save()
    return add_params_to_uri(sign_in.redirect_uri, [("code", one_time_code)])


def oauth_exchange(*, code: str, code_verifier: str = "") -> tuple[User, bool]:
    """Turn a one-time code into its user (and whether the sign-in created the account).

    Raises SignInRefused for an unknown, used or expired code and for a missing or wrong
    code_verifier when the sign-in was started with a code_challenge; raises the sign-in's
    own refusal when it failed.
    """
    row = _unspent(OAuthExchangeCode.objects.select_related("user"), code, noun="sign-in code", name="code")
    if row.client_challenge and not code_verifier:
        raise SignInRefused(
            "This sign-in was started with a code_challenge: send its code_verifier.", code="verifier_missing"
        )
    if row.client_challenge and not secrets.compare_digest(
        create_s256_code_challenge(code_verifier), row.client_challenge
    ):
        raise SignInRefused("The code_verifier does not match the sign-in's code_challenge.", code="verifier_mismatch")
    if code_verifier and not row.client_challenge:
        raise SignInRefused(
            "This sign-in was started without a code_challenge: send no code_verifier.", code="verifier_unexpected"
        )
    _spend(row, noun="sign-in code", name="code")
    if row.error_code:
        raise SIGN_IN_ERRORS.get(row.error_status, SignInRefused)(row.error_detail, code=row.error_code)
    _check_active(row.user)
    update_last_login(None, row.user)
    return row.user, row.new_account


def _check_active(user: User) -> None:
    if not user.is_active:
        raise AccountDisabled("This account is deactivated.", code="account_disabled")


def _user_for_account(provider: Provider, account: ProviderAccount, *, link_user: User | None) -> tuple[User, bool]:
    for attempt in range(2):
        try:
            with transaction.atomic():
                return _find_or_create_user(provider, account, link_user)
        except IntegrityError:
            # A concurrent sign-in created the identity or took the email first: look again.
            if attempt:
                raise SignInConflict(
                    "Another sign-in changed this account at the same moment: try again.", code="conflict"
                ) from None
    raise AssertionError("unreachable")


def _find_or_create_user(provider: Provider, account: ProviderAccount, link_user: User | None) -> tuple[User, bool]:
    now = timezone.now()
    identity = OAuthIdentity.objects.select_related("user").filter(provider=provider.slug, subject=account.subject)
    identity = identity.first()
    if identity is not None:
        if link_user is not None and identity.user_id != link_user.pk:
            raise SignInConflict(
                f"This {provider.name} account is already linked to another user.", code="identity_taken"
            )
        _check_active(identity.user)
        identity.email, identity.email_verified = _valid_email(account.email), account.email_verified
        identity.display_name, identity.last_login_at = account.display_name, now
        identity.save(update_fields=["email", "email_verified", "display_name", "last_login_at"])
        return identity.user, False

    new_account = False
    if link_user is not None:
        user = link_user
    else:
        email = _valid_email(account.email)
        if not email:
            raise SignInRefused(
                f"{provider.name} shared no email address, which an account needs: allow access to it and try again.",
                code="email_missing",
            )
        user = User.objects.filter(email__iexact=email).first()
        if user is not None and not account.email_verified:
            raise SignInConflict(
                f"An account with {email} already exists, and {provider.name} does not confirm that address is "
                f"yours. Sign in with your password, then link {provider.name} from your account settings.",
                code="email_taken",
            )
        if user is None:
            user, new_account = _user_create(account, email=email), True
    _check_active(user)
    if OAuthIdentity.objects.filter(user=user, provider=provider.slug).exists():
        raise SignInConflict(
            f"This account already has another {provider.name} account linked: unlink it first.",
            code="provider_already_linked",
        )
    identity = OAuthIdentity(
        user=user,
        provider=provider.slug,
        subject=account.subject,
        email=_valid_email(account.email),
        email_verified=account.email_verified,
        display_name=account.display_name,
        last_login_at=now,
    )
    identity.full_clean(validate_unique=False, validate_constraints=False)
    identity.save()
    return user, new_account


def _valid_email(email: str) -> str:
    try:
        validate_email(email)
    except ValidationError:
        return ""
    return email


def _user_create(account: ProviderAccount, *, email: str) -> User:
    """A new account without a password: its owner signs in through the provider (and may
    set a password later through change-password)."""
    user = User(
        username=_free_username(account.username or email.partition("@")[0]),
        email=email,
        first_name=account.first_name,
        last_name=account.last_name,
    )
    user.set_unusable_password()
    user.full_clean(validate_unique=False, validate_constraints=False)
    user.save()
    return user


def _free_username(suggestion: str) -> str:
    # Usernames may not contain "@" (login tells emails apart by it).
    base = re.sub(r"[^\w.+-]", "", suggestion)[:140] or "user"
    for candidate in [base, *(f"{base}-{secrets.token_hex(3)}" for _ in range(5))]:
        if not User.objects.filter(username__iexact=candidate).exists():
            return candidate
    return f"user-{secrets.token_hex(8)}"


@transaction.atomic
def identity_unlink(identity: OAuthIdentity) -> None:
    """Remove a linked identity, unless it is the account's last way to sign in.

    Locks the user's row so two concurrent unlinks cannot both remove "the other one".
    """
    user = User.objects.select_for_update().get(pk=identity.user_id)
    if not identity_can_unlink(user):
        raise LastSignInMethod(
            "This is your only way to sign in: set a password or link another provider before unlinking it."
        )
    identity.delete()
