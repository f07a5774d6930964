import os
from datetime import timedelta

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from executions.models import ChatUpload

UPLOADS_DIR = "chat-uploads"


class Command(BaseCommand):
    help = (
        "Find and delete orphaned chat upload files: files under chat-uploads/ that no upload record "
        "names (left by a crash or a rolled-back upload), and empty folders. Files younger than "
        "--grace-minutes are left alone (an upload may be in flight)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--grace-minutes", type=int, default=60, help="Keep files younger than this.")
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, *args, grace_minutes: int = 60, dry_run: bool = False, **options):
        if grace_minutes < 0:
            raise CommandError("--grace-minutes cannot be negative.")
        storage = default_storage
        cutoff = timezone.now() - timedelta(minutes=grace_minutes)
        if not storage.exists(UPLOADS_DIR):
            self.stdout.write("No chat uploads stored.")
            return
        folders, _ = storage.listdir(UPLOADS_DIR)
        orphans, freed, empty = 0, 0, 0
        for folder in folders:
            _, files = storage.listdir(f"{UPLOADS_DIR}/{folder}")
            names = [f"{UPLOADS_DIR}/{folder}/{file}" for file in files]
            known = set(ChatUpload.objects.filter(file__in=names).values_list("file", flat=True))
            left = len(names)
            for name in names:
                if name in known or storage.get_modified_time(name) > cutoff:
                    continue
                orphans += 1
                freed += storage.size(name)
                left -= 1
                if not dry_run:
                    storage.delete(name)
            if left == 0 and not dry_run and _remove_empty_folder(storage, f"{UPLOADS_DIR}/{folder}"):
                empty += 1
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(f"{verb} {orphans} orphaned files ({freed / 1048576:.1f} MB); removed {empty} empty folders.")


def _remove_empty_folder(storage, name: str) -> bool:
    """Folders exist only on file-system storage; elsewhere there is nothing to remove."""
    try:
        path = storage.path(name)
    except NotImplementedError:
        return False
    try:
        os.rmdir(path)
    except OSError:  # not empty after all (a new upload), or already gone
        return False
    return True
