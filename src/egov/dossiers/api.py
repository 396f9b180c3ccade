"""``/api/v1/dossiers``: submission, public status, and one endpoint per officer action.

Input and output schemas are separate; every write goes through ``services.py`` (one transaction,
row lock, event row); domain errors become ``{"error": {...}}`` with a 4xx status (``config/api.py``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from egov.accounts.models import User
from egov.catalog.models import ProcedureOffering
from egov.catalog.selectors import offering_by_codes
from egov.core.api_support import bearer
from egov.core.choices import TimeUnit
from egov.core.errors import NotFound, ValidationFailed
from egov.core.models import Agency

from . import services as svc
from .choices import Channel, DocumentOrigin, DossierStatus, ReturnMethod
from .models import Consultation, Dossier, DossierReadChannel
from .selectors import (
    allowed_actions,
    dossier_for_officer,
    dossier_load_detail,
    dossiers_visible_to,
    open_task_of,
    public_status,
)

router = Router(tags=["dossiers"])

CODE_MAX = 40


# ---- schemas -----------------------------------------------------------------------------------


class NamedRef(Schema):
    code: str
    name: str


class StatusStep(Schema):
    action: str
    label: str
    status: str
    at: dt.datetime


class PublicStatusOut(Schema):
    code: str
    procedure: NamedRef
    agency: NamedRef
    status: str
    status_label: str
    channel: str
    submitted_at: dt.datetime | None
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    rescheduled_due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    steps: list[StatusStep]


class ApplicantIn(Schema):
    name: str = Field(..., min_length=1, max_length=150)
    id_number: str = Field("", max_length=20)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=255)


class DocumentIn(Schema):
    required_document_id: int | None = None
    name: str = Field("", max_length=500)
    quantity: int = Field(1, ge=1, le=100)
    file_name: str = Field("", max_length=255)
    content_base64: str | None = Field(
        None, description="Nội dung tệp (PDF, JPEG, PNG) mã hóa base64; bỏ trống nếu là bản giấy."
    )


class SubmitIn(Schema):
    procedure_code: str = Field(..., max_length=40)
    agency_code: str = Field(..., max_length=13)
    applicant: ApplicantIn
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)
    return_method: ReturnMethod = ReturnMethod.ONLINE
    subject: str = Field("", max_length=500)
    form_data: dict = Field(default_factory=dict)
    set_count: int = Field(1, ge=1, le=50)


class CounterIn(SubmitIn):
    return_method: ReturnMethod = ReturnMethod.COUNTER
    next_assignee: str | None = Field(None, description="Tên đăng nhập chuyên viên nhận hồ sơ")


class DocumentOut(Schema):
    id: int
    name: str
    origin: str
    quantity: int
    content_type: str
    size: int
    checksum: str


class TaskOut(Schema):
    position: int
    name: str
    role: str
    assignee: str | None
    started_at: dt.datetime
    due_at: dt.datetime
    finished_at: dt.datetime | None
    outcome: str


class EventOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str | None
    note: str
    at: dt.datetime


class DossierSummaryOut(Schema):
    code: str
    status: str
    status_label: str
    procedure: NamedRef
    agency: NamedRef
    channel: str
    applicant_name: str
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    rescheduled_due_at: dt.datetime | None
    finished_at: dt.datetime | None


class DossierOut(DossierSummaryOut):
    return_method: str
    applicant_id_number: str
    applicant_phone: str
    applicant_email: str
    applicant_address: str
    subject: str
    set_count: int
    fee: int
    processing_time: dict
    submitted_at: dt.datetime | None
    returned_at: dt.datetime | None
    register_number: int | None
    documents: list[DocumentOut]
    tasks: list[TaskOut]
    events: list[EventOut]
    allowed_actions: list[str]


class DossierList(Schema):
    items: list[DossierSummaryOut]
    count: int


class NoteIn(Schema):
    note: str = Field("", max_length=4000)


class ReasonIn(Schema):
    reason: str = Field(..., max_length=4000)


class ReceiveIn(NoteIn):
    next_assignee: str | None = None


class SupplementRequestIn(Schema):
    items: list[str] = Field(..., min_length=1, max_length=50)
    reason: str = Field(..., max_length=4000)


class SupplementIn(NoteIn):
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)


class AssignIn(Schema):
    assignee: str


class CompleteStepIn(NoteIn):
    next_assignee: str | None = None


class ConsultIn(Schema):
    agency_code: str = Field(..., max_length=13)
    question: str = Field(..., max_length=4000)
    amount: Decimal = Field(Decimal("2"), ge=0, le=365)
    unit: TimeUnit = TimeUnit.WORKING_DAYS


class AnswerIn(Schema):
    answer: str = Field(..., max_length=4000)


class ApproveIn(NoteIn):
    next_assignee: str | None = None


class ResultReadyIn(NoteIn):
    file_name: str = Field("", max_length=255)
    content_base64: str | None = None


class ReturnIn(NoteIn):
    method: ReturnMethod | None = None


class ApologizeIn(Schema):
    reason: str = Field(..., max_length=4000)
    new_due_at: dt.datetime


# ---- helpers -----------------------------------------------------------------------------------


def _decode(doc_name: str, content: str | None) -> bytes | None:
    if content is None:
        return None
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            _("Nội dung tệp “%(name)s” không phải base64 hợp lệ.") % {"name": doc_name}, field="documents"
        ) from exc


def _documents(items: list[DocumentIn], *, default_origin: str) -> list[svc.DocumentInput]:
    out = []
    for item in items:
        content = _decode(item.file_name or item.name, item.content_base64)
        out.append(
            svc.DocumentInput(
                name=item.name,
                required_document_id=item.required_document_id,
                quantity=item.quantity,
                origin=DocumentOrigin.UPLOAD if content is not None else default_origin,
                content=content,
                file_name=item.file_name,
            )
        )
    return out


def _offering(procedure_code: str, agency_code: str) -> ProcedureOffering:
    offering = offering_by_codes(procedure_code, agency_code)
    if offering is None:
        raise NotFound(
            _("Cơ quan %(agency)s không tiếp nhận thủ tục %(code)s.")
            % {"agency": agency_code, "code": procedure_code},
            code="unknown_procedure",
        )
    return offering


def _user(username: str | None, field: str) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationFailed(_("Không có cán bộ “%(u)s”.") % {"u": username}, field=field)
    return user


def _visible(request: HttpRequest, code: str) -> Dossier:
    """The dossier for its officers, or for the applicant who submitted it from their account."""
    if len(code) > CODE_MAX:
        raise ValidationFailed(_("Mã hồ sơ không hợp lệ."), field="code")
    own = (
        Dossier.objects.select_related("agency", "procedure", "offering")
        .filter(code=code, applicant_user=request.user)
        .first()
    )
    if own is not None:
        return own
    return dossier_for_officer(user=request.user, code=code)


def _summary(d: Dossier) -> dict:
    return {
        "code": d.code,
        "status": d.status,
        "status_label": str(DossierStatus(d.status).label),
        "procedure": {"code": d.procedure.code, "name": d.procedure.name},
        "agency": {"code": d.agency.code, "name": d.agency.name},
        "channel": d.channel,
        "applicant_name": d.applicant_name,
        "received_at": d.received_at,
        "due_at": d.due_at,
        "rescheduled_due_at": d.rescheduled_due_at,
        "finished_at": d.finished_at,
    }


def _detail(request: HttpRequest, d: Dossier) -> dict:
    dossier_load_detail(d)
    tasks = list(d.tasks.all())
    out = _summary(d)
    out.update(
        return_method=d.return_method,
        applicant_id_number=d.applicant_id_number,
        applicant_phone=d.applicant_phone,
        applicant_email=d.applicant_email,
        applicant_address=d.applicant_address,
        subject=d.subject,
        set_count=d.set_count,
        fee=d.fee,
        processing_time={"amount": float(d.processing_amount), "unit": d.processing_unit},
        submitted_at=d.submitted_at,
        returned_at=d.returned_at,
        register_number=d.register_number,
        documents=[
            {
                "id": doc.pk,
                "name": doc.name,
                "origin": doc.origin,
                "quantity": doc.quantity,
                "content_type": doc.content_type,
                "size": doc.size,
                "checksum": doc.checksum,
            }
            for doc in d.documents.all()
        ],
        tasks=[
            {
                "position": t.position,
                "name": t.name,
                "role": t.role,
                "assignee": t.assignee.username if t.assignee else None,
                "started_at": t.started_at,
                "due_at": t.due_at,
                "finished_at": t.finished_at,
                "outcome": t.outcome,
            }
            for t in tasks
        ],
        events=[
            {
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "actor": e.actor.username if e.actor else None,
                "note": e.note,
                "at": e.created_at,
            }
            for e in d.events.all()
        ],
        allowed_actions=allowed_actions(dossier=d, user=request.user, task=open_task_of(tasks)),
    )
    return out


# ---- public ------------------------------------------------------------------------------------


@router.get(
    "/{code}/status",
    response=PublicStatusOut,
    summary="Tra cứu tình trạng hồ sơ (công khai, không có dữ liệu cá nhân)",
)
def dossier_status(request: HttpRequest, code: str):
    if len(code) > CODE_MAX:
        raise ValidationFailed(_("Mã hồ sơ không hợp lệ."), field="code")
    status = public_status(code)
    if status is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    # Built directly: the schema above documents it, and skipping the per-request validation keeps
    # the most called endpoint fast.
    return JsonResponse(status, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False})


# ---- submission --------------------------------------------------------------------------------


@router.post("", response={201: DossierOut}, auth=bearer, summary="Nộp hồ sơ trực tuyến")
def dossier_submit(request: HttpRequest, payload: SubmitIn):
    offering = _offering(payload.procedure_code, payload.agency_code)
    a = payload.applicant
    dossier = svc.dossier_submit(
        offering=offering,
        applicant=svc.ApplicantInput(
            name=a.name,
            id_number=a.id_number,
            phone=a.phone,
            email=a.email,
            address=a.address,
            user=request.user,
        ),
        documents=_documents(payload.documents, default_origin=DocumentOrigin.UPLOAD),
        actor=request.user,
        channel=Channel.ONLINE,
        return_method=payload.return_method,
        subject=payload.subject,
        form_data=payload.form_data,
        set_count=payload.set_count,
    )
    return Status(201, _detail(request, dossier))


@router.post(
    "/counter", response={201: DossierOut}, auth=bearer, summary="Tiếp nhận hồ sơ tại Bộ phận Một cửa"
)
def dossier_counter(request: HttpRequest, payload: CounterIn):
    offering = _offering(payload.procedure_code, payload.agency_code)
    a = payload.applicant
    dossier = svc.dossier_receive_at_counter(
        offering=offering,
        applicant=svc.ApplicantInput(
            name=a.name, id_number=a.id_number, phone=a.phone, email=a.email, address=a.address
        ),
        documents=_documents(payload.documents, default_origin=DocumentOrigin.PAPER),
        actor=request.user,
        return_method=payload.return_method,
        subject=payload.subject,
        set_count=payload.set_count,
        next_assignee=_user(payload.next_assignee, "next_assignee"),
        form_data=payload.form_data,
    )
    # Built directly, like the public status: the schema documents it, the parity test
    # (``test_counter_answer_is_built_from_the_rows_written_and_equals_a_later_read``) holds it to the
    # validated ``GET``, and the busiest write of the counter skips validating its own answer.
    return JsonResponse(
        _detail(request, dossier),
        status=201,
        encoder=DjangoJSONEncoder,
        json_dumps_params={"ensure_ascii": False},
    )


# ---- reading -----------------------------------------------------------------------------------


class ListFilters(Schema):
    status: DossierStatus | None = None
    q: str | None = Field(None, max_length=100)
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0)


@router.get("", response=DossierList, auth=bearer, summary="Danh sách hồ sơ của cơ quan")
def dossier_list(request: HttpRequest, filters: Query[ListFilters]):
    qs = dossiers_visible_to(request.user).select_related("procedure", "agency")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q:
        qs = qs.filter(Q(code__icontains=filters.q) | Q(applicant_name__icontains=filters.q))
    qs = qs.order_by("-created_at", "-id")
    return {
        "items": [_summary(d) for d in qs[filters.offset : filters.offset + filters.limit]],
        "count": qs.count(),
    }


@router.get("/{code}", response=DossierOut, auth=bearer, summary="Chi tiết hồ sơ")
def dossier_detail(request: HttpRequest, code: str):
    dossier = _visible(request, code)
    if dossier.applicant_user_id != request.user.pk:  # an officer read the applicant's data: on record
        svc.dossier_record_read(dossier=dossier, user=request.user, channel=DossierReadChannel.API)
    return _detail(request, dossier)


# ---- officer actions ---------------------------------------------------------------------------


def _act(request: HttpRequest, code: str, fn, **kwargs) -> dict:
    dossier = _visible(request, code)
    fn(dossier=dossier, actor=request.user, **kwargs)
    dossier.refresh_from_db()
    return _detail(request, dossier)


@router.post("/{code}/receive", response=DossierOut, auth=bearer, summary="Tiếp nhận hồ sơ trực tuyến")
def action_receive(request: HttpRequest, code: str, payload: ReceiveIn):
    return _act(
        request,
        code,
        svc.dossier_receive,
        note=payload.note,
        next_assignee=_user(payload.next_assignee, "next_assignee"),
    )


@router.post(
    "/{code}/request-supplement", response=DossierOut, auth=bearer, summary="Yêu cầu bổ sung (Mẫu 02)"
)
def action_request_supplement(request: HttpRequest, code: str, payload: SupplementRequestIn):
    return _act(request, code, svc.dossier_request_supplement, items=payload.items, reason=payload.reason)


@router.post("/{code}/supplement", response=DossierOut, auth=bearer, summary="Bổ sung hồ sơ")
def action_supplement(request: HttpRequest, code: str, payload: SupplementIn):
    return _act(
        request,
        code,
        svc.dossier_supplement,
        documents=_documents(payload.documents, default_origin=DocumentOrigin.PAPER),
        note=payload.note,
    )


@router.post("/{code}/refuse", response=DossierOut, auth=bearer, summary="Từ chối tiếp nhận (Mẫu 03)")
def action_refuse(request: HttpRequest, code: str, payload: ReasonIn):
    return _act(request, code, svc.dossier_refuse, reason=payload.reason)


@router.post("/{code}/assign", response=DossierOut, auth=bearer, summary="Phân công xử lý")
def action_assign(request: HttpRequest, code: str, payload: AssignIn):
    return _act(request, code, svc.dossier_assign, assignee=_user(payload.assignee, "assignee"))


@router.post(
    "/{code}/complete-step",
    response=DossierOut,
    auth=bearer,
    summary="Hoàn thành bước, chuyển bước tiếp theo",
)
def action_complete_step(request: HttpRequest, code: str, payload: CompleteStepIn):
    return _act(
        request,
        code,
        svc.dossier_complete_step,
        note=payload.note,
        next_assignee=_user(payload.next_assignee, "next_assignee"),
    )


@router.post("/{code}/consult", response=DossierOut, auth=bearer, summary="Xin ý kiến cơ quan khác")
def action_consult(request: HttpRequest, code: str, payload: ConsultIn):
    agency = Agency.objects.filter(code=payload.agency_code).first()
    if agency is None:
        raise ValidationFailed(
            _("Không có cơ quan mã %(c)s.") % {"c": payload.agency_code}, field="agency_code"
        )
    return _act(
        request,
        code,
        svc.dossier_consult,
        agency=agency,
        question=payload.question,
        amount=payload.amount,
        unit=payload.unit,
    )


@router.post(
    "/{code}/consultations/{consultation_id}/answer",
    response=DossierOut,
    auth=bearer,
    summary="Trả lời xin ý kiến",
)
def action_answer(request: HttpRequest, code: str, consultation_id: int, payload: AnswerIn):
    dossier = _visible(request, code)
    consultation = Consultation.objects.filter(pk=consultation_id, dossier=dossier).first()
    if consultation is None:
        raise NotFound(_("Không có yêu cầu xin ý kiến này."))
    svc.dossier_answer_consultation(consultation=consultation, actor=request.user, answer=payload.answer)
    dossier.refresh_from_db()
    return _detail(request, dossier)


@router.post("/{code}/approve", response=DossierOut, auth=bearer, summary="Phê duyệt")
def action_approve(request: HttpRequest, code: str, payload: ApproveIn):
    return _act(
        request,
        code,
        svc.dossier_approve,
        note=payload.note,
        next_assignee=_user(payload.next_assignee, "next_assignee"),
    )


@router.post("/{code}/deny", response=DossierOut, auth=bearer, summary="Không giải quyết (nêu rõ lý do)")
def action_deny(request: HttpRequest, code: str, payload: ReasonIn):
    return _act(request, code, svc.dossier_deny, reason=payload.reason)


@router.post("/{code}/result-ready", response=DossierOut, auth=bearer, summary="Cập nhật có kết quả")
def action_result_ready(request: HttpRequest, code: str, payload: ResultReadyIn):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = _decode(payload.file_name or "ket-qua", payload.content_base64)
    result_file = (
        SimpleUploadedFile(payload.file_name or "ket-qua.pdf", content) if content is not None else None
    )
    return _act(request, code, svc.dossier_mark_result_ready, result_file=result_file, note=payload.note)


@router.post("/{code}/return", response=DossierOut, auth=bearer, summary="Trả kết quả")
def action_return(request: HttpRequest, code: str, payload: ReturnIn):
    return _act(request, code, svc.dossier_return, method=payload.method, note=payload.note)


@router.post(
    "/{code}/apologize", response=DossierOut, auth=bearer, summary="Xin lỗi và hẹn lại ngày trả (Mẫu 04)"
)
def action_apologize(request: HttpRequest, code: str, payload: ApologizeIn):
    if payload.new_due_at.tzinfo is None:
        raise ValidationFailed(
            _("Ngày hẹn mới phải có múi giờ (ví dụ 2026-03-12T17:00:00+07:00)."), field="new_due_at"
        )
    return _act(request, code, svc.dossier_apologize, reason=payload.reason, new_due_at=payload.new_due_at)


@router.post("/{code}/withdraw", response=DossierOut, auth=bearer, summary="Rút hồ sơ")
def action_withdraw(request: HttpRequest, code: str, payload: ReasonIn):
    return _act(request, code, svc.dossier_withdraw, reason=payload.reason)
