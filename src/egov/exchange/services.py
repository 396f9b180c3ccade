"""Writes of the document exchange (liên thông văn bản điện tử, edXML QCVN 102:2016).

Outbox: an issued outgoing document becomes one signed message per external recipient
(``document_message_enqueue``), written with its send task in one transaction; the task
(``message_send``) posts it, records the receiver's signed answer, and on failure retries with exponential
back-off. Inbox: ``message_receive`` checks authenticity and integrity (Decree 30/2020 art. 21.2: the
signature, the signer bound to the sending agency, the addressee), stores the message idempotently by
DocumentId, registers it through ``egov.documents`` in the same transaction, and answers with a signed
status message; anything invalid or misdirected is returned with status 02 and nothing is imported.
Statuses travel back to the sender as the document is registered (03), assigned (04), handled (05) and
completed (06), through ``STATUS_HOOKS`` of the documents app.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.core.errors import DomainError, ValidationFailed
from egov.core.models import Agency

from . import conf, edxml, identity
from .adapters.transport import TransportError, get_transport
from .choices import BusinessDocType, MessageDirection, MessageKind, MessageState, StatusCode, StatusDirection
from .models import ExchangeMessage, ExchangeStatus, Peer, PeerAgency

logger = logging.getLogger(__name__)

OUT, IN = MessageDirection.OUT, MessageDirection.IN
DOCUMENT, STATUS = MessageKind.DOCUMENT, MessageKind.STATUS

# edXML DocumentType/Type: only "18 = Công văn" was seen in one SDK (reference §4.2 [S, weak]); the full code
# list was not found, so other types travel as 0 with their name (the receiver matches on TypeName).
EDXML_TYPE_CODES = {"cong_van": 18}
PRIORITY_OF_URGENCY = {"normal": 0, "urgent": 1, "very_urgent": 2, "express": 3}


class NoRoute(DomainError):
    """No peer serves the recipient agency and it is not one of ours."""

    status = 422
    code = "exchange_no_route"


class Misaddressed(edxml.EdxmlError):
    """The message is for an agency this instance does not serve (Decree 30/2020 art. 21.2: return it)."""

    status = 422
    code = "edxml_misaddressed"


@dataclasses.dataclass(frozen=True)
class ReceiveResult:
    """What the endpoint answers: a signed status message (or JSON for a status message received)."""

    http_status: int
    body: bytes
    content_type: str = "application/xml; charset=utf-8"
    message: ExchangeMessage | None = None


# ---- settings ----------------------------------------------------------------------------------------------


def _setting(name: str, default):
    return conf.setting(name, default)


def backoff_delay(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failed attempt: base × 2^(attempts-1), capped (default 30 s, 60 s,
    2 min ... 1 h). Base and cap: ``EGOV_EXCHANGE_RETRY_BASE_SECONDS``, ``EGOV_EXCHANGE_RETRY_MAX_SECONDS``."""
    base = float(_setting("EGOV_EXCHANGE_RETRY_BASE_SECONDS", 30))
    cap = float(_setting("EGOV_EXCHANGE_RETRY_MAX_SECONDS", 3600))
    exponent = min(max(int(attempts), 1) - 1, 30)
    return dt.timedelta(seconds=min(base * (2**exponent), cap))


def max_attempts() -> int:
    return int(_setting("EGOV_EXCHANGE_MAX_ATTEMPTS", 30))


def send_timeout() -> float:
    return float(_setting("EGOV_EXCHANGE_SEND_TIMEOUT_SECONDS", 30))


def _sending_lease() -> dt.timedelta:
    """How long a worker may hold a message in ``sending`` before another may take it over."""
    return dt.timedelta(seconds=conf.number("EGOV_EXCHANGE_SENDING_LEASE_SECONDS", send_timeout() + 60))


# ---- agencies and routes -----------------------------------------------------------------------------------


def organ_of(agency: Agency) -> edxml.Organ:
    parent = agency.parent.name if agency.parent_id else ""
    return edxml.Organ(
        organ_id=agency.code,
        organ_name=agency.name[:200],
        organization_in_charge=parent[:200],
        address=agency.address[:250],
        email=agency.email[:100],
        telephone=agency.phone[:30],
    )


# Agencies and peer bindings change rarely and are read for every message: each process keeps what it read
# for a short time (a new peer or agency takes effect within ROUTING_TTL_SECONDS, at once in the process
# that made the change).
ROUTING_TTL_SECONDS = 30.0
_routing_cache: dict[tuple, tuple[float, object]] = {}


def _cached(key: tuple, load: Callable):
    now = time.monotonic()
    hit = _routing_cache.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = load()
    _routing_cache[key] = (now + ROUTING_TTL_SECONDS, value)
    return value


def forget_routing() -> None:
    _routing_cache.clear()


def local_agency(organ_id: str) -> Agency | None:
    """One of our agencies: present here and not reached through a peer."""
    organ_id = (organ_id or "").upper()
    if not organ_id:
        return None

    def load() -> Agency | None:
        if PeerAgency.objects.filter(organ_id=organ_id).exists():
            return None
        return Agency.objects.filter(code=organ_id, is_active=True).first()

    return _cached(("agency", organ_id), load)


def route_for(*, organ_id: str, instance: str = "") -> Peer | None:
    """The peer serving ``organ_id`` (``None``: the agency is ours, delivered inside this instance)."""
    if instance:
        peer = Peer.objects.filter(name=instance, is_active=True).first()
        if peer is not None:
            return peer
    binding = PeerAgency.objects.select_related("peer").filter(organ_id=organ_id.upper()).first()
    if binding is not None:
        if not binding.peer.is_active:
            raise NoRoute(
                _("Hệ thống liên thông %(peer)s đang tạm ngừng kết nối.") % {"peer": binding.peer.name}
            )
        return binding.peer
    if local_agency(organ_id) is not None:
        return None
    raise NoRoute(
        _("Không có hệ thống liên thông nào phục vụ cơ quan %(code)s: thêm bằng manage.py exchange_add_peer.")
        % {"code": organ_id}
    )


def default_organ() -> Agency | None:
    """The agency that signs answers when a message names none of ours (``EGOV_EXCHANGE_DEFAULT_ORGAN_ID``,
    else the first of our agencies holding a seal certificate)."""
    from egov.signing.choices import CertificateKind, CertificateStatus
    from egov.signing.models import SigningCertificate

    configured = _setting("EGOV_EXCHANGE_DEFAULT_ORGAN_ID", "")
    if configured:
        return Agency.objects.filter(code=configured).first()
    peer_codes = PeerAgency.objects.values("organ_id")
    with_seal = SigningCertificate.objects.filter(
        kind=CertificateKind.AGENCY_SEAL, status=CertificateStatus.ACTIVE
    ).values("agency_id")
    return (
        Agency.objects.filter(is_active=True, pk__in=with_seal)
        .exclude(code__in=peer_codes)
        .order_by("pk")
        .first()
    )


def _trust_for(peer: Peer | None) -> edxml.TrustStore:
    return edxml.TrustStore.from_pem(peer.ca_pem) if peer is not None else identity.local_trust()


def _binding_for(peer: Peer | None) -> Callable:
    """Certificate -> the agency code it may sign for, through this peer (or ours, for local delivery)."""
    if peer is None:

        def local(certificate) -> str:
            uid = edxml.certificate_uid(certificate)
            return uid if local_agency(uid) is not None else ""

        return local
    bindings = _cached(
        ("bindings", peer.pk),
        lambda: list(PeerAgency.objects.filter(peer=peer).values_list("organ_id", "certificate_sha256")),
    )

    def remote(certificate) -> str:
        fingerprint = edxml.fingerprint(certificate)
        for organ_id, pinned in bindings:
            if pinned and pinned.lower() == fingerprint:
                return organ_id
        uid = edxml.certificate_uid(certificate)
        for organ_id, pinned in bindings:
            if organ_id == uid and not pinned:
                return organ_id
        return ""

    return remote


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _enqueue_send(message: ExchangeMessage, *, run_after: dt.datetime | None = None) -> None:
    from .tasks import send_message

    task = send_message.using(run_after=run_after) if run_after is not None else send_message
    task.enqueue(message_id=message.pk)


# ---- outbox: documents -------------------------------------------------------------------------------------


def _document_attachments(document) -> list[edxml.Attachment]:
    version = document.signed_version
    if version is None:
        return []
    with version.file.open("rb") as handle:
        data = handle.read()
    return [
        edxml.Attachment(
            name=version.name, content_type=version.content_type, data=data, description=version.note
        )
    ]


def _recall_reason(document) -> str:
    from egov.documents.choices import OutgoingAction

    event = document.events.filter(action=OutgoingAction.RECALL).order_by("-created_at", "-id").first()
    return (event.note if event else "")[:500]


def document_id_of(document) -> str:
    """DocumentId of an issued outgoing document (1.14)."""
    return edxml.document_id_for(
        organ_id=document.agency.code,
        promulgation_date=document.document_date,
        code_number=document.code_number,
        code_notation=document.notation,
    )


def _build_document(document, recipient, *, business_doc_type: int, reason: str) -> bytes:
    agency = document.agency
    recipients = list(document.recipients.all())
    issuer = document.issued_by
    unit = getattr(agency.administrative_unit, "name", "") if agency.administrative_unit_id else ""
    xml = edxml.build_document_message(
        sender=organ_of(agency),
        receivers=[edxml.Organ(organ_id=recipient.organ_id, organ_name=recipient.name[:200])],
        code_number=document.code_number,
        code_notation=document.notation,
        promulgation_place=unit[:150],
        promulgation_date=document.document_date,
        document_type=edxml.DocumentType(
            type=EDXML_TYPE_CODES.get(document.document_type.code, 0), name=document.document_type.name[:100]
        ),
        subject=document.subject,
        content="",
        signer=edxml.SignerInfo(
            competence=document.signer_competence,
            position=document.signer_position[:100],
            full_name=document.signer_name[:50],
        ),
        due_date=document.reply_due_date,
        to_places=[r.name[:150] for r in recipients if r.name],
        priority=PRIORITY_OF_URGENCY.get(document.urgency, 0),
        document_id=document_id_of(document),
        business_doc_type=business_doc_type,
        business_doc_reason=reason,
        staff_info=edxml.StaffInfo(
            department=(document.drafting_department.name[:200] if document.drafting_department_id else ""),
            staff=(issuer.display_name[:100] if issuer else ""),
            email=(issuer.email[:100] if issuer else ""),
        ),
        page_amount=document.page_count,
        promulgation_amount=document.copies,
        attachments=_document_attachments(document) if business_doc_type != BusinessDocType.REVOKE else [],
    )
    return identity.identity_for(agency).sign(xml)


def _refuse_secret(document, recipient) -> bool:
    """Defence in depth: documents already refuses, but a classified document must never leave here."""
    if not document.is_secret:
        return False
    from egov.documents.choices import SecretAttempt
    from egov.documents.services import secret_attempt_log

    logger.error(
        "exchange: refused to send classified outgoing document %s to %s", document.pk, recipient.organ_id
    )
    secret_attempt_log(
        user=None,
        document=document,
        attempt=SecretAttempt.SEND_ELECTRONIC,
        detail=_("Liên thông từ chối gửi văn bản mật tới %(code)s") % {"code": recipient.organ_id},
    )
    return True


@transaction.atomic
def document_message_enqueue(
    *, document, recipient, business_doc_type: int = BusinessDocType.NEW, reason: str = ""
) -> ExchangeMessage | None:
    """Queue one signed edXML message carrying ``document`` to one external ``recipient`` (Decree 30/2020
    art. 18: issued documents are sent the same day; QCVN 102:2016 message). Idempotent: a second call for
    the same DocumentId, recipient and business type returns the first message. A classified document is
    refused and logged (never sent electronically); a recipient nobody serves gets a failed row saying so.
    """
    if _refuse_secret(document, recipient):
        return None
    organ_id = (recipient.organ_id or "").upper()
    document_id = document_id_of(document)
    existing = (
        ExchangeMessage.objects.select_for_update()
        .filter(
            direction=OUT,
            kind=DOCUMENT,
            document_id=document_id,
            receiver_organ_id=organ_id,
            business_doc_type=business_doc_type,
        )
        .first()
    )
    # A row that failed before it could even be built (no route, no seal yet) is tried again; any other
    # row is the message already queued or sent for this DocumentId.
    if existing is not None and (existing.edxml or existing.state != MessageState.FAILED):
        return existing
    original = None
    if business_doc_type != BusinessDocType.NEW:
        original = ExchangeMessage.objects.filter(
            direction=OUT,
            kind=DOCUMENT,
            document_id=document_id,
            receiver_organ_id=organ_id,
            business_doc_type=BusinessDocType.NEW,
        ).first()
    row = existing or ExchangeMessage(
        direction=OUT,
        kind=DOCUMENT,
        document_id=document_id,
        business_doc_type=business_doc_type,
        sender_organ_id=document.agency.code,
        receiver_organ_id=organ_id,
        outgoing_document=document,
        related=original,
        state=MessageState.QUEUED,
        edxml=b"",
        sha256="",
    )
    try:
        row.peer = route_for(organ_id=organ_id, instance=recipient.instance)
        data = _build_document(document, recipient, business_doc_type=business_doc_type, reason=reason)
    except DomainError as exc:
        row.state = MessageState.FAILED
        row.last_error = exc.message
        row.save()
        logger.warning("exchange: cannot send %s to %s: %s", document_id, organ_id, exc.message)
        return row
    row.edxml = data
    row.sha256 = _sha256(data)
    row.size = len(data)
    row.state = MessageState.QUEUED
    row.last_error = ""
    row.next_attempt_at = None
    row.save()
    _enqueue_send(row)
    return row


def deliver_on_issue(document, recipient) -> None:
    """``documents.services.DELIVERY_HOOKS`` entry: runs after the issue commits."""
    document_message_enqueue(document=document, recipient=recipient)


def deliver_on_recall(document, recipient) -> None:
    """``documents.services.RECALL_HOOKS`` entry: tells the recipient the document is revoked (type 1)."""
    document_message_enqueue(
        document=document,
        recipient=recipient,
        business_doc_type=BusinessDocType.REVOKE,
        reason=_recall_reason(document),
    )


def outbox_reconcile() -> int:
    """Queue the messages of issued documents whose hook never ran (the process stopped between the issue's
    commit and the hook): every electronic external recipient of an issued document gets its message."""
    from egov.documents.choices import DeliveryChannel, OutgoingStatus
    from egov.documents.models import OutgoingRecipient

    horizon = timezone.now() - dt.timedelta(days=int(_setting("EGOV_EXCHANGE_RECONCILE_DAYS", 7)))
    count = 0
    recipients = (
        OutgoingRecipient.objects.select_related("document", "document__agency")
        .filter(
            enqueued_at__gte=horizon,
            channel=DeliveryChannel.ELECTRONIC,
            document__status__in=[OutgoingStatus.ISSUED, OutgoingStatus.RECALLED],
        )
        .exclude(organ_id="")
    )
    for recipient in recipients:
        document = recipient.document
        if document.is_secret or document.number is None:
            continue
        before = (
            ExchangeMessage.objects.filter(
                direction=OUT,
                kind=DOCUMENT,
                document_id=document_id_of(document),
                receiver_organ_id=recipient.organ_id.upper(),
                business_doc_type=BusinessDocType.NEW,
            )
            .values_list("state", "sha256")
            .first()
        )
        if before is not None and (before[1] or before[0] != MessageState.FAILED):
            continue
        message = document_message_enqueue(document=document, recipient=recipient)
        if message is not None and message.state == MessageState.QUEUED:
            count += 1
    return count


# ---- outbox: statuses --------------------------------------------------------------------------------------


def _response_for(message: ExchangeMessage) -> edxml.ResponseFor:
    match = edxml.DOCUMENT_ID_RE.match(message.document_id or "")
    date = None
    if match is not None:
        try:
            date = dt.datetime.strptime(match.group("date"), edxml.DATE_FORMAT).date()
        except ValueError:
            date = None
    return edxml.ResponseFor(
        organ_id=message.sender_organ_id,
        code=match.group("code") if match else "",
        promulgation_date=date,
        document_id=message.document_id,
    )


def _status_description(code: str) -> str:
    return str(StatusCode(code).label) if code in StatusCode.values else ""


@transaction.atomic
def status_message_enqueue(
    *,
    message: ExchangeMessage,
    status_code: str,
    description: str = "",
    staff: edxml.StaffInfo | None = None,
    at: dt.datetime | None = None,
) -> ExchangeMessage:
    """Tell the sender of an incoming document what became of it (QCVN 102:2016 status message; Decree
    30/2020 art. 21.2: the sender is told of the receipt the same day). ``at``: when it happened."""
    agency = Agency.objects.get(code=message.receiver_organ_id)
    now = at or timezone.now()
    description = (description or _status_description(status_code))[:500]
    xml = edxml.build_status_message(
        response_for=_response_for(message),
        sender=organ_of(agency),
        status_code=status_code,
        description=description,
        timestamp=now,
        staff_info=staff,
    )
    data = identity.identity_for(agency).sign(xml)
    row = ExchangeMessage.objects.create(
        direction=OUT,
        kind=STATUS,
        peer=message.peer,
        document_id=message.document_id,
        business_doc_type=message.business_doc_type,
        status_code=status_code,
        sender_organ_id=agency.code,
        receiver_organ_id=message.sender_organ_id,
        edxml=data,
        sha256=_sha256(data),
        size=len(data),
        state=MessageState.QUEUED,
        incoming_document=message.incoming_document,
        related=message,
    )
    ExchangeStatus.objects.create(
        message=message,
        carrier=row,
        direction=StatusDirection.SENT,
        document_id=message.document_id,
        organ_id=agency.code,
        status_code=status_code,
        description=description,
        timestamp=now,
        staff=dataclasses.asdict(staff) if staff else {},
        sha256=row.sha256,
    )
    _enqueue_send(row)
    return row


def _staff_of(user) -> edxml.StaffInfo | None:
    if user is None:
        return None
    return edxml.StaffInfo(staff=user.display_name[:100], email=(user.email or "")[:100])


def notify_status(document, status_code: str) -> None:
    """``documents.services.STATUS_HOOKS`` entry: an incoming document that came through the exchange was
    registered (03), assigned (04), taken in hand (05) or completed (06). The status message is built,
    signed and queued by a task, so the officer's request (or the inbox) does not wait for it."""
    from .tasks import report_status

    report_status.enqueue(
        incoming_document_id=document.pk, status_code=status_code, at=timezone.now().isoformat()
    )


def status_report(
    *, incoming_document_id: int, status_code: str, at: dt.datetime | None = None
) -> ExchangeMessage | None:
    """Tell the sender of an exchanged incoming document its new status, once per change (the task body)."""
    inbox = (
        ExchangeMessage.objects.filter(
            direction=IN,
            kind=DOCUMENT,
            incoming_document_id=incoming_document_id,
            state=MessageState.REGISTERED,
        )
        .exclude(business_doc_type=BusinessDocType.REVOKE)
        .order_by("-id")
        .first()
    )
    if inbox is None:
        return None
    sent = list(
        ExchangeStatus.objects.filter(message=inbox, direction=StatusDirection.SENT)
        .order_by("-timestamp", "-id")
        .values_list("status_code", flat=True)
    )
    # A status is news only once in a row (a second opinion does not mean "in progress" again), and 03
    # "registered" only once at all: it is the registration itself.
    if sent and sent[0] == status_code:
        return None
    if status_code == StatusCode.ACCEPTED and StatusCode.ACCEPTED in sent:
        return None
    return status_message_enqueue(message=inbox, status_code=status_code, at=at)


# ---- sending -----------------------------------------------------------------------------------------------


def _claim(message_id: int, now: dt.datetime) -> bool:
    """Take the message for this worker (a conditional UPDATE, correct with many workers on any database)."""
    due = Q(state=MessageState.QUEUED) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    stale = Q(state=MessageState.SENDING, next_attempt_at__lte=now)
    return bool(
        ExchangeMessage.objects.filter(pk=message_id, direction=OUT)
        .filter(due | stale)
        .update(
            state=MessageState.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + _sending_lease()
        )
    )


def _retry_later(
    message: ExchangeMessage, error: str, *, http_status: int | None = None, count: bool = True
) -> str:
    now = timezone.now()
    message.last_error = error[:2000]
    message.last_http_status = http_status
    if count and message.attempts >= max_attempts():
        message.state = MessageState.FAILED
        message.next_attempt_at = None
        message.save(update_fields=["state", "next_attempt_at", "last_error", "last_http_status"])
        logger.error(
            "exchange: giving up message %s after %s attempts: %s", message.pk, message.attempts, error
        )
        return message.state
    if not count:
        # Waiting for another message is not a failed attempt.
        message.attempts = max(message.attempts - 1, 0)
    message.state = MessageState.QUEUED
    message.next_attempt_at = now + backoff_delay(max(message.attempts, 1))
    message.save(update_fields=["state", "attempts", "next_attempt_at", "last_error", "last_http_status"])
    _enqueue_send(message, run_after=message.next_attempt_at)
    logger.warning(
        "exchange: message %s (%s) not delivered (attempt %s), retry at %s: %s",
        message.pk,
        message.document_id,
        message.attempts,
        message.next_attempt_at.isoformat(),
        error,
    )
    return message.state


def message_send(*, message_id: int) -> str:
    """Deliver one outbox message (the task body). Returns the new state, or ``"skipped"`` when another
    worker holds it or it is not due. At-least-once on our side, exactly once in effect: the receiver keys
    its inbox by DocumentId and answers a repeat with its first answer."""
    now = timezone.now()
    if not _claim(message_id, now):
        return "skipped"
    message = ExchangeMessage.objects.select_related("peer", "related").get(pk=message_id)
    related = message.related
    if (
        message.kind == DOCUMENT
        and related is not None
        and related.direction == OUT
        and related.state in (MessageState.QUEUED, MessageState.SENDING)
    ):
        # A recall or update must not overtake the document it is about (order per sender, §5.3 fault 3).
        with transaction.atomic():
            return _retry_later(message, _("Chờ gửi xong văn bản gốc."), count=False)
    peer = message.peer
    if peer is None:
        result = message_receive(data=bytes(message.edxml), peer=None)
        status, body, content_type = result.http_status, result.body, result.content_type
    else:
        if not peer.is_active:
            with transaction.atomic():
                return _retry_later(
                    message, _("Hệ thống %(peer)s đang tạm ngừng kết nối.") % {"peer": peer.name}
                )
        try:
            response = get_transport().post(
                url=peer.edxml_url,
                data=bytes(message.edxml),
                token=peer.outbound_token,
                timeout=send_timeout(),
                tls_ca_pem=peer.tls_ca_pem,
            )
        except TransportError as exc:
            with transaction.atomic():
                return _retry_later(message, str(exc))
        status, body, content_type = response.status, response.body, response.content_type
    with transaction.atomic():
        return _after_send(message, status=status, body=body, content_type=content_type)


def _after_send(message: ExchangeMessage, *, status: int, body: bytes, content_type: str) -> str:
    now = timezone.now()
    answer: edxml.StatusMessage | None = None
    answer_error = ""
    if "xml" in (content_type or "") and body:
        try:
            verified = edxml.verify_message(
                body, trusted=_trust_for(message.peer), organ_for_certificate=_binding_for(message.peer)
            )
            answer = edxml.parse_status_message(verified.signed_root)
        except DomainError as exc:
            answer_error = exc.message
    if 200 <= status < 300:
        message.sent_at = message.sent_at or now
        message.last_http_status = status
        message.next_attempt_at = None
        message.answer = body
        message.answer_http_status = status
        if message.kind == DOCUMENT and answer is not None:
            _record_answer(message, answer, body)
            message.state = MessageState.ACKNOWLEDGED
            message.acknowledged_at = now
            message.last_error = ""
        else:
            message.state = MessageState.SENT
            message.last_error = answer_error
        message.save(
            update_fields=[
                "state",
                "sent_at",
                "acknowledged_at",
                "last_http_status",
                "next_attempt_at",
                "answer",
                "answer_http_status",
                "last_error",
            ]
        )
        return message.state
    if answer is not None and answer.status_code == StatusCode.REJECTED:
        # The receiver examined the message and returned it (status 02): resending the same bytes cannot help.
        if message.kind == DOCUMENT:
            _record_answer(message, answer, body)
        message.state = MessageState.FAILED
        message.next_attempt_at = None
        message.answer = body
        message.answer_http_status = status
        message.last_http_status = status
        message.last_error = (answer.description or _("Bên nhận từ chối tiếp nhận."))[:2000]
        message.save(
            update_fields=[
                "state",
                "next_attempt_at",
                "answer",
                "answer_http_status",
                "last_http_status",
                "last_error",
            ]
        )
        logger.warning("exchange: message %s rejected by the receiver: %s", message.pk, message.last_error)
        return message.state
    detail = body[:300].decode("utf-8", "replace") if body else ""
    return _retry_later(message, f"HTTP {status}: {answer_error or detail}", http_status=status)


def _record_answer(message: ExchangeMessage, answer: edxml.StatusMessage, data: bytes) -> ExchangeStatus:
    status, _created = ExchangeStatus.objects.get_or_create(
        sha256=_sha256(data),
        direction=StatusDirection.RECEIVED,
        defaults={
            "message": message,
            "document_id": answer.response_for.document_id or message.document_id,
            "organ_id": answer.sender.organ_id,
            "status_code": answer.status_code,
            "description": answer.description[:500],
            "timestamp": answer.timestamp,
            "staff": dataclasses.asdict(answer.staff_info) if answer.staff_info else {},
        },
    )
    return status


def messages_requeue_due(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Queue a send task for every outbox message due (retry time passed, or a worker died while sending).
    Safe to run often (``manage.py exchange_retry``): a message already taken is skipped by the claim."""
    now = now or timezone.now()
    due = ExchangeMessage.objects.filter(direction=OUT).filter(
        Q(state=MessageState.QUEUED, next_attempt_at__isnull=True)
        | Q(state=MessageState.QUEUED, next_attempt_at__lte=now)
        | Q(state=MessageState.SENDING, next_attempt_at__lte=now)
    )
    count = 0
    for message in due.order_by("id")[:limit]:
        _enqueue_send(message)
        count += 1
    return count


@transaction.atomic
def messages_resend_failed(*, peer: Peer | None = None, since: dt.datetime | None = None) -> int:
    """Queue again the outbox messages that failed (rejected with 02, or out of attempts), once the cause is
    fixed (e.g. the peer now trusts our new CA). The same bytes are sent: the receiver still dedups."""
    failed = ExchangeMessage.objects.select_for_update().filter(direction=OUT, state=MessageState.FAILED)
    if peer is not None:
        failed = failed.filter(peer=peer)
    if since is not None:
        failed = failed.filter(created_at__gte=since)
    count = 0
    for message in failed.exclude(sha256="").order_by("id"):
        message.state = MessageState.QUEUED
        message.attempts = 0
        message.next_attempt_at = None
        message.save(update_fields=["state", "attempts", "next_attempt_at"])
        _enqueue_send(message)
        count += 1
    return count


# ---- inbox -------------------------------------------------------------------------------------------------


def _answer(
    *, agency: Agency, response_for: edxml.ResponseFor, status_code: str, description: str
) -> tuple[bytes, dt.datetime]:
    now = timezone.now()
    xml = edxml.build_status_message(
        response_for=response_for,
        sender=organ_of(agency),
        status_code=status_code,
        description=description[:500],
        timestamp=now,
    )
    return identity.identity_for(agency).sign(xml), now


def _response_for_parsed(parsed: edxml.ParsedMessage) -> edxml.ResponseFor:
    return edxml.ResponseFor(
        organ_id=parsed.sender.organ_id,
        code=f"{parsed.code_number}/{parsed.code_notation}",
        promulgation_date=parsed.promulgation_date,
        document_id=parsed.document_id,
    )


def _attachments_of(parsed: edxml.ParsedMessage) -> list[tuple[str, bytes, str]]:
    return [(a.name, a.data, a.content_type) for a in parsed.attachments]


def _incoming_by_document_id(agency: Agency, document_id: str):
    from egov.documents.models import IncomingDocument

    return IncomingDocument.objects.filter(agency=agency, exchange_document_id=document_id).first()


def _apply(row: ExchangeMessage, parsed: edxml.ParsedMessage, agency: Agency) -> tuple[str, str]:
    """Do what the message asks (2.2.1 BussinessDocType); returns the status code and text to answer."""
    from egov.documents import services as documents

    kind = parsed.business_doc_type
    if kind == BusinessDocType.NEW:
        document = documents.incoming_register_from_exchange(
            agency=agency,
            metadata=parsed.metadata(),
            attachments=_attachments_of(parsed),
            exchange_document_id=parsed.document_id,
        )
        row.incoming_document = document
        return StatusCode.DELIVERED, _("Văn bản đã đến %(agency)s, số đến %(n)s.") % {
            "agency": agency.name,
            "n": document.arrival_number,
        }
    original_id = parsed.document_id
    if kind in (BusinessDocType.UPDATE, BusinessDocType.REPLACE) and parsed.replacement_info:
        original_id = parsed.replacement_info[0].document_id
    original = ExchangeMessage.objects.filter(
        direction=IN,
        kind=DOCUMENT,
        document_id=original_id,
        receiver_organ_id=agency.code,
        business_doc_type=BusinessDocType.NEW,
        state=MessageState.REGISTERED,
    ).first()
    row.related = original
    incoming = _incoming_by_document_id(agency, original_id)
    if incoming is None:
        return StatusCode.REFUSED, _("Không tìm thấy văn bản %(id)s tại %(agency)s.") % {
            "id": original_id,
            "agency": agency.name,
        }
    if kind == BusinessDocType.REVOKE:
        try:
            with transaction.atomic():
                documents.incoming_recall(document=incoming, actor=None, reason=parsed.business_doc_reason)
        except DomainError as exc:
            return StatusCode.REFUSED, exc.message
        row.incoming_document = incoming
        return StatusCode.AGREED, _("Đã thu hồi văn bản theo yêu cầu của bên gửi.")
    # Update (2) or replace (3): the new content is registered as its own incoming document, linked here to
    # the original (documents has no version link for incoming documents yet: see docs/exchange.md).
    exchange_id = parsed.document_id
    if exchange_id == original_id:
        exchange_id = f"{parsed.document_id}#{kind}-{row.sha256[:12]}"
    document = documents.incoming_register_from_exchange(
        agency=agency,
        metadata=parsed.metadata(),
        attachments=_attachments_of(parsed),
        exchange_document_id=exchange_id,
    )
    row.incoming_document = document
    label = _("cập nhật") if kind == BusinessDocType.UPDATE else _("thay thế")
    return StatusCode.AGREED, _("Đã tiếp nhận văn bản %(label)s cho văn bản %(id)s (số đến %(n)s).") % {
        "label": label,
        "id": original_id,
        "n": document.arrival_number,
    }


def _find_inbox(parsed: edxml.ParsedMessage, organ_id: str) -> ExchangeMessage | None:
    return (
        ExchangeMessage.objects.filter(
            direction=IN,
            kind=DOCUMENT,
            document_id=parsed.document_id,
            receiver_organ_id=organ_id,
            business_doc_type=parsed.business_doc_type,
        )
        .exclude(state=MessageState.REJECTED)
        .first()
    )


def _replay(existing: ExchangeMessage) -> ReceiveResult:
    return ReceiveResult(
        http_status=existing.answer_http_status or 200, body=bytes(existing.answer), message=existing
    )


def _receive_document(data: bytes, sender: edxml.SenderIdentity, peer: Peer | None) -> ReceiveResult:
    parsed = edxml.parse_document_message(sender.signed_root)
    ours = []
    for receiver in parsed.receivers:
        agency = local_agency(receiver.organ_id)
        if agency is not None and agency not in ours:
            ours.append(agency)
    if not ours:
        raise Misaddressed(
            _("Gói tin gửi tới %(to)s, không phải cơ quan nào của hệ thống này.")
            % {"to": ", ".join(r.organ_id for r in parsed.receivers)},
            code="edxml_misaddressed",
        )
    first: ReceiveResult | None = None
    for agency in ours:
        result = _receive_for(data, parsed, agency, peer)
        first = first or result
    assert first is not None
    return first


def _receive_for(
    data: bytes, parsed: edxml.ParsedMessage, agency: Agency, peer: Peer | None
) -> ReceiveResult:
    # The insert comes first: a repeat (or the same DocumentId arriving twice at once) hits the unique
    # constraint before anything is registered, and gets the first delivery's answer.
    try:
        with transaction.atomic():
            row = ExchangeMessage.objects.create(
                direction=IN,
                kind=DOCUMENT,
                peer=peer,
                document_id=parsed.document_id,
                business_doc_type=parsed.business_doc_type,
                sender_organ_id=parsed.sender.organ_id,
                receiver_organ_id=agency.code,
                edxml=data,
                sha256=_sha256(data),
                size=len(data),
                state=MessageState.RECEIVED,
            )
            deferred = register_deferred() and parsed.business_doc_type == BusinessDocType.NEW
            if deferred:
                # Verified, stored and acknowledged now (01 "arrived"); registered by a task, which then
                # reports 03, or 02 with the reason if the documents app refuses it.
                code = StatusCode.DELIVERED
                description = _("Văn bản đã đến %(agency)s, đang vào sổ văn bản đến.") % {
                    "agency": agency.name
                }
            else:
                code, description = _apply(row, parsed, agency)
            answer, at = _answer(
                agency=agency,
                response_for=_response_for_parsed(parsed),
                status_code=code,
                description=description,
            )
            row.answer = answer
            row.answer_http_status = 200
            row.state = MessageState.RECEIVED if deferred else MessageState.REGISTERED
            row.processed_at = None if deferred else at
            row.save(
                update_fields=[
                    "answer",
                    "answer_http_status",
                    "state",
                    "processed_at",
                    "incoming_document",
                    "related",
                ]
            )
            ExchangeStatus.objects.create(
                message=row,
                direction=StatusDirection.SENT,
                document_id=parsed.document_id,
                organ_id=agency.code,
                status_code=code,
                description=description[:500],
                timestamp=at,
                sha256=_sha256(answer),
            )
            if deferred:
                _enqueue_register(row)
    except IntegrityError:
        # The same DocumentId arrived twice at once: the other request holds the row; answer as it did.
        existing = _find_inbox(parsed, agency.code)
        if existing is None or not existing.answer:
            raise
        return _replay(existing)
    logger.info(
        "exchange: received %s from %s for %s: %s",
        parsed.document_id,
        parsed.sender.organ_id,
        agency.code,
        code,
    )
    return ReceiveResult(http_status=200, body=answer, message=row)


def register_deferred() -> bool:
    """``EGOV_EXCHANGE_REGISTER_ASYNC``: acknowledge a new document once verified and stored, and register
    it in a task (off by default: the document is registered in the receiving transaction)."""
    return str(conf.setting("EGOV_EXCHANGE_REGISTER_ASYNC", "0")).strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


def _enqueue_register(row: ExchangeMessage) -> None:
    from .tasks import register_received

    register_received.enqueue(message_id=row.pk)


def inbox_register(*, message_id: int) -> str:
    """Register a document acknowledged on arrival (deferred mode; the task body). Its signature was verified
    on arrival over the whole stored message, so the stored bytes are parsed as they are. If the documents
    app refuses it, the arrival is turned into a rejection and the sender gets status 02 with the reason."""
    error: DomainError | None = None
    with transaction.atomic():
        row = (
            ExchangeMessage.objects.select_for_update()
            .filter(pk=message_id, direction=IN, kind=DOCUMENT)
            .first()
        )
        if row is None or row.state != MessageState.RECEIVED:
            return "skipped"
        agency = Agency.objects.get(code=row.receiver_organ_id)
        try:
            with transaction.atomic():
                parsed = edxml.parse_document_message(bytes(row.edxml))
                code, description = _apply(row, parsed, agency)
                row.state = MessageState.REGISTERED
                row.processed_at = timezone.now()
                row.save(update_fields=["state", "processed_at", "incoming_document", "related"])
        except DomainError as exc:
            error = exc
            row.state = MessageState.REJECTED
            row.last_error = f"[{exc.code}] {exc.message}"[:2000]
            row.processed_at = timezone.now()
            row.save(update_fields=["state", "last_error", "processed_at"])
            status_message_enqueue(message=row, status_code=StatusCode.REJECTED, description=exc.message)
    if error is not None:
        logger.warning("exchange: could not register %s: %s", row.document_id, error.message)
        return row.state
    logger.info("exchange: registered %s for %s: %s %s", row.document_id, agency.code, code, description)
    return row.state


def _receive_status(data: bytes, sender: edxml.SenderIdentity, peer: Peer | None) -> ReceiveResult:
    status = edxml.parse_status_message(sender.signed_root)
    target = status.response_for.organ_id
    if target and local_agency(target) is None:
        raise Misaddressed(
            _("Gói tin trạng thái nói về văn bản của %(to)s, không phải cơ quan nào của hệ thống này.")
            % {"to": target},
            code="edxml_misaddressed",
        )
    candidates = ExchangeMessage.objects.filter(
        direction=OUT,
        kind=DOCUMENT,
        document_id=status.response_for.document_id,
        receiver_organ_id=sender.organ_id,
    )
    if status.status_code in (StatusCode.AGREED, StatusCode.REFUSED):
        original = candidates.exclude(business_doc_type=BusinessDocType.NEW).order_by("-id").first()
    else:
        original = candidates.filter(business_doc_type=BusinessDocType.NEW).first()
    original = original or candidates.order_by("id").first()
    if original is None:
        raise Misaddressed(
            _("Không có văn bản %(id)s nào đã gửi tới %(organ)s.")
            % {"id": status.response_for.document_id, "organ": sender.organ_id},
            code="edxml_unknown_document",
        )
    digest = _sha256(data)
    with transaction.atomic():
        carrier = (
            ExchangeMessage.objects.filter(direction=IN, kind=STATUS, sha256=digest)
            .exclude(state=MessageState.REJECTED)
            .first()
        )
        if carrier is None:
            try:
                with transaction.atomic():
                    carrier = ExchangeMessage.objects.create(
                        direction=IN,
                        kind=STATUS,
                        peer=peer,
                        document_id=status.response_for.document_id,
                        business_doc_type=original.business_doc_type,
                        status_code=status.status_code,
                        sender_organ_id=sender.organ_id,
                        receiver_organ_id=original.sender_organ_id,
                        edxml=data,
                        sha256=digest,
                        size=len(data),
                        state=MessageState.REGISTERED,
                        outgoing_document=original.outgoing_document,
                        related=original,
                        processed_at=timezone.now(),
                    )
            except IntegrityError:
                carrier = ExchangeMessage.objects.get(
                    direction=IN, kind=STATUS, sha256=digest, state=MessageState.REGISTERED
                )
        ExchangeStatus.objects.get_or_create(
            sha256=digest,
            direction=StatusDirection.RECEIVED,
            defaults={
                "message": original,
                "carrier": carrier,
                "document_id": status.response_for.document_id,
                "organ_id": sender.organ_id,
                "status_code": status.status_code,
                "description": status.description[:500],
                "timestamp": status.timestamp,
                "staff": dataclasses.asdict(status.staff_info) if status.staff_info else {},
            },
        )
        if original.state == MessageState.SENT and status.status_code != StatusCode.REJECTED:
            ExchangeMessage.objects.filter(pk=original.pk, state=MessageState.SENT).update(
                state=MessageState.ACKNOWLEDGED, acknowledged_at=timezone.now()
            )
    body = json.dumps(
        {"received": True, "document_id": status.response_for.document_id, "status": status.status_code}
    )
    return ReceiveResult(
        http_status=200, body=body.encode(), content_type="application/json", message=carrier
    )


def _best_effort_header(root) -> dict:
    """What can be read of a message that failed its checks, to address the 02 answer."""
    info = {"document_id": "", "sender": "", "receivers": [], "code": "", "date": None}
    if root is None:
        return info
    ns = f"{{{edxml.NS}}}"
    if root.tag == f"{ns}edXML":
        header = root.find(f"{ns}edXMLEnvelope/{ns}edXMLHeader/{ns}MessageHeader")
        if header is not None:
            info["document_id"] = (header.findtext(f"{ns}DocumentId") or "").strip()[:255]
            info["sender"] = (header.findtext(f"{ns}From/{ns}OrganId") or "").strip().upper()[:35]
            info["receivers"] = [
                (e.text or "").strip().upper()[:35] for e in header.iterfind(f"{ns}To/{ns}OrganId")
            ]
            number = (header.findtext(f"{ns}Code/{ns}CodeNumber") or "").strip()
            notation = (header.findtext(f"{ns}Code/{ns}CodeNotation") or "").strip()
            info["code"] = f"{number}/{notation}"[:100] if number or notation else ""
    else:
        status = root.find(f"{{{edxml.SOAP_NS}}}Header/{ns}Status")
        if status is not None:
            info["document_id"] = (status.findtext(f"{ns}ResponseFor/{ns}DocumentId") or "").strip()[:255]
            info["sender"] = (status.findtext(f"{ns}From/{ns}OrganId") or "").strip().upper()[:35]
    return info


def _reject(data: bytes, error: DomainError, *, root, peer: Peer | None) -> ReceiveResult:
    """Return the message to its sender with status 02 and the reason (Decree 30/2020 art. 21.2); keep the
    bytes and the reason in the inbox as evidence. Nothing of it is registered."""
    info = _best_effort_header(root)
    kind = STATUS if root is not None and root.tag == f"{{{edxml.SOAP_NS}}}Envelope" else DOCUMENT
    agency = next((a for a in (local_agency(code) for code in info["receivers"]) if a is not None), None)
    agency = agency or default_organ()
    logger.warning(
        "exchange: rejected %s message %s from %s (peer %s): %s",
        kind,
        info["document_id"] or "?",
        info["sender"] or "?",
        peer.name if peer else "local",
        error.message,
    )
    answer, at, answer_sha = b"", timezone.now(), ""
    if agency is not None:
        try:
            answer, at = _answer(
                agency=agency,
                response_for=edxml.ResponseFor(
                    organ_id=info["sender"] if edxml.ORGAN_ID_RE.match(info["sender"] or "") else "",
                    code=info["code"],
                    document_id=info["document_id"],
                ),
                status_code=StatusCode.REJECTED,
                description=error.message,
            )
            answer_sha = _sha256(answer)
        except DomainError as exc:
            logger.error("exchange: cannot sign the rejection: %s", exc.message)
    status = error.status if 400 <= error.status < 500 else 400
    with transaction.atomic():
        row = ExchangeMessage.objects.create(
            direction=IN,
            kind=kind,
            peer=peer,
            document_id=info["document_id"],
            sender_organ_id=info["sender"],
            receiver_organ_id=agency.code if agency else "",
            edxml=bytes(data[: edxml.max_message_bytes()]),
            sha256=_sha256(data),
            size=len(data),
            state=MessageState.REJECTED,
            last_error=f"[{error.code}] {error.message}"[:2000],
            answer=answer,
            answer_http_status=status,
            processed_at=at,
        )
        if answer:
            ExchangeStatus.objects.get_or_create(
                sha256=answer_sha,
                direction=StatusDirection.SENT,
                defaults={
                    "message": row,
                    "document_id": info["document_id"],
                    "organ_id": agency.code,
                    "status_code": StatusCode.REJECTED,
                    "description": error.message[:500],
                    "timestamp": at,
                },
            )
    if not answer:
        body = json.dumps(
            {"error": {"code": error.code, "message": error.message}}, ensure_ascii=False
        ).encode()
        return ReceiveResult(http_status=status, body=body, content_type="application/json", message=row)
    return ReceiveResult(http_status=status, body=answer, message=row)


def message_receive(*, data: bytes, peer: Peer | None) -> ReceiveResult:
    """Receive one edXML message from ``peer`` (``None``: one of our own agencies, inside this instance).

    Electronic receipt (Decree 30/2020 art. 21.2): the signature must verify over the whole message with a
    certificate chaining to what we trust for that peer, the signer must be bound to the sending agency
    (From/OrganId) and that agency must be served by the peer, the message must be for one of our agencies
    and follow QCVN 102:2016. A document is then stored once per DocumentId and registered as an incoming
    document in the same transaction, and answered with a signed status (01; 15/16 for a recall or update);
    a repeat gets the first answer. Anything else is answered with status 02 and HTTP 4xx, and logged.
    """
    root = None
    try:
        root = edxml.parse_xml(data)
        kind = edxml.message_kind(root)
        sender = edxml.verify_message(
            bytes(data), trusted=_trust_for(peer), organ_for_certificate=_binding_for(peer), parsed=root
        )
        if kind == DOCUMENT:
            return _receive_document(bytes(data), sender, peer)
        return _receive_status(bytes(data), sender, peer)
    except DomainError as error:
        return _reject(bytes(data), error, root=root, peer=peer)


# ---- peers -------------------------------------------------------------------------------------------------


def _system_username(name: str) -> str:
    return f"exchange-peer-{name}"[:150]


@transaction.atomic
def peer_save(
    *,
    name: str,
    base_url: str | None = None,
    ca_pem: str | None = None,
    agencies: list[tuple[str, str]] | None = None,
    outbound_token: str | None = None,
    tls_ca_pem: str | None = None,
    issue_token: bool = False,
) -> tuple[Peer, str]:
    """Create or update a peer (another instance or an axis endpoint) and the system account it calls us
    with. Returns the peer and, when ``issue_token`` (or on creation), the bearer token to hand to it."""
    from egov.accounts.choices import UserKind
    from egov.accounts.models import User
    from egov.accounts.services import api_token_issue

    name = (name or "").strip()
    if not name:
        raise ValidationFailed(_("Cần đặt tên cho hệ thống liên thông."), field="name")
    peer = Peer.objects.select_for_update().filter(name=name).first()
    created = peer is None
    if created:
        if not base_url or not ca_pem:
            raise ValidationFailed(
                _("Hệ thống mới cần địa chỉ và chứng thư tin cậy (PEM)."), field="base_url"
            )
        peer = Peer(name=name)
    if base_url is not None:
        peer.base_url = base_url.rstrip("/")
    if ca_pem is not None:
        try:
            trust = edxml.TrustStore.from_pem(ca_pem)
        except ValueError as exc:
            raise ValidationFailed(_("Chứng thư PEM không đọc được."), field="ca_pem") from exc
        if not trust:
            raise ValidationFailed(_("Tệp PEM không chứa chứng thư nào."), field="ca_pem")
        peer.ca_pem = ca_pem
    if tls_ca_pem is not None:
        peer.tls_ca_pem = tls_ca_pem
    if outbound_token is not None:
        peer.outbound_token = outbound_token.strip()
    if peer.system_user_id is None:
        user, _created = User.objects.get_or_create(
            username=_system_username(name),
            defaults={
                "kind": UserKind.SYSTEM,
                "full_name": _("Hệ thống liên thông %(name)s") % {"name": name},
            },
        )
        if user.has_usable_password():
            user.set_unusable_password()
            user.save(update_fields=["password"])
        peer.system_user = user
    peer.full_clean(exclude=["outbound_token"])
    peer.save()
    for organ_id, organ_name in agencies or []:
        organ_id = organ_id.strip().upper()
        if not edxml.ORGAN_ID_RE.match(organ_id):
            raise ValidationFailed(
                _("Mã định danh cơ quan “%(c)s” không hợp lệ.") % {"c": organ_id}, field="agencies"
            )
        if (
            Agency.objects.filter(code=organ_id).exists()
            and not PeerAgency.objects.filter(organ_id=organ_id).exists()
        ):
            logger.warning(
                "exchange: agency %s exists here too; it will now be reached through %s", organ_id, name
            )
        PeerAgency.objects.update_or_create(
            organ_id=organ_id, defaults={"peer": peer, "name": organ_name[:255]}
        )
    forget_routing()
    token = ""
    if created or issue_token:
        token = api_token_issue(user=peer.system_user, name=f"exchange:{name}")
    return peer, token


def identity_export(*, agencies: list[Agency] | None = None) -> dict:
    """What another instance needs to add us as a peer: URL, agencies, CA certificates (public data only)."""
    from egov.signing.selectors import certificate_usable_for

    chosen = (
        agencies if agencies is not None else list(Agency.objects.filter(is_active=True).order_by("code"))
    )
    entries = []
    for agency in chosen:
        if local_agency(agency.code) is None:
            continue
        certificate = certificate_usable_for(agency=agency, at=timezone.now())
        entries.append(
            {
                "code": agency.code,
                "name": agency.name,
                "certificate_sha256": certificate.fingerprint_sha256 if certificate else "",
            }
        )
    return {
        "name": _setting("EGOV_EXCHANGE_INSTANCE_NAME", "") or "egov",
        "url": _setting("EGOV_PUBLIC_URL", "").rstrip("/"),
        "agencies": entries,
        "ca_pem": identity.local_trust_pem().decode(),
        "signature_method": edxml.signature_method().value,
    }
