from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "egov.dashboards"
    label = "dashboards"
