"""Pages of the population registry: the officer's look-up (every view logged) and the citizen's view
of who looked them up."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import user_has_device

from egov.accounts.selectors import user_is_officer
from egov.core.errors import DomainError

from . import services
from .forms import PersonLookupForm
from .presenters import person_record
from .selectors import linked_person, person_access_history


def officer_required(view):
    """Signed in, holding an active role in some agency, second factor checked if enrolled."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user_is_officer(user):
            raise PermissionDenied
        if not user.is_verified() and user_has_device(user):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:two_factor_verify')}?{query}")
        return view(request, *args, **kwargs)

    return wrapper


@officer_required
@require_http_methods(["GET", "POST"])
def lookup(request: HttpRequest) -> HttpResponse:
    """Look a person up by ID number. A POST, because every look-up writes an access-log row; the record
    is shown in the answer and never put in a URL."""
    record = person = None
    status = 200
    if request.method == "POST":
        form = PersonLookupForm(request.POST)
        if form.is_valid():
            try:
                person = services.person_read(
                    person_id_number=form.cleaned_data["id_number"],
                    actor=request.user,
                    purpose=form.cleaned_data["purpose"],
                    dossier_code=form.cleaned_data["dossier_code"],
                    channel="web",
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                record = person_record(person)
        else:
            status = 400
    else:
        form = PersonLookupForm()
    response = render(
        request, "population/lookup.html", {"form": form, "record": record, "person": person}, status=status
    )
    # Personal data: never kept by a browser or proxy cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def my_access_log(request: HttpRequest) -> HttpResponse:
    """A citizen's view of who read their record, when and why (Decree 13/2023/NĐ-CP art. 9)."""
    person = linked_person(user=request.user)
    page = None
    if person is not None:
        page = Paginator(person_access_history(person=person), 50).get_page(request.GET.get("page"))
    response = render(request, "population/my_access_log.html", {"person": person, "page": page})
    response["Cache-Control"] = "no-store"
    return response
