from django.db.models import QuerySet

from authentication.models import OAuthIdentity, User


def identities_owned(*, user: User) -> QuerySet[OAuthIdentity]:
    """The provider accounts the user signs in with."""
    return OAuthIdentity.objects.filter(user=user)


def identity_can_unlink(user: User) -> bool:
    """Whether the account keeps a way to sign in after losing one identity."""
    return user.has_usable_password() or identities_owned(user=user).count() > 1
