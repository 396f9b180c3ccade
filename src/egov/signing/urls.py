from django.urls import path

from . import views

app_name = "signing"
urlpatterns = [
    path("", views.verify, name="verify"),
    path("crl/<slug:name>.crl", views.crl, name="crl"),
    path("ca/<slug:name>.crt", views.ca_certificate, name="ca_certificate"),
]
