from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("", views.agency_stats_page, name="agency_stats"),
    path("export.xlsx", views.agency_stats_export, name="agency_stats_export"),
]
