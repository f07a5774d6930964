from django.apps import AppConfig


class ChatbotsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chatbots"
