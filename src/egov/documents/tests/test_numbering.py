"""Numbers and notations (Decree 30/2020 art. 15, Appendix I §II.3): restart on 1 January of the local year,
one series per agency, a separate series for classified documents, never reused, leading zero below 10."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.db import IntegrityError

from egov.core.calendar import LOCAL_TZ
from egov.core.errors import ValidationFailed
from egov.core.numbering import current_value
from egov.documents import services as svc
from egov.documents.choices import Direction, OutgoingStatus, Secrecy, Series
from egov.documents.models import DocumentRegister, OutgoingDocument

from .conftest import MONDAY_10, PDF, at, doc_type

pytestmark = pytest.mark.django_db

NEW_YEARS_EVE = dt.datetime(2025, 12, 31, 23, 30, tzinfo=LOCAL_TZ)
# 00:30 on 1 January in Vietnam is still 31 December in UTC: the year must be read in Asia/Ho_Chi_Minh.
NEW_YEAR = dt.datetime(2026, 1, 1, 0, 30, tzinfo=LOCAL_TZ)


def test_first_number_has_a_leading_zero_and_the_type_and_agency_abbreviations(office):
    # GIVEN a signed decision of a People's Committee
    with at(MONDAY_10):
        document = office.issued()
    # THEN it is number 01 of the year, notation QĐ-UBND
    assert document.number == 1
    assert document.number_notation == "01/QĐ-UBND"
    assert document.document_date == dt.date(2026, 3, 2)
    assert document.register.year == 2026
    assert document.register.series == Series.NORMAL


def test_numbers_run_on_across_types_and_lose_the_zero_from_ten(office):
    with at(MONDAY_10):
        numbers = [office.issued(document_type=doc_type("thong_bao")).number_notation for _ in range(10)]
    assert numbers[0] == "01/TB-UBND"
    assert numbers[8] == "09/TB-UBND"
    assert numbers[9] == "10/TB-UBND"


def test_cong_van_notation_is_agency_then_drafting_unit(office):
    with at(MONDAY_10):
        document = office.issued(document_type=doc_type("cong_van"), drafting_department=office.culture_unit)
    assert document.number_notation == "01/UBND-VX"


def test_cong_van_without_unit_abbreviation_is_refused_before_any_number_is_drawn(office):
    with at(MONDAY_10):
        document = office.signed(document_type=doc_type("cong_van"), drafting_department=None)
        with pytest.raises(ValidationFailed, match="đơn vị soạn thảo"):
            svc.outgoing_issue(document=document, actor=office.clerk)
    assert current_value(f"doc:{office.agency.code}:2026:outgoing:normal") == 0


def test_numbering_restarts_on_the_first_of_january_in_vietnam_time(office):
    # GIVEN one document issued at 23:30 on 31 December and two on 1 January (00:30 is still 31/12 in UTC)
    with at(NEW_YEARS_EVE):
        eve = office.issued()
    with at(NEW_YEAR):
        first = office.issued()
    with at(NEW_YEAR + dt.timedelta(hours=8)):
        second = office.issued()
    # THEN the year-end document closes 2025 and the new year starts again at 01
    assert (eve.register.year, eve.number, eve.document_date) == (2025, 1, dt.date(2025, 12, 31))
    assert (first.register.year, first.number, first.document_date) == (2026, 1, dt.date(2026, 1, 1))
    assert (second.register.year, second.number) == (2026, 2)
    assert first.register_id != eve.register_id


def test_incoming_numbers_restart_on_the_first_of_january_too(office):
    with at(NEW_YEARS_EVE):
        eve = office.register(document_date=dt.date(2025, 12, 30))
    with at(NEW_YEAR):
        first = office.register(code_number="16", document_date=dt.date(2025, 12, 30))
    assert (eve.register.year, eve.arrival_number) == (2025, 1)
    assert (first.register.year, first.arrival_number) == (2026, 1)


def test_classified_documents_have_their_own_series(office, paper_only):
    # GIVEN a normal document, then a secret one, then another normal one
    with at(MONDAY_10):
        normal_1 = office.issued()
        secret = office.issued(secrecy=Secrecy.CONFIDENTIAL, recipients=paper_only)
        normal_2 = office.issued()
    # THEN the secret document is 01 of the secret series and the normal series goes on unbroken
    assert (normal_1.number, normal_2.number) == (1, 2)
    assert secret.number == 1
    assert secret.register.series == Series.SECRET
    assert secret.register.name == "Sổ đăng ký văn bản đi mật năm 2026"
    assert (
        DocumentRegister.objects.filter(agency=office.agency, year=2026, direction=Direction.OUTGOING).count()
        == 2
    )


def test_incoming_classified_documents_have_their_own_series(office):
    with at(MONDAY_10):
        normal = office.register()
        secret = office.register(code_number="3", secrecy=Secrecy.SECRET)
    assert normal.arrival_number == 1 and secret.arrival_number == 1
    assert secret.register.series == Series.SECRET


def test_each_agency_has_its_own_series(office):
    with at(MONDAY_10):
        ours = office.issued()
        theirs = svc.outgoing_issue(document=_signed_elsewhere(office), actor=office.other_officer)
    assert ours.number == theirs.number == 1
    assert ours.register_id != theirs.register_id


def _signed_elsewhere(office):
    other = office.other_officer
    document = svc.outgoing_create_draft(
        agency=office.other_agency,
        actor=other,
        document_type=doc_type("quyet_dinh"),
        subject="Quyết định của xã khác",
        content=("d.pdf", PDF, ""),
    )
    svc.outgoing_submit_for_review(document=document, actor=other)
    svc.outgoing_approve(document=document, actor=other)
    return svc.outgoing_mark_signed(document=document, actor=other, signed_file=("k.pdf", PDF, ""))


def test_a_failed_issue_gives_its_number_back_and_nothing_is_ever_numbered_twice(office):
    # GIVEN two signed documents, and an issue that fails after drawing its number (a crash while saving)
    with at(MONDAY_10):
        first = office.signed()
        second = office.signed()
        with (
            mock.patch.object(svc, "outgoing_search_text", side_effect=RuntimeError("disk full")),
            pytest.raises(RuntimeError),
        ):
            svc.outgoing_issue(document=first, actor=office.clerk)
        # THEN the failed document has no number and is still waiting to be issued
        first.refresh_from_db()
        assert first.number is None and first.status == OutgoingStatus.SIGNED
        # WHEN both are issued afterwards
        issued_second = svc.outgoing_issue(document=second, actor=office.clerk)
        issued_first = svc.outgoing_issue(document=first, actor=office.clerk)
    # THEN the numbers are 01 and 02: the rolled-back draw left no gap and no duplicate
    assert sorted([issued_first.number, issued_second.number]) == [1, 2]


def test_a_recalled_document_keeps_its_number_and_the_next_one_is_not_reused(office):
    with at(MONDAY_10):
        recalled = office.issued()
        svc.outgoing_recall(document=recalled, actor=office.clerk, reason="Ban hành nhầm")
        following = office.issued()
    recalled.refresh_from_db()
    assert recalled.number == 1 and recalled.status == OutgoingStatus.RECALLED
    assert following.number == 2


def test_the_database_refuses_a_second_document_with_the_same_number(office):
    with at(MONDAY_10):
        issued = office.issued()
        other = office.signed()
    with pytest.raises(IntegrityError):
        OutgoingDocument.objects.filter(pk=other.pk).update(register=issued.register, number=issued.number)


def test_agency_without_abbreviation_cannot_issue(office):
    office.agency.abbreviation = ""
    office.agency.save(update_fields=["abbreviation"])
    with at(MONDAY_10):
        document = office.signed()
        with pytest.raises(ValidationFailed, match="tên viết tắt"):
            svc.outgoing_issue(document=document, actor=office.clerk)
