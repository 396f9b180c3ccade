"""Feedback from citizens: the satisfaction rating of a returned dossier.

The one-stop statistics publish satisfaction next to timeliness (DESIGN.md "Statistics"; the legal basis of
the rating, Decree 61/2018 ch. VI as replaced by Decree 118/2025, is not in the reference yet and must be
checked). The rating is the applicant's, given once, after the result has been returned.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class SatisfactionRating(models.Model):
    """The applicant's rating (1-5) of the service and of the officer who handled the dossier."""

    dossier = models.OneToOneField(
        "dossiers.Dossier", verbose_name=_("hồ sơ"), on_delete=models.CASCADE, related_name="satisfaction"
    )
    rater = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người đánh giá"), on_delete=models.PROTECT, related_name="+"
    )
    service_score = models.PositiveSmallIntegerField(
        _("mức hài lòng về dịch vụ"), validators=SCORE_VALIDATORS
    )
    officer_score = models.PositiveSmallIntegerField(_("mức hài lòng về cán bộ"), validators=SCORE_VALIDATORS)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cán bộ được đánh giá"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="satisfaction_ratings",
    )
    comment = models.TextField(_("góp ý"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("thời điểm đánh giá"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("đánh giá mức độ hài lòng")
        verbose_name_plural = _("đánh giá mức độ hài lòng")
        constraints = [
            models.CheckConstraint(
                condition=Q(service_score__gte=1, service_score__lte=5), name="satisfaction_service_1_5"
            ),
            models.CheckConstraint(
                condition=Q(officer_score__gte=1, officer_score__lte=5), name="satisfaction_officer_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.service_score}/{self.officer_score}"
