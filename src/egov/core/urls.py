from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.calendar_page, name="calendar"),
    path("settings/", views.calendar_settings_update, name="calendar_settings"),
    path("days/", views.calendar_day_save, name="calendar_day_save"),
    path("days/<str:date>/delete/", views.calendar_day_delete, name="calendar_day_delete"),
]
