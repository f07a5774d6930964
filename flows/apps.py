from django.apps import AppConfig


class FlowsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "flows"

    def ready(self) -> None:
        from authentication.stats import stat_register
        from config.exceptions import Conflict, register_domain_error
        from flows.exceptions import MainFlowDeletionError
        from flows.models import Flow

        register_domain_error(MainFlowDeletionError, Conflict)
        stat_register("flows", lambda user: Flow.objects.filter(chatbot__owner=user).count())
