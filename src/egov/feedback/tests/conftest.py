"""Feedback tests reuse the one-stop shop's office (an agency, a procedure, one officer per role)."""

from __future__ import annotations

import pytest

from egov.accounts.choices import UserKind
from egov.dossiers import services as svc
from egov.dossiers.tests import conftest as dossiers_conftest
from egov.testing.factories import UserFactory

office = dossiers_conftest.office


@pytest.fixture
def applicant(db):
    return UserFactory(kind=UserKind.CITIZEN, username="congdan", full_name="Trần Thị Bình")


@pytest.fixture
def open_dossier(office, applicant):
    """A dossier received at the counter for the applicant's account, still being processed."""
    return svc.dossier_receive_at_counter(
        offering=office.offering,
        applicant=svc.ApplicantInput(name="Trần Thị Bình", id_number="025190000123", user=applicant),
        documents=office.papers(),
        actor=office.reception,
        next_assignee=office.specialist,
    )


@pytest.fixture
def returned_dossier(office, open_dossier):
    """The same dossier decided (denied, which needs no result file) and handed back by the one-stop shop."""
    dossier = open_dossier
    svc.dossier_complete_step(dossier=dossier, actor=office.specialist, next_assignee=office.leader)
    svc.dossier_deny(dossier=dossier, actor=office.leader, reason="Không đủ điều kiện theo Điều 20")
    svc.dossier_return(dossier=dossier, actor=office.reception)
    dossier.refresh_from_db()
    return dossier
