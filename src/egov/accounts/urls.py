from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("2fa/", views.two_factor, name="two_factor"),
    path("2fa/verify/", views.two_factor_verify, name="two_factor_verify"),
]
