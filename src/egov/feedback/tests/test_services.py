"""Satisfaction rating rules (``feedback/services.py``) and the reads behind them (``selectors.py``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from egov.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from egov.dossiers.choices import DossierStatus
from egov.feedback.models import SatisfactionRating
from egov.feedback.selectors import can_rate, satisfaction_by_agency, satisfaction_officer
from egov.feedback.services import satisfaction_rate
from egov.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_applicant_rates_a_returned_dossier_once(office, applicant, returned_dossier):
    # GIVEN a returned dossier WHEN its applicant rates it
    rating = satisfaction_rate(
        dossier=returned_dossier, actor=applicant, service_score=5, officer_score=4, comment="  Nhanh, gọn. "
    )
    # THEN the rating names the officer who handed the result over
    assert (rating.service_score, rating.officer_score, rating.comment) == (5, 4, "Nhanh, gọn.")
    assert rating.officer == office.reception and rating.rater == applicant
    # AND a second rating is refused
    with pytest.raises(TransitionNotAllowed) as exc:
        satisfaction_rate(dossier=returned_dossier, actor=applicant, service_score=1, officer_score=1)
    assert exc.value.code == "already_rated"
    assert SatisfactionRating.objects.count() == 1
    assert not can_rate(dossier=returned_dossier, user=applicant)


def test_only_after_the_return(applicant, open_dossier):
    assert open_dossier.status == DossierStatus.PROCESSING
    assert not can_rate(dossier=open_dossier, user=applicant)
    with pytest.raises(TransitionNotAllowed) as exc:
        satisfaction_rate(dossier=open_dossier, actor=applicant, service_score=5, officer_score=5)
    assert exc.value.code == "not_returned"
    assert not SatisfactionRating.objects.exists()


def test_only_the_applicant(office, returned_dossier):
    for someone in (UserFactory(username="nguoikhac"), office.reception):
        with pytest.raises(PermissionDenied):
            satisfaction_rate(dossier=returned_dossier, actor=someone, service_score=5, officer_score=5)
    assert not SatisfactionRating.objects.exists()


@pytest.mark.parametrize(("service", "officer"), [(0, 3), (6, 3), (3, None), ("năm", 3), (True, 3)])
def test_scores_are_one_to_five(applicant, returned_dossier, service, officer):
    with pytest.raises(ValidationFailed) as exc:
        satisfaction_rate(
            dossier=returned_dossier, actor=applicant, service_score=service, officer_score=officer
        )
    assert "từ 1 đến 5" in exc.value.message
    assert not SatisfactionRating.objects.exists()


def test_rated_officer_falls_back_to_the_receiving_officer(office, open_dossier):
    # A dossier whose tasks nobody finished (e.g. imported) rates whoever received it.
    open_dossier.tasks.update(finished_by=None)
    assert satisfaction_officer(open_dossier) == office.reception


def test_satisfaction_by_agency_is_one_grouped_query(office, applicant, returned_dossier):
    satisfaction_rate(dossier=returned_dossier, actor=applicant, service_score=4, officer_score=5)
    now = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        result = satisfaction_by_agency(start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=1))
    assert len(queries) == 1
    assert result == {office.agency.pk: (4, 1)}
    assert satisfaction_by_agency(start=now + dt.timedelta(days=1), end=now + dt.timedelta(days=2)) == {}
