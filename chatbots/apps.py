from django.apps import AppConfig


class ChatbotsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chatbots"

    def ready(self) -> None:
        from authentication.stats import stat_register
        from chatbots.models import Chatbot

        stat_register("chatbots", lambda user: Chatbot.objects.filter(owner=user).count())
