from django.urls import path, re_path

from . import views

app_name = "dossiers"

# A dossier code: agency code, date of receipt, daily number (Circular 01/2018/TT-VPCP art. 19).
CODE = r"(?P<code>[0-9A-Za-z][0-9A-Za-z.\-]{0,39})"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("reception/", views.reception, name="reception"),
    path("incoming/", views.incoming, name="incoming"),
    path("search/", views.search, name="search"),
    path("register/<int:year>.xlsx", views.register_export, name="register_export"),
    re_path(rf"^{CODE}/$", views.detail, name="detail"),
    re_path(rf"^{CODE}/actions/(?P<action>[a-z_]+)/$", views.action, name="action"),
    re_path(rf"^{CODE}/documents/(?P<pk>\d+)/$", views.document_download, name="document"),
    re_path(rf"^{CODE}/forms/(?P<form>0[1-5])\.pdf$", views.print_form, name="print_form"),
]
