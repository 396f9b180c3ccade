import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.config.settings")
application = get_wsgi_application()

# Before the first request, not during it: the first deadline a worker computes would otherwise pay for
# importing and building the national holiday calendar.
from egov.core.calendar import warm_up  # noqa: E402

warm_up()
