from components.catalog import CATEGORIES, COMPONENT_TYPES


def catalog_sync(category_model, template_model) -> None:
    """Upsert the catalog rows from components.catalog. Takes the model classes so the data
    migration can pass its historical models; post_migrate passes the real ones."""
    categories = {}
    for category in CATEGORIES:
        categories[category["slug"]], _ = category_model.objects.update_or_create(
            slug=category["slug"],
            defaults={k: category[k] for k in ("name", "description", "icon", "order")},
        )
    for component in COMPONENT_TYPES.values():
        template_model.objects.update_or_create(
            type=component.type,
            defaults={
                "category": categories[component.category],
                "label": component.label,
                "description": component.description,
                "icon": component.icon,
                "config_schema": component.config_schema,
                "outputs": component.outputs_spec(),
                "blocking": component.blocking,
                "order": component.order,
            },
        )
    template_model.objects.exclude(type__in=list(COMPONENT_TYPES)).delete()
