from django.apps import AppConfig


class ChatbotsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chatbots"

    def ready(self) -> None:
        from rest_framework.exceptions import NotFound, PermissionDenied

        from authentication.stats import stat_register
        from chatbots.exceptions import ChatbotNotPublished, OriginNotAllowed
        from chatbots.models import Chatbot
        from config.exceptions import register_domain_error

        register_domain_error(ChatbotNotPublished, NotFound)
        register_domain_error(OriginNotAllowed, PermissionDenied)

        stat_register("chatbots", lambda user: Chatbot.objects.filter(owner=user).count())
