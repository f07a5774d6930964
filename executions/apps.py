from django.apps import AppConfig
from django.db.models.signals import post_delete


class ExecutionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "executions"

    def ready(self) -> None:
        from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError

        from authentication.stats import stat_register
        from config.exceptions import Conflict, Gone, register_domain_error
        from executions import events, exceptions  # noqa: F401  (events connects its receivers)
        from executions.models import ChatMessage, ChatSession, ChatUpload
        from executions.uploads import upload_file_delete

        post_delete.connect(upload_file_delete, sender=ChatUpload, dispatch_uid="chat-upload-file")
        register_domain_error(exceptions.ChatbotUnavailable, NotFound)
        register_domain_error(exceptions.SessionNotFound, NotFound)
        register_domain_error(exceptions.OriginNotAllowed, PermissionDenied)
        register_domain_error(exceptions.SessionClosed, Conflict)
        register_domain_error(exceptions.StaleInput, Conflict)
        register_domain_error(exceptions.SessionExpired, Gone)
        register_domain_error(exceptions.UploadRefused, ValidationError)
        stat_register(
            "sessions", lambda user: ChatSession.objects.filter(chatbot__owner=user, is_preview=False).count()
        )
        stat_register(
            "messages",
            lambda user: ChatMessage.objects.filter(session__chatbot__owner=user, session__is_preview=False).count(),
        )
