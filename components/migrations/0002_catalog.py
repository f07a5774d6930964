from django.db import migrations


def load_catalog(apps, schema_editor):
    from components.catalog_sync import catalog_sync

    catalog_sync(apps.get_model("components", "ComponentCategory"), apps.get_model("components", "ComponentTemplate"))


class Migration(migrations.Migration):
    dependencies = [("components", "0001_initial")]

    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
