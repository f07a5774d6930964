from django.apps import AppConfig


class ProjectConfig(AppConfig):
    """The project's own behaviour of the frameworks (no models): see config.strict_json."""

    name = "config"
    label = "project"

    def ready(self) -> None:
        from config import strict_json

        strict_json.install()
