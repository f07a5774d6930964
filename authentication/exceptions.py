"""Domain errors of sign-in; config/exceptions.py turns them into statuses (see apps.py)."""


class SignInRefused(Exception):
    """A sign-in through a provider was refused. `code` names why, for the builder to branch
    on; the body is {"detail": message, "code": code}."""

    status = 400

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = {"detail": message, "code": code}


class SignInConflict(SignInRefused):
    """The identity or its email belongs to another account (409)."""

    status = 409


class AccountDisabled(SignInRefused):
    """The account the identity signs in to is deactivated (403)."""

    status = 403


class ProviderUnavailable(SignInRefused):
    """The provider could not be reached or timed out (502): nothing it said was refused."""

    status = 502


SIGN_IN_ERRORS = {
    error.status: error for error in (SignInRefused, SignInConflict, AccountDisabled, ProviderUnavailable)
}


class LastSignInMethod(Exception):
    """Unlinking would leave the account with no way to sign in (409)."""
