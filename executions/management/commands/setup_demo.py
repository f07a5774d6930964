from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

DEMO_USERNAME = "demo"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105  (printed on purpose: local development only)


class Command(BaseCommand):
    help = "Create the demo superuser (and demo data) for local development. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Refusing to create a demo superuser with DEBUG off (use --force if you mean it).")
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_USERNAME, defaults={"email": DEMO_EMAIL, "is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        base = "http://127.0.0.1:8000"
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"Demo superuser: {DEMO_USERNAME} / {DEMO_PASSWORD}" + ("" if created else " (already there)"),
                    f"  API root:   {base}/api/",
                    f"  Swagger UI: {base}/api/schema/swagger-ui/",
                    f"  ReDoc:      {base}/api/schema/redoc/",
                    f"  Admin:      {base}/admin/",
                    "",
                ]
            )
        )
