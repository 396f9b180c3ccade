"""Reads of the one-stop shop: what an officer may see and do, worklists, timelines, public status."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from egov.accounts.choices import Role
from egov.accounts.selectors import user_agency_ids, user_has_role
from egov.core.calendar import LOCAL_TZ, get_calendar
from egov.core.errors import NotFound

from .choices import DossierAction as A
from .choices import DossierStatus as S
from .choices import Timeliness
from .models import Dossier, DossierDocument, DossierEvent, DossierRead, DossierTask
from .transitions import is_allowed


def dossiers_visible_to(user) -> QuerySet[Dossier]:
    """Dossiers of the officer's agencies, plus those on which one of their agencies was consulted."""
    agencies = user_agency_ids(user)
    if not agencies:
        return Dossier.objects.none()
    return Dossier.objects.filter(
        Q(agency_id__in=agencies) | Q(consultations__agency_id__in=agencies)
    ).distinct()


def dossier_for_officer(*, user, code: str) -> Dossier:
    """The dossier if ``user`` may see it; otherwise NotFound (not Forbidden: its existence is not revealed)."""
    dossier = Dossier.objects.select_related("agency", "procedure", "offering").filter(code=code).first()
    if dossier is None:
        raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    agencies = user_agency_ids(user)
    if dossier.agency_id in agencies or dossier.consultations.filter(agency_id__in=agencies).exists():
        return dossier
    raise NotFound(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})


def current_task(dossier: Dossier) -> DossierTask | None:
    return (
        dossier.tasks.filter(finished_at__isnull=True)
        .select_related("assignee")
        .order_by("-started_at", "-id")
        .first()
    )


_UNREAD = object()


def open_task_of(tasks: Iterable[DossierTask]) -> DossierTask | None:
    """``current_task`` among tasks already read: the latest unfinished one."""
    return max((t for t in tasks if t.finished_at is None), key=lambda t: (t.started_at, t.pk), default=None)


def allowed_actions(*, dossier: Dossier, user, task=_UNREAD) -> list[str]:
    """The actions ``user`` may take on ``dossier`` now (the services check again when they run).

    ``task``: the open task when the caller has it already (``open_task_of``), to save a query."""
    agency = dossier.agency_id
    status = dossier.status
    if task is _UNREAD:
        task = current_task(dossier)
    actions: list[str] = []

    def can(action: str) -> bool:
        return is_allowed(action, status)

    reception = user_has_role(user, agency, Role.RECEPTION)
    leader = user_has_role(user, agency, Role.LEADER)
    holds_task = bool(
        task
        and (
            task.assignee_id == user.pk
            or (task.assignee_id is None and user_has_role(user, agency, task.role))
            or leader
        )
    )
    if reception:
        for action in (A.RECEIVE, A.REFUSE):
            if can(action):
                actions.append(action)
        if can(A.REQUEST_SUPPLEMENT) and status == S.SUBMITTED:
            actions.append(A.REQUEST_SUPPLEMENT)
        if can(A.SUPPLEMENT):
            actions.append(A.SUPPLEMENT)
        if can(A.RETURN):
            actions.append(A.RETURN)
        if can(A.WITHDRAW):
            actions.append(A.WITHDRAW)
    if task is not None and holds_task:
        if status == S.PROCESSING and task.is_decision and leader:
            actions += [A.APPROVE, A.DENY]
        if status == S.PROCESSING and not task.is_decision and _has_later_step(dossier, task.position):
            actions.append(A.COMPLETE_STEP)
        if status == S.PROCESSING and not task.is_decision and A.REQUEST_SUPPLEMENT not in actions:
            actions.append(A.REQUEST_SUPPLEMENT)
        if can(A.CONSULT) and status == S.PROCESSING:
            actions.append(A.CONSULT)
    if can(A.RESULT_READY) and user_has_role(
        user, agency, Role.RECEPTION, Role.SPECIALIST, Role.CLERK, Role.LEADER
    ):
        actions.append(A.RESULT_READY)
    if (
        can(A.ASSIGN)
        and task is not None
        and (leader or user_has_role(user, agency, Role.AGENCY_ADMIN) or holds_task)
    ):
        actions.append(A.ASSIGN)
    if can(A.APOLOGIZE) and (leader or reception) and dossier.rescheduled_due_at is None:
        actions.append(A.APOLOGIZE)
    if (
        status == S.CONSULTING
        and dossier.consultations.filter(
            answered_at__isnull=True, agency_id__in=user_agency_ids(user, [Role.SPECIALIST, Role.LEADER])
        ).exists()
    ):
        actions.append(A.ANSWER_CONSULTATION)
    return list(dict.fromkeys(actions))


def _has_later_step(dossier: Dossier, position: int) -> bool:
    from egov.catalog.models import ProcessStep

    return ProcessStep.objects.filter(
        template_id=dossier.offering.process_template_id, position__gt=position
    ).exists()


def worklist(*, user) -> list[DossierTask]:
    """Open steps assigned to the officer, or waiting in the pool of a role they hold, by deadline."""
    from egov.accounts.models import RoleAssignment

    pairs = list(RoleAssignment.objects.filter(user=user, is_active=True).values_list("agency_id", "role"))
    if not pairs:
        return []
    pool = Q()
    for agency_id, role in pairs:
        pool |= Q(agency_id=agency_id, role=role, assignee__isnull=True)
    tasks = list(
        DossierTask.objects.filter(Q(assignee=user) | pool, finished_at__isnull=True)
        .select_related("dossier", "dossier__procedure", "assignee")
        .order_by("due_at", "id")[:500]
    )
    now = timezone.now()
    calendar = get_calendar()
    soon = Decimal(settings.EGOV_DUE_SOON_WORKING_HOURS)
    for task in tasks:
        due = min(task.due_at, task.dossier.effective_due_at or task.due_at)
        if due <= now:
            task.urgency = "overdue"
        elif calendar.working_hours_between(now, due) <= soon:
            task.urgency = "due_soon"
        else:
            task.urgency = "normal"
    return tasks


READS_SHOWN = 50  # the latest reads listed on the officer's and the applicant's dossier pages


def dossier_reads(dossier: Dossier) -> QuerySet[DossierRead]:
    """Who opened the dossier or downloaded its papers, newest first (served by the (dossier, at) index)."""
    return DossierRead.objects.filter(dossier=dossier).select_related("user", "agency").order_by("-at", "-pk")


DETAIL_RELATIONS = {
    "tasks": Prefetch(
        "tasks", queryset=DossierTask.objects.select_related("assignee").order_by("started_at", "id")
    ),
    "documents": Prefetch("documents", queryset=DossierDocument.objects.order_by("id")),
    "events": Prefetch(
        "events", queryset=DossierEvent.objects.select_related("actor").order_by("created_at", "id")
    ),
}
"""What a dossier's full view (the API's detail) shows besides the dossier row, in the order shown."""


def dossier_load_detail(dossier: Dossier) -> Dossier:
    """Read ``DETAIL_RELATIONS`` into ``dossier`` (``dossier.tasks.all()`` etc. then cost no query),
    skipping those a service has just written and remembered (``remember_written``)."""
    prefetch_related_objects([dossier], *DETAIL_RELATIONS.values())
    return dossier


def remember_written(dossier: Dossier, **rows: list) -> None:
    """Keep the rows a service has just written for ``dossier`` (``tasks=[...]``, ``documents=[...]``,
    ``events=[...]``: all of the relation, in ``DETAIL_RELATIONS`` order) as if they had been prefetched,
    so the answer built from them does not read back what the same transaction wrote."""
    cache = dossier.__dict__.setdefault("_prefetched_objects_cache", {})
    for name, written in rows.items():
        if name not in DETAIL_RELATIONS:
            raise ValueError(f"not a detail relation: {name}")
        manager = getattr(dossier, name)
        queryset = manager.get_queryset()
        queryset._result_cache = list(written)
        queryset._prefetch_done = True
        cache[manager.field.remote_field.cache_name] = queryset


def dossier_timeline(dossier: Dossier) -> QuerySet[DossierEvent]:
    return dossier.events.select_related("actor").order_by("created_at", "id")


def timeliness(finished_at: dt.datetime | None, due_at: dt.datetime | None) -> str | None:
    """Early: finished on an earlier day than due; on time: the due day, not after; late: after it."""
    if finished_at is None or due_at is None:
        return None
    if finished_at > due_at:
        return Timeliness.LATE
    if finished_at.astimezone(LOCAL_TZ).date() < due_at.astimezone(LOCAL_TZ).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def control_sheet_rows(dossier: Dossier) -> list[dict]:
    """Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05): one line per hand-over."""
    tasks = list(
        dossier.tasks.select_related("assignee", "handed_over_by", "finished_by").order_by("started_at", "id")
    )
    rows = []
    for task in tasks:
        rows.append(
            {
                "position": task.position,
                "name": task.name,
                "role": Role(task.role).label,
                "from_user": task.handed_over_by.display_name if task.handed_over_by else "",
                "to_user": (task.assignee or task.finished_by).display_name
                if (task.assignee or task.finished_by)
                else _("Chưa phân công"),
                "handed_at": task.started_at,
                "due_at": task.due_at,
                "finished_at": task.finished_at,
                "outcome": task.outcome,
                "note": task.note,
                "timeliness": timeliness(task.finished_at, task.due_at),
            }
        )
    return rows


_PUBLIC_ACTIONS = {
    A.SUBMIT,
    A.RECEIVE,
    A.REQUEST_SUPPLEMENT,
    A.SUPPLEMENT,
    A.REFUSE,
    A.COMPLETE_STEP,
    A.CONSULT,
    A.ANSWER_CONSULTATION,
    A.APPROVE,
    A.DENY,
    A.RESULT_READY,
    A.RETURN,
    A.APOLOGIZE,
    A.WITHDRAW,
}


def public_status(code: str) -> dict | None:
    """What anyone holding the code may see: no personal data, no officers' notes.

    This is the most called read of the platform (the QR code on every receipt points to it), so it is one
    indexed statement (the dossier by its unique code, joined to its public events by the event index),
    built once per process from the models' table and column names, and plain values, no model instances:
    the ORM's per-call query compilation cost more than the database did.
    """
    with connection.cursor() as cursor:
        cursor.execute(_public_status_sql(), [*_PUBLIC_ACTION_VALUES, code])
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    steps = []
    for action, created_at, data, to_status in (row[14:18] for row in rows):
        if action is None:  # the dossier has no public event yet (LEFT JOIN)
            continue
        label = A(action).label
        if action == A.COMPLETE_STEP:
            data = json.loads(data) if isinstance(data, str) else (data or {})
            if data.get("to_step"):
                label = _("Chuyển bước: %(step)s") % {"step": data["to_step"]}
        steps.append(
            {"action": action, "label": str(label), "status": to_status, "at": _local(_aware(created_at))}
        )
    (
        code,
        status,
        channel,
        submitted_at,
        received_at,
        due_at,
        rescheduled_due_at,
        finished_at,
        returned_at,
        procedure_code,
        procedure_name,
        agency_code,
        agency_name,
    ) = first[1:14]
    return {
        "code": code,
        "procedure": {"code": procedure_code, "name": procedure_name},
        "agency": {"code": agency_code, "name": agency_name},
        "status": status,
        "status_label": str(S(status).label),
        "channel": channel,
        "submitted_at": _local(_aware(submitted_at)),
        "received_at": _local(_aware(received_at)),
        "due_at": _local(_aware(due_at)),
        "rescheduled_due_at": _local(_aware(rescheduled_due_at)),
        "finished_at": _local(_aware(finished_at)),
        "returned_at": _local(_aware(returned_at)),
        "steps": steps,
    }


_PUBLIC_ACTION_VALUES = sorted(str(action) for action in _PUBLIC_ACTIONS)


@functools.cache
def _public_status_sql() -> str:
    from egov.catalog.models import Procedure
    from egov.core.models import Agency

    qn = connection.ops.quote_name
    d, e = Dossier._meta, DossierEvent._meta

    def col(meta, name: str) -> str:
        return qn(meta.get_field(name).column)

    dossier_columns = ", ".join(
        f"d.{col(d, name)}"
        for name in (
            "id",
            "code",
            "status",
            "channel",
            "submitted_at",
            "received_at",
            "due_at",
            "rescheduled_due_at",
            "finished_at",
            "returned_at",
        )
    )
    placeholders = ", ".join(["%s"] * len(_PUBLIC_ACTION_VALUES))
    return (
        # Identifiers come from the models' metadata, quoted; every value is a bound parameter.
        f"SELECT {dossier_columns}, p.{col(Procedure._meta, 'code')}, p.{col(Procedure._meta, 'name')}, "  # noqa: S608
        f"a.{col(Agency._meta, 'code')}, a.{col(Agency._meta, 'name')}, "
        f"e.{col(e, 'action')}, e.{col(e, 'created_at')}, e.{col(e, 'data')}, e.{col(e, 'to_status')} "
        f"FROM {qn(d.db_table)} d "
        f"JOIN {qn(Procedure._meta.db_table)} p ON p.{qn(Procedure._meta.pk.column)} = d.{col(d, 'procedure')} "
        f"JOIN {qn(Agency._meta.db_table)} a ON a.{qn(Agency._meta.pk.column)} = d.{col(d, 'agency')} "
        f"LEFT JOIN {qn(e.db_table)} e ON e.{col(e, 'dossier')} = d.{col(d, 'id')} "
        f"AND e.{col(e, 'action')} IN ({placeholders}) "
        f"WHERE d.{col(d, 'code')} = %s "
        f"ORDER BY e.{col(e, 'created_at')}, e.{col(e, 'id')}"
    )


def _aware(moment) -> dt.datetime | None:
    """A timestamp from a raw cursor: aware on PostgreSQL, a naive UTC value (or its text) on SQLite."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = parse_datetime(moment)
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _local(moment: dt.datetime | None) -> dt.datetime | None:
    return moment.astimezone(LOCAL_TZ) if moment else None
