"""The incoming and outgoing document state machines as data (Decree 30/2020 arts. 10-24).

Each table says which action may move a document from which status to which. ``NEW`` stands for a
document that does not exist yet. The services never set ``status`` themselves: they call
``transition``, which checks the table and writes the one ``DocumentEvent`` of the action.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from egov.core.errors import TransitionNotAllowed

from .choices import IncomingAction as IA
from .choices import IncomingStatus as IS
from .choices import OutgoingAction as OA
from .choices import OutgoingStatus as OS
from .models import DocumentEvent, IncomingDocument, OutgoingDocument

NEW = ""


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    targets: frozenset[str]


def _t(sources: set[str], targets: set[str]) -> Transition:
    return Transition(frozenset(sources), frozenset(targets))


INCOMING_OPEN = frozenset({IS.REGISTERED, IS.ASSIGNED, IS.IN_PROGRESS})
"""Registered and not yet completed or recalled: the handling deadline runs."""

INCOMING_TRANSITIONS: dict[str, Transition] = {
    IA.REGISTER: _t({NEW}, {IS.REGISTERED}),
    # A new assignment replaces the previous one; work already started stays "in progress".
    IA.ASSIGN: _t({IS.REGISTERED, IS.ASSIGNED, IS.IN_PROGRESS}, {IS.ASSIGNED, IS.IN_PROGRESS}),
    IA.ADD_OPINION: _t({IS.ASSIGNED, IS.IN_PROGRESS}, {IS.IN_PROGRESS}),
    # "Hoàn thành" is written only when a handler presses Complete (reference §4.3).
    IA.COMPLETE: _t({IS.ASSIGNED, IS.IN_PROGRESS}, {IS.COMPLETED}),
    # The sender may take a document back at any time; the tombstone stays (Appendix VI, Part I §III).
    IA.RECALL: _t({IS.REGISTERED, IS.ASSIGNED, IS.IN_PROGRESS, IS.COMPLETED}, {IS.RECALLED}),
    IA.DUE_SOON: _t({IS.ASSIGNED, IS.IN_PROGRESS}, {IS.ASSIGNED, IS.IN_PROGRESS}),
    IA.OVERDUE: _t({IS.ASSIGNED, IS.IN_PROGRESS}, {IS.ASSIGNED, IS.IN_PROGRESS}),
}

OUTGOING_TRANSITIONS: dict[str, Transition] = {
    OA.CREATE: _t({NEW}, {OS.DRAFT}),
    OA.ADD_VERSION: _t({OS.DRAFT, OS.IN_REVIEW}, {OS.DRAFT, OS.IN_REVIEW}),
    OA.SUBMIT: _t({OS.DRAFT}, {OS.IN_REVIEW}),
    OA.RETURN: _t({OS.IN_REVIEW, OS.APPROVED}, {OS.DRAFT}),
    OA.APPROVE: _t({OS.IN_REVIEW}, {OS.APPROVED}),
    OA.SIGN: _t({OS.APPROVED}, {OS.SIGNED}),
    OA.ISSUE: _t({OS.SIGNED}, {OS.ISSUED}),
    # Recall freezes the issued document and its metadata (Appendix VI, Part I §III).
    OA.RECALL: _t({OS.ISSUED}, {OS.RECALLED}),
    OA.LINK_REPLY: _t(
        {OS.DRAFT, OS.IN_REVIEW, OS.APPROVED, OS.SIGNED, OS.ISSUED},
        {OS.DRAFT, OS.IN_REVIEW, OS.APPROVED, OS.SIGNED, OS.ISSUED},
    ),
}


def _table(document) -> tuple[dict[str, Transition], type, type]:
    if isinstance(document, IncomingDocument):
        return INCOMING_TRANSITIONS, IA, IS
    return OUTGOING_TRANSITIONS, OA, OS


def is_allowed(table: dict[str, Transition], action: str, status: str) -> bool:
    rule = table.get(action)
    return rule is not None and status in rule.sources


def check(document, action: str) -> None:
    """Refuse ``action`` on ``document`` in its current status, with a message an officer can act on."""
    table, actions, statuses = _table(document)
    status = document.status or NEW
    if not is_allowed(table, action, status):
        raise TransitionNotAllowed(
            _("Không thể thực hiện “%(action)s” khi văn bản đang ở trạng thái “%(status)s”.")
            % {
                "action": actions(action).label,
                "status": statuses(status).label if status else _("chưa tạo"),
            }
        )


def transition(
    document: IncomingDocument | OutgoingDocument,
    *,
    action: str,
    to: str | None = None,
    actor=None,
    note: str = "",
    data: dict | None = None,
    at=None,
    save: bool = True,
) -> DocumentEvent:
    """Move ``document`` (already locked by the caller) and write its event row.

    ``to`` defaults to the current status (for actions that keep it). With ``save=False`` the caller
    saves ``status`` together with its own fields (one UPDATE instead of two).
    """
    table, _actions, _statuses = _table(document)
    from_status = document.status or NEW
    check(document, action)
    target = to or from_status
    if target not in table[action].targets:
        raise TransitionNotAllowed(_("Trạng thái đích không hợp lệ cho thao tác này."))
    at = at or timezone.now()
    if target != document.status:
        document.status = target
        if document.pk and save:
            document.save(update_fields=["status", "updated_at"])
    is_incoming = isinstance(document, IncomingDocument)
    return DocumentEvent.objects.create(
        incoming=document if is_incoming else None,
        outgoing=None if is_incoming else document,
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        action=action,
        from_status=from_status,
        to_status=target,
        note=note,
        data=data or {},
        created_at=at,
    )
