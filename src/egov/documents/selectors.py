"""Reads of official documents: who may see and do what, the inbox, the trace, search and registers.

Officers see the documents of the agencies where they hold a role, and nothing else (a document of
another agency is "not found", not "forbidden": its existence is not revealed). Classified documents
(Mật, Tối mật, Tuyệt mật) show their content only to officers with a ``SecretClearance`` of at least
their level; they are left out of search results for everyone else.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.accounts.choices import Role
from egov.accounts.models import RoleAssignment
from egov.accounts.selectors import user_agency_ids, user_has_role
from egov.catalog.search import normalize, query_terms
from egov.core.calendar import LOCAL_TZ, get_calendar
from egov.core.errors import NotFound
from egov.core.models import Agency

from .choices import SECRECY_RANK, Direction, IncomingStatus, OutgoingStatus, Secrecy
from .choices import IncomingAction as IA
from .choices import OutgoingAction as OA
from .models import (
    DocumentAssignment,
    DocumentEvent,
    DocumentRegister,
    IncomingDocument,
    OutgoingDocument,
    SecretClearance,
)
from .transitions import INCOMING_OPEN, INCOMING_TRANSITIONS, OUTGOING_TRANSITIONS, is_allowed

COUNT_CAP = 1_000
"""Results are counted exactly up to this many; beyond it the page says "more than" (``count_exact``)."""
SEARCH_MAX_WINDOW = 10_000
"""Deepest result a page may reach (offset + limit): deeper paging is refused, narrow the query instead."""
MIN_TERM = 3
"""Shortest word matched as a substring; shorter words must match whole words (see ``text_condition``)."""
_AGENCY_CODE = re.compile(r"^[0-9A-Z]{1,3}(\.[0-9A-Z]{1,3})+$|^[A-Z]\d{2}$")


# ---- classified documents -------------------------------------------------------------------------


def clearance_rank(user, agency_id: int) -> int:
    """The highest secrecy rank ``user`` may read in ``agency_id`` (0: none). Cached on the user object."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    cache = getattr(user, "_egov_clearances", None)
    if cache is None:
        cache = {
            agency: SECRECY_RANK[level]
            for agency, level in SecretClearance.objects.filter(user=user, is_active=True).values_list(
                "agency_id", "level"
            )
        }
        user._egov_clearances = cache
    return cache.get(agency_id, 0)


def readable_secrecy_levels(user, agency_id: int) -> list[str]:
    rank = clearance_rank(user, agency_id)
    return [level for level, level_rank in SECRECY_RANK.items() if level_rank <= rank]


def can_read_content(user, document) -> bool:
    """Subject, attachments and opinions of ``document`` may be shown to ``user`` (Law 29/2018/QH14 art. 11)."""
    if document.agency_id not in user_agency_ids(user):
        return False
    return SECRECY_RANK[document.secrecy] <= clearance_rank(user, document.agency_id)


# ---- single documents -----------------------------------------------------------------------------


def incoming_for_officer(*, user, pk: int) -> IncomingDocument:
    document = (
        IncomingDocument.objects.select_related("agency", "document_type", "register", "registered_by")
        .filter(pk=pk, agency_id__in=user_agency_ids(user))
        .first()
    )
    if document is None:
        raise NotFound(_("Không tìm thấy văn bản đến."))
    return document


def outgoing_for_officer(*, user, pk: int) -> OutgoingDocument:
    document = (
        OutgoingDocument.objects.select_related(
            "agency", "document_type", "register", "drafting_department", "created_by", "reply_to"
        )
        .filter(pk=pk, agency_id__in=user_agency_ids(user))
        .first()
    )
    if document is None:
        raise NotFound(_("Không tìm thấy văn bản đi."))
    return document


def current_assignment(document: IncomingDocument) -> DocumentAssignment | None:
    return (
        document.assignments.filter(is_current=True)
        .select_related("lead_department", "assigned_by")
        .prefetch_related("assignees", "readers", "coordinating_departments")
        .first()
    )


def user_department_ids(user, agency_id: int) -> set[int]:
    return set(
        RoleAssignment.objects.filter(
            user=user, agency_id=agency_id, is_active=True, department__isnull=False
        ).values_list("department_id", flat=True)
    )


def is_handler(user, document: IncomingDocument, assignment: DocumentAssignment | None = None) -> bool:
    """An assignee of the current assignment, an officer of its lead or coordinating unit, or a leader."""
    if user_has_role(user, document.agency_id, Role.LEADER):
        return True
    assignment = assignment if assignment is not None else current_assignment(document)
    if assignment is None:
        return False
    if any(u.pk == user.pk for u in assignment.assignees.all()):
        return True
    departments = user_department_ids(user, document.agency_id)
    if not departments:
        return False
    if assignment.lead_department_id in departments:
        return True
    return any(d.pk in departments for d in assignment.coordinating_departments.all())


def allowed_incoming_actions(*, document: IncomingDocument, user) -> list[str]:
    """Actions ``user`` may take now (the services check again when they run)."""
    agency = document.agency_id
    status = document.status
    actions = []
    assignment = current_assignment(document)
    handler = is_handler(user, document, assignment)
    readable = can_read_content(user, document)
    if is_allowed(INCOMING_TRANSITIONS, IA.ASSIGN, status) and user_has_role(user, agency, Role.LEADER):
        actions.append(IA.ASSIGN)
    if readable and handler and is_allowed(INCOMING_TRANSITIONS, IA.ADD_OPINION, status):
        actions.append(IA.ADD_OPINION)
    if readable and handler and is_allowed(INCOMING_TRANSITIONS, IA.COMPLETE, status):
        actions.append(IA.COMPLETE)
    if is_allowed(INCOMING_TRANSITIONS, IA.RECALL, status) and user_has_role(
        user, agency, Role.CLERK, Role.LEADER
    ):
        actions.append(IA.RECALL)
    return actions


def allowed_outgoing_actions(*, document: OutgoingDocument, user) -> list[str]:
    agency = document.agency_id
    status = document.status
    leader = user_has_role(user, agency, Role.LEADER)
    clerk = user_has_role(user, agency, Role.CLERK)
    drafter = user_has_role(user, agency, Role.SPECIALIST, Role.LEADER, Role.CLERK)
    readable = can_read_content(user, document)
    actions = []

    def can(action: str) -> bool:
        return is_allowed(OUTGOING_TRANSITIONS, action, status)

    if readable and drafter and can(OA.ADD_VERSION):
        actions.append(OA.ADD_VERSION)
    if readable and drafter and can(OA.SUBMIT):
        actions.append(OA.SUBMIT)
    if leader and can(OA.APPROVE):
        actions.append(OA.APPROVE)
    if leader and can(OA.RETURN):
        actions.append(OA.RETURN)
    if readable and (leader or clerk) and can(OA.SIGN):
        actions.append(OA.SIGN)
    if clerk and can(OA.ISSUE):
        actions.append(OA.ISSUE)
    if (leader or clerk) and can(OA.RECALL):
        actions.append(OA.RECALL)
    if drafter and can(OA.LINK_REPLY):
        actions.append(OA.LINK_REPLY)
    return actions


def document_trace(document) -> QuerySet[DocumentEvent]:
    return document.events.select_related("actor").order_by("created_at", "id")


def seal_applied(document) -> bool | None:
    """Whether the issue of an outgoing document applied the agency's seal signature (Decree 30/2020
    Appendix I §II.8(a)); None when not issued, or issued before the issue recorded it."""
    if getattr(document, "direction", None) != Direction.OUTGOING or document.issued_at is None:
        return None
    event = document.events.filter(action=OA.ISSUE).order_by("-created_at", "-id").first()
    if event is None or "seal" not in (event.data or {}):
        return None
    return bool(event.data["seal"])


# ---- inbox ----------------------------------------------------------------------------------------


def _deadline_state(deadline: dt.datetime | None, now: dt.datetime) -> str:
    if deadline is None:
        return "normal"
    if deadline <= now:
        return "overdue"
    calendar = get_calendar()
    if calendar.working_hours_between(now, deadline) <= calendar.hours_per_day():
        return "due_soon"
    return "normal"


def incoming_inbox(*, user) -> list[IncomingDocument]:
    """Incoming documents waiting for ``user``: assigned to them or their unit, or (leaders) waiting to be
    assigned. Earliest deadline first, documents without one last; each carries ``deadline_state``."""
    agencies = user_agency_ids(user)
    if not agencies:
        return []
    leader_agencies = user_agency_ids(user, [Role.LEADER])
    departments = set(
        RoleAssignment.objects.filter(user=user, is_active=True, department__isnull=False).values_list(
            "department_id", flat=True
        )
    )
    mine = DocumentAssignment.objects.filter(is_current=True).filter(
        Q(assignees=user)
        | Q(lead_department_id__in=departments)
        | Q(coordinating_departments__in=departments)
    )
    documents = list(
        IncomingDocument.objects.filter(agency_id__in=agencies, status__in=INCOMING_OPEN)
        .filter(
            Q(pk__in=mine.values("document_id"))
            | Q(status=IncomingStatus.REGISTERED, agency_id__in=leader_agencies)
        )
        .select_related("document_type", "agency")
        .order_by("arrival_at", "id")[:500]
    )
    now = timezone.now()
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    for document in documents:
        document.deadline_state = _deadline_state(document.deadline, now)
        document.readable = can_read_content(user, document)
    documents.sort(key=lambda d: (d.deadline or far, d.arrival_at, d.pk))
    return documents


def outgoing_inbox(*, user) -> list[OutgoingDocument]:
    """Outgoing documents waiting for ``user``: to review or sign (leaders), to issue (clerks), returned drafts."""
    leader_agencies = user_agency_ids(user, [Role.LEADER])
    clerk_agencies = user_agency_ids(user, [Role.CLERK])
    wanted = Q(created_by=user, status=OutgoingStatus.DRAFT, agency_id__in=user_agency_ids(user))
    if leader_agencies:
        wanted |= Q(
            agency_id__in=leader_agencies, status__in=[OutgoingStatus.IN_REVIEW, OutgoingStatus.APPROVED]
        )
    if clerk_agencies:
        wanted |= Q(agency_id__in=clerk_agencies, status__in=[OutgoingStatus.APPROVED, OutgoingStatus.SIGNED])
    documents = list(
        OutgoingDocument.objects.filter(wanted)
        .select_related("document_type", "agency", "created_by")
        .order_by("created_at", "id")[:500]
    )
    for document in documents:
        document.readable = can_read_content(user, document)
    return documents


# ---- search -----------------------------------------------------------------------------------------


@dataclass
class SearchFilters:
    """Metadata filters of the search (Appendix VI, Part I §III: search across all metadata and full text)."""

    q: str = ""
    direction: str = ""
    document_type_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    issuer: str = ""
    status: str = ""
    urgency: str = ""


@dataclass
class SearchHit:
    direction: str
    document: IncomingDocument | OutgoingDocument
    sort_at: dt.datetime


@dataclass
class SearchPage:
    items: list[SearchHit]
    count: int
    count_exact: bool = True


def _visibility(user, agencies: set[int]) -> Q:
    """Documents of ``agencies`` at a secrecy level ``user`` may read; others never appear."""
    condition = Q(pk__in=[])
    for agency_id in agencies:
        levels = readable_secrecy_levels(user, agency_id)
        if levels == [Secrecy.NONE]:
            condition |= Q(agency_id=agency_id, secrecy=Secrecy.NONE)
        else:
            condition |= Q(agency_id=agency_id, secrecy__in=levels)
    return condition


def text_condition(q: str) -> Q:
    """Every word of ``q`` (accents and case ignored) must appear in the stored ``search_text``.

    Words of three characters or more match anywhere (``doi`` finds ``chuyen doi so``); shorter ones must be
    whole words (`` so ``): a substring that short has no trigram and would scan the whole index, while a
    padded word has three. ``search_text`` is stored with a space at each end so the first and last words
    are whole words too.
    """
    condition = Q()
    for term in query_terms(q):
        condition &= Q(search_text__contains=term if len(term) >= MIN_TERM else f" {term} ")
    return condition


def _filtered(model, user, agencies: set[int], filters: SearchFilters):
    direction = model.direction
    qs = model.objects.filter(_visibility(user, agencies))
    if query_terms(filters.q):
        qs = qs.filter(text_condition(filters.q))
    if filters.document_type_id:
        qs = qs.filter(document_type_id=filters.document_type_id)
    if filters.date_from:
        qs = qs.filter(document_date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(document_date__lte=filters.date_to)
    if filters.urgency:
        qs = qs.filter(urgency=filters.urgency)
    if filters.status:
        statuses = IncomingStatus.values if direction == Direction.INCOMING else OutgoingStatus.values
        if filters.status not in statuses:
            return model.objects.none()
        qs = qs.filter(status=filters.status)
    issuer = (filters.issuer or "").strip()
    if issuer:
        if direction == Direction.INCOMING:
            if _AGENCY_CODE.match(issuer.upper()):
                qs = qs.filter(issuer_code=issuer.upper())
            else:
                qs = qs.filter(text_condition(issuer))
        else:
            wanted = normalize(issuer)
            own = [
                pk
                for pk, code, name in Agency.objects.filter(pk__in=agencies).values_list("pk", "code", "name")
                if code == issuer.upper() or wanted in normalize(name)
            ]
            qs = qs.filter(agency_id__in=own)
    return qs


def _sort_field(direction: str) -> str:
    # Incoming documents are listed by arrival, outgoing ones by issue (drafts by creation).
    return "arrival_at" if direction == Direction.INCOMING else "created_at"


def documents_search(*, user, filters: SearchFilters, limit: int = 20, offset: int = 0) -> SearchPage:
    """Full-text and metadata search over the documents of the officer's agencies, newest first.

    The text is matched against ``search_text`` (normalized with ``egov.catalog.search.normalize``),
    which PostgreSQL serves from a trigram GIN index (migration 0003). Each direction returns only its
    top ``offset + limit`` rows and the two lists are merged here. A direction with fewer matches than
    that is counted from the rows already read; a larger one is counted up to ``COUNT_CAP`` (a common
    word matches tens of thousands of documents, and nobody pages through them), so ``count`` is then
    a lower bound and ``count_exact`` is false.
    """
    agencies = user_agency_ids(user)
    if not agencies or offset + limit > SEARCH_MAX_WINDOW:
        return SearchPage(items=[], count=0)
    models = []
    if filters.direction in ("", Direction.INCOMING):
        models.append(IncomingDocument)
    if filters.direction in ("", Direction.OUTGOING):
        models.append(OutgoingDocument)
    window = offset + limit
    cap = max(COUNT_CAP, window)
    tops = []
    count = 0
    exact = True
    for model in models:
        qs = _filtered(model, user, agencies, filters)
        field = _sort_field(model.direction)
        rows = list(qs.order_by(f"-{field}", "-pk").values_list("pk", field)[: window + 1])
        if len(rows) <= window:
            found = len(rows)
        else:
            found = qs[: cap + 1].count()
            if found > cap:
                found, exact = cap, False
        count += found
        tops.append([(at, pk, model.direction) for pk, at in rows[:window]])
    merged = heapq.merge(*tops, key=lambda row: (row[0], row[1]), reverse=True)
    page = list(merged)[offset:window]
    loaded = {}
    for model in models:
        wanted = [pk for _at, pk, direction in page if direction == model.direction]
        if not wanted:
            continue
        for document in model.objects.filter(pk__in=wanted).select_related("document_type", "agency"):
            loaded[(model.direction, document.pk)] = document
    items = [
        SearchHit(direction=direction, document=loaded[(direction, pk)], sort_at=at)
        for at, pk, direction in page
        if (direction, pk) in loaded
    ]
    return SearchPage(items=items, count=count, count_exact=exact)


# ---- registers ----------------------------------------------------------------------------------------


def registers_of(*, agency_id: int, year: int | None = None) -> QuerySet[DocumentRegister]:
    qs = DocumentRegister.objects.filter(agency_id=agency_id).select_related("agency")
    if year is not None:
        qs = qs.filter(year=year)
    return qs.order_by("-year", "direction", "series")


def register_years(*, agency_id: int) -> list[int]:
    years = set(DocumentRegister.objects.filter(agency_id=agency_id).values_list("year", flat=True))
    years.add(timezone.now().astimezone(LOCAL_TZ).year)
    return sorted(years, reverse=True)


def may_open_register(user, register_agency_id: int, series: str) -> bool:
    """The secret series is kept apart (Decree 30/2020 art. 15.2): only officers with clearance open it."""
    if register_agency_id not in user_agency_ids(user):
        return False
    return series != "secret" or clearance_rank(user, register_agency_id) >= 1
