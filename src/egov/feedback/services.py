"""Writes of citizens' feedback: the satisfaction rating of a returned dossier."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from egov.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from egov.dossiers.choices import DossierStatus
from egov.dossiers.models import Dossier

from .models import SatisfactionRating
from .selectors import satisfaction_officer

COMMENT_MAX = 2000


def _score(value, field: str) -> int:
    if isinstance(value, bool):
        value = None
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationFailed(_("Mức đánh giá phải từ 1 đến 5."), field=field)
    return score


@transaction.atomic
def satisfaction_rate(
    *, dossier: Dossier, actor, service_score: int, officer_score: int, comment: str = ""
) -> SatisfactionRating:
    """The applicant rates the service and the officer (1-5), once, after the result is returned.

    The dossier row is locked so that two submissions of the same page cannot both pass the "not yet
    rated" check; the one-to-one constraint is the last guard.
    """
    dossier = Dossier.objects.select_for_update().get(pk=dossier.pk)
    if not getattr(actor, "is_authenticated", False) or dossier.applicant_user_id != actor.pk:
        raise PermissionDenied(_("Chỉ người nộp hồ sơ được đánh giá việc giải quyết hồ sơ này."))
    if dossier.status != DossierStatus.RETURNED:
        raise TransitionNotAllowed(
            _("Hồ sơ %(code)s chưa được trả kết quả; bạn có thể đánh giá sau khi nhận kết quả.")
            % {"code": dossier.code},
            code="not_returned",
        )
    if SatisfactionRating.objects.filter(dossier=dossier).exists():
        raise TransitionNotAllowed(
            _("Hồ sơ %(code)s đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần.") % {"code": dossier.code},
            code="already_rated",
        )
    service = _score(service_score, "service_score")
    officer = _score(officer_score, "officer_score")
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationFailed(_("Góp ý dài quá %(n)d ký tự.") % {"n": COMMENT_MAX}, field="comment")
    try:
        with transaction.atomic():
            return SatisfactionRating.objects.create(
                dossier=dossier,
                rater=actor,
                service_score=service,
                officer_score=officer,
                officer=satisfaction_officer(dossier),
                comment=comment,
            )
    except IntegrityError as exc:
        raise TransitionNotAllowed(
            _("Hồ sơ %(code)s đã được đánh giá; mỗi hồ sơ chỉ đánh giá một lần.") % {"code": dossier.code},
            code="already_rated",
        ) from exc
