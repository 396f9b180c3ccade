from django.contrib import admin
from django.urls import include, path

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("accounts/", include("egov.accounts.urls")),
    path("one-stop/", include("egov.dossiers.urls")),
    path("catalog/", include("egov.catalog.urls")),
    path("stats/", include("egov.dashboards.urls")),
    path("", include("egov.portal.urls")),
]
