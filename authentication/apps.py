from django.apps import AppConfig


class AuthenticationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "authentication"

    def ready(self) -> None:
        from authentication import signals  # noqa: F401  (connects the receivers)
