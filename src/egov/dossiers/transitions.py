"""The dossier state machine as data: which action may move a dossier from which status to which.

Decree 61/2018 arts. 17-19 (replaced by Decree 118/2025, whose changes belong in this table, not in
the services). ``NEW`` stands for a dossier that does not exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from egov.core.compiled import insert
from egov.core.errors import TransitionNotAllowed

from .choices import DossierAction as A
from .choices import DossierStatus as S
from .models import Dossier, DossierEvent

NEW = ""
OPEN_STATUSES = frozenset({S.PROCESSING, S.CONSULTING, S.APPROVED})
"""Received, not yet finished: the clock is running."""
ACTIVE_STATUSES = frozenset(
    {S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.PROCESSING, S.CONSULTING, S.APPROVED, S.DENIED, S.RESULT_READY}
)


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    targets: frozenset[str]


def _t(sources: set[str], targets: set[str]) -> Transition:
    return Transition(frozenset(sources), frozenset(targets))


TRANSITIONS: dict[str, Transition] = {
    A.SUBMIT: _t({NEW}, {S.SUBMITTED}),
    A.RECEIVE: _t({NEW, S.SUBMITTED}, {S.PROCESSING}),
    A.REQUEST_SUPPLEMENT: _t({S.SUBMITTED, S.PROCESSING}, {S.SUPPLEMENT_REQUESTED}),
    # Asked before receipt, the dossier goes back to the reception queue; asked during processing,
    # it resumes processing with the clock restarted (Decree 61/2018 art. 19.4).
    A.SUPPLEMENT: _t({S.SUPPLEMENT_REQUESTED}, {S.SUBMITTED, S.PROCESSING}),
    A.REFUSE: _t({S.SUBMITTED, S.SUPPLEMENT_REQUESTED}, {S.REFUSED}),
    A.ASSIGN: _t(
        {S.PROCESSING, S.CONSULTING, S.APPROVED, S.DENIED, S.RESULT_READY},
        {S.PROCESSING, S.CONSULTING, S.APPROVED, S.DENIED, S.RESULT_READY},
    ),
    A.COMPLETE_STEP: _t({S.PROCESSING}, {S.PROCESSING}),
    A.CONSULT: _t({S.PROCESSING, S.CONSULTING}, {S.CONSULTING}),
    A.ANSWER_CONSULTATION: _t({S.CONSULTING}, {S.CONSULTING, S.PROCESSING}),
    A.APPROVE: _t({S.PROCESSING}, {S.APPROVED}),
    A.DENY: _t({S.PROCESSING}, {S.DENIED}),
    A.RESULT_READY: _t({S.APPROVED}, {S.RESULT_READY}),
    A.RETURN: _t({S.RESULT_READY, S.DENIED}, {S.RETURNED}),
    A.APOLOGIZE: _t({S.PROCESSING, S.CONSULTING, S.APPROVED}, {S.PROCESSING, S.CONSULTING, S.APPROVED}),
    A.WITHDRAW: _t({S.SUBMITTED, S.SUPPLEMENT_REQUESTED, S.PROCESSING, S.CONSULTING}, {S.WITHDRAWN}),
    A.OVERDUE: _t(set(OPEN_STATUSES), set(OPEN_STATUSES)),
    # A fee is recorded whenever the gateway confirms it (a late IPN may reach a closed dossier: the money
    # was taken and must show); paying never moves the dossier (Decree 61/2018 art. 22).
    A.PAY: _t(set(S), set(S)),
}


def is_allowed(action: str, status: str) -> bool:
    rule = TRANSITIONS.get(action)
    return rule is not None and status in rule.sources


def check(action: str, status: str) -> None:
    """Refuse ``action`` from ``status`` with a message an officer can act on."""
    if not is_allowed(action, status):
        raise TransitionNotAllowed(
            _("Không thể thực hiện “%(action)s” khi hồ sơ đang ở trạng thái “%(status)s”.")
            % {"action": A(action).label, "status": S(status).label if status else _("chưa tạo")}
        )


def transition(
    dossier: Dossier,
    *,
    action: str,
    to: str | None = None,
    actor=None,
    note: str = "",
    data: dict | None = None,
    at=None,
    save: bool = True,
) -> DossierEvent:
    """Move ``dossier`` (already locked by the caller) and write its event row.

    ``to`` defaults to the status it has (for actions that do not change it). With ``save=False`` the
    caller saves ``status`` together with its own fields (one UPDATE instead of two). A dossier not yet
    saved is inserted here, already in its new status (one INSERT instead of an INSERT and an UPDATE).
    """
    from_status = dossier.status or NEW
    check(action, from_status)
    target = to or from_status
    if target not in TRANSITIONS[action].targets:
        raise TransitionNotAllowed(_("Trạng thái đích không hợp lệ cho thao tác này."))
    at = at or timezone.now()
    if target != dossier.status:
        dossier.status = target
        if dossier.pk and save:
            dossier.save(update_fields=["status", "updated_at"])
    if dossier.pk is None:
        insert([dossier])  # a new dossier is inserted once, with its first status and the caller's fields
    event = DossierEvent(
        dossier=dossier,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        from_status=from_status,
        to_status=target,
        note=note,
        data=data or {},
        created_at=at,
    )
    insert([event])
    return event
