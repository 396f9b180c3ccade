"""Citizens' feedback pages, included at ``/feedback/``."""

from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("danh-gia/<str:code>/", views.rate, name="rate"),
]
