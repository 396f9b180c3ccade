"""``/api/v1/documents``: search and read documents, register an incoming document, issue an outgoing one.

Input and output schemas are separate; every write goes through ``services.py``; domain errors become
``{"error": {"code", "message"}}`` with a 4xx status (``config/api.py``). Field names follow Decree 30/2020
Appendix VI (the edXML names) where one exists.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from egov.core.api_support import bearer
from egov.core.errors import ValidationFailed
from egov.core.models import Agency

from . import selectors, services
from .choices import (
    Direction,
    IncomingSource,
    IncomingStatus,
    OutgoingStatus,
    Secrecy,
    SecretAttempt,
    Urgency,
)
from .models import DocumentType, IncomingDocument, OutgoingDocument

router = Router(tags=["documents"])


# ---- schemas -----------------------------------------------------------------------------------


class FileOut(Schema):
    number: int
    kind: str
    name: str
    content_type: str
    size: int
    checksum: str


class EventOut(Schema):
    action: str
    label: str
    from_status: str
    to_status: str
    actor: str | None
    note: str
    at: dt.datetime


class DocumentSummaryOut(Schema):
    direction: str
    id: int
    number_notation: str = Field(..., description="Số, ký hiệu (CodeNumber/CodeNotation), ví dụ 15/QĐ-UBND")
    arrival_number: int | None = Field(None, description="Số đến (ArrivalNumber), chỉ với văn bản đến")
    document_date: dt.date | None
    document_type: str
    subject: str | None = Field(None, description="Trích yếu; không trả về với văn bản mật")
    issuer_name: str
    issuer_code: str
    status: str
    status_label: str
    urgency: str
    secrecy: str
    deadline: dt.datetime | None
    arrival_at: dt.datetime | None
    issued_at: dt.datetime | None


class DocumentList(Schema):
    items: list[DocumentSummaryOut]
    count: int = Field(..., description="Số kết quả; khi count_exact là false, có nhiều hơn số này")
    count_exact: bool


class IncomingOut(DocumentSummaryOut):
    page_count: int
    signer_name: str
    signer_position: str
    source: str
    exchange_document_id: str | None
    linked_dossier_code: str
    files: list[FileOut]
    events: list[EventOut]


class RecipientOut(Schema):
    kind: str
    name: str
    organ_id: str
    instance: str
    channel: str
    enqueued_at: dt.datetime | None


class OutgoingOut(DocumentSummaryOut):
    page_count: int
    signer_name: str
    signer_position: str
    copies: int
    reply_to: int | None
    recipients: list[RecipientOut]
    files: list[FileOut]
    events: list[EventOut]


class AttachmentIn(Schema):
    file_name: str = Field(..., min_length=1, max_length=200)
    content_base64: str = Field(..., description="Nội dung tệp (PDF, JPEG, PNG) mã hóa base64")


class IncomingIn(Schema):
    agency_code: str = Field(..., max_length=13, description="Mã định danh cơ quan nhận (của văn thư)")
    issuer_name: str = Field(..., max_length=200, description="OrganName")
    issuer_code: str = Field("", max_length=35, description="OrganId")
    code_number: str = Field("", max_length=11, description="CodeNumber")
    code_notation: str = Field("", max_length=30, description="CodeNotation")
    document_date: dt.date | None = Field(None, description="IssuedDate")
    document_type: str = Field(..., max_length=30, description="Mã loại văn bản, ví dụ quyet_dinh, cong_van")
    subject: str = Field(..., max_length=500)
    urgency: Urgency = Urgency.NORMAL
    secrecy: Secrecy = Secrecy.NONE
    page_count: int = Field(0, ge=0, le=999)
    signer_name: str = Field("", max_length=50)
    signer_position: str = Field("", max_length=100)
    deadline: dt.datetime | None = None
    arrival_at: dt.datetime | None = None
    source: IncomingSource = IncomingSource.ELECTRONIC
    linked_dossier_code: str = Field("", max_length=40)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)
    confirm_duplicate: bool = False


class SearchQuery(Schema):
    q: str | None = Field(None, max_length=200)
    direction: Direction | None = None
    document_type: str | None = Field(None, max_length=30)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    issuer: str | None = Field(None, max_length=200)
    status: str | None = Field(None, max_length=20)
    urgency: Urgency | None = None
    limit: int = Field(20, ge=1, le=200)
    offset: int = Field(0, ge=0, le=selectors.SEARCH_MAX_WINDOW)


# ---- helpers -----------------------------------------------------------------------------------


def _summary(document, *, user) -> dict:
    incoming = isinstance(document, IncomingDocument)
    statuses = IncomingStatus if incoming else OutgoingStatus
    readable = selectors.can_read_content(user, document)
    return {
        "direction": Direction.INCOMING if incoming else Direction.OUTGOING,
        "id": document.pk,
        "number_notation": document.number_notation,
        "arrival_number": document.arrival_number if incoming else None,
        "document_date": document.document_date,
        "document_type": document.document_type.code,
        "subject": document.subject if readable else None,
        "issuer_name": document.issuer_name if incoming else document.agency.name,
        "issuer_code": document.issuer_code if incoming else document.agency.code,
        "status": document.status,
        "status_label": str(statuses(document.status).label),
        "urgency": document.urgency,
        "secrecy": document.secrecy,
        "deadline": document.deadline if incoming else None,
        "arrival_at": document.arrival_at if incoming else None,
        "issued_at": None if incoming else document.issued_at,
    }


def _files(document) -> list[dict]:
    return list(
        document.versions.order_by("number").values(
            "number", "kind", "name", "content_type", "size", "checksum"
        )
    )


def _events(document) -> list[dict]:
    return [
        {
            "action": e.action,
            "label": e.action_label,
            "from_status": e.from_status,
            "to_status": e.to_status,
            "actor": e.actor.username if e.actor else None,
            "note": e.note,
            "at": e.created_at,
        }
        for e in selectors.document_trace(document)
    ]


def _readable_or_refuse(request: HttpRequest, document) -> None:
    """A classified document's details only with clearance; the refusal is logged."""
    services.secret_read_check(user=request.user, document=document, attempt=SecretAttempt.VIEW)


def _incoming_detail(request: HttpRequest, document: IncomingDocument) -> dict:
    out = _summary(document, user=request.user)
    out.update(
        page_count=document.page_count,
        signer_name=document.signer_name,
        signer_position=document.signer_position,
        source=document.source,
        exchange_document_id=document.exchange_document_id,
        linked_dossier_code=document.linked_dossier_code,
        files=_files(document),
        events=_events(document),
    )
    return out


def _outgoing_detail(request: HttpRequest, document: OutgoingDocument) -> dict:
    out = _summary(document, user=request.user)
    out.update(
        page_count=document.page_count,
        signer_name=document.signer_name,
        signer_position=document.signer_position,
        copies=document.copies,
        reply_to=document.reply_to_id,
        recipients=list(
            document.recipients.values("kind", "name", "organ_id", "instance", "channel", "enqueued_at")
        ),
        files=_files(document),
        events=_events(document),
    )
    return out


def _decode(item: AttachmentIn) -> tuple[str, bytes, str]:
    try:
        content = base64.b64decode(item.content_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            _("Nội dung tệp “%(name)s” không phải base64 hợp lệ.") % {"name": item.file_name},
            field="attachments",
        ) from exc
    return (item.file_name, content, "")


# ---- endpoints ---------------------------------------------------------------------------------


@router.get("", response=DocumentList, auth=bearer, summary="Tra cứu văn bản đến và đi của cơ quan")
def document_list(request: HttpRequest, filters: Query[SearchQuery]):
    document_type_id = None
    if filters.document_type:
        document_type_id = (
            DocumentType.objects.filter(code=filters.document_type).values_list("pk", flat=True).first()
        )
        if document_type_id is None:
            raise ValidationFailed(
                _("Không có loại văn bản “%(c)s”.") % {"c": filters.document_type}, field="document_type"
            )
    if filters.offset + filters.limit > selectors.SEARCH_MAX_WINDOW:
        raise ValidationFailed(_("Trang quá sâu: hãy thu hẹp điều kiện tìm kiếm."), field="offset")
    page = selectors.documents_search(
        user=request.user,
        filters=selectors.SearchFilters(
            q=filters.q or "",
            direction=filters.direction or "",
            document_type_id=document_type_id,
            date_from=filters.date_from,
            date_to=filters.date_to,
            issuer=filters.issuer or "",
            status=filters.status or "",
            urgency=filters.urgency or "",
        ),
        limit=filters.limit,
        offset=filters.offset,
    )
    return {
        "items": [_summary(hit.document, user=request.user) for hit in page.items],
        "count": page.count,
        "count_exact": page.count_exact,
    }


@router.get("/incoming/{pk}", response=IncomingOut, auth=bearer, summary="Chi tiết văn bản đến")
def incoming_detail(request: HttpRequest, pk: int):
    document = selectors.incoming_for_officer(user=request.user, pk=pk)
    _readable_or_refuse(request, document)
    return _incoming_detail(request, document)


@router.get("/outgoing/{pk}", response=OutgoingOut, auth=bearer, summary="Chi tiết văn bản đi")
def outgoing_detail(request: HttpRequest, pk: int):
    document = selectors.outgoing_for_officer(user=request.user, pk=pk)
    _readable_or_refuse(request, document)
    return _outgoing_detail(request, document)


@router.post(
    "/incoming",
    response={201: IncomingOut},
    auth=bearer,
    summary="Đăng ký văn bản đến (văn thư); trùng số, ký hiệu, ngày và cơ quan ban hành trả về 409",
)
def incoming_register(request: HttpRequest, payload: IncomingIn):
    agency = Agency.objects.filter(code=payload.agency_code).first()
    if agency is None:
        raise ValidationFailed(
            _("Không có cơ quan mã %(c)s.") % {"c": payload.agency_code}, field="agency_code"
        )
    document_type = DocumentType.objects.filter(code=payload.document_type, is_active=True).first()
    if document_type is None:
        raise ValidationFailed(
            _("Không có loại văn bản “%(c)s”.") % {"c": payload.document_type}, field="document_type"
        )
    for moment, name in ((payload.deadline, "deadline"), (payload.arrival_at, "arrival_at")):
        if moment is not None and moment.tzinfo is None:
            raise ValidationFailed(
                _("Thời điểm phải có múi giờ (ví dụ 2026-03-12T17:00:00+07:00)."), field=name
            )
    if payload.source == IncomingSource.EXCHANGE:
        raise ValidationFailed(_("Văn bản liên thông được tiếp nhận qua /api/v1/exchange."), field="source")
    document = services.incoming_register(
        agency=agency,
        actor=request.user,
        issuer_name=payload.issuer_name,
        issuer_code=payload.issuer_code,
        code_number=payload.code_number,
        code_notation=payload.code_notation,
        document_date=payload.document_date,
        document_type=document_type,
        subject=payload.subject,
        urgency=payload.urgency,
        secrecy=payload.secrecy,
        page_count=payload.page_count,
        signer_name=payload.signer_name,
        signer_position=payload.signer_position,
        deadline=payload.deadline,
        arrival_at=payload.arrival_at,
        source=payload.source,
        linked_dossier_code=payload.linked_dossier_code,
        attachments=[_decode(a) for a in payload.attachments],
        confirm_duplicate=payload.confirm_duplicate,
    )
    return Status(201, _incoming_detail(request, document))


@router.post(
    "/outgoing/{pk}/issue",
    response=OutgoingOut,
    auth=bearer,
    summary="Cấp số và phát hành văn bản đi đã ký (văn thư)",
)
def outgoing_issue(request: HttpRequest, pk: int):
    document = selectors.outgoing_for_officer(user=request.user, pk=pk)
    document = services.outgoing_issue(document=document, actor=request.user)
    return _outgoing_detail(request, document)
