from django.apps import AppConfig

from corsheaders.signals import check_request_enabled


def _cors_open_for_public_chat(sender, request, **kwargs) -> bool:
    # Embedded widgets call the public chat API from any site; each bot's allowed origins
    # are enforced by the chat services themselves (403), which CORS alone could not do.
    return request.path.startswith("/api/flows/public/")


class FlowsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "flows"

    def ready(self) -> None:
        from authentication.stats import stat_register
        from config.exceptions import Conflict, register_domain_error
        from flows.exceptions import MainFlowDeletionError
        from flows.models import Flow

        register_domain_error(MainFlowDeletionError, Conflict)
        check_request_enabled.connect(_cors_open_for_public_chat, dispatch_uid="flows_public_chat_cors")
        stat_register("flows", lambda user: Flow.objects.filter(chatbot__owner=user).count())
