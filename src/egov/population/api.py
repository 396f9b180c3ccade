"""``/api/v1/population``: an officer's look-up of a person (always with a purpose, always logged) and
the log of who looked a person up.

The look-up is the hottest personal-data path of the platform (performance goals R1, R2, S1), so it
answers with a ``JsonResponse`` built from the loaded row; the schemas below document it in OpenAPI.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from egov.accounts.choices import Role
from egov.accounts.selectors import user_agency_ids, user_is_officer
from egov.core.errors import NotFound, PermissionDenied, ValidationFailed

from . import api_fast
from .auth import registry_bearer
from .ids import ID_NUMBER_LENGTH
from .models import Person
from .presenters import access_log_entry
from .selectors import person_access_history

router = Router(tags=["population"])


class UnitOut(Schema):
    code: str
    name: str


class RelativeOut(Schema):
    id_number: str
    full_name: str


class PlaceOut(Schema):
    text: str
    commune: UnitOut | None


class ResidenceOut(Schema):
    commune: UnitOut | None
    address: str


class PersonOut(Schema):
    id_number: str
    full_name: str
    date_of_birth: dt.date
    sex: str
    sex_label: str
    ethnicity: str
    ethnicity_label: str
    religion: str
    nationality: str
    place_of_birth: PlaceOut
    hometown: str
    permanent_residence: ResidenceOut
    temporary_residence: ResidenceOut | None
    father: RelativeOut | None
    mother: RelativeOut | None
    spouse: RelativeOut | None
    is_deceased: bool
    date_of_death: dt.date | None


class ErrorBody(Schema):
    code: str
    message: str


class ErrorOut(Schema):
    error: ErrorBody


class LookupQuery(Schema):
    purpose: str = ""
    dossier_code: str = ""


class OfficerOut(Schema):
    username: str
    full_name: str
    position: str


class AccessLogItem(Schema):
    at: dt.datetime
    officer: OfficerOut
    purpose: str
    dossier_code: str
    fields: list[str]
    channel: str


class AccessLogOut(Schema):
    items: list[AccessLogItem]
    count: int


class PageQuery(Schema):
    limit: int = 50
    offset: int = 0


def _officer(request: HttpRequest):
    user = request.auth
    if not user_is_officer(user):
        raise PermissionDenied(_("Chỉ cán bộ đang được phân quyền mới được tra cứu thông tin công dân."))
    return user


@router.get(
    "/people/{id_number}",
    auth=registry_bearer,
    response={200: PersonOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Tra cứu thông tin công dân (ghi nhật ký)",
    description=(
        "Chỉ cán bộ đang được phân quyền. Bắt buộc nêu mục đích (`purpose`), nên kèm mã hồ sơ "
        "(`dossier_code`). Mỗi lần tra cứu được ghi vào nhật ký mà công dân xem được "
        "(Nghị định 13/2023/NĐ-CP)."
    ),
)
def person_lookup(request: HttpRequest, id_number: str, query: Query[LookupQuery]):
    # Requests are served by ``api_fast.person_lookup``, routed ahead of the API (see there); this
    # operation documents the contract and runs the same code.
    return api_fast.lookup(
        user=request.auth, id_number=id_number, purpose=query.purpose, dossier_code=query.dossier_code
    )


@router.get(
    "/people/{id_number}/access-log",
    auth=registry_bearer,
    response={200: AccessLogOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Nhật ký tra cứu thông tin của một công dân",
    description="Ai đã xem thông tin của công dân, khi nào, vì mục đích gì. Hiện chỉ dành cho quản trị cấp tỉnh.",
)
def person_access_log(request: HttpRequest, id_number: str, page: Query[PageQuery]):
    if not user_agency_ids(request.auth, [Role.PROVINCE_ADMIN]):
        raise PermissionDenied(_("Chỉ quản trị cấp tỉnh được xem nhật ký tra cứu của công dân."))
    if len(id_number) != ID_NUMBER_LENGTH or not id_number.isascii() or not id_number.isdigit():
        raise ValidationFailed(_("Số định danh cá nhân phải gồm đúng 12 chữ số."), field="id_number")
    try:
        person = Person.objects.only("pk").get(id_number=id_number)
    except Person.DoesNotExist:
        raise NotFound(
            _("Không tìm thấy công dân có số định danh %(id)s.") % {"id": id_number}, code="person_not_found"
        ) from None
    limit = min(max(page.limit, 1), 200)
    offset = max(page.offset, 0)
    history = person_access_history(person=person)
    items = [access_log_entry(entry) for entry in history[offset : offset + limit]]
    return JsonResponse({"items": items, "count": history.count()}, json_dumps_params={"ensure_ascii": False})
