from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

DEMO_USERNAME = "demo"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105  (printed on purpose: local development only)
DEMO_BOT_NAME = "Demo assistant"


class Command(BaseCommand):
    help = "Create the demo superuser and a published demo chatbot for local development. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Where the server will listen.")

    @transaction.atomic
    def handle(self, *args, force: bool = False, base_url: str = "http://127.0.0.1:8000", **options):
        from chatbots.models import Chatbot
        from components.graph import GraphDraft, graph_save
        from components.services import chatbot_create, chatbot_publish
        from executions.demo import DEMO_GRAPH

        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create a demo superuser with DEBUG off (use --force if you mean it).")
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": DEMO_EMAIL, "is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            credentials = f"{DEMO_USERNAME} / {DEMO_PASSWORD}"
        elif user.check_password(DEMO_PASSWORD):
            credentials = f"{DEMO_USERNAME} / {DEMO_PASSWORD} (already there)"
        else:
            # Never reset or print a password someone chose.
            credentials = f"{DEMO_USERNAME} (already there; its password was changed and is left as is)"
        bot = Chatbot.objects.filter(owner=user, name=DEMO_BOT_NAME).first()
        if bot is None:
            bot = chatbot_create(
                user,
                name=DEMO_BOT_NAME,
                description="A short tour of what flows can do.",
                appearance={"title": "Demo assistant", "welcome_text": "Ask me anything!"},
            )
            graph_save(bot.main_flow, GraphDraft(**DEMO_GRAPH))
            chatbot_publish(bot, user=user, changelog="Demo bot")
        base = base_url.rstrip("/")
        start = f"{base}/api/flows/public/{bot.public_id}/start/"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Demo superuser: {credentials}",
                    f"Demo bot:       {DEMO_BOT_NAME} (public id {bot.public_id})",
                    f"  Chat page:  {base}/chat/{bot.public_id}/",
                    f"  API root:   {base}/api/",
                    f"  Swagger UI: {base}/api/schema/swagger-ui/",
                    f"  ReDoc:      {base}/api/schema/redoc/",
                    f"  Admin:      {base}/admin/",
                    "",
                    "Chat with the demo bot:",
                    f"  curl -s -X POST {start}",
                    "  curl -s -X POST -H 'Content-Type: application/json' -d '{\"value\": \"Ana\"}' \\",
                    f"       {base}/api/flows/public/sessions/<session_id>/reply/",
                    "",
                ]
            )
        )
