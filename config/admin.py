"""What every app's admin shares: read-only records, the timestamps fieldset, and turning a
service's ValidationError into form errors (admin forms check what the API checks)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import BaseForm


def timestamps(*names: str) -> tuple[str, dict]:
    return ("Timestamps", {"fields": names, "classes": ("collapse",)})


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record the product writes (a chat session, a log, a delivery…): operators read it,
    they never add or edit one. `deletable` records may be deleted."""

    deletable = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def add_service_errors(form: BaseForm, error: ValidationError, *, fallback: str | None = None) -> None:
    """Put a service's ValidationError on the form: messages keyed by a form field go to that
    field; others (like `data.max` or `behavior.allowed_origins.0`) go to the field their key
    starts with, or to `fallback`, prefixed with their key."""
    if not hasattr(error, "error_dict"):
        form.add_error(fallback, error.messages)
        return
    for key, messages in error.message_dict.items():
        head = key.split(".", 1)[0]
        field = key if key in form.fields else head if head in form.fields else fallback
        for message in messages:
            form.add_error(field, message if key == field else f"{key}: {message}")


def add_graph_errors(form: BaseForm, detail: dict, *, own: tuple[str, str], fields: dict[str, str]) -> None:
    """Put a GraphValidationError's detail ({"nodes"|"edges"|"variables": {id: {field: [msg]}}}
    or a list of messages per section) on the form. The item being edited is `own` (section,
    id); its graph fields map to form fields through `fields` ("data" prefixes included).
    Problems it causes elsewhere (an edge left on a handle that is gone) are form-wide errors."""
    for section, items in detail.items():
        if not isinstance(items, dict):
            for message in items:
                form.add_error(None, f"{section}: {message}")
            continue
        for item_id, problems in items.items():
            for name, messages in problems.items():
                head = name.split(".", 1)[0]
                field = (fields.get(name) or fields.get(head)) if (section, item_id) == own else None
                for message in messages:
                    if field is None:
                        form.add_error(None, f"{section[:-1].capitalize()} {item_id!r}, {name}: {message}")
                    else:
                        form.add_error(field, message if name == head else f"{name}: {message}")
