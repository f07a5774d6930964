from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rest_framework.exceptions import ParseError

from components.exceptions import ImportRefused
from components.importers.services import chatbot_import
from components.management.commands._progress import progress
from config.parsers import json_safe_loads


class Command(BaseCommand):
    help = (
        "Import chatbot files as draft chatbots of a user: Typebot exports (version 6 or 6.1) and "
        "files of our export format, like POST /api/chatbots/import/. Each file is imported on its "
        "own (all of it or nothing); the others go on when one is refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="JSON files, or directories of them (*.json).")
        parser.add_argument("--owner", required=True, help="The user who owns the imported chatbots (username).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, paths, owner, no_progress=False, **options):
        user = get_user_model().objects.filter(username=owner).first()
        if user is None:
            raise CommandError(f"No user {owner!r}.")
        files: list[Path] = []
        for name in paths:
            path = Path(name)
            if path.is_dir():
                files.extend(sorted(path.glob("*.json")))
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"No file or directory {name!r}.")
        failed = 0
        bar = progress(self, files, unit="file", enabled=not no_progress)
        for path in bar:
            try:
                chatbot, report = self._import(path, user)
            except (ImportRefused, ValidationError, ParseError) as exc:
                failed += 1
                bar.write(f"{path}: refused: {_reason(exc)}", file=self.stderr._out)
                continue
            summary = f"{len(report['warnings'])} warning(s), {len(report['left_out'])} block(s) left out"
            bar.write(f"{path}: chatbot {chatbot.pk} “{chatbot.name}” ({summary})", file=self.stdout._out)
            if options["verbosity"] > 1:
                for warning in report["warnings"]:
                    where = f"[{warning['type']} {warning['block_id']}] " if warning["block_id"] else ""
                    bar.write(f"    {where}{warning['message']}", file=self.stdout._out)
        self.stdout.write(f"Imported {len(files) - failed} of {len(files)} file(s).")
        if failed:
            raise CommandError(f"{failed} file(s) could not be imported.")

    def _import(self, path: Path, user):
        if path.stat().st_size > settings.CHATBOT_IMPORT_MAX_BYTES:
            raise ImportRefused({"file": [f"Larger than {settings.CHATBOT_IMPORT_MAX_BYTES} bytes."]})
        return chatbot_import(user, document=json_safe_loads(path.read_bytes()))


def _reason(exc: Exception) -> str:
    detail = getattr(exc, "detail", None) or getattr(exc, "message_dict", None) or str(exc)
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {value}" for key, value in detail.items())
    return str(detail)
