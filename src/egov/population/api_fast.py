"""``GET /api/v1/population/people/{id_number}`` served by a plain Django view, ahead of django-ninja.

The registry look-up is the platform's hottest personal-data path (performance goals R1 and S1: other
systems verify citizens through it thousands of times an hour). django-ninja's per-request machinery
(operation dispatch, a pydantic model for the query string) cost about a quarter of the request, so this
URL is routed here first (``config/urls.py``). The contract is the one documented in the OpenAPI schema by
the ninja operation ``population.api.person_lookup``, which stays as the schema's source and calls the same
``lookup`` below: same authentication (``RegistryBearer``), same service (purpose checked, read logged),
same JSON and the same error shape ``{"error": {"code", "message"}}``. A test compares the two.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from egov.accounts.selectors import user_is_officer
from egov.core.api_support import error_response
from egov.core.errors import DomainError, PermissionDenied

from . import services
from .auth import registry_bearer


def lookup(*, user, id_number: str, purpose: str, dossier_code: str) -> JsonResponse:
    """The look-up itself, for both routes: officers only, purpose required, every read logged."""
    if not user_is_officer(user):
        raise PermissionDenied(_("Chỉ cán bộ đang được phân quyền mới được tra cứu thông tin công dân."))
    record = services.person_read_record(
        person_id_number=id_number, actor=user, purpose=purpose, dossier_code=dossier_code, channel="api"
    )
    return JsonResponse(record, json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # bearer tokens, no cookies: nothing for CSRF to protect
def person_lookup(request: HttpRequest, id_number: str) -> JsonResponse:
    if request.method != "GET":
        response = error_response(405, "method_not_allowed", _("Chỉ hỗ trợ phương thức GET."))
        response["Allow"] = "GET"
        return response
    user = registry_bearer(request)
    if not user:
        return error_response(401, "unauthorized", "Cần mã truy cập hợp lệ (Authorization: Bearer <token>).")
    try:
        return lookup(
            user=user,
            id_number=id_number,
            purpose=request.GET.get("purpose", ""),
            dossier_code=request.GET.get("dossier_code", ""),
        )
    except DomainError as error:
        return error_response(error.status, error.code, error.message)
