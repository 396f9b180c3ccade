from django.urls import path, re_path

from . import views

app_name = "documents"

DIRECTION = r"(?P<direction>incoming|outgoing)"
YEAR = r"(?P<year>\d{4})"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("search/", views.search, name="search"),
    path("incoming/new/", views.incoming_new, name="incoming_new"),
    path("incoming/<int:pk>/", views.incoming_detail, name="incoming_detail"),
    re_path(
        r"^incoming/(?P<pk>\d+)/actions/(?P<action>[a-z_]+)/$", views.incoming_action, name="incoming_action"
    ),
    path("incoming/<int:pk>/files/<int:version>/", views.incoming_file, name="incoming_file"),
    path("outgoing/new/", views.outgoing_new, name="outgoing_new"),
    path("outgoing/<int:pk>/", views.outgoing_detail, name="outgoing_detail"),
    re_path(
        r"^outgoing/(?P<pk>\d+)/actions/(?P<action>[a-z_]+)/$", views.outgoing_action, name="outgoing_action"
    ),
    path("outgoing/<int:pk>/files/<int:version>/", views.outgoing_file, name="outgoing_file"),
    path("registers/", views.registers, name="registers"),
    re_path(rf"^registers/{DIRECTION}/{YEAR}/$", views.register_page, name="register"),
    re_path(rf"^registers/{DIRECTION}/{YEAR}\.pdf$", views.register_pdf, name="register_pdf"),
    re_path(rf"^registers/{DIRECTION}/{YEAR}\.xlsx$", views.register_xlsx, name="register_xlsx"),
]
