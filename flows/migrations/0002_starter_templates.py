from django.db import migrations


def load_templates(apps, schema_editor):
    from flows.starter_templates import STARTER_TEMPLATES

    FlowTemplate = apps.get_model("flows", "FlowTemplate")
    for template in STARTER_TEMPLATES:
        FlowTemplate.objects.update_or_create(
            name=template["name"], owner=None, defaults={**template, "is_public": True}
        )


def unload_templates(apps, schema_editor):
    from flows.starter_templates import STARTER_TEMPLATES

    FlowTemplate = apps.get_model("flows", "FlowTemplate")
    FlowTemplate.objects.filter(owner=None, name__in=[t["name"] for t in STARTER_TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("flows", "0001_initial")]

    operations = [migrations.RunPython(load_templates, unload_templates)]
