from django.db import migrations

URL_CONFIG = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "url": {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 2048},
        "headers": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 4096}, "maxProperties": 20},
    },
    "required": ["url"],
    "additionalProperties": False,
}

TEMPLATES = [
    {
        "slug": "slack",
        "name": "Slack incoming webhook",
        "description": "Post a message to a Slack channel for each event (an incoming webhook URL from Slack).",
        "category": "messaging",
        "icon": "slack",
        "payload_format": "slack",
        "docs_url": "https://api.slack.com/messaging/webhooks",
    },
    {
        "slug": "zapier",
        "name": "Zapier catch hook",
        "description": "Start a Zap with each event (a 'Catch Hook' URL from Webhooks by Zapier).",
        "category": "automation",
        "icon": "zap",
        "payload_format": "event",
        "docs_url": "https://help.zapier.com/hc/en-us/articles/8496288690317",
    },
    {
        "slug": "rest-api",
        "name": "Generic REST API",
        "description": "POST each event as signed JSON to an endpoint of yours, with optional extra headers.",
        "category": "developer",
        "icon": "code",
        "payload_format": "event",
        "docs_url": "",
    },
    {
        "slug": "google-sheets",
        "name": "Google Sheets (Apps Script)",
        "description": "Append a row per event: deploy an Apps Script web app whose doPost appends the JSON row.",
        "category": "spreadsheets",
        "icon": "sheet",
        "payload_format": "row",
        "docs_url": "https://developers.google.com/apps-script/guides/web",
    },
]


def load(apps, schema_editor):
    IntegrationTemplate = apps.get_model("integrations", "IntegrationTemplate")
    for template in TEMPLATES:
        IntegrationTemplate.objects.update_or_create(
            slug=template["slug"], defaults={**template, "config_schema": URL_CONFIG}
        )


def unload(apps, schema_editor):
    apps.get_model("integrations", "IntegrationTemplate").objects.filter(slug__in=[t["slug"] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
