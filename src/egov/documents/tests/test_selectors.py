"""Tests for ``documents/selectors.py``: search (diacritics, filters, agencies), the inbox and visibility."""

from __future__ import annotations

import datetime as dt

import pytest

from egov.core.calendar import LOCAL_TZ
from egov.core.errors import NotFound
from egov.documents import selectors
from egov.documents import services as svc
from egov.documents.choices import Direction, IncomingStatus, OutgoingStatus, Urgency
from egov.documents.selectors import SearchFilters

from .conftest import MONDAY_10, PDF, at, doc_type

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(office):
    """Three incoming and two outgoing documents of the office, one incoming of the neighbour."""
    with at(MONDAY_10):
        decision = office.register(subject="Về việc phê duyệt Đề án chuyển đổi số")
        invitation = office.register(
            code_number="45",
            code_notation="GM-STC",
            issuer_name="Sở Tài chính tỉnh Phú Thọ",
            issuer_code="000.00.12.H26",
            document_type=doc_type("giay_moi"),
            document_date=dt.date(2026, 2, 20),
            subject="Mời họp về dự toán ngân sách năm 2026",
            urgency=Urgency.URGENT,
        )
        report = office.register(
            code_number="9",
            code_notation="BC-UBND",
            document_type=doc_type("bao_cao"),
            document_date=dt.date(2026, 1, 15),
            subject="Báo cáo tình hình đường giao thông nông thôn",
        )
        issued = office.issued(subject="Quyết định thành lập Ban chỉ đạo chuyển đổi số")
        draft = office.draft(subject="Dự thảo quy chế làm việc")
        theirs = svc.incoming_register(
            agency=office.other_agency,
            actor=office.other_officer,
            issuer_name="Ủy ban nhân dân tỉnh Phú Thọ",
            document_type=doc_type("quyet_dinh"),
            subject="Về việc phê duyệt Đề án chuyển đổi số của xã",
        )
    return {
        "decision": decision,
        "invitation": invitation,
        "report": report,
        "issued": issued,
        "draft": draft,
        "theirs": theirs,
    }


def found(user, **filters) -> list:
    page = selectors.documents_search(user=user, filters=SearchFilters(**filters), limit=50)
    assert page.count == len(page.items)
    return [hit.document for hit in page.items]


@pytest.mark.parametrize("q", ["chuyển đổi số", "chuyen doi so", "CHUYEN DOI SO", "Chuyển đổi số"])
def test_search_ignores_diacritics_and_case(office, corpus, q):
    assert set(found(office.specialist, q=q)) == {corpus["decision"], corpus["issued"]}


def test_search_matches_nfd_input(office, corpus):
    import unicodedata

    assert corpus["report"] in found(office.specialist, q=unicodedata.normalize("NFD", "đường giao thông"))


def test_short_words_match_whole_words_only(office, corpus):
    # "số" (so) is a whole word of "chuyển đổi số"; it must not match inside "sơn" or "song"
    assert set(found(office.specialist, q="đổi số")) == {corpus["decision"], corpus["issued"]}
    river = office.register(code_number="77", subject="Về việc nạo vét sông Lô")
    assert found(office.specialist, q="nạo vét sông") == [river]
    assert found(office.specialist, q="nạo vét so") == []
    # the first and last words of the stored key are whole words too
    assert corpus["decision"].search_text.startswith(" ") and corpus["decision"].search_text.endswith(" ")


def test_every_word_must_match(office, corpus):
    assert found(office.specialist, q="chuyen doi so ban chi dao") == [corpus["issued"]]
    assert found(office.specialist, q="chuyen doi so ngan sach") == []


def test_search_by_number_notation_and_by_a_bare_number(office, corpus):
    assert found(office.specialist, q="45/GM-STC") == [corpus["invitation"]]
    assert found(office.specialist, q="9") == [corpus["report"]]
    assert found(office.specialist, q="01", direction=Direction.OUTGOING) == [corpus["issued"]]


def test_filters(office, corpus):
    user = office.specialist
    assert set(found(user, direction=Direction.OUTGOING)) == {corpus["issued"], corpus["draft"]}
    assert found(user, document_type_id=doc_type("giay_moi").pk) == [corpus["invitation"]]
    assert found(user, urgency=Urgency.URGENT) == [corpus["invitation"]]
    assert found(user, issuer="Sở Tài chính") == [corpus["invitation"]]
    assert found(user, issuer="000.00.12.H26") == [corpus["invitation"]]
    assert found(user, issuer="viet tri", direction=Direction.OUTGOING) == [corpus["draft"], corpus["issued"]]
    assert found(user, status=OutgoingStatus.DRAFT) == [corpus["draft"]]
    assert set(found(user, status=IncomingStatus.REGISTERED)) == {
        corpus["decision"],
        corpus["invitation"],
        corpus["report"],
    }
    assert found(user, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 1, 31)) == [corpus["report"]]


def test_officers_only_find_their_agencys_documents(office, corpus):
    assert corpus["theirs"] not in found(office.specialist, q="chuyen doi so")
    assert found(office.other_officer, q="chuyen doi so") == [corpus["theirs"]]


def test_paging_merges_both_directions_newest_first(office, corpus):
    everything = selectors.documents_search(user=office.specialist, filters=SearchFilters(), limit=50)
    assert {hit.direction for hit in everything.items} == {Direction.INCOMING, Direction.OUTGOING}
    dates = [hit.sort_at for hit in everything.items]
    assert dates == sorted(dates, reverse=True)
    page_2 = selectors.documents_search(
        user=office.specialist, filters=SearchFilters(urgency=Urgency.NORMAL), limit=2, offset=2
    )
    all_normal = selectors.documents_search(
        user=office.specialist, filters=SearchFilters(urgency=Urgency.NORMAL), limit=50
    )
    assert [h.document for h in page_2.items] == [h.document for h in all_normal.items[2:4]]
    assert page_2.count == all_normal.count == 4


def test_large_results_are_counted_up_to_a_cap(office, corpus, monkeypatch):
    # GIVEN three incoming documents and a cap of two
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    page = selectors.documents_search(
        user=office.specialist, filters=SearchFilters(direction=Direction.INCOMING), limit=1
    )
    # THEN the page says "more than two"
    assert (page.count, page.count_exact, len(page.items)) == (2, False, 1)
    # AND a result within one page is counted from its rows, exactly
    small = selectors.documents_search(
        user=office.specialist, filters=SearchFilters(q="giao thong"), limit=20
    )
    assert (small.count, small.count_exact) == (1, True)


def test_a_recalled_document_is_not_found_by_its_former_subject(office, corpus):
    svc.incoming_recall(document=corpus["report"], actor=office.clerk, reason="Thu hồi")
    assert found(office.specialist, q="giao thong nong thon") == []


def test_documents_of_another_agency_are_not_found(office, corpus):
    with pytest.raises(NotFound):
        selectors.incoming_for_officer(user=office.specialist, pk=corpus["theirs"].pk)
    with pytest.raises(NotFound):
        selectors.outgoing_for_officer(user=office.other_officer, pk=corpus["issued"].pk)


def test_inbox_sorted_by_deadline_with_overdue_marked(office):
    with at(MONDAY_10):
        late = office.register(code_number="1")
        soon = office.register(code_number="2")
        later = office.register(code_number="3")
        unassigned = office.register(code_number="4")
        for document, deadline in (
            (later, dt.date(2026, 3, 20)),
            (soon, dt.date(2026, 3, 3)),
            (late, dt.date(2026, 3, 2)),
        ):
            svc.incoming_assign(
                document=document,
                actor=office.leader,
                assignees=[office.specialist],
                deadline=dt.datetime.combine(deadline, dt.time(17, 0), tzinfo=LOCAL_TZ),
            )
    with at(dt.datetime(2026, 3, 3, 8, 0, tzinfo=LOCAL_TZ)):
        mine = selectors.incoming_inbox(user=office.specialist)
        leaders = selectors.incoming_inbox(user=office.leader)
    assert [d.pk for d in mine] == [late.pk, soon.pk, later.pk]
    assert [d.deadline_state for d in mine] == ["overdue", "due_soon", "normal"]
    assert unassigned.pk in [d.pk for d in leaders]
    assert unassigned.pk not in [d.pk for d in mine]


def test_outgoing_inbox_by_role(office):
    document = office.draft()
    svc.outgoing_submit_for_review(document=document, actor=office.specialist)
    assert [d.pk for d in selectors.outgoing_inbox(user=office.leader)] == [document.pk]
    assert selectors.outgoing_inbox(user=office.clerk) == []
    svc.outgoing_approve(document=document, actor=office.leader)
    svc.outgoing_mark_signed(document=document, actor=office.leader, signed_file=("k.pdf", PDF, ""))
    assert [d.pk for d in selectors.outgoing_inbox(user=office.clerk)] == [document.pk]


def test_allowed_actions_follow_role_and_status(office):
    document = office.register()
    assert selectors.allowed_incoming_actions(document=document, user=office.leader) == ["assign", "recall"]
    assert selectors.allowed_incoming_actions(document=document, user=office.specialist) == []
    svc.incoming_assign(document=document, actor=office.leader, assignees=[office.specialist])
    document.refresh_from_db()
    assert selectors.allowed_incoming_actions(document=document, user=office.specialist) == [
        "add_opinion",
        "complete",
    ]
