"""URLconf for the core view tests: the project's URLs plus the calendar pages, which the project
mounts at ``calendar/`` (``path("calendar/", include("egov.core.urls"))`` in egov.config.urls)."""

from django.urls import include, path

from egov.config import urls as project_urls

_mounted = any(getattr(p, "app_name", None) == "core" for p in project_urls.urlpatterns)
urlpatterns = list(project_urls.urlpatterns)
if not _mounted:
    urlpatterns.insert(0, path("calendar/", include("egov.core.urls")))
