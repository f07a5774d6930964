import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Load the date parser's data now, not on the first visitor's date answer.
from executions.runner import warm_up  # noqa: E402

warm_up()
