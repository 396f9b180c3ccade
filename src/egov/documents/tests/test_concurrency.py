"""Numbers never repeat and exchange receipts stay idempotent under parallel workers (PostgreSQL: real row
locks, real threads), and the search index exists where it matters."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from egov.documents import services as svc
from egov.documents.models import IncomingDocument, OutgoingDocument

from .test_services import EDXML_METADATA

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(count: int, work) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def worker(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as exc:  # reported by the caller; a thread's exception would be lost otherwise
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_parallel_issues_get_distinct_consecutive_numbers(office):
    # GIVEN 24 signed documents and 8 clerks' desks issuing 3 each at the same moment
    signed = [office.signed() for _ in range(24)]

    def desk(index: int) -> None:
        for document in signed[index * 3 : index * 3 + 3]:
            svc.outgoing_issue(document=document, actor=office.clerk)

    errors = run_in_threads(8, desk)
    # THEN every issue succeeded with its own number, 01..24 without gaps
    assert not errors, errors
    numbers = list(OutgoingDocument.objects.values_list("number", flat=True))
    assert sorted(numbers) == list(range(1, 25))


def test_parallel_incoming_registrations_get_distinct_numbers(office):
    def desk(index: int) -> None:
        for n in range(4):
            office.register(code_number=f"{index}-{n}", attachments=[])

    errors = run_in_threads(6, desk)
    assert not errors, errors
    assert sorted(IncomingDocument.objects.values_list("arrival_number", flat=True)) == list(range(1, 25))


def test_the_same_exchange_document_delivered_in_parallel_is_registered_once(office):
    results: list[int] = []

    def deliver(index: int) -> None:
        document = svc.incoming_register_from_exchange(
            agency=office.agency, metadata=EDXML_METADATA, attachments=[], exchange_document_id="P-1"
        )
        results.append(document.pk)

    errors = run_in_threads(6, deliver)
    assert not errors, errors
    assert IncomingDocument.objects.count() == 1
    assert set(results) == {IncomingDocument.objects.get().pk}
    assert IncomingDocument.objects.get().arrival_number == 1


def test_search_text_has_trigram_indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'documents_%%_search_trgm'"
        )
        rows = dict(cursor.fetchall())
    assert set(rows) == {"documents_incoming_search_trgm", "documents_outgoing_search_trgm"}
    assert all("gin_trgm_ops" in definition for definition in rows.values())
