import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from executions.models import ChatSession
from executions.services import sessions_expire_idle, sessions_results_forget_ended


class Command(BaseCommand):
    help = (
        "Expire idle sessions, and delete (optionally archiving to a JSON-lines file first) sessions "
        "that started more than N days ago. Run it daily from cron or a scheduler."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, help="Delete sessions started more than this many days ago.")
        parser.add_argument("--archive", help="Append each deleted session (with its transcript) to this JSONL file.")
        parser.add_argument("--include-active", action="store_true", help="Also delete old sessions still active.")
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, older_than_days=None, archive=None, include_active=False, dry_run=False, **options):
        if older_than_days is not None and older_than_days < 1:
            raise CommandError("--older-than-days must be at least 1.")
        if archive and older_than_days is None:
            raise CommandError("--archive goes with --older-than-days.")
        if dry_run:
            self.stdout.write("Dry run: nothing is changed.")
        else:
            self.stdout.write(f"Expired {sessions_expire_idle()} idle sessions.")
            forgotten = sessions_results_forget_ended()
            if forgotten:
                self.stdout.write(f"Forgot the results of {forgotten} ended sessions of bots that keep none.")
        if older_than_days is None:
            return
        old = ChatSession.objects.filter(started_at__lt=timezone.now() - timedelta(days=older_than_days))
        if not include_active:
            old = old.exclude(status=ChatSession.Status.ACTIVE)
        if dry_run:
            self.stdout.write(f"Would delete {old.count()} sessions.")
            return
        deleted = 0
        archive_file = open(archive, "a", encoding="utf-8") if archive else None  # noqa: SIM115
        try:
            while True:
                batch = list(old.order_by("started_at").values_list("pk", flat=True)[:500])
                if not batch:
                    break
                if archive_file:
                    for session in ChatSession.objects.filter(pk__in=batch).prefetch_related("messages"):
                        archive_file.write(json.dumps(_archived(session), cls=DjangoJSONEncoder) + "\n")
                    archive_file.flush()
                ChatSession.objects.filter(pk__in=batch).delete()
                deleted += len(batch)
        finally:
            if archive_file:
                archive_file.close()
        self.stdout.write(f"Deleted {deleted} sessions" + (f", archived to {archive}." if archive else "."))


def _archived(session: ChatSession) -> dict:
    return {
        "session_id": str(session.id),
        "chatbot_id": session.chatbot_id,
        "version_id": session.version_id,
        "status": session.status,
        "is_preview": session.is_preview,
        "variables": session.variables,
        "started_at": session.started_at,
        "completed_at": session.completed_at,
        "transcript": [
            {"sender": m.sender, "type": m.type, **m.content, "node_id": m.node_id, "created_at": m.created_at}
            for m in session.messages.all()
        ],
    }
