from django.core.management.base import BaseCommand
from django.db import transaction

from integrations.crypto import secret_rotate
from integrations.models import ApiConnection, Integration, Webhook


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS. Put the new key first, "
        "keep the old ones after it, run this, then remove the old keys."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        total = 0
        for model in (ApiConnection, Webhook, Integration):
            rows = list(model.objects.exclude(secret_encrypted="").only("pk", "secret_encrypted"))
            for row in rows:
                row.secret_encrypted = secret_rotate(row.secret_encrypted)
            model.objects.bulk_update(rows, ["secret_encrypted"], batch_size=500)
            total += len(rows)
        self.stdout.write(f"Re-encrypted {total} secrets with the current key.")
