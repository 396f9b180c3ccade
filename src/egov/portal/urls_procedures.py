"""The public procedure catalog and online submission, included at the site root."""

from django.urls import path

from . import procedures

app_name = "procedures"
urlpatterns = [
    path("thu-tuc/", procedures.procedure_list, name="list"),
    path("thu-tuc/<str:code>/", procedures.procedure_detail, name="detail"),
    path("thu-tuc/<str:code>/nop-ho-so/", procedures.submit, name="submit"),
    path("thu-tuc/<str:code>/nop-ho-so/<str:dossier_code>/", procedures.submitted, name="submitted"),
]
