"""Writes of the one-stop shop. One verb, one service: each is atomic, locks the dossier row, checks
the state machine (``transitions.py``) and the actor's role, writes one event and queues its
notifications in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.accounts.choices import Role
from egov.accounts.selectors import (
    leaders_of,
    officers_holding,
    officers_with_role,
    user_agency_ids,
    user_has_role,
)
from egov.catalog.models import ProcedureOffering, ProcessStep, RequiredDocument
from egov.catalog.selectors import process_steps, required_documents
from egov.core.calendar import LOCAL_TZ, get_calendar
from egov.core.choices import TimeUnit
from egov.core.compiled import insert
from egov.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from egov.core.models import Agency
from egov.core.numbering import draw_statement, next_value, next_values
from egov.notifications.services import notify_citizen, notify_users
from egov.payments.amounts import format_vnd
from egov.payments.selectors import dossier_is_paid, payment_required

from .choices import Channel, DocumentOrigin, DossierAction, DossierStatus, ReturnMethod
from .models import (
    Consultation,
    Dossier,
    DossierDocument,
    DossierEvent,
    DossierRead,
    DossierTask,
    SupplementRequest,
)
from .selectors import remember_written
from .transitions import check, transition
from .uploads import check_upload, read_upload


@dataclass
class ApplicantInput:
    name: str
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    user: object | None = None


@dataclass
class DocumentInput:
    """A paper handed in: on paper at the counter, or as a file (``file`` is an UploadedFile, or
    ``content`` bytes with ``file_name``)."""

    name: str = ""
    required_document_id: int | None = None
    origin: str = DocumentOrigin.UPLOAD
    quantity: int = 1
    file: object | None = None
    content: bytes | None = None
    file_name: str = ""
    _checked: object | None = field(default=None, repr=False)


# ---- helpers ---------------------------------------------------------------------------------


def _lock(dossier: Dossier) -> Dossier:
    return (
        Dossier.objects.select_for_update()
        .select_related("agency", "procedure", "offering")
        .get(pk=dossier.pk)
    )


def _require_role(actor, agency_id: int, *roles: str) -> None:
    if actor is None or not actor.is_authenticated or not user_has_role(actor, agency_id, *roles):
        raise PermissionDenied(_("Bạn không có quyền thực hiện thao tác này đối với hồ sơ của cơ quan này."))


def _require_text(value: str, message: str, field_name: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, field=field_name)
    return value


def _register_scope(agency: Agency, at: dt.datetime) -> str:
    """The yearly register of received dossiers (Mẫu 06) numbers its rows from 1 each year, per agency."""
    return f"register:{agency.code}:{at.astimezone(LOCAL_TZ).year}"


def _dossier_code(
    agency: Agency, at: dt.datetime, *, register_number: bool = False
) -> tuple[str, int | None]:
    """Circular 01/2018 art. 19: ``<agency code>-<YYMMDD>-<NNNN>``, the counter restarting daily per agency;
    with ``register_number``, also the dossier's number in the yearly register (one statement for both)."""
    day = at.astimezone(LOCAL_TZ).strftime("%y%m%d")
    code_scope = f"dossier:{agency.code}:{day}"
    if register_number:
        values = next_values([code_scope, _register_scope(agency, at)])
        number, register = values[code_scope], values[_register_scope(agency, at)]
    else:
        number, register = next_value(code_scope), None
    return f"{agency.code}-{day}-{number:04d}", register


def _step_hours(unit: str, amount: Decimal) -> Decimal:
    if unit == TimeUnit.WORKING_HOURS:
        return amount
    return amount * get_calendar().hours_per_day()


@dataclass
class _TaskStart:
    """A step to open: ``done=(outcome, note)`` records it finished at once by ``assignee`` (the reception
    step the receiving officer hands over on the spot); ``pool``: the officers holding the step's role,
    when the caller has read them already (an unassigned step is announced to them)."""

    step: ProcessStep
    assignee: object | None = None
    handed_over_by: object | None = None
    done: tuple[str, str] | None = None
    pool: Sequence | None = None


def _start_tasks(
    dossier: Dossier, starts: Sequence[_TaskStart], *, at: dt.datetime, announce: bool = True
) -> list[DossierTask]:
    """Open the tasks of ``starts`` (one INSERT for all), each due after its step's own budget, never
    after the dossier's deadline, and tell whoever must act on them (``announce=False``: the caller
    calls ``_announce_tasks`` later)."""
    tasks = []
    for start in starts:
        step, assignee = start.step, start.assignee
        if assignee is not None and not user_has_role(assignee, dossier.agency_id, step.role):
            raise ValidationFailed(
                _("%(name)s không giữ vai trò “%(role)s” tại cơ quan này.")
                % {"name": assignee, "role": Role(step.role).label},
                field="next_assignee",
            )
        due = get_calendar().add_working_hours(at, _step_hours(dossier.processing_unit, step.amount))
        if dossier.effective_due_at and due > dossier.effective_due_at:
            due = dossier.effective_due_at
        done = start.done
        tasks.append(
            DossierTask(
                dossier=dossier,
                step=step,
                position=step.position,
                name=step.name,
                role=step.role,
                is_decision=step.is_decision,
                agency_id=dossier.agency_id,
                assignee=assignee,
                handed_over_by=start.handed_over_by,
                started_at=at,
                due_at=due,
                **(
                    {"finished_at": at, "finished_by": assignee, "outcome": done[0], "note": done[1]}
                    if done is not None
                    else {}
                ),
            )
        )
    insert(tasks)
    if announce:
        _announce_tasks(dossier, starts, tasks)
    return tasks


def _announce_tasks(dossier: Dossier, starts: Sequence[_TaskStart], tasks: Sequence[DossierTask]) -> None:
    """Tell whoever must act on the tasks just opened (the notice quotes the dossier's code)."""
    for start, task in zip(starts, tasks, strict=True):
        assignee, by = start.assignee, start.handed_over_by
        if assignee is not None and by is not None and assignee.pk == by.pk:
            continue  # an officer does not need to be told about the step they are doing themselves
        notify_users(
            users=[assignee]
            if assignee
            else (start.pool if start.pool is not None else officers_with_role(dossier.agency_id, task.role)),
            event="task_assigned",
            key=f"task:{task.pk}",
            title=_("Hồ sơ %(code)s chờ xử lý: %(step)s") % {"code": dossier.code, "step": task.name},
            body=_("Hạn xử lý bước: %(due)s.") % {"due": _fmt(task.due_at)},
            url=f"/one-stop/{dossier.code}/",
            email=assignee is not None,
        )


def _start_task(
    dossier: Dossier,
    step: ProcessStep,
    *,
    at: dt.datetime,
    assignee=None,
    handed_over_by=None,
    done: tuple[str, str] | None = None,
    pool: Sequence | None = None,
) -> DossierTask:
    """Open the task of one step (``_start_tasks``)."""
    start = _TaskStart(step, assignee=assignee, handed_over_by=handed_over_by, done=done, pool=pool)
    return _start_tasks(dossier, [start], at=at)[0]


def _open_task(dossier: Dossier) -> DossierTask | None:
    return (
        DossierTask.objects.select_for_update()
        .filter(dossier=dossier, finished_at__isnull=True)
        .order_by("-started_at", "-id")
        .first()
    )


def _finish_task(task: DossierTask, *, actor, at: dt.datetime, outcome: str, note: str = "") -> None:
    task.finished_at = at
    task.finished_by = actor
    task.outcome = outcome
    task.note = note
    task.save(update_fields=["finished_at", "finished_by", "outcome", "note"])


def _steps(dossier: Dossier) -> list[ProcessStep]:
    return process_steps(dossier.offering.process_template_id)


def _next_step(dossier: Dossier, position: int) -> ProcessStep | None:
    return next((s for s in _steps(dossier) if s.position > position), None)


def _require_task_holder(task: DossierTask | None, actor) -> DossierTask:
    if task is None:
        raise TransitionNotAllowed(_("Hồ sơ không có bước nào đang chờ xử lý."))
    if (
        task.assignee_id
        and task.assignee_id != actor.pk
        and not user_has_role(actor, task.agency_id, Role.LEADER)
    ):
        raise PermissionDenied(
            _("Bước “%(step)s” đang được giao cho %(name)s.") % {"step": task.name, "name": task.assignee}
        )
    _require_role(actor, task.agency_id, task.role, Role.LEADER)
    return task


def _fmt(moment: dt.datetime | None) -> str:
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y") if moment else ""


def _notify_applicant(dossier: Dossier, *, event: DossierEvent, **context) -> None:
    """Tell the applicant about ``event`` on every channel they gave: their account, e-mail and SMS
    (Decree 61/2018 art. 17.2: notices by e-mail or SMS). Texts are the per-event templates in
    ``notifications/templates/notifications/events/``."""
    url = f"/tra-cuu/?code={dossier.code}"
    context.update(
        code=dossier.code,
        procedure=dossier.procedure.name,
        agency=dossier.agency.name,
        status=DossierStatus(event.to_status).label,
        url=f"{settings.EGOV_PUBLIC_URL}{url}",
    )
    notify_citizen(
        event=event.action,
        key=f"dossier:{dossier.pk}:event:{event.pk}",
        context=context,
        user=dossier.applicant_user if dossier.applicant_user_id else None,
        email=dossier.applicant_email,
        phone=dossier.applicant_phone,
        url=url,
    )


def _store_documents(
    dossier: Dossier,
    documents: Sequence[DocumentInput],
    *,
    origin_default: str,
    required: Sequence[RequiredDocument] | None = None,
) -> list[DossierDocument]:
    """Check and store the papers; the caller's transaction holds the rows, files are removed on failure.

    ``required``: the procedure's papers when the caller has read them already."""
    rows = _check_documents(dossier, documents, origin_default=origin_default, required=required)
    return _save_documents(dossier, rows, documents)


def _check_documents(
    dossier: Dossier,
    documents: Sequence[DocumentInput],
    *,
    origin_default: str,
    required: Sequence[RequiredDocument] | None = None,
) -> list[DossierDocument]:
    """The rows of the papers, each file read and checked by content (nothing written yet)."""
    if required is None:
        required = RequiredDocument.objects.filter(procedure_id=dossier.procedure_id)
    required = {r.pk: r for r in required}
    rows: list[DossierDocument] = []
    for doc in documents:
        req = None
        if doc.required_document_id is not None:
            req = required.get(int(doc.required_document_id))
            if req is None:
                raise ValidationFailed(_("Thành phần hồ sơ không thuộc thủ tục này."), field="documents")
        name = (doc.name or (req.name if req else "")).strip()
        if not name:
            raise ValidationFailed(_("Mỗi giấy tờ cần có tên."), field="documents")
        row = DossierDocument(
            dossier=dossier,
            required_document=req,
            name=name[:500],
            quantity=max(1, int(doc.quantity or 1)),
            origin=doc.origin or origin_default,
        )
        content = doc.content
        file_name = doc.file_name
        if doc.file is not None:
            content = read_upload(doc.file)
            file_name = file_name or getattr(doc.file, "name", "") or name
        if content is not None:
            checked = check_upload(name=file_name or name, content=content)
            row.content_type = checked.content_type
            row.size = checked.size
            row.checksum = checked.checksum
            row.origin = DocumentOrigin.UPLOAD if row.origin == DocumentOrigin.PAPER else row.origin
            doc._checked = checked
        elif row.origin == DocumentOrigin.UPLOAD:
            row.origin = DocumentOrigin.PAPER
        rows.append(row)
    return rows


def _save_documents(
    dossier: Dossier, rows: list[DossierDocument], documents: Sequence[DocumentInput]
) -> list[DossierDocument]:
    """Store the checked files under the dossier's code and insert the rows (``_check_documents``)."""
    saved_paths: list[str] = []
    try:
        for row, doc in zip(rows, documents, strict=True):
            checked = doc._checked
            if checked is not None:
                path = default_storage.save(
                    f"dossiers/{dossier.code}/{checked.checksum[:16]}{checked.extension}",
                    ContentFile(checked.content),
                )
                saved_paths.append(path)
                row.file.name = path
        insert(rows)
    except Exception:
        for path in saved_paths:
            default_storage.delete(path)
        raise
    return rows


def missing_documents(dossier: Dossier) -> list[RequiredDocument]:
    """Mandatory papers of the procedure that the dossier does not have yet."""
    have = set(
        dossier.documents.exclude(required_document=None).values_list("required_document_id", flat=True)
    )
    return [
        r
        for r in RequiredDocument.objects.filter(procedure_id=dossier.procedure_id, mandatory=True)
        if r.pk not in have
    ]


def _require_complete(
    dossier: Dossier, incoming: Sequence[DocumentInput] = (), *, new: bool = False
) -> list[RequiredDocument]:
    """Refuse an incomplete dossier, counting the papers about to be stored (so nothing is written first).

    For a new dossier, returns the procedure's papers (for ``_store_documents``, to read them once)."""
    coming = {int(d.required_document_id) for d in incoming if d.required_document_id is not None}
    papers: list[RequiredDocument] = []
    if new:  # nothing stored yet: only the incoming papers count
        papers = required_documents(dossier.procedure_id)
        missing = [r for r in papers if r.mandatory and r.pk not in coming]
    else:
        missing = [r for r in missing_documents(dossier) if r.pk not in coming]
    if missing:
        raise ValidationFailed(
            _("Hồ sơ còn thiếu giấy tờ bắt buộc: %(names)s.") % {"names": "; ".join(r.name for r in missing)},
            code="missing_documents",
            field="documents",
        )
    return papers


def _new_dossier(
    *,
    offering: ProcedureOffering,
    applicant: ApplicantInput,
    channel: str,
    return_method: str,
    subject: str,
    set_count: int,
    form_data: dict | None,
    at: dt.datetime,
) -> Dossier:
    """A new dossier, checked, not saved and without its code: the caller draws the code as late as it
    can (the counter stays locked from the draw to the commit) and inserts the row once."""
    if not offering.is_active or not offering.procedure.is_active:
        raise ValidationFailed(
            _("Thủ tục này hiện không được tiếp nhận tại cơ quan."), code="procedure_inactive"
        )
    name = _require_text(applicant.name, _("Cần nhập họ tên người nộp hồ sơ."), "applicant.name")
    if channel not in Channel.values:
        raise ValidationFailed(_("Hình thức nộp không hợp lệ."), field="channel")
    if return_method not in ReturnMethod.values:
        raise ValidationFailed(_("Hình thức nhận kết quả không hợp lệ."), field="return_method")
    if not 1 <= int(set_count) <= 50:
        raise ValidationFailed(_("Số bộ hồ sơ phải từ 1 đến 50."), field="set_count")
    procedure = offering.procedure
    dossier = Dossier(
        code="",
        offering=offering,
        procedure=procedure,
        agency=offering.agency,
        status="",
        channel=channel,
        return_method=return_method,
        applicant_name=name[:150],
        applicant_id_number=(applicant.id_number or "").strip()[:20],
        applicant_phone=(applicant.phone or "").strip()[:20],
        applicant_email=(applicant.email or "").strip(),
        applicant_address=(applicant.address or "").strip()[:255],
        applicant_user=applicant.user if getattr(applicant.user, "is_authenticated", False) else None,
        subject=(subject or procedure.name)[:500],
        form_data=form_data or {},
        set_count=set_count,
        processing_amount=procedure.processing_amount,
        processing_unit=procedure.processing_unit,
        fee=offering.fee(online=channel == Channel.ONLINE),
        submitted_at=at,
    )
    return dossier


def _start_clock(dossier: Dossier, *, at: dt.datetime) -> None:
    dossier.clock_started_at = at
    dossier.due_at = get_calendar().due(at, dossier.processing_amount, dossier.processing_unit)
    dossier.rescheduled_due_at = None


@dataclass
class _Opening:
    """What opening the first steps needs from the database, read before any counter is drawn."""

    steps: list[ProcessStep]
    hand_over: bool  # the reception step is done by the receiving officer at once
    pool: list | None  # officers told about an unassigned first step


def _plan_opening(dossier: Dossier, *, actor, next_assignee) -> _Opening:
    steps = _steps(dossier)
    if not steps:
        raise ValidationFailed(_("Thủ tục chưa có quy trình xử lý tại cơ quan này."), code="no_process")
    hand_over = (
        steps[0].role == Role.RECEPTION
        and user_has_role(actor, dossier.agency_id, Role.RECEPTION)
        and len(steps) > 1
    )
    first = steps[1] if hand_over else steps[0]
    pool = None if next_assignee is not None else officers_holding(dossier.agency_id, first.role)
    return _Opening(steps=steps, hand_over=hand_over, pool=pool)


def _begin_processing(
    dossier: Dossier,
    *,
    actor,
    at: dt.datetime,
    next_assignee=None,
    note: str = "",
    opening: _Opening | None = None,
) -> None:
    """Open the first step; a reception step is done by the receiving officer at once (the hand-over)."""
    starts = _opening_starts(dossier, actor=actor, next_assignee=next_assignee, note=note, opening=opening)
    _start_tasks(dossier, starts, at=at)


def _opening_starts(
    dossier: Dossier, *, actor, next_assignee, note: str, opening: _Opening | None = None
) -> list[_TaskStart]:
    opening = opening or _plan_opening(dossier, actor=actor, next_assignee=next_assignee)
    steps = opening.steps
    starts = []
    if opening.hand_over:
        starts.append(_TaskStart(steps[0], assignee=actor, handed_over_by=actor, done=("handed_over", note)))
    step = steps[1] if opening.hand_over else steps[0]
    starts.append(_TaskStart(step, assignee=next_assignee, handed_over_by=actor, pool=opening.pool))
    return starts


# ---- submission and reception ------------------------------------------------------------------


@transaction.atomic
def dossier_submit(
    *,
    offering: ProcedureOffering,
    applicant: ApplicantInput,
    documents: Sequence[DocumentInput],
    actor=None,
    channel: str = Channel.ONLINE,
    return_method: str = ReturnMethod.ONLINE,
    subject: str = "",
    form_data: dict | None = None,
    set_count: int = 1,
) -> Dossier:
    """Online submission (Decree 61/2018 art. 17.2): the dossier waits for the one-stop shop's check."""
    at = timezone.now()
    dossier = _new_dossier(
        offering=offering,
        applicant=applicant,
        channel=channel,
        return_method=return_method,
        subject=subject,
        set_count=set_count,
        form_data=form_data,
        at=at,
    )
    papers = _require_complete(dossier, documents, new=True)
    # The files are read and checked (PDF structure, encryption, scripts) before the day's code is drawn:
    # its counter row stays locked until the commit, and every reception of the agency that day, at the
    # counter too, waits on it.
    rows = _check_documents(dossier, documents, origin_default=DocumentOrigin.UPLOAD, required=papers)
    dossier.code = _dossier_code(offering.agency, at)[0]
    # The new dossier is inserted here once, already submitted.
    event = transition(dossier, action=DossierAction.SUBMIT, to=DossierStatus.SUBMITTED, actor=actor, at=at)
    _save_documents(dossier, rows, documents)
    notify_users(
        users=officers_with_role(dossier.agency_id, Role.RECEPTION),
        event="dossier_submitted",
        key=f"submitted:{dossier.pk}",
        title=_("Hồ sơ trực tuyến mới %(code)s") % {"code": dossier.code},
        body=dossier.procedure.name,
        url=f"/one-stop/{dossier.code}/",
    )
    _notify_applicant(dossier, event=event)
    return dossier


@transaction.atomic
def dossier_receive_at_counter(
    *,
    offering: ProcedureOffering,
    applicant: ApplicantInput,
    documents: Sequence[DocumentInput],
    actor,
    return_method: str = ReturnMethod.COUNTER,
    subject: str = "",
    set_count: int = 1,
    next_assignee=None,
    channel: str = Channel.COUNTER,
    form_data: dict | None = None,
) -> Dossier:
    """Counter reception of a complete dossier with the receipt (Mẫu 01, Decree 61/2018 art. 17.1.c)."""
    _require_role(actor, offering.agency_id, Role.RECEPTION)
    at = timezone.now()
    dossier = _new_dossier(
        offering=offering,
        applicant=applicant,
        channel=channel,
        return_method=return_method,
        subject=subject,
        set_count=set_count,
        form_data=form_data,
        at=at,
    )
    papers = _require_complete(dossier, documents, new=True)
    opening = _plan_opening(dossier, actor=actor, next_assignee=next_assignee)
    starts = _opening_starts(dossier, actor=actor, next_assignee=next_assignee, note="", opening=opening)
    # The day's code and the year's register number are drawn last. Their counter rows stay locked from
    # the draw to the commit, and every reception of the agency that day waits on them, so everything
    # that does not need the code is done first: the dossier is inserted under a provisional code nobody
    # else can see (the transaction is uncommitted), uploaded files are checked, papers on paper and the
    # tasks are written. After the draw come only the code itself, the receipt event (with the register
    # number), the files (stored under the code) and the notices, which quote the code. A reception that
    # fails gives its numbers back, as before.
    dossier.code = f"~{uuid.uuid4().hex}"
    dossier.received_at = at
    _start_clock(dossier, at=at)
    insert([dossier])
    rows = _check_documents(dossier, documents, origin_default=DocumentOrigin.PAPER, required=papers)
    files = any(doc._checked is not None for doc in documents)
    stored = None if files else _save_documents(dossier, rows, documents)  # files go under the code
    tasks = _start_tasks(dossier, starts, at=at, announce=False)

    _draw_numbers(dossier, at=at, status=DossierStatus.PROCESSING)
    event = transition(
        dossier,
        save=False,
        action=DossierAction.RECEIVE,
        to=DossierStatus.PROCESSING,
        actor=actor,
        at=at,
        data={"due_at": dossier.due_at.isoformat(), "register_number": dossier.register_number},
    )
    if files:
        stored = _save_documents(dossier, rows, documents)
    _announce_tasks(dossier, starts, tasks)
    # Everything the new dossier has was written here: its answer needs no read-back.
    remember_written(dossier, tasks=tasks, documents=stored, events=[event])
    _notify_applicant(dossier, event=event, due=_fmt(dossier.due_at))
    return dossier


_DOSSIER_TABLE = Dossier._meta.db_table
# The draw of ``numbering.next_values`` and the UPDATE of the dossier, in one round trip: the code is
# ``<agency code>-<YYMMDD>-`` and the day's number on at least 4 digits, as ``_dossier_code`` writes it.
_DRAW_AND_SAVE_NUMBERS = (
    f"WITH drawn AS ({draw_statement(2)}) "  # noqa: S608 - table names are ours, values are parameters
    f"UPDATE {_DOSSIER_TABLE} SET code = %s || lpad(day.value::text, greatest(4, length(day.value::text)), '0'), "
    "register_number = year.value, status = %s, updated_at = %s "
    "FROM drawn day, drawn year WHERE day.scope = %s AND year.scope = %s AND id = %s "
    f"RETURNING {_DOSSIER_TABLE}.code, {_DOSSIER_TABLE}.register_number"
)


def _draw_numbers(dossier: Dossier, *, at: dt.datetime, status: str) -> None:
    """Draw the code and register number of a dossier inserted moments ago under a provisional code, and
    write them with its new ``status`` (``_dossier_code``'s counters, in the same order). On PostgreSQL
    the draw and the UPDATE are one statement, to keep the counters locked for one round trip less."""
    agency = dossier.agency
    day = at.astimezone(LOCAL_TZ).strftime("%y%m%d")
    code_scope, register_scope = f"dossier:{agency.code}:{day}", _register_scope(agency, at)
    dossier.updated_at = timezone.now()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _DRAW_AND_SAVE_NUMBERS,
                [code_scope, register_scope, f"{agency.code}-{day}-", status, dossier.updated_at]
                + [code_scope, register_scope, dossier.pk],
            )
            dossier.code, dossier.register_number = cursor.fetchone()
            return
        dossier.code, dossier.register_number = _dossier_code(agency, at, register_number=True)
        cursor.execute(
            f"UPDATE {_DOSSIER_TABLE} SET code = %s, register_number = %s, status = %s, updated_at = %s "  # noqa: S608
            "WHERE id = %s",
            [dossier.code, dossier.register_number, status, dossier.updated_at, dossier.pk],
        )


def _require_paid(dossier: Dossier) -> None:
    """An online dossier whose procedure carries a fee goes to processing only once the fee is paid
    (Decree 61/2018 art. 22: paid online through the one-stop system); counter dossiers pay at the counter."""
    if dossier.channel == Channel.ONLINE and payment_required(dossier) and not dossier_is_paid(dossier):
        raise TransitionNotAllowed(
            _(
                "Hồ sơ %(code)s chưa nộp phí, lệ phí %(fee)s đồng: chỉ tiếp nhận sau khi người nộp đã thanh toán trực tuyến."
            )
            % {"code": dossier.code, "fee": format_vnd(dossier.fee)},
            code="payment_required",
        )


@transaction.atomic
def dossier_receive(*, dossier: Dossier, actor, next_assignee=None, note: str = "") -> Dossier:
    """Accept an online dossier after checking it (Mẫu 01); a fee due online must be paid first."""
    dossier = _lock(dossier)
    _require_role(actor, dossier.agency_id, Role.RECEPTION)
    check(DossierAction.RECEIVE, dossier.status)
    _require_complete(dossier)
    _require_paid(dossier)
    return _receive(dossier, actor=actor, at=timezone.now(), next_assignee=next_assignee, note=note)


@transaction.atomic
def dossier_record_payment(*, dossier: Dossier, actor, payment) -> DossierEvent:
    """The fee is paid: one line in the dossier's history, the status unchanged (Decree 61/2018 art. 22:
    the payment proof goes with the dossier). Called through the payments app's ``payment_paid`` hook,
    inside the transaction that confirms the payment."""
    dossier = _lock(dossier)
    return transition(
        dossier,
        action=DossierAction.PAY,
        actor=actor,
        note=_("Đã nộp %(amount)s đồng, biên lai số %(number)s.")
        % {"amount": format_vnd(payment.amount), "number": payment.receipt_label},
        data={
            "txn_ref": payment.txn_ref,
            "amount": payment.amount,
            "gateway": payment.gateway,
            "receipt_number": payment.receipt_label,
        },
    )


def _receive(
    dossier: Dossier,
    *,
    actor,
    at: dt.datetime,
    next_assignee,
    note: str,
) -> Dossier:
    """Receipt (Mẫu 01) of a dossier submitted online: the clock starts, the dossier enters the yearly
    register and its first step opens."""
    dossier.received_at = at
    _start_clock(dossier, at=at)
    if dossier.register_number is None:
        dossier.register_number = next_value(_register_scope(dossier.agency, at))
    event = transition(
        dossier,
        save=False,
        action=DossierAction.RECEIVE,
        to=DossierStatus.PROCESSING,
        actor=actor,
        at=at,
        note=note,
        data={"due_at": dossier.due_at.isoformat(), "register_number": dossier.register_number},
    )
    dossier.save(
        update_fields=[
            "status",
            "received_at",
            "clock_started_at",
            "due_at",
            "rescheduled_due_at",
            "register_number",
            "updated_at",
        ]
    )
    _begin_processing(dossier, actor=actor, at=at, next_assignee=next_assignee, note=note)
    _notify_applicant(dossier, event=event, due=_fmt(dossier.due_at))
    return dossier


@transaction.atomic
def dossier_request_supplement(*, dossier: Dossier, actor, items: Iterable[str], reason: str) -> Dossier:
    """Phiếu yêu cầu bổ sung (Mẫu 02): everything missing at once; during processing, within the window
    after receipt (3 working days, Decree 61/2018 art. 17.1.a); the clock restarts on the complete dossier."""
    dossier = _lock(dossier)
    check(DossierAction.REQUEST_SUPPLEMENT, dossier.status)
    items = [i.strip() for i in items if i and i.strip()]
    if not items:
        raise ValidationFailed(_("Cần nêu ít nhất một nội dung cần bổ sung."), field="items")
    reason = _require_text(reason, _("Cần nêu lý do yêu cầu bổ sung."), "reason")
    at = timezone.now()
    during = dossier.status == DossierStatus.PROCESSING
    resume_position = None
    if during:
        task = (
            _require_task_holder(_open_task(dossier), actor)
            if not user_has_role(actor, dossier.agency_id, Role.RECEPTION)
            else _open_task(dossier)
        )
        window = int(getattr(settings, "EGOV_SUPPLEMENT_WINDOW_WORKING_DAYS", 3))
        if window and at > get_calendar().due(dossier.clock_started_at, window, TimeUnit.WORKING_DAYS):
            raise TransitionNotAllowed(
                _(
                    "Đã quá %(n)s ngày làm việc kể từ khi tiếp nhận: không thể yêu cầu bổ sung; hãy xin lỗi và hẹn lại hoặc trả lời không giải quyết."
                )
                % {"n": window}
            )
        if task is not None:
            resume_position = task.position
            _finish_task(task, actor=actor, at=at, outcome="supplement_requested", note=reason)
    else:
        _require_role(actor, dossier.agency_id, Role.RECEPTION)
    SupplementRequest.objects.create(
        dossier=dossier,
        requested_by=actor,
        requested_at=at,
        items=items,
        reason=reason,
        during_processing=during,
        resume_position=resume_position,
    )
    event = transition(
        dossier,
        action=DossierAction.REQUEST_SUPPLEMENT,
        to=DossierStatus.SUPPLEMENT_REQUESTED,
        actor=actor,
        at=at,
        note=reason,
        data={"items": items},
    )
    _notify_applicant(dossier, event=event, items=items, reason=reason)
    return dossier


@transaction.atomic
def dossier_supplement(
    *, dossier: Dossier, actor, documents: Sequence[DocumentInput], note: str = ""
) -> Dossier:
    """The applicant hands in what was asked; processing time restarts (Decree 61/2018 art. 19.4)."""
    dossier = _lock(dossier)
    check(DossierAction.SUPPLEMENT, dossier.status)
    is_applicant = actor is not None and actor.is_authenticated and dossier.applicant_user_id == actor.pk
    if not is_applicant:
        _require_role(actor, dossier.agency_id, Role.RECEPTION)
    if not documents and not (note or "").strip():
        raise ValidationFailed(_("Cần nộp giấy tờ bổ sung hoặc ghi chú nội dung bổ sung."), field="documents")
    request = dossier.supplement_requests.filter(fulfilled_at__isnull=True).order_by("-requested_at").first()
    at = timezone.now()
    _store_documents(dossier, documents, origin_default=DocumentOrigin.UPLOAD)
    if request:
        request.fulfilled_at = at
        request.save(update_fields=["fulfilled_at"])
    if request and request.during_processing:
        _start_clock(dossier, at=at)
        event = transition(
            dossier,
            save=False,
            action=DossierAction.SUPPLEMENT,
            to=DossierStatus.PROCESSING,
            actor=actor,
            at=at,
            note=note,
            data={"due_at": dossier.due_at.isoformat()},
        )
        dossier.save(
            update_fields=["status", "clock_started_at", "due_at", "rescheduled_due_at", "updated_at"]
        )
        step = (
            next((s for s in _steps(dossier) if s.position == request.resume_position), None)
            or _steps(dossier)[0]
        )
        previous = (
            DossierTask.objects.filter(dossier=dossier, position=step.position)
            .order_by("-started_at")
            .first()
        )
        _start_task(dossier, step, at=at, assignee=previous.assignee if previous else None)
    else:
        event = transition(
            dossier,
            action=DossierAction.SUPPLEMENT,
            to=DossierStatus.SUBMITTED,
            actor=actor,
            at=at,
            note=note,
        )
        notify_users(
            users=officers_with_role(dossier.agency_id, Role.RECEPTION),
            event="dossier_supplemented",
            key=f"supplemented:{event.pk}",
            title=_("Hồ sơ %(code)s đã được bổ sung") % {"code": dossier.code},
            url=f"/one-stop/{dossier.code}/",
        )
    _notify_applicant(
        dossier, event=event, due=_fmt(dossier.due_at) if dossier.status == DossierStatus.PROCESSING else ""
    )
    return dossier


@transaction.atomic
def dossier_refuse(*, dossier: Dossier, actor, reason: str) -> Dossier:
    """Phiếu từ chối tiếp nhận (Mẫu 03, Decree 61/2018 art. 17.1.b)."""
    dossier = _lock(dossier)
    _require_role(actor, dossier.agency_id, Role.RECEPTION)
    check(DossierAction.REFUSE, dossier.status)
    reason = _require_text(reason, _("Cần nêu lý do từ chối."), "reason")
    at = timezone.now()
    dossier.closed_at = at
    event = transition(
        dossier,
        save=False,
        action=DossierAction.REFUSE,
        to=DossierStatus.REFUSED,
        actor=actor,
        at=at,
        note=reason,
    )
    dossier.save(update_fields=["status", "closed_at", "updated_at"])
    _notify_applicant(dossier, event=event, reason=reason)
    return dossier


# ---- processing ----------------------------------------------------------------------------------


@transaction.atomic
def dossier_assign(*, dossier: Dossier, actor, assignee) -> DossierTask:
    """A leader (or the current holder) gives the open step to an officer who holds its role."""
    dossier = _lock(dossier)
    check(DossierAction.ASSIGN, dossier.status)
    task = _open_task(dossier)
    if task is None:
        raise TransitionNotAllowed(_("Hồ sơ không có bước nào đang chờ xử lý."))
    if not (
        user_has_role(actor, dossier.agency_id, Role.LEADER, Role.AGENCY_ADMIN)
        or task.assignee_id == actor.pk
        or (task.assignee_id is None and user_has_role(actor, dossier.agency_id, task.role))
    ):
        raise PermissionDenied(_("Chỉ lãnh đạo hoặc người đang giữ hồ sơ mới được phân công."))
    if assignee is None or not user_has_role(assignee, dossier.agency_id, task.role):
        raise ValidationFailed(
            _("Người được phân công phải giữ vai trò “%(role)s” tại cơ quan.")
            % {"role": Role(task.role).label},
            field="assignee",
        )
    task.assignee = assignee
    task.save(update_fields=["assignee"])
    transition(
        dossier,
        action=DossierAction.ASSIGN,
        actor=actor,
        data={"task": task.name, "assignee": assignee.display_name},
    )
    notify_users(
        users=[assignee],
        event="task_assigned",
        key=f"assign:{task.pk}:{assignee.pk}:{timezone.now().timestamp()}",
        title=_("Bạn được giao hồ sơ %(code)s: %(step)s") % {"code": dossier.code, "step": task.name},
        body=_("Hạn xử lý bước: %(due)s.") % {"due": _fmt(task.due_at)},
        url=f"/one-stop/{dossier.code}/",
    )
    return task


@transaction.atomic
def dossier_complete_step(*, dossier: Dossier, actor, note: str = "", next_assignee=None) -> Dossier:
    """Finish the current step and hand the dossier to the next one (a line of the control sheet, Mẫu 05)."""
    dossier = _lock(dossier)
    check(DossierAction.COMPLETE_STEP, dossier.status)
    task = _require_task_holder(_open_task(dossier), actor)
    if task.is_decision:
        raise TransitionNotAllowed(
            _("Bước “%(step)s” cần lãnh đạo phê duyệt hoặc không giải quyết.") % {"step": task.name}
        )
    step = _next_step(dossier, task.position)
    if step is None:
        raise TransitionNotAllowed(_("Đây là bước cuối; hãy cập nhật kết quả hoặc trả kết quả."))
    at = timezone.now()
    _finish_task(task, actor=actor, at=at, outcome="handed_over", note=note)
    _start_task(dossier, step, at=at, assignee=next_assignee, handed_over_by=actor)
    transition(
        dossier,
        action=DossierAction.COMPLETE_STEP,
        actor=actor,
        at=at,
        note=note,
        data={
            "from_step": task.name,
            "to_step": step.name,
            "to": next_assignee.display_name if next_assignee else "",
        },
    )
    return dossier


@transaction.atomic
def dossier_consult(
    *,
    dossier: Dossier,
    actor,
    agency: Agency,
    question: str,
    amount: Decimal = Decimal("2"),
    unit: str = TimeUnit.WORKING_DAYS,
) -> Consultation:
    """Ask another agency's opinion (Decree 61/2018 art. 19.5.b); its reply is recorded on the dossier."""
    dossier = _lock(dossier)
    check(DossierAction.CONSULT, dossier.status)
    _require_task_holder(_open_task(dossier), actor)
    question = _require_text(question, _("Cần nêu nội dung xin ý kiến."), "question")
    if agency is None or agency.pk == dossier.agency_id:
        raise ValidationFailed(_("Hãy chọn một cơ quan khác để xin ý kiến."), field="agency")
    at = timezone.now()
    consultation = Consultation.objects.create(
        dossier=dossier,
        agency=agency,
        question=question,
        requested_by=actor,
        requested_at=at,
        due_at=get_calendar().due(at, amount, unit),
    )
    transition(
        dossier,
        action=DossierAction.CONSULT,
        to=DossierStatus.CONSULTING,
        actor=actor,
        at=at,
        note=question,
        data={"agency": agency.name, "consultation": consultation.pk},
    )
    notify_users(
        users=list(leaders_of(agency.pk)) + list(officers_with_role(agency.pk, Role.SPECIALIST)),
        event="consultation",
        key=f"consultation:{consultation.pk}",
        title=_("Xin ý kiến về hồ sơ %(code)s") % {"code": dossier.code},
        body=question,
        url=f"/one-stop/{dossier.code}/",
    )
    return consultation


@transaction.atomic
def dossier_answer_consultation(*, consultation: Consultation, actor, answer: str) -> Dossier:
    dossier = _lock(consultation.dossier)
    check(DossierAction.ANSWER_CONSULTATION, dossier.status)
    consultation = (
        Consultation.objects.select_for_update().filter(pk=consultation.pk, dossier=dossier).first()
    )
    if consultation is None:
        raise NotFound(_("Không có yêu cầu xin ý kiến này."))
    _require_role(actor, consultation.agency_id, Role.SPECIALIST, Role.LEADER)
    if consultation.answered_at:
        raise TransitionNotAllowed(_("Cơ quan đã trả lời xin ý kiến này."))
    answer = _require_text(answer, _("Cần nhập nội dung trả lời."), "answer")
    at = timezone.now()
    consultation.answer, consultation.answered_by, consultation.answered_at = answer, actor, at
    consultation.save(update_fields=["answer", "answered_by", "answered_at"])
    pending = dossier.consultations.filter(answered_at__isnull=True).exists()
    transition(
        dossier,
        action=DossierAction.ANSWER_CONSULTATION,
        to=DossierStatus.CONSULTING if pending else DossierStatus.PROCESSING,
        actor=actor,
        at=at,
        note=answer,
        data={"agency": consultation.agency.name, "consultation": consultation.pk},
    )
    notify_users(
        users=[consultation.requested_by],
        event="consultation_answered",
        key=f"consultation-answer:{consultation.pk}",
        title=_("%(agency)s đã trả lời xin ý kiến hồ sơ %(code)s")
        % {"agency": consultation.agency.name, "code": dossier.code},
        body=answer,
        url=f"/one-stop/{dossier.code}/",
    )
    return dossier


def _decide(dossier: Dossier, *, actor, action: str, to: str, note: str, next_assignee=None) -> Dossier:
    task = _open_task(dossier)
    if task is None or not task.is_decision:
        raise TransitionNotAllowed(_("Hồ sơ chưa đến bước phê duyệt."))
    _require_role(actor, dossier.agency_id, Role.LEADER)
    at = timezone.now()
    _finish_task(task, actor=actor, at=at, outcome=action, note=note)
    dossier.decided_at = at
    dossier.decision_reason = note
    fields = ["status", "decided_at", "decision_reason", "updated_at"]
    if to == DossierStatus.DENIED:
        dossier.finished_at = at  # the reasoned refusal is the result (Decree 61/2018 art. 19.8)
        fields.append("finished_at")
    event = transition(dossier, action=action, to=to, actor=actor, at=at, note=note, save=False)
    dossier.save(update_fields=fields)
    step = _next_step(dossier, task.position)
    if step is not None:
        _start_task(dossier, step, at=at, assignee=next_assignee, handed_over_by=actor)
    if to == DossierStatus.DENIED:
        _notify_applicant(dossier, event=event, reason=note)
    return dossier


@transaction.atomic
def dossier_approve(*, dossier: Dossier, actor, note: str = "", next_assignee=None) -> Dossier:
    """The leader approves the result on the decision step."""
    dossier = _lock(dossier)
    check(DossierAction.APPROVE, dossier.status)
    return _decide(
        dossier,
        actor=actor,
        action=DossierAction.APPROVE,
        to=DossierStatus.APPROVED,
        note=note,
        next_assignee=next_assignee,
    )


@transaction.atomic
def dossier_deny(*, dossier: Dossier, actor, reason: str) -> Dossier:
    """The leader refuses to grant the request, with reasons written for the applicant."""
    dossier = _lock(dossier)
    check(DossierAction.DENY, dossier.status)
    reason = _require_text(reason, _("Cần nêu rõ lý do không giải quyết."), "reason")
    return _decide(dossier, actor=actor, action=DossierAction.DENY, to=DossierStatus.DENIED, note=reason)


@transaction.atomic
def dossier_mark_result_ready(*, dossier: Dossier, actor, result_file=None, note: str = "") -> Dossier:
    """The result is issued and waits at the one-stop shop (or goes out online/by post)."""
    dossier = _lock(dossier)
    check(DossierAction.RESULT_READY, dossier.status)
    _require_role(actor, dossier.agency_id, Role.RECEPTION, Role.SPECIALIST, Role.CLERK, Role.LEADER)
    at = timezone.now()
    if result_file is not None:
        _store_documents(
            dossier,
            [
                DocumentInput(
                    name=_("Kết quả: %(r)s") % {"r": dossier.procedure.result},
                    origin=DocumentOrigin.RESULT,
                    file=result_file,
                )
            ],
            origin_default=DocumentOrigin.RESULT,
        )
    dossier.finished_at = at
    event = transition(
        dossier,
        save=False,
        action=DossierAction.RESULT_READY,
        to=DossierStatus.RESULT_READY,
        actor=actor,
        at=at,
        note=note,
    )
    dossier.save(update_fields=["status", "finished_at", "updated_at"])
    where = ReturnMethod(dossier.return_method).label
    _notify_applicant(dossier, event=event, where=where)
    from .vault import vault_store_result  # local: vault.py builds DocumentInputs from this module

    vault_store_result(dossier=dossier)
    return dossier


@transaction.atomic
def dossier_return(*, dossier: Dossier, actor, method: str | None = None, note: str = "") -> Dossier:
    """Hand the result (or the reasoned denial) to the applicant: counter, post or online."""
    dossier = _lock(dossier)
    check(DossierAction.RETURN, dossier.status)
    _require_role(actor, dossier.agency_id, Role.RECEPTION)
    if method is not None and method not in ReturnMethod.values:
        raise ValidationFailed(_("Hình thức trả kết quả không hợp lệ."), field="method")
    at = timezone.now()
    task = _open_task(dossier)
    if task is not None:
        _finish_task(task, actor=actor, at=at, outcome="returned", note=note)
    dossier.return_method = method or dossier.return_method
    dossier.returned_at = at
    dossier.closed_at = at
    event = transition(
        dossier,
        save=False,
        action=DossierAction.RETURN,
        to=DossierStatus.RETURNED,
        actor=actor,
        at=at,
        note=note,
        data={"method": dossier.return_method},
    )
    dossier.save(update_fields=["status", "return_method", "returned_at", "closed_at", "updated_at"])
    _notify_applicant(dossier, event=event)
    return dossier


@transaction.atomic
def dossier_apologize(*, dossier: Dossier, actor, reason: str, new_due_at: dt.datetime) -> Dossier:
    """Apology slip (Mẫu 04): at least one day before the due date, once per dossier (Decree 61/2018 art. 19.9)."""
    dossier = _lock(dossier)
    check(DossierAction.APOLOGIZE, dossier.status)
    _require_role(actor, dossier.agency_id, Role.LEADER, Role.RECEPTION)
    reason = _require_text(reason, _("Cần nêu lý do chậm trả kết quả."), "reason")
    if (
        dossier.rescheduled_due_at
        or dossier.events.filter(
            action=DossierAction.APOLOGIZE, created_at__gte=dossier.clock_started_at
        ).exists()
    ):
        raise TransitionNotAllowed(
            _("Hồ sơ đã được hẹn lại một lần; chỉ được hẹn lại ngày trả kết quả một lần.")
        )
    if new_due_at is None or timezone.is_naive(new_due_at):
        raise ValidationFailed(_("Ngày hẹn mới không hợp lệ."), field="new_due_at")
    at = timezone.now()
    due_day = dossier.due_at.astimezone(LOCAL_TZ).date()
    if at.astimezone(LOCAL_TZ).date() > due_day - dt.timedelta(days=1):
        raise TransitionNotAllowed(
            _("Phiếu xin lỗi phải gửi chậm nhất 01 ngày trước ngày hẹn trả (%(due)s).")
            % {"due": _fmt(dossier.due_at)}
        )
    if new_due_at <= dossier.due_at:
        raise ValidationFailed(
            _("Ngày hẹn mới phải sau ngày hẹn cũ (%(due)s).") % {"due": _fmt(dossier.due_at)},
            field="new_due_at",
        )
    dossier.rescheduled_due_at = new_due_at
    dossier.apology_reason = reason
    event = transition(
        dossier,
        action=DossierAction.APOLOGIZE,
        actor=actor,
        at=at,
        note=reason,
        data={"old_due_at": dossier.due_at.isoformat(), "new_due_at": new_due_at.isoformat()},
    )
    dossier.save(update_fields=["rescheduled_due_at", "apology_reason", "updated_at"])
    _notify_applicant(dossier, event=event, reason=reason, new_due=_fmt(new_due_at))
    return dossier


@transaction.atomic
def dossier_withdraw(*, dossier: Dossier, actor, reason: str) -> Dossier:
    """The applicant withdraws (in person at the counter or online) before a result exists."""
    dossier = _lock(dossier)
    check(DossierAction.WITHDRAW, dossier.status)
    is_applicant = actor is not None and actor.is_authenticated and dossier.applicant_user_id == actor.pk
    if not is_applicant:
        _require_role(actor, dossier.agency_id, Role.RECEPTION)
    reason = _require_text(reason, _("Cần nêu lý do rút hồ sơ."), "reason")
    at = timezone.now()
    task = _open_task(dossier)
    if task is not None:
        _finish_task(task, actor=actor, at=at, outcome="withdrawn", note=reason)
    dossier.closed_at = at
    event = transition(
        dossier,
        save=False,
        action=DossierAction.WITHDRAW,
        to=DossierStatus.WITHDRAWN,
        actor=actor,
        at=at,
        note=reason,
    )
    dossier.save(update_fields=["status", "closed_at", "updated_at"])
    _notify_applicant(dossier, event=event, reason=reason)
    return dossier


# ---- deadlines ---------------------------------------------------------------------------------------


def dossier_scan_deadlines(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Find overdue and due-soon dossiers and overdue steps; notify the assignee and the leaders once each.

    Run every few minutes by ``manage.py scan_deadlines`` (cron or a systemd timer). Each dossier is
    handled in its own short transaction so one failure does not hold back the rest.
    """
    from .transitions import OPEN_STATUSES

    now = now or timezone.now()
    calendar = get_calendar()
    soon_hours = Decimal(settings.EGOV_DUE_SOON_WORKING_HOURS)
    counts = {"overdue": 0, "due_soon": 0, "overdue_steps": 0}
    candidates = Dossier.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True)
    for pk in candidates.iterator():
        with transaction.atomic():
            dossier = (
                Dossier.objects.select_for_update(skip_locked=True)
                .select_related("agency")
                .filter(pk=pk)
                .first()
            )
            if dossier is None or dossier.status not in OPEN_STATUSES or dossier.effective_due_at is None:
                continue
            task = _open_task(dossier)
            holders = (
                [task.assignee]
                if task and task.assignee
                else (list(officers_with_role(dossier.agency_id, task.role)) if task else [])
            )
            recipients = holders + list(leaders_of(dossier.agency_id))
            due = dossier.effective_due_at
            if due <= now and dossier.overdue_notified_at is None:
                dossier.overdue_notified_at = now
                dossier.save(update_fields=["overdue_notified_at"])
                transition(dossier, action=DossierAction.OVERDUE, at=now, data={"due_at": due.isoformat()})
                notify_users(
                    users=recipients,
                    event="dossier_overdue",
                    key=f"overdue:{dossier.pk}:{due.isoformat()}",
                    title=_("Hồ sơ %(code)s đã quá hạn") % {"code": dossier.code},
                    body=_("Hạn trả kết quả: %(due)s.") % {"due": _fmt(due)},
                    url=f"/one-stop/{dossier.code}/",
                )
                counts["overdue"] += 1
            elif (
                due > now
                and dossier.due_soon_notified_at is None
                and calendar.working_hours_between(now, due) <= soon_hours
            ):
                dossier.due_soon_notified_at = now
                dossier.save(update_fields=["due_soon_notified_at"])
                notify_users(
                    users=recipients,
                    event="dossier_due_soon",
                    key=f"due-soon:{dossier.pk}:{due.isoformat()}",
                    title=_("Hồ sơ %(code)s sắp đến hạn") % {"code": dossier.code},
                    body=_("Hạn trả kết quả: %(due)s.") % {"due": _fmt(due)},
                    url=f"/one-stop/{dossier.code}/",
                )
                counts["due_soon"] += 1
            if task is not None and task.due_at <= now and task.overdue_notified_at is None:
                task.overdue_notified_at = now
                task.save(update_fields=["overdue_notified_at"])
                notify_users(
                    users=holders + list(leaders_of(dossier.agency_id)),
                    event="step_overdue",
                    key=f"step-overdue:{task.pk}",
                    title=_("Bước “%(step)s” của hồ sơ %(code)s đã quá hạn")
                    % {"step": task.name, "code": dossier.code},
                    body=_("Hạn xử lý bước: %(due)s.") % {"due": _fmt(task.due_at)},
                    url=f"/one-stop/{dossier.code}/",
                )
                counts["overdue_steps"] += 1
    return counts


def dossier_get(*, code: str) -> Dossier:
    dossier = Dossier.objects.select_related("agency", "procedure", "offering").filter(code=code).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    return dossier


def dossier_record_read(
    *, dossier: Dossier, user, channel: str, document: DossierDocument | None = None
) -> DossierRead:
    """Record that an officer opened ``dossier`` (page or API) or downloaded one of its papers: the
    applicant's personal data was read. Called by the views after ``selectors.dossier_for_officer`` let
    the officer see it; the agency is the officer's own that owns the dossier, else the consulted one."""
    agencies = user_agency_ids(user)
    consulted = dossier.agency_id not in agencies
    agency_id = dossier.agency_id
    if consulted:
        agency_id = (
            dossier.consultations.filter(agency_id__in=agencies)
            .order_by("-requested_at")
            .values_list("agency_id", flat=True)
            .first()
        )
    return DossierRead.objects.create(
        dossier=dossier,
        user=user,
        agency_id=agency_id,
        consulted=consulted,
        channel=channel,
        document=document,
        at=timezone.now(),
    )
