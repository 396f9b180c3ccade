"""Catalog admin pages, included at ``/catalog/``."""

from django.urls import path

from . import forms_admin, views

app_name = "catalog"
urlpatterns = [
    path("", views.procedure_list, name="procedure_list"),
    path("procedures/new/", views.procedure_edit, name="procedure_create"),
    path("procedures/<str:code>/", views.procedure_edit, name="procedure_edit"),
    path("procedures/<str:code>/documents/", views.documents_edit, name="documents_edit"),
    path("procedures/<str:code>/process/", views.process_edit, name="process_edit"),
    path(
        "procedures/<str:code>/process/<int:template_id>/", views.process_edit, name="process_edit_template"
    ),
    path("offerings/", views.offering_list, name="offering_list"),
    path("procedures/<str:code>/form/", forms_admin.form_schema_edit, name="form_schema_edit"),
    path("procedures/<str:code>/form/fields/", forms_admin.form_fields_edit, name="form_fields_edit"),
]
