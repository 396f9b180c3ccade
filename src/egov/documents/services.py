"""Writes of official documents (Decree 30/2020/NĐ-CP). One verb, one service: each is atomic, locks the
document row, checks the state machine (``transitions.py``) and the actor's role, writes one event and
queues its notifications in the same transaction; calls to other apps run after commit.

Entry points for other apps:

* ``incoming_register_from_exchange`` registers a document received through the exchange (edXML),
  idempotent by its DocumentId;
* ``incoming_recall`` removes a document its sender took back (status message 13);
* ``DELIVERY_HOOKS``: callables ``hook(document, recipient)`` run after an outgoing document is issued,
  once per external recipient to be reached electronically (never for a classified document);
* ``RECALL_HOOKS``: the same, after an issued document is recalled;
* ``STATUS_HOOKS``: callables ``hook(document, status_code)`` run when an incoming document that came
  through the exchange is registered (03), assigned (04), taken in hand (05) or completed (06).

Hooks run with ``transaction.on_commit(..., robust=True)``: nothing is sent for a rolled-back change,
and a failing hook is logged without undoing the committed one.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.accounts.choices import Role
from egov.accounts.models import RoleAssignment, User
from egov.accounts.selectors import leaders_of, officers_with_role, user_agency_ids, user_has_role
from egov.catalog.search import normalize
from egov.core.calendar import LOCAL_TZ, get_calendar
from egov.core.choices import TimeUnit
from egov.core.errors import DomainError, PermissionDenied, ValidationFailed
from egov.core.models import Agency, Department
from egov.core.numbering import next_value
from egov.notifications.services import notify_users

from . import files, signature_layout
from .choices import (
    SECRECY_RANK,
    SECRET_LEVELS,
    URGENT_LEVELS,
    DeliveryChannel,
    Direction,
    ExchangeStatusCode,
    IncomingAction,
    IncomingSource,
    IncomingStatus,
    OpinionKind,
    OutgoingAction,
    OutgoingStatus,
    RecipientKind,
    Secrecy,
    SecretAttempt,
    Series,
    Urgency,
    VersionKind,
)
from .models import (
    DocumentAssignment,
    DocumentOpinion,
    DocumentRegister,
    DocumentType,
    DocumentVersion,
    IncomingDocument,
    OutgoingDocument,
    OutgoingRecipient,
    SecretAccessAttempt,
    SecretClearance,
)
from .selectors import clearance_rank, current_assignment, is_handler
from .transitions import INCOMING_OPEN, check, transition

logger = logging.getLogger(__name__)

Attachment = tuple[str, bytes, str]
"""``(file name, bytes, content type)`` of a file handed to a service."""

DELIVERY_HOOKS: list[Callable[[OutgoingDocument, OutgoingRecipient], None]] = []
RECALL_HOOKS: list[Callable[[OutgoingDocument, OutgoingRecipient], None]] = []
STATUS_HOOKS: list[Callable[[IncomingDocument, str], None]] = []

ORGAN_ID_RE = re.compile(r"^[0-9A-Z.]{1,35}$")
"""Electronic identifier of an agency: at most 35 characters, digits, capitals and dots (Decision 20/2020 art. 4)."""
COMPETENCE_VALUES = ("", "TM.", "KT.", "Q.", "TL.", "TUQ.")
_FUTURE_SKEW = dt.timedelta(minutes=5)


class DuplicateDocument(DomainError):
    """Same issuer, number, notation and date as a registered document (Appendix VI, Part I §III: warn of
    duplicates). Registering anyway needs ``confirm_duplicate=True``."""

    status = 409
    code = "duplicate_document"

    def __init__(self, message: str, *, existing: IncomingDocument) -> None:
        super().__init__(message)
        self.existing = existing


class SecretDocumentRefused(DomainError):
    """A classified document may not be sent electronically or read without clearance (Decree 30/2020;
    Law 29/2018/QH14 on the protection of state secrets)."""

    status = 403
    code = "secret_document"
    logged = False
    """True once the refusal is on record; a refusal raised inside a rolled-back write is logged by the caller."""


@dataclass
class RecipientInput:
    """One line of "Nơi nhận" of an outgoing document."""

    kind: str
    name: str = ""
    organ_id: str = ""
    department: Department | None = None
    instance: str = ""
    channel: str = DeliveryChannel.ELECTRONIC


# ---- helpers ---------------------------------------------------------------------------------------------


def _require_role(actor, agency_id: int, *roles: str) -> None:
    if actor is None or not actor.is_authenticated or not user_has_role(actor, agency_id, *roles):
        raise PermissionDenied(
            _("Bạn không có quyền thực hiện thao tác này đối với văn bản của cơ quan này.")
        )


def _clean(value, max_length: int) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip()[:max_length]


def _required(value, max_length: int, message: str, field: str) -> str:
    text = _clean(value, max_length)
    if not text:
        raise ValidationFailed(message, field=field)
    return text


def _choice(value: str, allowed: Iterable[str], field: str) -> str:
    if value not in set(allowed):
        raise ValidationFailed(_("Giá trị “%(v)s” không hợp lệ.") % {"v": value}, field=field)
    return value


def _fmt(moment: dt.datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y") if moment else ""


def _local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL_TZ).date()


def _as_deadline(value: dt.datetime | dt.date | None, *, field: str = "deadline") -> dt.datetime | None:
    """A date means the close of that working day; a time must carry its zone."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            raise ValidationFailed(_("Hạn xử lý phải có múi giờ."), field=field)
        return value
    return get_calendar().close_of(value)


def deadline_after_working_days(days: int, *, start: dt.datetime | None = None) -> dt.datetime:
    """The close of the ``days``-th working day after ``start`` (Civil Code art. 147: the first day not counted)."""
    return get_calendar().due(start or timezone.now(), days, TimeUnit.WORKING_DAYS)


def _incoming_url(document: IncomingDocument) -> str:
    return reverse("documents:incoming_detail", kwargs={"pk": document.pk})


def _outgoing_url(document: OutgoingDocument) -> str:
    return reverse("documents:outgoing_detail", kwargs={"pk": document.pk})


def _safe_subject(document) -> str:
    """What a notification may say about a document: a classified subject never leaves the page."""
    return "" if document.secrecy in SECRET_LEVELS else document.subject


def _incoming_label(document: IncomingDocument) -> str:
    return _("Văn bản đến số %(n)s") % {"n": document.arrival_number}


def _outgoing_label(document: OutgoingDocument) -> str:
    if document.number is not None:
        return _("Văn bản đi %(code)s") % {"code": document.number_notation}
    return _("Dự thảo văn bản đi #%(pk)s") % {"pk": document.pk}


def _run_hooks(hooks: list, *args) -> None:
    """Queue each hook to run after commit (robust: a failing hook is logged, the change stays)."""
    for hook in list(hooks):
        transaction.on_commit(partial(hook, *args), robust=True)


def _status_hook(document: IncomingDocument, code: str) -> None:
    if document.source == IncomingSource.EXCHANGE:
        _run_hooks(STATUS_HOOKS, document, code)


def _lock_incoming(document: IncomingDocument) -> IncomingDocument:
    return (
        IncomingDocument.objects.select_for_update(of=("self",))
        .select_related("agency", "document_type", "register")
        .get(pk=document.pk)
    )


def _lock_outgoing(document: OutgoingDocument) -> OutgoingDocument:
    return (
        OutgoingDocument.objects.select_for_update(of=("self",))
        .select_related("agency", "document_type", "register", "drafting_department")
        .get(pk=document.pk)
    )


def _department_officers(department_ids: Iterable[int]) -> list[User]:
    ids = [pk for pk in department_ids if pk]
    if not ids:
        return []
    return list(
        User.objects.filter(roles__department_id__in=ids, roles__is_active=True, is_active=True).distinct()
    )


def _search_key(parts: Iterable[str]) -> str:
    """Normalized words with a space at each end, so a short word can be matched as a whole word."""
    text = normalize(" ".join(str(p) for p in parts if p))
    return f" {text} " if text else ""


def incoming_search_text(document: IncomingDocument) -> str:
    """The stored search key. A classified document keeps only the register line's identity (numbers,
    notation, issuer, type): its subject is never written into the shared search index."""
    parts = [
        document.arrival_number,
        document.code_number,
        document.code_notation,
        f"{document.code_number}/{document.code_notation}" if document.code_number else "",
        document.issuer_code,
        document.issuer_name,
        document.document_type.name if document.document_type_id else "",
        document.linked_dossier_code,
    ]
    if document.secrecy not in SECRET_LEVELS:
        parts += [document.subject, document.signer_name]
    return _search_key(parts)


def outgoing_search_text(document: OutgoingDocument) -> str:
    parts = [
        document.code_number,
        str(document.number) if document.number is not None else "",
        document.number_notation,
        document.notation,
        document.document_type.name if document.document_type_id else "",
        document.linked_dossier_code,
    ]
    if document.secrecy not in SECRET_LEVELS:
        parts += [document.subject, document.signer_name]
        parts += [r.name for r in document.recipients.all()] if document.pk else []
    return _search_key(parts)


# ---- registers and numbers --------------------------------------------------------------------------------


def document_register_open(*, agency: Agency, year: int, direction: str, series: str) -> DocumentRegister:
    """The register of ``agency`` for ``year``, opened on first use (Decree 30/2020 arts. 15, 22; Appendix IV)."""
    names = {
        (Direction.INCOMING, Series.NORMAL): _("Sổ đăng ký văn bản đến năm %(year)s"),
        (Direction.INCOMING, Series.SECRET): _("Sổ đăng ký văn bản đến mật năm %(year)s"),
        (Direction.OUTGOING, Series.NORMAL): _("Sổ đăng ký văn bản đi năm %(year)s"),
        (Direction.OUTGOING, Series.SECRET): _("Sổ đăng ký văn bản đi mật năm %(year)s"),
    }
    register, _created = DocumentRegister.objects.get_or_create(
        agency=agency,
        year=year,
        direction=direction,
        series=series,
        defaults={"name": names[(direction, series)] % {"year": year}},
    )
    register.agency = agency
    return register


def _draw_number(
    *, agency: Agency, at: dt.datetime, direction: str, secrecy: str
) -> tuple[DocumentRegister, int]:
    """Next number of the series: restarts on 1 January of the local year, one series per agency and a
    separate one for classified documents, never repeated (Decree 30/2020 arts. 15.1-2, 22.2)."""
    series = Series.SECRET if secrecy in SECRET_LEVELS else Series.NORMAL
    register = document_register_open(
        agency=agency, year=at.astimezone(LOCAL_TZ).year, direction=direction, series=series
    )
    return register, next_value(register.scope)


# ---- files -----------------------------------------------------------------------------------------------


def _store_version(
    *,
    incoming: IncomingDocument | None = None,
    outgoing: OutgoingDocument | None = None,
    attachment: Attachment,
    kind: str,
    actor,
    at: dt.datetime,
    note: str = "",
    allow_office: bool = False,
    pdf_only: bool = False,
) -> DocumentVersion:
    name, content, _content_type = attachment
    name = _clean(name, 200) or _("tep")
    checked = files.check_file(name=name, content=content or b"", allow_office=allow_office)
    if pdf_only:
        files.require_pdf(checked)
    owner = {"incoming": incoming} if incoming is not None else {"outgoing": outgoing}
    number = (
        DocumentVersion.objects.filter(**owner).order_by("-number").values_list("number", flat=True).first()
        or 0
    ) + 1
    version = DocumentVersion(
        **owner,
        number=number,
        kind=kind,
        name=name,
        content_type=checked.content_type,
        size=checked.size,
        checksum=checked.checksum,
        note=_clean(note, 500),
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=at,
    )
    version.file.name = files.store(checked)
    version.save()
    return version


# ---- classified documents --------------------------------------------------------------------------------


@transaction.atomic
def secret_attempt_log(
    *, user, document=None, attempt: str, detail: str = "", agency_id: int | None = None
) -> SecretAccessAttempt:
    """Record a refused access to a classified document (or to the secret register of ``agency_id``).
    Called outside the refused action's transaction, so the record survives the refusal."""
    is_incoming = isinstance(document, IncomingDocument)
    return SecretAccessAttempt.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        agency_id=document.agency_id if document is not None else agency_id,
        incoming=document if is_incoming else None,
        outgoing=document if isinstance(document, OutgoingDocument) else None,
        attempt=_choice(attempt, SecretAttempt.values, "attempt"),
        detail=_clean(detail, 500),
        created_at=timezone.now(),
    )


def require_clearance(*, user, document) -> None:
    """Refuse reading or changing a classified document's content without enough clearance (no record: for
    use inside a write, whose rollback would lose it; the caller records it, see ``secret_read_check``)."""
    if document.secrecy not in SECRET_LEVELS:
        return
    if SECRECY_RANK[document.secrecy] <= clearance_rank(user, document.agency_id):
        return
    raise SecretDocumentRefused(
        _("Văn bản có độ mật “%(level)s”: bạn chưa được cấp quyền tiếp cận.")
        % {"level": Secrecy(document.secrecy).label}
    )


def secret_read_check(*, user, document, attempt: str = SecretAttempt.DOWNLOAD) -> None:
    """Refuse reading a classified document's content without enough clearance, and record the refusal."""
    try:
        require_clearance(user=user, document=document)
    except SecretDocumentRefused as exc:
        secret_attempt_log(user=user, document=document, attempt=attempt)
        exc.logged = True
        raise


@transaction.atomic
def secret_clearance_grant(*, user: User, agency: Agency, level: str, actor) -> SecretClearance:
    """Permit ``user`` to read classified documents of ``agency`` up to ``level`` (the head of the agency decides,
    Law 29/2018/QH14 art. 11)."""
    _require_role(actor, agency.pk, Role.LEADER, Role.AGENCY_ADMIN)
    _choice(level, SECRET_LEVELS, "level")
    if agency.pk not in user_agency_ids(user):
        raise ValidationFailed(_("Cán bộ không thuộc cơ quan này."), field="user")
    clearance, _created = SecretClearance.objects.update_or_create(
        user=user, agency=agency, defaults={"level": level, "is_active": True, "granted_by": actor}
    )
    if hasattr(user, "_egov_clearances"):
        del user._egov_clearances
    return clearance


# ---- incoming documents ----------------------------------------------------------------------------------


def _duplicate_of(
    *, agency: Agency, issuer_code: str, issuer_name: str, code_number: str, code_notation: str, document_date
) -> IncomingDocument | None:
    """A registered document with the same issuer, number + notation and date (Appendix VI, Part I §III)."""
    if document_date is None or not (code_number or code_notation):
        return None

    def number_key(value: str) -> str:
        return str(int(value)) if value.isdigit() else normalize(value)

    wanted = (number_key(code_number), normalize(code_notation))
    candidates = IncomingDocument.objects.filter(agency=agency, document_date=document_date).exclude(
        status=IncomingStatus.RECALLED
    )
    if code_number.isdigit():
        # "05" and "5" are the same number; the index on (agency, date) plus this keeps the scan short on
        # days with thousands of registrations (an exchange axis delivering in bulk).
        candidates = candidates.filter(code_number__regex=rf"^0*{int(code_number)}$")
    for other in candidates:
        if (number_key(other.code_number), normalize(other.code_notation)) != wanted:
            continue
        if issuer_code and other.issuer_code:
            if issuer_code.upper() == other.issuer_code.upper():
                return other
        elif normalize(issuer_name) == normalize(other.issuer_name):
            return other
    return None


def _register(
    *,
    agency: Agency,
    actor,
    source: str,
    issuer_name: str,
    issuer_code: str,
    code_number: str,
    code_notation: str,
    document_date: dt.date | None,
    document_type: DocumentType,
    subject: str,
    urgency: str,
    secrecy: str,
    page_count: int,
    signer_name: str,
    signer_position: str,
    deadline: dt.datetime | dt.date | None,
    arrival_at: dt.datetime | None,
    linked_dossier_code: str,
    attachments: Sequence[Attachment],
    confirm_duplicate: bool,
    exchange_document_id: str | None = None,
) -> IncomingDocument:
    now = timezone.now()
    issuer_name = _required(issuer_name, 200, _("Cần nhập cơ quan ban hành văn bản."), "issuer_name")
    issuer_code = _clean(issuer_code, 35).upper()
    if issuer_code and not ORGAN_ID_RE.match(issuer_code):
        raise ValidationFailed(_("Mã định danh cơ quan ban hành không hợp lệ."), field="issuer_code")
    code_number = _clean(code_number, 11).replace(" ", "")
    code_notation = _clean(code_notation, 30).replace(" ", "")
    subject = _required(subject, 500, _("Cần nhập trích yếu nội dung."), "subject")
    if document_type is None or not document_type.is_active:
        raise ValidationFailed(_("Cần chọn loại văn bản."), field="document_type")
    _choice(urgency, Urgency.values, "urgency")
    _choice(secrecy, Secrecy.values, "secrecy")
    if secrecy in SECRET_LEVELS and source != IncomingSource.PAPER:
        raise SecretDocumentRefused(
            _("Văn bản mật không được tiếp nhận qua mạng; chỉ đăng ký văn bản mật nhận bằng bản giấy."),
            field="secrecy",
        )
    if not 0 <= int(page_count or 0) <= 999:
        raise ValidationFailed(_("Số trang phải từ 0 đến 999."), field="page_count")
    if document_date is not None and document_date > _local_date(now):
        raise ValidationFailed(_("Ngày văn bản không được sau hôm nay."), field="document_date")
    arrival_at = arrival_at or now
    if timezone.is_naive(arrival_at) or arrival_at > now + _FUTURE_SKEW:
        raise ValidationFailed(_("Thời điểm đến không hợp lệ."), field="arrival_at")
    deadline = _as_deadline(deadline)

    duplicate = _duplicate_of(
        agency=agency,
        issuer_code=issuer_code,
        issuer_name=issuer_name,
        code_number=code_number,
        code_notation=code_notation,
        document_date=document_date,
    )
    if duplicate is not None and not confirm_duplicate:
        raise DuplicateDocument(
            _(
                "Văn bản số %(code)s ngày %(date)s của %(issuer)s đã được đăng ký (số đến %(n)s). "
                "Kiểm tra lại, hoặc xác nhận để vẫn đăng ký."
            )
            % {
                "code": duplicate.number_notation,
                "date": f"{document_date:%d/%m/%Y}",
                "issuer": duplicate.issuer_name,
                "n": duplicate.arrival_number,
            },
            existing=duplicate,
        )

    register, number = _draw_number(
        agency=agency, at=arrival_at, direction=Direction.INCOMING, secrecy=secrecy
    )
    document = IncomingDocument(
        agency=agency,
        register=register,
        arrival_number=number,
        arrival_at=arrival_at,
        issuer_name=issuer_name,
        issuer_code=issuer_code,
        code_number=code_number,
        code_notation=code_notation,
        document_date=document_date,
        document_type=document_type,
        subject=subject,
        urgency=urgency,
        secrecy=secrecy,
        page_count=int(page_count or 0),
        signer_name=_clean(signer_name, 50),
        signer_position=_clean(signer_position, 100),
        deadline=deadline,
        status="",
        source=source,
        exchange_document_id=exchange_document_id,
        registered_by=actor if getattr(actor, "is_authenticated", False) else None,
        linked_dossier_code=_clean(linked_dossier_code, 40),
    )
    document.search_text = incoming_search_text(document)
    document.save()
    versions = [
        _store_version(
            incoming=document,
            attachment=attachment,
            kind=VersionKind.ATTACHMENT,
            actor=actor,
            at=now,
            allow_office=source == IncomingSource.EXCHANGE,
        )
        for attachment in attachments
    ]
    data = {
        "register": register.name,
        "arrival_number": number,
        "files": [{"name": v.name, "checksum": v.checksum} for v in versions],
    }
    if duplicate is not None:
        data["duplicate_of"] = duplicate.pk
    transition(
        document, action=IncomingAction.REGISTER, to=IncomingStatus.REGISTERED, actor=actor, at=now, data=data
    )
    urgent = urgency in URGENT_LEVELS
    notify_users(
        users=leaders_of(agency.pk),
        event="document_incoming",
        key=f"incoming:{document.pk}:registered",
        title=(_("[%(urgency)s] ") % {"urgency": Urgency(urgency).label} if urgent else "")
        + _("%(doc)s chờ phân công") % {"doc": _incoming_label(document)},
        body=_safe_subject(document),
        url=_incoming_url(document),
        # Urgent documents are handled at once (Decree 30/2020 art. 23.1): they also go by e-mail.
        email=urgent,
    )
    _status_hook(document, ExchangeStatusCode.ACCEPTED)
    return document


@transaction.atomic
def incoming_register(
    *,
    agency: Agency,
    actor,
    issuer_name: str,
    document_type: DocumentType,
    subject: str,
    code_number: str = "",
    code_notation: str = "",
    document_date: dt.date | None = None,
    issuer_code: str = "",
    urgency: str = Urgency.NORMAL,
    secrecy: str = Secrecy.NONE,
    page_count: int = 0,
    signer_name: str = "",
    signer_position: str = "",
    deadline: dt.datetime | dt.date | None = None,
    arrival_at: dt.datetime | None = None,
    source: str = IncomingSource.PAPER,
    linked_dossier_code: str = "",
    attachments: Sequence[Attachment] = (),
    confirm_duplicate: bool = False,
) -> IncomingDocument:
    """The clerk registers an incoming document with the next incoming number of the year (số đến, Decree
    30/2020 art. 22.2), the same day or the next working day (art. 5.2.c). A document with the same issuer,
    number + notation and date raises ``DuplicateDocument`` unless ``confirm_duplicate``."""
    _require_role(actor, agency.pk, Role.CLERK)
    _choice(source, (IncomingSource.PAPER, IncomingSource.ELECTRONIC), "source")
    return _register(
        agency=agency,
        actor=actor,
        source=source,
        issuer_name=issuer_name,
        issuer_code=issuer_code,
        code_number=code_number,
        code_notation=code_notation,
        document_date=document_date,
        document_type=document_type,
        subject=subject,
        urgency=urgency,
        secrecy=secrecy,
        page_count=page_count,
        signer_name=signer_name,
        signer_position=signer_position,
        deadline=deadline,
        arrival_at=arrival_at,
        linked_dossier_code=linked_dossier_code,
        attachments=attachments,
        confirm_duplicate=confirm_duplicate,
    )


_PRIORITY_TO_URGENCY = {
    0: Urgency.NORMAL,
    1: Urgency.URGENT,
    2: Urgency.VERY_URGENT,
    3: Urgency.EXPRESS,
    4: Urgency.EXPRESS,  # Hỏa tốc hẹn giờ
}


def _edxml_date(value, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(LOCAL_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()[:10]
    for pattern in ("%Y/%m/%d", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValidationFailed(_("Ngày “%(v)s” không hợp lệ.") % {"v": value}, field=field)


def document_type_for(*, type_name: str = "", notation: str = "") -> DocumentType:
    """The type named ``type_name``, else the one whose abbreviation opens ``notation``, else Công văn."""
    types = list(DocumentType.objects.filter(is_active=True))
    wanted = normalize(type_name)
    if wanted:
        for document_type in types:
            if normalize(document_type.name) == wanted or normalize(document_type.name).startswith(
                wanted + " ("
            ):
                return document_type
    head = notation.split("-", 1)[0] if notation and "-" in notation else ""
    for document_type in types:
        if head and document_type.abbreviation == head:
            return document_type
    return next(t for t in types if t.code == "cong_van")


@transaction.atomic
def incoming_register_from_exchange(
    *,
    agency: Agency,
    metadata: dict,
    attachments: Sequence[Attachment],
    exchange_document_id: str,
) -> IncomingDocument:
    """Register a document received through the exchange (edXML, QCVN 102:2016), as the system.

    Idempotent by ``exchange_document_id`` (DocumentId): a second delivery returns the row of the first,
    even when both arrive at once. ``metadata`` uses the edXML / Appendix VI names: ``OrganId``,
    ``OrganName``, ``CodeNumber``, ``CodeNotation``, ``PromulgationDate`` (or ``IssuedDate``; date or
    ``yyyy/MM/dd``), ``TypeName``, ``Subject``, ``Priority`` (0-4), ``PageAmount``, ``DueDate``,
    ``SignerInfo`` (``Position``, ``FullName``) and optionally ``Secrecy`` (a classified document is refused:
    it never travels electronically). A possible duplicate of a paper copy is registered and flagged in
    the event's data (``duplicate_of``).
    """
    exchange_document_id = _clean(exchange_document_id, 255)
    if not exchange_document_id:
        raise ValidationFailed(_("Thiếu mã văn bản liên thông (DocumentId)."), field="exchange_document_id")
    existing = IncomingDocument.objects.filter(
        agency=agency, exchange_document_id=exchange_document_id
    ).first()
    if existing is not None:
        return existing
    signer = metadata.get("SignerInfo") or {}
    notation = _clean(metadata.get("CodeNotation"), 30)
    try:
        priority = int(metadata.get("Priority") or 0)
        page_count = int(metadata.get("PageAmount") or 0)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(_("Priority hoặc PageAmount không phải số."), field="metadata") from exc
    due = _edxml_date(metadata.get("DueDate"), "DueDate")
    try:
        with transaction.atomic():
            return _register(
                agency=agency,
                actor=None,
                source=IncomingSource.EXCHANGE,
                issuer_name=metadata.get("OrganName", ""),
                issuer_code=metadata.get("OrganId", ""),
                code_number=str(metadata.get("CodeNumber") or ""),
                code_notation=notation,
                document_date=_edxml_date(
                    metadata.get("PromulgationDate") or metadata.get("IssuedDate"), "PromulgationDate"
                ),
                document_type=document_type_for(type_name=metadata.get("TypeName", ""), notation=notation),
                subject=metadata.get("Subject", ""),
                urgency=_PRIORITY_TO_URGENCY.get(priority, Urgency.NORMAL),
                secrecy=metadata.get("Secrecy") or Secrecy.NONE,
                page_count=page_count,
                signer_name=signer.get("FullName", ""),
                signer_position=signer.get("Position", ""),
                deadline=due,
                arrival_at=None,
                linked_dossier_code=metadata.get("LinkedDossierCode", ""),
                attachments=attachments,
                confirm_duplicate=True,
                exchange_document_id=exchange_document_id,
            )
    except IntegrityError:
        # Delivered twice at the same moment: the other transaction won the unique DocumentId.
        existing = IncomingDocument.objects.filter(
            agency=agency, exchange_document_id=exchange_document_id
        ).first()
        if existing is None:
            raise
        return existing


def _agency_users(agency_id: int, users: Iterable[User], field: str, *, secrecy: str) -> list[User]:
    users = [u for u in users if u is not None]
    members = set(
        RoleAssignment.objects.filter(agency_id=agency_id, is_active=True, user__in=users).values_list(
            "user_id", flat=True
        )
    )
    for user in users:
        if user.pk not in members:
            raise ValidationFailed(
                _("%(name)s không phải cán bộ của cơ quan.") % {"name": user.display_name}, field=field
            )
        if secrecy in SECRET_LEVELS and clearance_rank(user, agency_id) < SECRECY_RANK[secrecy]:
            raise ValidationFailed(
                _("%(name)s chưa được cấp quyền tiếp cận văn bản “%(level)s”.")
                % {"name": user.display_name, "level": Secrecy(secrecy).label},
                field=field,
            )
    return list({u.pk: u for u in users}.values())


def _agency_departments(
    agency_id: int, departments: Iterable[Department | None], field: str
) -> list[Department]:
    result = [d for d in departments if d is not None]
    for department in result:
        if department.agency_id != agency_id:
            raise ValidationFailed(_("Phòng ban không thuộc cơ quan này."), field=field)
    return list({d.pk: d for d in result}.values())


@transaction.atomic
def incoming_assign(
    *,
    document: IncomingDocument,
    actor,
    lead_department: Department | None = None,
    coordinating_departments: Iterable[Department] = (),
    readers: Iterable[User] = (),
    assignees: Iterable[User] = (),
    deadline: dt.datetime | dt.date | None = None,
    instructions: str = "",
) -> DocumentAssignment:
    """The leader's handling instruction (Decree 30/2020 art. 24; Appendix IV, Phiếu giải quyết văn bản đến):
    lead unit, coordinating units, readers, handlers and deadline. A new one replaces the previous one."""
    document = _lock_incoming(document)
    check(document, IncomingAction.ASSIGN)
    _require_role(actor, document.agency_id, Role.LEADER)
    agency_id = document.agency_id
    lead = _agency_departments(agency_id, [lead_department], "lead_department")
    coordinating = [
        d
        for d in _agency_departments(agency_id, coordinating_departments, "coordinating_departments")
        if not lead or d.pk != lead[0].pk
    ]
    handlers = _agency_users(agency_id, assignees, "assignees", secrecy=document.secrecy)
    reader_list = _agency_users(agency_id, readers, "readers", secrecy=document.secrecy)
    if not lead and not handlers:
        raise ValidationFailed(_("Cần chọn đơn vị chủ trì hoặc người xử lý."), field="assignees")
    now = timezone.now()
    deadline = _as_deadline(deadline)
    if deadline is not None and deadline <= now:
        raise ValidationFailed(_("Hạn xử lý phải sau thời điểm hiện tại."), field="deadline")
    DocumentAssignment.objects.filter(document=document, is_current=True).update(is_current=False)
    assignment = DocumentAssignment.objects.create(
        document=document,
        lead_department=lead[0] if lead else None,
        deadline=deadline,
        instructions=_clean(instructions, 4000),
        assigned_by=actor,
        assigned_at=now,
    )
    assignment.coordinating_departments.set(coordinating)
    assignment.assignees.set(handlers)
    assignment.readers.set(reader_list)
    document.deadline = deadline
    target = (
        IncomingStatus.IN_PROGRESS
        if document.status == IncomingStatus.IN_PROGRESS
        else IncomingStatus.ASSIGNED
    )
    transition(
        document,
        action=IncomingAction.ASSIGN,
        to=target,
        actor=actor,
        at=now,
        note=assignment.instructions,
        save=False,
        data={
            "assignment": assignment.pk,
            "lead_department": lead[0].name if lead else "",
            "coordinating_departments": [d.name for d in coordinating],
            "assignees": [u.display_name for u in handlers],
            "readers": [u.display_name for u in reader_list],
            "deadline": deadline.isoformat() if deadline else None,
        },
    )
    document.save(update_fields=["status", "deadline", "updated_at"])
    label = _incoming_label(document)
    due = _("Hạn xử lý: %(due)s.") % {"due": _fmt(deadline)} if deadline else ""
    body = " ".join(p for p in (_safe_subject(document), due, assignment.instructions) if p)
    key = f"incoming:{document.pk}:assignment:{assignment.pk}"
    handling = handlers or _department_officers([lead[0].pk])
    notify_users(
        users=handling,
        event="document_assigned",
        key=f"{key}:handle",
        title=_("%(doc)s được giao cho bạn xử lý") % {"doc": label},
        body=body,
        url=_incoming_url(document),
    )
    notify_users(
        users=[u for u in _department_officers(d.pk for d in coordinating) if u not in handling],
        event="document_coordinate",
        key=f"{key}:coordinate",
        title=_("%(doc)s: phối hợp xử lý") % {"doc": label},
        body=body,
        url=_incoming_url(document),
        email=False,
    )
    notify_users(
        users=reader_list,
        event="document_for_information",
        key=f"{key}:read",
        title=_("%(doc)s gửi để biết") % {"doc": label},
        body=_safe_subject(document),
        url=_incoming_url(document),
        email=False,
    )
    _status_hook(document, ExchangeStatusCode.ASSIGNED)
    return assignment


def _require_handler(actor, document: IncomingDocument, assignment) -> None:
    if actor is None or not actor.is_authenticated or not is_handler(actor, document, assignment):
        raise PermissionDenied(_("Bạn không được giao xử lý văn bản này."))
    require_clearance(user=actor, document=document)


@transaction.atomic
def incoming_add_opinion(
    *, document: IncomingDocument, actor, text: str, kind: str = OpinionKind.OPINION
) -> DocumentOpinion:
    """A handler's opinion or proposal on the handling slip; the first one marks the document in progress."""
    document = _lock_incoming(document)
    check(document, IncomingAction.ADD_OPINION)
    assignment = current_assignment(document)
    _require_handler(actor, document, assignment)
    _choice(kind, (OpinionKind.OPINION, OpinionKind.PROPOSAL), "kind")
    text = _required(text, 4000, _("Cần nhập nội dung ý kiến."), "text")
    now = timezone.now()
    opinion = DocumentOpinion.objects.create(
        document=document, assignment=assignment, author=actor, kind=kind, text=text, created_at=now
    )
    started = document.status == IncomingStatus.ASSIGNED
    transition(
        document,
        action=IncomingAction.ADD_OPINION,
        to=IncomingStatus.IN_PROGRESS,
        actor=actor,
        at=now,
        note=text,
        data={"opinion": opinion.pk, "kind": kind},
    )
    if assignment is not None and assignment.assigned_by_id != actor.pk:
        notify_users(
            users=[assignment.assigned_by],
            event="document_opinion",
            key=f"incoming:{document.pk}:opinion:{opinion.pk}",
            title=_("%(name)s cho ý kiến về %(doc)s")
            % {"name": actor.display_name, "doc": _incoming_label(document)},
            body=text if document.secrecy not in SECRET_LEVELS else "",
            url=_incoming_url(document),
            email=False,
        )
    if started:
        _status_hook(document, ExchangeStatusCode.IN_PROGRESS)
    return opinion


@transaction.atomic
def incoming_complete(*, document: IncomingDocument, actor, result: str = "") -> IncomingDocument:
    """The handler reports the document handled ("Hoàn thành" is written only on this press, reference §4.3)."""
    document = _lock_incoming(document)
    check(document, IncomingAction.COMPLETE)
    assignment = current_assignment(document)
    _require_handler(actor, document, assignment)
    now = timezone.now()
    result = _clean(result, 4000)
    if result:
        DocumentOpinion.objects.create(
            document=document,
            assignment=assignment,
            author=actor,
            kind=OpinionKind.COMPLETION,
            text=result,
            created_at=now,
        )
    document.completed_at = now
    transition(
        document,
        action=IncomingAction.COMPLETE,
        to=IncomingStatus.COMPLETED,
        actor=actor,
        at=now,
        note=result,
        save=False,
        data={"on_time": document.deadline is None or now <= document.deadline},
    )
    document.save(update_fields=["status", "completed_at", "updated_at"])
    if assignment is not None and assignment.assigned_by_id != actor.pk:
        notify_users(
            users=[assignment.assigned_by],
            event="document_completed",
            key=f"incoming:{document.pk}:completed",
            title=_("%(doc)s đã xử lý xong") % {"doc": _incoming_label(document)},
            body=result if document.secrecy not in SECRET_LEVELS else "",
            url=_incoming_url(document),
            email=False,
        )
    _status_hook(document, ExchangeStatusCode.COMPLETED)
    return document


@transaction.atomic
def incoming_recall(*, document: IncomingDocument, actor=None, reason: str = "") -> IncomingDocument:
    """The sender took the document back (edXML status 13, or a paper notice registered by the clerk).

    Appendix VI, Part I §III: on recall the incoming document and its metadata are deleted and the recall is
    logged. A tombstone keeps the register line (incoming number, arrival, issuer, number + notation, date)
    so the register stays continuous and a re-delivery stays idempotent; the subject, signer, deadline,
    search key and stored files are removed; the trace and the handling slip stay (append-only).
    ``actor=None`` is the exchange (system); an officer must be the clerk or a leader.
    """
    document = _lock_incoming(document)
    check(document, IncomingAction.RECALL)
    if actor is not None:
        _require_role(actor, document.agency_id, Role.CLERK, Role.LEADER)
    now = timezone.now()
    versions = list(document.versions.all())
    removed = [{"name": v.name, "checksum": v.checksum} for v in versions]
    paths = [v.file.name for v in versions]
    # Appendix VI orders the content deleted: the rows go with their files (below, after commit).
    DocumentVersion.objects.filter(pk__in=[v.pk for v in versions]).delete()
    assignment = current_assignment(document)
    recipients = []
    if assignment is not None:
        recipients = list(assignment.assignees.all()) + [assignment.assigned_by]
        DocumentAssignment.objects.filter(pk=assignment.pk).update(is_current=False)
    document.subject = ""
    document.signer_name = ""
    document.signer_position = ""
    document.page_count = 0
    document.deadline = None
    document.linked_dossier_code = ""
    document.search_text = ""
    document.recalled_at = now
    transition(
        document,
        action=IncomingAction.RECALL,
        to=IncomingStatus.RECALLED,
        actor=actor,
        at=now,
        note=_clean(reason, 4000),
        save=False,
        data={"removed_files": removed, "by_sender": actor is None},
    )
    document.save(
        update_fields=[
            "status",
            "subject",
            "signer_name",
            "signer_position",
            "page_count",
            "deadline",
            "linked_dossier_code",
            "search_text",
            "recalled_at",
            "updated_at",
        ]
    )
    transaction.on_commit(partial(files.delete_unreferenced, paths), robust=True)
    notify_users(
        users=list(leaders_of(document.agency_id)) + recipients,
        event="document_recalled",
        key=f"incoming:{document.pk}:recalled",
        title=_("%(doc)s đã bị bên gửi thu hồi") % {"doc": _incoming_label(document)},
        body=_clean(reason, 500),
        url=_incoming_url(document),
        email=False,
    )
    return document


# ---- outgoing documents ----------------------------------------------------------------------------------


def _recipients(agency_id: int, recipients: Sequence[RecipientInput]) -> list[OutgoingRecipient]:
    rows = []
    for item in recipients:
        _choice(item.kind, RecipientKind.values, "recipients")
        _choice(item.channel, DeliveryChannel.values, "recipients")
        organ_id = _clean(item.organ_id, 35).upper()
        name = _clean(item.name, 200)
        department = None
        if item.kind == RecipientKind.INTERNAL:
            department = _agency_departments(agency_id, [item.department], "recipients")
            if not department:
                raise ValidationFailed(_("Cần chọn đơn vị nhận trong cơ quan."), field="recipients")
            department = department[0]
            name = name or department.name
        else:
            if not ORGAN_ID_RE.match(organ_id):
                raise ValidationFailed(
                    _("Mã định danh cơ quan nhận “%(c)s” không hợp lệ.") % {"c": organ_id}, field="recipients"
                )
            if item.kind == RecipientKind.INSTANCE and not _clean(item.instance, 100):
                raise ValidationFailed(_("Cần ghi hệ thống nhận văn bản."), field="recipients")
            if not name:
                agency = Agency.objects.filter(code=organ_id).only("name").first()
                name = agency.name if agency else organ_id
        rows.append(
            OutgoingRecipient(
                kind=item.kind,
                department=department,
                organ_id=organ_id,
                name=name,
                instance=_clean(item.instance, 100),
                channel=DeliveryChannel.PAPER if item.kind == RecipientKind.INTERNAL else item.channel,
            )
        )
    return rows


@transaction.atomic
def outgoing_create_draft(
    *,
    agency: Agency,
    actor,
    document_type: DocumentType,
    subject: str,
    recipients: Sequence[RecipientInput] = (),
    urgency: str = Urgency.NORMAL,
    secrecy: str = Secrecy.NONE,
    drafting_department: Department | None = None,
    signer_name: str = "",
    signer_position: str = "",
    signer_competence: str = "",
    page_count: int = 0,
    copies: int = 1,
    reply_to: IncomingDocument | None = None,
    reply_due_date: dt.date | None = None,
    linked_dossier_code: str = "",
    content: Attachment | None = None,
) -> OutgoingDocument:
    """A specialist drafts an outgoing document (Decree 30/2020 art. 10); it has no number until issued."""
    _require_role(actor, agency.pk, Role.SPECIALIST, Role.LEADER, Role.CLERK)
    subject = _required(subject, 500, _("Cần nhập trích yếu nội dung."), "subject")
    if document_type is None or not document_type.is_active:
        raise ValidationFailed(_("Cần chọn loại văn bản."), field="document_type")
    _choice(urgency, Urgency.values, "urgency")
    _choice(secrecy, Secrecy.values, "secrecy")
    _choice(signer_competence or "", COMPETENCE_VALUES, "signer_competence")
    if drafting_department is not None:
        _agency_departments(agency.pk, [drafting_department], "drafting_department")
    if not 1 <= int(copies or 1) <= 999:
        raise ValidationFailed(_("Số lượng bản phải từ 1 đến 999."), field="copies")
    if reply_to is not None and (
        reply_to.agency_id != agency.pk or reply_to.status == IncomingStatus.RECALLED
    ):
        raise ValidationFailed(_("Văn bản đến được trả lời không hợp lệ."), field="reply_to")
    rows = _recipients(agency.pk, recipients)
    now = timezone.now()
    document = OutgoingDocument(
        agency=agency,
        document_type=document_type,
        subject=subject,
        urgency=urgency,
        secrecy=secrecy,
        page_count=int(page_count or 0),
        signer_name=_clean(signer_name, 50),
        signer_position=_clean(signer_position, 100),
        signer_competence=signer_competence or "",
        drafting_department=drafting_department,
        copies=int(copies or 1),
        reply_to=reply_to,
        reply_due_date=reply_due_date,
        linked_dossier_code=_clean(linked_dossier_code, 40),
        status="",
        created_by=actor,
    )
    document.save()
    for row in rows:
        row.document = document
    OutgoingRecipient.objects.bulk_create(rows)
    version = None
    if content is not None:
        version = _store_version(
            outgoing=document,
            attachment=content,
            kind=VersionKind.DRAFT,
            actor=actor,
            at=now,
            allow_office=True,
        )
    document.search_text = outgoing_search_text(document)
    transition(
        document,
        action=OutgoingAction.CREATE,
        to=OutgoingStatus.DRAFT,
        actor=actor,
        at=now,
        save=False,
        data={"version": version.number if version else None, "recipients": [r.name for r in rows]},
    )
    document.save(update_fields=["status", "search_text", "updated_at"])
    return document


@transaction.atomic
def outgoing_add_version(
    *, document: OutgoingDocument, actor, attachment: Attachment, note: str = ""
) -> DocumentVersion:
    """A new draft version: stored bytes are never edited, each change is a new version with its checksum."""
    document = _lock_outgoing(document)
    check(document, OutgoingAction.ADD_VERSION)
    _require_role(actor, document.agency_id, Role.SPECIALIST, Role.LEADER, Role.CLERK)
    require_clearance(user=actor, document=document)
    now = timezone.now()
    version = _store_version(
        outgoing=document,
        attachment=attachment,
        kind=VersionKind.DRAFT,
        actor=actor,
        at=now,
        note=note,
        allow_office=True,
    )
    transition(
        document,
        action=OutgoingAction.ADD_VERSION,
        actor=actor,
        at=now,
        note=version.note,
        data={"version": version.number, "name": version.name, "checksum": version.checksum},
    )
    return version


@transaction.atomic
def outgoing_submit_for_review(*, document: OutgoingDocument, actor, note: str = "") -> OutgoingDocument:
    """Trình duyệt: the draft goes to the agency's leaders (Decree 30/2020 art. 11)."""
    document = _lock_outgoing(document)
    check(document, OutgoingAction.SUBMIT)
    _require_role(actor, document.agency_id, Role.SPECIALIST, Role.LEADER, Role.CLERK)
    if not document.versions.exists():
        raise ValidationFailed(
            _("Cần tải lên dự thảo trước khi trình duyệt."), code="no_version", field="file"
        )
    now = timezone.now()
    event = transition(
        document,
        action=OutgoingAction.SUBMIT,
        to=OutgoingStatus.IN_REVIEW,
        actor=actor,
        at=now,
        note=_clean(note, 4000),
    )
    notify_users(
        users=[u for u in leaders_of(document.agency_id) if u.pk != actor.pk],
        event="document_review",
        key=f"outgoing:{document.pk}:review:{event.pk}",
        title=_("%(doc)s chờ duyệt") % {"doc": _outgoing_label(document)},
        body=_safe_subject(document),
        url=_outgoing_url(document),
    )
    return document


@transaction.atomic
def outgoing_return_for_revision(*, document: OutgoingDocument, actor, reason: str) -> OutgoingDocument:
    """The leader sends the draft back with the changes wanted."""
    document = _lock_outgoing(document)
    check(document, OutgoingAction.RETURN)
    _require_role(actor, document.agency_id, Role.LEADER)
    reason = _required(reason, 4000, _("Cần nêu nội dung cần chỉnh sửa."), "reason")
    event = transition(
        document, action=OutgoingAction.RETURN, to=OutgoingStatus.DRAFT, actor=actor, note=reason
    )
    notify_users(
        users=[document.created_by],
        event="document_returned",
        key=f"outgoing:{document.pk}:returned:{event.pk}",
        title=_("%(doc)s được trả lại để chỉnh sửa") % {"doc": _outgoing_label(document)},
        body=reason if document.secrecy not in SECRET_LEVELS else "",
        url=_outgoing_url(document),
    )
    return document


@transaction.atomic
def outgoing_approve(*, document: OutgoingDocument, actor, note: str = "") -> OutgoingDocument:
    """The leader approves the draft for signature (Decree 30/2020 art. 13)."""
    document = _lock_outgoing(document)
    check(document, OutgoingAction.APPROVE)
    _require_role(actor, document.agency_id, Role.LEADER)
    document.approved_by = actor
    event = transition(
        document,
        action=OutgoingAction.APPROVE,
        to=OutgoingStatus.APPROVED,
        actor=actor,
        note=_clean(note, 4000),
        save=False,
    )
    document.save(update_fields=["status", "approved_by", "updated_at"])
    notify_users(
        users=[document.created_by],
        event="document_approved",
        key=f"outgoing:{document.pk}:approved:{event.pk}",
        title=_("%(doc)s đã được duyệt") % {"doc": _outgoing_label(document)},
        body=_safe_subject(document),
        url=_outgoing_url(document),
        email=False,
    )
    return document


@transaction.atomic
def outgoing_mark_signed(
    *,
    document: OutgoingDocument,
    actor,
    version: DocumentVersion | None = None,
    signed_file: Attachment | None = None,
    method: str = "upload",
) -> OutgoingDocument:
    """Record the signed copy (a PDF signed digitally, or the scan of the paper signed in ink) and the signer.

    Pass the stored ``version`` that holds the signed PDF, or ``signed_file`` to store it now. ``method``
    (``upload`` or ``digital``) goes into the event.
    """
    document = _lock_outgoing(document)
    check(document, OutgoingAction.SIGN)
    _require_role(actor, document.agency_id, Role.LEADER, Role.CLERK)
    now = timezone.now()
    if signed_file is not None:
        version = _store_version(
            outgoing=document,
            attachment=signed_file,
            kind=VersionKind.SIGNED,
            actor=actor,
            at=now,
            pdf_only=True,
        )
    if version is None or version.outgoing_id != document.pk:
        raise ValidationFailed(_("Cần tải lên bản PDF đã ký."), code="signed_pdf_required", field="file")
    if version.content_type != "application/pdf":
        raise ValidationFailed(_("Bản đã ký phải là tệp PDF."), code="pdf_required", field="file")
    document.signed_version = version
    document.signed_at = now
    fields = ["status", "signed_version", "signed_at", "updated_at"]
    if not document.signer_name and user_has_role(actor, document.agency_id, Role.LEADER):
        document.signer_name = actor.display_name[:50]
        document.signer_position = (actor.position or "")[:100]
        fields += ["signer_name", "signer_position"]
    transition(
        document,
        action=OutgoingAction.SIGN,
        to=OutgoingStatus.SIGNED,
        actor=actor,
        at=now,
        save=False,
        data={"version": version.number, "checksum": version.checksum, "method": method},
    )
    document.search_text = outgoing_search_text(document)
    document.save(update_fields=[*fields, "search_text"])
    notify_users(
        users=officers_with_role(document.agency_id, Role.CLERK),
        event="document_to_issue",
        key=f"outgoing:{document.pk}:signed",
        title=_("%(doc)s đã ký, chờ cấp số và phát hành") % {"doc": _outgoing_label(document)},
        body=_safe_subject(document),
        url=_outgoing_url(document),
        email=document.urgency in URGENT_LEVELS,
    )
    return document


def digital_signing_certificate(user):
    """The signer's usable personal certificate from ``egov.signing``, or None (also when that app is absent)."""
    try:
        from egov.signing.selectors import certificate_usable_for
    except ImportError:
        return None
    return certificate_usable_for(user=user)


def agency_seal_certificate(agency):
    """The agency's usable seal certificate from ``egov.signing``, or None (also when that app is absent)."""
    try:
        from egov.signing.selectors import certificate_usable_for
    except ImportError:
        return None
    return certificate_usable_for(agency=agency)


def _signer_position(document: OutgoingDocument, actor) -> str:
    """Authority prefix and title as printed above the signature (Appendix I: "KT. CHỦ TỊCH")."""
    position = document.signer_position or getattr(actor, "position", "") or ""
    return " ".join(part for part in (document.signer_competence, position) if part).strip()


def leader_stamp_text(*, document: OutgoingDocument, actor) -> str:
    """Text of the leader's visible signature, under the signature image: signer, position, agency and the
    signing time in ISO 8601 with +07:00 (``{signer}`` and ``{signed_at}`` are filled by ``pdf_sign``)."""
    lines = [_("Ký bởi") + ": {signer}"]
    position = _signer_position(document, actor)
    if position:
        lines.append(_("Chức vụ") + ": " + position)
    lines.append(_("Cơ quan") + ": " + document.agency.name)
    lines.append(_("Thời gian ký") + ": {signed_at}")
    return "\n".join(lines)


@transaction.atomic
def outgoing_sign_digitally(
    *, document: OutgoingDocument, actor, version: DocumentVersion | None = None
) -> OutgoingDocument:
    """The leader signs the approved PDF (``version``, default the newest PDF) with their own certificate, as a
    PAdES signature made by ``egov.signing`` (B-LT when the CA's CRLs are at hand), and the signed bytes
    become the signed version (Decree 30/2020 art. 13).

    The signature is visible (Appendix I §II.7(d)): the signer's blue signature image above their name,
    position, agency and the signing time in ISO 8601 with +07:00, on the last page, centred between the
    position line and the name when the signer's name is found in that page's text, else where the
    signature block usually sits (``signature_layout``)."""
    try:
        from egov.signing.services import pdf_sign
    except ImportError as exc:
        raise ValidationFailed(_("Chức năng ký số chưa sẵn sàng."), code="signing_unavailable") from exc
    document = _lock_outgoing(document)
    check(document, OutgoingAction.SIGN)
    _require_role(actor, document.agency_id, Role.LEADER)
    require_clearance(user=actor, document=document)
    if version is None:
        version = document.versions.filter(content_type="application/pdf").order_by("-number").first()
    if version is None or version.outgoing_id != document.pk or version.content_type != "application/pdf":
        raise ValidationFailed(_("Cần một phiên bản PDF để ký số."), code="pdf_required", field="version")
    certificate = digital_signing_certificate(actor)
    if certificate is None:
        raise ValidationFailed(_("Bạn chưa có chứng thư số còn hiệu lực."), code="no_certificate")
    with version.file.open("rb") as stored:
        pdf = stored.read()
    placement = signature_layout.leader_signature_placement(
        pdf, signer_names=[document.signer_name, actor.display_name, getattr(certificate, "common_name", "")]
    )
    signed = pdf_sign(
        pdf=pdf,
        certificate=certificate,
        reason=_("Ký ban hành văn bản"),
        location=document.agency.name,
        field_name=f"egov-outgoing-{document.pk}-v{version.number}",
        visible=True,
        stamp_text=leader_stamp_text(document=document, actor=actor),
        box=placement.box,
        page=placement.page,
    )
    stem = version.name.rsplit(".", 1)[0]
    return outgoing_mark_signed(
        document=document,
        actor=actor,
        signed_file=(f"{stem}-ky-so.pdf", signed, "application/pdf"),
        method="digital",
    )


def _apply_seal(*, document: OutgoingDocument, actor, at: dt.datetime) -> DocumentVersion | None:
    """Sign the signed version with the agency's seal certificate, as a second incremental PAdES signature
    (Decree 30/2020 Appendix I §II.8(a): the seal image, red, at its actual size, over the left third of the
    signer's signature image). None when the agency has no usable seal certificate."""
    certificate = agency_seal_certificate(document.agency)
    if certificate is None:
        return None
    from egov.signing import stamp
    from egov.signing.services import pdf_sign

    signed = document.signed_version
    with signed.file.open("rb") as stored:
        pdf = stored.read()
    anchor = signature_layout.seal_anchor(pdf, signer_names=[document.signer_name])
    lines = 4 if _signer_position(document, None) else 3  # the lines of leader_stamp_text under the image
    sealed = pdf_sign(
        pdf=pdf,
        certificate=certificate,
        reason=_("Phát hành văn bản số %(code)s") % {"code": document.number_notation},
        location=document.agency.name,
        field_name=f"egov-outgoing-{document.pk}-seal",
        visible=True,
        # The seal alone (§II.8(a)); number, notation and time are in the signature (reason, signing time).
        stamp_text="",
        box=stamp.seal_box(anchor.box, text_lines=lines),
        page=anchor.page,
    )
    stem = signed.name.rsplit(".", 1)[0]
    return _store_version(
        outgoing=document,
        attachment=(f"{stem}-dong-dau.pdf", sealed, "application/pdf"),
        kind=VersionKind.SIGNED,
        actor=actor,
        at=at,
        note=_("Chữ ký số của cơ quan, văn bản số %(code)s") % {"code": document.number_notation},
        pdf_only=True,
    )


def _electronic_external(document: OutgoingDocument) -> list[OutgoingRecipient]:
    return [r for r in document.recipients.all() if r.is_external and r.channel == DeliveryChannel.ELECTRONIC]


def _refuse_secret_electronic(document: OutgoingDocument) -> None:
    if document.secrecy in SECRET_LEVELS and _electronic_external(document):
        raise SecretDocumentRefused(
            _(
                "Văn bản có độ mật “%(level)s” không được gửi qua mạng: đổi hình thức gửi của nơi nhận "
                "bên ngoài sang bản giấy."
            )
            % {"level": Secrecy(document.secrecy).label}
        )


def notation_for(document: OutgoingDocument) -> str:
    """Ký hiệu (Decree 30/2020 Appendix I, Part I §II.3): ``<type>-<agency>``; for công văn and thư công,
    which have no type abbreviation, ``<agency>-<drafting unit>``."""
    agency_abbr = (document.agency.abbreviation or "").strip()
    if not agency_abbr:
        raise ValidationFailed(
            _("Cơ quan chưa có tên viết tắt để ghi ký hiệu văn bản; quản trị cơ quan cần bổ sung."),
            code="agency_abbreviation_missing",
        )
    type_abbr = (document.document_type.abbreviation or "").strip()
    if type_abbr:
        return f"{type_abbr}-{agency_abbr}"
    unit = document.drafting_department.abbreviation.strip() if document.drafting_department else ""
    if not unit:
        raise ValidationFailed(
            _("Công văn cần đơn vị soạn thảo có tên viết tắt (ví dụ 12/UBND-VX)."),
            code="unit_abbreviation_missing",
            field="drafting_department",
        )
    return f"{agency_abbr}-{unit}"


def outgoing_issue(*, document: OutgoingDocument, actor) -> OutgoingDocument:
    """The clerk numbers and issues a signed document (Decree 30/2020 arts. 15-16, 18).

    The number is drawn at issue from the agency's series of the issue date's year in Asia/Ho_Chi_Minh
    (restarting on 1 January; classified documents in their own series), never reused: the counter and the
    document are written in one transaction, and a unique constraint holds each number once per register.
    The notation is ``<number>/<type>-<agency>`` (``<number>/<agency>-<unit>`` for công văn), numbers
    below 10 with a leading 0. Each external recipient reached electronically is handed to
    ``DELIVERY_HOOKS`` after commit; a classified document is never sent electronically: the attempt is
    refused and logged.

    Agency seal (Appendix I §II.8(a)): when the agency holds an active seal certificate, the signed PDF gets
    the agency's signature as a second PAdES signature over the leader-signed file (the seal image over the
    left third of the leader's signature, the number and notation in its reason), stored as a new version
    that becomes the signed (sent) one. An uploaded signed copy without a visible digital signature is
    sealed where its signature block is (``signature_layout``). Reference §5.7 (Appendix I §II.8) says how
    the agency's signature looks and where it goes, not that an issue must wait for it; so an agency
    without a seal certificate still issues, the ISSUE event records ``"seal": None`` and the page says
    the seal was not applied. A seal that should be applied but cannot be (a PDF the signing app refuses)
    refuses the issue, so no number is used for an unsealed copy. Classified documents are sealed the same
    way; the seal changes nothing of who may read or receive them.

    Not wrapped in one transaction on purpose: the refusal of a classified document is logged in its own
    transaction, which must survive the refusal; the issue itself is atomic (``_issue``).
    """
    try:
        _refuse_secret_electronic(document)
    except SecretDocumentRefused as exc:
        secret_attempt_log(
            user=actor,
            document=document,
            attempt=SecretAttempt.SEND_ELECTRONIC,
            detail=", ".join(r.organ_id or r.name for r in _electronic_external(document)),
        )
        exc.logged = True
        raise
    return _issue(document=document, actor=actor)


@transaction.atomic
def _issue(*, document: OutgoingDocument, actor) -> OutgoingDocument:
    document = _lock_outgoing(document)
    check(document, OutgoingAction.ISSUE)
    _require_role(actor, document.agency_id, Role.CLERK)
    _refuse_secret_electronic(document)  # again under the lock: recipients may have changed meanwhile
    notation = notation_for(document)
    now = timezone.now()
    register, number = _draw_number(
        agency=document.agency, at=now, direction=Direction.OUTGOING, secrecy=document.secrecy
    )
    document.register = register
    document.number = number
    document.notation = notation
    document.document_date = _local_date(now)
    document.issued_at = now
    document.issued_by = actor
    sealed = _apply_seal(document=document, actor=actor, at=now)
    if sealed is not None:
        document.signed_version = sealed
    electronic = _electronic_external(document)
    transition(
        document,
        action=OutgoingAction.ISSUE,
        to=OutgoingStatus.ISSUED,
        actor=actor,
        at=now,
        save=False,
        data={
            "register": register.name,
            "number": number,
            "number_notation": document.number_notation,
            "electronic": [r.organ_id for r in electronic],
            "seal": None if sealed is None else {"version": sealed.number, "checksum": sealed.checksum},
        },
    )
    document.search_text = outgoing_search_text(document)
    document.save(
        update_fields=[
            "status",
            "signed_version",
            "register",
            "number",
            "notation",
            "document_date",
            "issued_at",
            "issued_by",
            "search_text",
            "updated_at",
        ]
    )
    OutgoingRecipient.objects.filter(pk__in=[r.pk for r in electronic]).update(enqueued_at=now)
    for recipient in electronic:
        recipient.enqueued_at = now
        _run_hooks(DELIVERY_HOOKS, document, recipient)
    internal = [r.department_id for r in document.recipients.all() if r.kind == RecipientKind.INTERNAL]
    notify_users(
        users=_department_officers(internal),
        event="document_issued_internal",
        key=f"outgoing:{document.pk}:issued",
        title=_("%(doc)s gửi đơn vị") % {"doc": _outgoing_label(document)},
        body=_safe_subject(document),
        url=_outgoing_url(document),
        email=False,
    )
    return document


@transaction.atomic
def outgoing_recall(*, document: OutgoingDocument, actor, reason: str) -> OutgoingDocument:
    """Recall an issued document (Appendix VI, Part I §III): the document and its metadata are frozen as they
    were, the recall is logged, and recipients reached electronically are told through ``RECALL_HOOKS``."""
    document = _lock_outgoing(document)
    check(document, OutgoingAction.RECALL)
    _require_role(actor, document.agency_id, Role.CLERK, Role.LEADER)
    reason = _required(reason, 4000, _("Cần nêu lý do thu hồi."), "reason")
    now = timezone.now()
    document.recalled_at = now
    transition(
        document,
        action=OutgoingAction.RECALL,
        to=OutgoingStatus.RECALLED,
        actor=actor,
        at=now,
        note=reason,
        save=False,
    )
    document.save(update_fields=["status", "recalled_at", "updated_at"])
    for recipient in document.recipients.filter(enqueued_at__isnull=False):
        _run_hooks(RECALL_HOOKS, document, recipient)
    return document


@transaction.atomic
def outgoing_link_reply(*, document: OutgoingDocument, incoming: IncomingDocument, actor) -> OutgoingDocument:
    """Record that ``document`` answers ``incoming`` (the reply number of the follow-up register, Appendix IV)."""
    document = _lock_outgoing(document)
    check(document, OutgoingAction.LINK_REPLY)
    _require_role(actor, document.agency_id, Role.SPECIALIST, Role.LEADER, Role.CLERK)
    if incoming.agency_id != document.agency_id or incoming.status == IncomingStatus.RECALLED:
        raise ValidationFailed(_("Văn bản đến được trả lời không hợp lệ."), field="incoming")
    document.reply_to = incoming
    transition(
        document,
        action=OutgoingAction.LINK_REPLY,
        actor=actor,
        save=False,
        data={"incoming": incoming.pk, "arrival_number": incoming.arrival_number},
    )
    document.save(update_fields=["reply_to", "updated_at"])
    return document


# ---- deadlines -------------------------------------------------------------------------------------------


def documents_scan_deadlines(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Tell handlers and leaders about incoming documents due within one working day and about overdue ones,
    once each per assignment (Decree 30/2020 art. 24: the clerk and the leader follow up deadlines).

    Run every few minutes by ``manage.py scan_document_deadlines``. Each assignment is handled in its own
    short transaction, skipping rows another worker holds.
    """
    now = now or timezone.now()
    calendar = get_calendar()
    one_day = calendar.hours_per_day()
    counts = {"due_soon": 0, "overdue": 0}
    # One working day ahead is at most a long holiday away (Tết): 15 calendar days bound the scan.
    horizon = now + dt.timedelta(days=15)
    candidates = (
        DocumentAssignment.objects.filter(
            is_current=True,
            deadline__isnull=False,
            deadline__lte=horizon,
            document__status__in=INCOMING_OPEN,
            overdue_notified_at__isnull=True,
        )
        .values_list("pk", flat=True)
        .order_by("deadline")
    )
    for pk in list(candidates):
        with transaction.atomic():
            assignment = (
                DocumentAssignment.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("document")
                .filter(pk=pk, is_current=True)
                .first()
            )
            if assignment is None or assignment.document.status not in INCOMING_OPEN:
                continue
            document = _lock_incoming(assignment.document)
            deadline = assignment.deadline
            handlers = list(assignment.assignees.all()) or _department_officers(
                [assignment.lead_department_id]
            )
            recipients = handlers + list(leaders_of(document.agency_id))
            label = _incoming_label(document)
            if deadline <= now:
                stamp, action, event, key, title = (
                    "overdue_notified_at",
                    IncomingAction.OVERDUE,
                    "document_overdue",
                    "overdue",
                    _("%(doc)s đã quá hạn xử lý"),
                )
            elif (
                assignment.due_soon_notified_at is None
                and calendar.working_hours_between(now, deadline) <= one_day
            ):
                stamp, action, event, key, title = (
                    "due_soon_notified_at",
                    IncomingAction.DUE_SOON,
                    "document_due_soon",
                    "due-soon",
                    _("%(doc)s sắp đến hạn xử lý"),
                )
            else:
                continue
            setattr(assignment, stamp, now)
            assignment.save(update_fields=[stamp])
            transition(document, action=action, at=now, data={"deadline": deadline.isoformat()})
            notify_users(
                users=recipients,
                event=event,
                key=f"incoming:{document.pk}:{key}:{assignment.pk}",
                title=title % {"doc": label},
                body=_("Hạn xử lý: %(due)s.") % {"due": _fmt(deadline)},
                url=_incoming_url(document),
            )
            counts[key.replace("-", "_")] += 1
    return counts
