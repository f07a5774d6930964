import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chatbots.models import Chatbot
from components.importers.native import chatbot_export
from components.management.commands._progress import progress


class Command(BaseCommand):
    help = (
        "Write chatbots to files of our export format (chatbot-<id>.json), one per bot, the same "
        "document GET /api/chatbots/{id}/export/ returns. Re-import them with import_chatbot."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, help="Chatbot ids.")
        parser.add_argument("--owner", help="Every chatbot of this user (username or email).")
        parser.add_argument("--all", action="store_true", dest="every", help="Every chatbot.")
        parser.add_argument("--output", default=".", help="Directory to write the files to (default: here).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, ids, owner=None, every=False, output=".", no_progress=False, **options):
        if bool(ids) + bool(owner) + bool(every) != 1:
            raise CommandError("Name chatbot ids, or --owner USER, or --all (one of them).")
        chatbots = Chatbot.objects.order_by("pk")
        if ids:
            chatbots = chatbots.filter(pk__in=ids)
            missing = sorted(set(ids) - set(chatbots.values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"No chatbot with id {', '.join(map(str, missing))}.")
        elif owner:
            user = get_user_model().objects.filter(username=owner).first() or (
                get_user_model().objects.filter(email__iexact=owner).first()
            )
            if user is None:
                raise CommandError(f"No user {owner!r}.")
            chatbots = chatbots.filter(owner=user)
        directory = Path(output)
        directory.mkdir(parents=True, exist_ok=True)
        written = 0
        for chatbot in progress(self, list(chatbots), unit="bot", enabled=not no_progress):
            path = directory / f"chatbot-{chatbot.pk}.json"
            path.write_text(json.dumps(chatbot_export(chatbot), ensure_ascii=False, indent=2), encoding="utf-8")
            written += 1
        self.stdout.write(f"Exported {written} chatbot(s) to {directory}.")
