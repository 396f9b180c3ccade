"""Reads of citizens' feedback: who is rated for a dossier, a dossier's rating, satisfaction per agency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Sum

from egov.dossiers.choices import DossierAction, DossierStatus
from egov.dossiers.models import Dossier, DossierEvent, DossierTask

from .models import SatisfactionRating


def satisfaction_officer(dossier: Dossier):
    """The officer the applicant rates: whoever finished the dossier's last step (normally the one-stop
    officer who handed the result over), else the officer who received it; None for neither."""
    task = (
        DossierTask.objects.filter(dossier_id=dossier.pk, finished_by__isnull=False)
        .select_related("finished_by")
        .order_by("-finished_at", "-pk")
        .first()
    )
    if task is not None:
        return task.finished_by
    event = (
        DossierEvent.objects.filter(dossier_id=dossier.pk, action=DossierAction.RECEIVE, actor__isnull=False)
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    return event.actor if event is not None else None


def rating_of(dossier: Dossier) -> SatisfactionRating | None:
    return SatisfactionRating.objects.filter(dossier_id=dossier.pk).select_related("officer").first()


def can_rate(*, dossier: Dossier, user) -> bool:
    """Whether ``user`` may rate ``dossier`` now: the applicant, after the return, not yet rated."""
    return (
        getattr(user, "is_authenticated", False)
        and dossier.applicant_user_id == user.pk
        and dossier.status == DossierStatus.RETURNED
        and not SatisfactionRating.objects.filter(dossier_id=dossier.pk).exists()
    )


def satisfaction_by_agency(
    *, start: dt.datetime, end: dt.datetime, agency_ids: Iterable[int] | None = None
) -> dict[int, tuple[int, int]]:
    """Per receiving agency: (sum of service scores, number of ratings) given in ``[start, end)``.

    One grouped query; the statistics divide, so totals over several agencies stay a weighted mean.
    """
    ratings = SatisfactionRating.objects.filter(created_at__gte=start, created_at__lt=end)
    if agency_ids is not None:
        ratings = ratings.filter(dossier__agency_id__in=list(agency_ids))
    rows = (
        ratings.values("dossier__agency_id")
        .order_by("dossier__agency_id")
        .annotate(total=Sum("service_score"), n=Count("pk"))
    )
    return {row["dossier__agency_id"]: (int(row["total"] or 0), int(row["n"])) for row in rows}
