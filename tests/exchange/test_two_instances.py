"""End to end: two running egov instances exchange a signed document over HTTP (QCVN 102:2016).

Instance A (a commune of Phú Thọ) issues a decision to an agency hosted by instance B (a commune of Tuyên
Quang). B receives it, verifies it, registers it, and its officers assign, handle and complete it; A's
database must show every status B reported (01, 03, 04, 05, 06). Then B is stopped in the middle of a second
delivery, after it committed the document but before A heard the answer: A must retry with back-off, and
once B is back the document must exist exactly once at B and its statuses once at A
(performance.md §5.3, fault injection 3).

Two SQLite files by default; on PostgreSQL (``make test-pg``) two databases on the same server.
"""

from __future__ import annotations

import json
import time

import pytest

from .harness import HANDLE, ISSUE, Federation, Proxy

A_CODE, A_NAME = "000.00.11.H26", "Ủy ban nhân dân xã Hy Cương"
B_CODE, B_NAME = "000.00.21.H25", "Ủy ban nhân dân phường Minh Xuân"

STATUSES_AT_A = """
    select s.status_code from exchange_exchangestatus s
    join exchange_exchangemessage m on s.message_id = m.id
    where m.direction = 'out' and m.kind = 'document' and m.document_id = %s and s.direction = 'received'
    order by s.timestamp, s.status_code, s.id
"""
OUTBOX_AT_A = """
    select state, attempts, last_error, next_attempt_at from exchange_exchangemessage
    where direction = 'out' and kind = 'document' and document_id = %s
"""
INCOMING_AT_B = "select count(*), max(status) from documents_incomingdocument where exchange_document_id = %s"
INBOX_AT_B = """
    select count(*) from exchange_exchangemessage
    where direction = 'in' and kind = 'document' and document_id = %s and state <> 'rejected'
"""


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {value!r})")


@pytest.fixture(scope="module")
def federation(tmp_path_factory):
    federation = Federation(
        tmp_path_factory.mktemp("exchange-e2e"),
        extra_env={
            # Seconds instead of the production 30 s .. 1 h, so that the fault scenario fits in the test.
            "EGOV_EXCHANGE_RETRY_BASE_SECONDS": "1",
            "EGOV_EXCHANGE_RETRY_MAX_SECONDS": "2",
            "EGOV_EXCHANGE_SEND_TIMEOUT_SECONDS": "5",
            "EGOV_EXCHANGE_SENDING_LEASE_SECONDS": "3",
        },
    )
    try:
        federation.add("a", tag="a", agency_code=A_CODE, agency_name=A_NAME)
        federation.add("b", tag="b", agency_code=B_CODE, agency_name=B_NAME)
        federation.configure()
        yield federation
    finally:
        federation.close()


def issue(a, subject: str) -> str:
    out = a.shell(ISSUE, code=A_CODE, tag="a", subject=subject, to=B_CODE, to_name=B_NAME)
    return json.loads(next(line for line in out.splitlines() if line.startswith("ISSUED "))[7:])[
        "document_id"
    ]


def statuses(a, document_id: str) -> list[str]:
    return [row[0] for row in a.query(STATUSES_AT_A, (document_id,))]


def test_document_travels_to_another_instance_and_every_status_comes_back_exactly_once(federation):
    a, b = federation.instances
    federation.start()

    # ---- 1. a signed document issued by A is registered, handled and completed at B ------------------------
    first = issue(a, "Về việc phối hợp chuyển đổi số liên tỉnh năm 2026")
    wait_until(lambda: b.value(INCOMING_AT_B, (first,)) == 1, timeout=20, what="the document at B")
    wait_until(lambda: statuses(a, first) == ["01", "03"], timeout=20, what="01 and 03 at A")
    # The PDF B registered is the one A signed (same bytes in both stores).
    a_sum = a.value(
        "select v.checksum from documents_documentversion v join documents_outgoingdocument o "
        "on v.outgoing_id = o.id where v.kind = 'signed' order by v.id desc limit 1"
    )
    b_sum = b.value(
        "select v.checksum from documents_documentversion v join documents_incomingdocument i "
        "on v.incoming_id = i.id where i.exchange_document_id = %s",
        (first,),
    )
    assert a_sum == b_sum

    b.shell(HANDLE, tag="b", document_id=first)
    wait_until(
        lambda: statuses(a, first) == ["01", "03", "04", "05", "06"], timeout=20, what="01/03/04/05/06 at A"
    )
    assert b.query(INCOMING_AT_B, (first,)) == [(1, "completed")]
    assert a.query(OUTBOX_AT_A, (first,))[0][0] == "acknowledged"

    # ---- 2. B stops in the middle of a second delivery ----------------------------------------------------
    proxy = Proxy(b.port)
    try:
        a.manage("exchange_add_peer", "--name", "b", "--url", f"http://127.0.0.1:{proxy.port}")
        proxy.drop_next = True
        second = issue(a, "Về việc cử cán bộ tham dự hội nghị trực tuyến")
        # B committed the document, then its answer was lost on the way back ...
        assert proxy.dropped.wait(20), "A never sent the second document"
        # ... and B goes down before A can retry.
        b.stop()
        assert b.value(INCOMING_AT_B, (second,)) == 1

        # A retries with back-off (1 s, then 2 s: the test's base and cap) while B is down.
        outbox = wait_until(
            lambda: (row := a.query(OUTBOX_AT_A, (second,))[0]) and row[1] >= 3 and row,
            timeout=20,
            what="three attempts at A",
        )
        state, attempts, last_error, next_attempt_at = outbox
        assert state in ("queued", "sending")
        assert last_error
        assert next_attempt_at is not None

        b.start()
        # A cron job would run this every minute: it re-queues B's own messages interrupted by the stop.
        cron = b.manage_async("exchange_retry")
        wait_until(
            lambda: a.query(OUTBOX_AT_A, (second,))[0][0] == "acknowledged",
            timeout=30,
            what="the retry to succeed",
        )
        wait_until(
            lambda: statuses(a, second) == ["01", "03"], timeout=20, what="01 and 03 of the second at A"
        )
        assert cron.wait(timeout=30) == 0
    finally:
        proxy.close()

    # Exactly once: one incoming document and one inbox row at B, one set of statuses at A.
    assert b.query(INCOMING_AT_B, (second,))[0][0] == 1
    assert b.value(INBOX_AT_B, (second,)) == 1
    time.sleep(1.5)  # anything late (a duplicate status) would land now
    assert statuses(a, second) == ["01", "03"]
    assert statuses(a, first) == ["01", "03", "04", "05", "06"]
    assert a.query(OUTBOX_AT_A, (second,))[0][1] >= 3
