from django.db import transaction
from django.db.models.fields.files import FieldFile


def file_delete_on_commit(field_file: FieldFile | None) -> None:
    """Delete a stored file once the current transaction commits (a rollback keeps it)."""
    if field_file:
        storage, name = field_file.storage, field_file.name
        transaction.on_commit(lambda: storage.delete(name))
