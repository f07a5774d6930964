from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_catalog(sender, **kwargs) -> None:
    # Keeps the catalog rows in step with components/catalog.py after every migrate, so a
    # release that changes a schema needs no new data migration.
    from components.catalog_sync import catalog_sync
    from components.models import ComponentCategory, ComponentTemplate

    catalog_sync(ComponentCategory, ComponentTemplate)


class ComponentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "components"

    def ready(self) -> None:
        from rest_framework.exceptions import ValidationError

        from components.exceptions import GraphValidationError, ImportRefused, PublishValidationError
        from config.exceptions import StructuredBadRequest, register_domain_error

        register_domain_error(PublishValidationError, StructuredBadRequest)
        register_domain_error(GraphValidationError, ValidationError)
        register_domain_error(ImportRefused, ValidationError)
        post_migrate.connect(_sync_catalog, sender=self, dispatch_uid="components_sync_catalog")
