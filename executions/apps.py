from django.apps import AppConfig


class ExecutionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "executions"

    def ready(self) -> None:
        from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

        from authentication.stats import stat_register
        from config.exceptions import Conflict, Gone, register_domain_error
        from executions import exceptions, files, receivers  # noqa: F401  (files and receivers connect receivers)
        from executions.models import ChatMessage, ChatSession

        register_domain_error(exceptions.ChatbotUnavailable, NotFound)
        register_domain_error(exceptions.SessionNotFound, NotFound)
        register_domain_error(exceptions.OriginNotAllowed, PermissionDenied)
        register_domain_error(exceptions.SessionClosed, Conflict)
        register_domain_error(exceptions.StaleInput, Conflict)
        register_domain_error(exceptions.SessionBusy, Conflict)
        register_domain_error(exceptions.NotAnInput, ValidationError)
        register_domain_error(exceptions.SessionExpired, Gone)
        register_domain_error(exceptions.UploadRefused, ValidationError)
        stat_register(
            "sessions", lambda user: ChatSession.objects.filter(chatbot__owner=user, is_preview=False).count()
        )
        stat_register(
            "messages",
            lambda user: ChatMessage.objects.filter(session__chatbot__owner=user, session__is_preview=False).count(),
        )
