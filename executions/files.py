"""Uploaded files leave with their rows, however the rows go: a session cleaned up, a chatbot
or a whole account deleted (cascades included)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from config.files import file_delete_on_commit
from executions.models import ChatUpload


@receiver(post_delete, sender=ChatUpload, dispatch_uid="executions_upload_file_deleted")
def upload_file_deleted(sender, instance: ChatUpload, **kwargs) -> None:
    file_delete_on_commit(instance.file)
