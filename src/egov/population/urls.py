from django.urls import path

from . import views

app_name = "population"
urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("my-access-log/", views.my_access_log, name="my_access_log"),
]
