from django.conf import settings
from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from egov.population import api_fast as population_api_fast

from .api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    # The registry look-up, ahead of the API's router (egov.population.api_fast explains why).
    path("api/v1/population/people/<str:id_number>", population_api_fast.person_lookup),
    path("api/v1/", api.urls),
    path("calendar/", include("egov.core.urls")),
    path("accounts/", include("egov.accounts.urls")),
    path("one-stop/", include("egov.dossiers.urls")),
    path("catalog/", include("egov.catalog.urls")),
    path("stats/", include("egov.dashboards.urls")),
    path("notifications/", include("egov.notifications.urls")),
    path("population/", include("egov.population.urls")),
    path("verify/", include("egov.signing.urls")),
    path("documents/", include("egov.documents.urls")),
    path("payments/", include("egov.payments.urls")),
    path("exchange/", include("egov.exchange.urls")),
    path("feedback/", include("egov.feedback.urls")),
    path("", include("egov.portal.urls_citizen")),
    path("", include("egov.portal.urls_procedures")),
    path("", include("egov.portal.urls")),
]

if settings.EGOV_BENCH:
    # The baseline of bench/: a bare Django view behind the same middleware, server and settings.
    urlpatterns.insert(0, path("bench/bare", lambda request: HttpResponse("ok", content_type="text/plain")))
