from django.apps import AppConfig


class AuthenticationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "authentication"

    def ready(self) -> None:
        from rest_framework.exceptions import PermissionDenied

        from authentication import (
            exceptions,
            signals,  # noqa: F401  (connects the receivers)
        )
        from config.exceptions import BadGateway, Conflict, StructuredBadRequest, register_domain_error

        register_domain_error(exceptions.SignInRefused, StructuredBadRequest)
        register_domain_error(exceptions.SignInConflict, Conflict)
        register_domain_error(exceptions.AccountDisabled, PermissionDenied)
        register_domain_error(exceptions.ProviderUnavailable, BadGateway)
        register_domain_error(exceptions.LastSignInMethod, Conflict)
