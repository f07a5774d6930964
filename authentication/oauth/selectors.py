from authentication.models import OAuthIdentity


def identity_can_unlink(user) -> bool:
    """Whether the account keeps a way to sign in after losing one identity."""
    return user.has_usable_password() or OAuthIdentity.objects.filter(user=user).count() > 1
