#!/usr/bin/env python
"""Inter-agency exchange throughput (performance.md S5: >= 100 signed documents/s received and verified).

    EGOV_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/exchange.py             # 2,000 messages x 3 rounds
    BENCH_MESSAGES=500 BENCH_ROUNDS=1 .venv/bin/python bench/exchange.py    # SQLite files, a quick look

Two egov instances on loopback (the harness of tests/exchange), each with its own database (two PostgreSQL
databases on the server of DATABASE_URL, or two SQLite files without it), its own development CA and
agency, trusting each other as peers. Instance A pre-builds N signed edXML messages per round (one
BENCH_ATTACHMENT_BYTES PDF each, Vietnamese metadata, distinct DocumentIds); the bench then posts them to
B's ``POST /api/v1/exchange/edxml`` from BENCH_CLIENTS threads (http.client, keep-alive), with A's bearer
token. B verifies the signature and the signer's binding to the sending agency, checks the addressee,
stores the message in its inbox, registers an incoming document (number, file check and storage, event,
notifications) and answers with a signed status 01, all in one transaction per message ("sync", the
default mode). Every answer is checked (HTTP 200 and StatusCode 01).

Then the same with ``EGOV_EXCHANGE_REGISTER_ASYNC=1`` ("deferred", fresh messages): B answers 01 once the
message is verified and durably stored, and registers it in a task; after the rounds BENCH_DRAIN_WORKERS
task workers drain those registrations and the drain rate is reported. (BENCH_DEFERRED=0 skips it.)

In the same run, on the same server and with the same client: a bare Django view (``/bench/bare``, B runs
with EGOV_BENCH=1) as the baseline, interleaved with every round; and, in one process on B, the raw
signxml verification rate of the same messages (``XMLVerifier.verify`` with the signer's certificate given)
and our full check (``edxml.verify_message`` + ``parse_document_message``). Task workers do not run during
the rounds.

After the rounds: every acknowledged message must be registered exactly once at B (in deferred mode once
drained), and a sample posted again must get the same answer and create nothing. The JSON summary is printed and saved to
bench/results/exchange.json.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import statistics
import struct
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _pg import require_durable  # noqa: E402
from tests.exchange.harness import Federation  # noqa: E402

OUT = ROOT / "bench" / "results"
MESSAGES = int(os.environ.get("BENCH_MESSAGES", "2000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
ATTACHMENT_BYTES = int(os.environ.get("BENCH_ATTACHMENT_BYTES", str(32 * 1024)))
BARE_REQUESTS = int(os.environ.get("BENCH_BARE_REQUESTS", str(MESSAGES * 2)))
REPOST_SAMPLE = int(os.environ.get("BENCH_REPOST_SAMPLE", "100"))
SPREAD_DAYS = int(os.environ.get("BENCH_SPREAD_DAYS", "60"))
DEFERRED = os.environ.get("BENCH_DEFERRED", "1") == "1"
DRAIN_WORKERS = int(os.environ.get("BENCH_DRAIN_WORKERS", "2"))
DRAIN_TIMEOUT = float(os.environ.get("BENCH_DRAIN_TIMEOUT", "1800"))
TARGET_RPS = 100.0

A_CODE, A_NAME = "000.00.11.H26", "Ủy ban nhân dân xã Hy Cương"
B_CODE, B_NAME = "000.00.21.H25", "Ủy ban nhân dân phường Minh Xuân"

BUILD = r"""
import datetime as dt, os, struct
from django.utils import timezone
from egov.core.models import Agency
from egov.exchange import edxml, identity
from egov.exchange.services import organ_of

agency = Agency.objects.get(code=os.environ["X_CODE"])
signer = identity.identity_for(agency)
size = int(os.environ["X_SIZE"])
# A real PDF (the receiver parses attachments): one uncompressed page of text about ``size`` bytes long,
# with a fixed-width marker replaced by the message number, so every file differs and offsets stay valid.
import io
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas
buffer = io.BytesIO()
page = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=0)
page.setFont("Helvetica", 5)
page.drawString(40, 800, "MSG-000000000")
line, y = 0, 790
while line * 100 < size:
    page.drawString(40, y, f"Dong {line:05d} noi dung cong van bao cao tinh hinh thuc hien chuyen doi so")
    line, y = line + 1, (y - 6 if y > 40 else 790)
page.showPage()
page.save()
template = buffer.getvalue()
assert template.count(b"MSG-000000000") == 1
today = timezone.localdate()
receiver = edxml.Organ(organ_id=os.environ["X_TO"], organ_name=os.environ["X_TO_NAME"])
with open(os.environ["X_OUT"], "wb") as out:
    for i in range(int(os.environ["X_FIRST"]), int(os.environ["X_FIRST"]) + int(os.environ["X_COUNT"])):
        number = str(i)
        # Spread over 60 days, as a real inbox is: all on one date would measure the documents app's
        # same-date duplicate scan instead (see docs/exchange.md, "Performance").
        day = today - dt.timedelta(days=i % int(os.environ["X_DAYS"]))
        xml = edxml.build_document_message(
            sender=organ_of(agency), receivers=[receiver], code_number=number, code_notation="CV-UBND",
            promulgation_place="Phú Thọ", promulgation_date=day,
            document_type=edxml.DocumentType(type=18, name="Công văn"),
            subject=f"Về việc báo cáo tình hình thực hiện chuyển đổi số, đợt {i}",
            signer=edxml.SignerInfo(competence="TM.", position="Chủ tịch", full_name="Nguyễn Văn Lãnh Đạo"),
            to_places=["Như trên", "Lưu: VT"], priority=0,
            document_id=edxml.document_id_for(organ_id=agency.code, promulgation_date=day, code_number=number, code_notation="CV-UBND"),
            staff_info=edxml.StaffInfo(department="Văn phòng", staff="Trần Thị Văn Thư"),
            attachments=[edxml.Attachment(name=f"cong-van-{i}.pdf", content_type="application/pdf", data=template.replace(b"MSG-000000000", f"MSG-{i:09d}".encode()))],
        )
        data = signer.sign(xml)
        out.write(struct.pack(">I", len(data)) + data)
"""

RAW_VERIFY = r"""
import json, os, struct, time
from signxml import XMLVerifier
from signxml.verifier import SignatureConfiguration
from egov.exchange import edxml, services
from egov.exchange.models import Peer

messages = []
with open(os.environ["X_IN"], "rb") as handle:
    while head := handle.read(4):
        messages.append(handle.read(struct.unpack(">I", head)[0]))
messages = messages[: int(os.environ["X_COUNT"])]
peer = Peer.objects.get(name="a")
trust = edxml.TrustStore.from_pem(peer.ca_pem)
first = edxml.verify_message(messages[0], trusted=trust, organ_for_certificate=services._binding_for(peer))
leaf = first.certificate
config = SignatureConfiguration(expect_references=1, location=".//")
started = time.perf_counter()
for data in messages:
    XMLVerifier().verify(data, x509_cert=leaf, expect_config=config)
raw = len(messages) / (time.perf_counter() - started)
binding = services._binding_for(peer)
started = time.perf_counter()
for data in messages:
    sender = edxml.verify_message(data, trusted=trust, organ_for_certificate=binding)
    edxml.parse_document_message(sender.signed_root)
ours = len(messages) / (time.perf_counter() - started)
print("RAW " + json.dumps({"signxml_verify_per_s": raw, "ours_verify_parse_per_s": ours, "n": len(messages)}))
"""


def read_messages(path: Path) -> list[bytes]:
    messages = []
    with open(path, "rb") as handle:
        while head := handle.read(4):
            messages.append(handle.read(struct.unpack(">I", head)[0]))
    return messages


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def load(port: int, requests: list[tuple[str, str, bytes | None]], headers: dict, check) -> dict:
    """Send ``requests`` (method, path, body) from CLIENTS threads on keep-alive connections."""
    lock = threading.Lock()
    cursor = iter(range(len(requests)))
    latencies: list[float] = []
    errors: list[str] = []
    answers: dict[int, bytes] = {}

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            method, path, body = requests[index]
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers if body is not None else {})
                response = connection.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - started
            problem = check(response.status, data)
            with lock:
                latencies.append(elapsed)
                answers[index] = data
                if problem:
                    errors.append(problem)
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    duration = time.perf_counter() - started
    ok = len(latencies) - len(errors)
    return {
        "requests": len(requests),
        "ok": ok,
        "errors": len(errors),
        "error_sample": errors[:5],
        "seconds": round(duration, 3),
        "rps": round(ok / duration, 1),
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "_answers": answers,
    }


def check_status_01(status: int, data: bytes) -> str:
    if status != 200:
        return f"HTTP {status}: {data[:200]!r}"
    if b">01</" not in data or b"StatusCode" not in data:
        return f"not a status 01: {data[:200]!r}"
    return ""


def check_bare(status: int, data: bytes) -> str:
    return "" if status == 200 and data == b"ok" else f"HTTP {status}"


def measure(b, rounds: list[list[bytes]], headers: dict) -> dict:
    """Warm up, then per round: the bare view, then the messages of the round."""
    warm = load(b.port, [("GET", "/bench/bare", None)] * 200, {}, check_bare)
    assert warm["errors"] == 0, warm["error_sample"]
    runs: dict[str, list[dict]] = {"bare": [], "receive": []}
    for messages in rounds:
        runs["bare"].append(load(b.port, [("GET", "/bench/bare", None)] * BARE_REQUESTS, {}, check_bare))
        runs["receive"].append(
            load(
                b.port,
                [("POST", "/api/v1/exchange/edxml", data) for data in messages],
                headers,
                check_status_01,
            )
        )
    return runs


def summarise(runs: dict, raw: dict) -> dict:
    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    bare_rps, receive_rps = median("bare", "rps"), median("receive", "rps")
    return {
        "receive_rps": receive_rps,
        "receive_p50_ms": median("receive", "p50_ms"),
        "receive_p95_ms": median("receive", "p95_ms"),
        "receive_p99_ms": median("receive", "p99_ms"),
        "bare_rps": bare_rps,
        "receive_ratio_to_bare": round(receive_rps / bare_rps, 3) if bare_rps else None,
        "receive_ratio_to_raw_verify": round(receive_rps / raw["signxml_verify_per_s"], 3),
        "meets_target": receive_rps >= TARGET_RPS,
        "errors": sum(r["errors"] for r in runs["receive"]),
        "acknowledged": sum(r["ok"] for r in runs["receive"]),
    }


def document_ids(messages: list[bytes]) -> list[str]:
    ids = []
    for data in messages:
        start = data.index(b"<edXML:DocumentId>") + len(b"<edXML:DocumentId>")
        ids.append(data[start : data.index(b"</edXML:DocumentId>", start)].decode())
    return ids


def registered_among(b, ids: list[str]) -> tuple[int, int]:
    """(documents registered for these DocumentIds, DocumentIds registered more than once)."""
    count = dup = 0
    for start in range(0, len(ids), 500):
        chunk = tuple(ids[start : start + 500])
        marks = ",".join(["%s"] * len(chunk))
        rows = b.query(
            f"select exchange_document_id, count(*) from documents_incomingdocument "  # noqa: S608 - placeholders
            f"where exchange_document_id in ({marks}) group by exchange_document_id",
            chunk,
        )
        count += sum(n for _id, n in rows)
        dup += sum(1 for _id, n in rows if n > 1)
    return count, dup


def main() -> int:
    # Stopped with SIGTERM (timeout, Ctrl+C in a wrapper): still stop the servers and drop the databases.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    if not postgres:
        print("bench/exchange.py: no PostgreSQL DATABASE_URL, using two SQLite files", file=sys.stderr)
    postgres_settings = require_durable(os.environ["DATABASE_URL"]) if postgres else {"durable": "sqlite"}
    OUT.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="egov-exchange-bench-"))
    federation = Federation(
        work,
        extra_env={"EGOV_BENCH": "1", "EGOV_LOG_LEVEL": "WARNING"},
        web_workers=WORKERS,
        threads=1,
    )
    modes = ["sync", "deferred"] if DEFERRED else ["sync"]
    summary: dict = {}
    workers: list = []
    try:
        started = time.monotonic()
        a = federation.add("a", tag="a", agency_code=A_CODE, agency_name=A_NAME)
        b = federation.add("b", tag="b", agency_code=B_CODE, agency_name=B_NAME)
        federation.configure()
        setup_seconds = time.monotonic() - started

        started = time.monotonic()
        files = [work / f"messages-{i}.bin" for i in range(ROUNDS * len(modes))]
        builders = [
            a.manage_async(
                "shell",
                "-c",
                BUILD,
                env={
                    "X_CODE": A_CODE,
                    "X_TO": B_CODE,
                    "X_TO_NAME": B_NAME,
                    "X_SIZE": str(ATTACHMENT_BYTES),
                    "X_OUT": str(path),
                    "X_FIRST": str(1 + i * MESSAGES),
                    "X_COUNT": str(MESSAGES),
                    "X_DAYS": str(SPREAD_DAYS),
                },
            )
            for i, path in enumerate(files)
        ]
        for builder in builders:
            out, err = builder.communicate(timeout=3600)
            if builder.returncode != 0:
                raise RuntimeError(f"building messages failed:\n{out}\n{err}")
        build_seconds = time.monotonic() - started
        all_rounds = [read_messages(path) for path in files]
        token = a.value("select outbound_token from exchange_peer where name = %s", ("b",))
        headers = {"Content-Type": "application/xml", "Authorization": f"Bearer {token}"}

        raw_out = b.shell(RAW_VERIFY, **{"in": str(files[0]), "count": str(min(MESSAGES, 1000))})
        raw = json.loads(next(line for line in raw_out.splitlines() if line.startswith("RAW "))[4:])

        results: dict[str, dict] = {}
        runs: dict[str, dict] = {}
        for index, mode in enumerate(modes):
            rounds = all_rounds[index * ROUNDS : (index + 1) * ROUNDS]
            b.extra_env["EGOV_EXCHANGE_REGISTER_ASYNC"] = "1" if mode == "deferred" else "0"
            b.start(worker=False)
            runs[mode] = measure(b, rounds, headers)
            result = summarise(runs[mode], raw)
            ids = [i for messages in rounds for i in document_ids(messages)]
            if mode == "sync":
                # Idempotency under load: a sample posted again gets the same answer and creates nothing.
                sample = rounds[0][:REPOST_SAMPLE]
                first_answers = runs[mode]["receive"][0]["_answers"]
                repost = load(
                    b.port,
                    [("POST", "/api/v1/exchange/edxml", data) for data in sample],
                    headers,
                    check_status_01,
                )
                result["repost_sample"] = len(sample)
                result["repost_same_answer"] = sum(
                    1 for i, answer in repost["_answers"].items() if first_answers.get(i) == answer
                )
            b.stop()
            if mode == "deferred":
                # The registrations the endpoint deferred, done by task workers (no web traffic meanwhile).
                drain_started = time.monotonic()
                workers = [b.worker() for _ in range(DRAIN_WORKERS)]
                deadline = drain_started + DRAIN_TIMEOUT
                while time.monotonic() < deadline:
                    waiting = b.value(
                        "select count(*) from exchange_exchangemessage where direction = 'in' and state = 'received'"
                    )
                    if waiting == 0:
                        break
                    time.sleep(1)
                drain_seconds = time.monotonic() - drain_started
                for worker in workers:
                    worker.terminate()
                for worker in workers:
                    worker.wait(timeout=60)
                workers = []
                result["registrations_left_undrained"] = waiting
                result["drain_seconds"] = round(drain_seconds, 1)
                result["drain_registrations_per_s"] = round((len(ids) - waiting) / drain_seconds, 1)
                result["drain_workers"] = DRAIN_WORKERS
            registered, duplicates = registered_among(b, ids)
            result["registered"] = registered
            result["duplicates"] = duplicates
            results[mode] = result
            for run in runs[mode]["receive"] + runs[mode]["bare"]:
                run.pop("_answers", None)
            # Written after each mode, so that an interrupted run keeps what it measured.
            (OUT / "exchange.partial.json").write_text(
                json.dumps({"raw": raw, **results, "runs": runs}, indent=2, ensure_ascii=False)
            )

        summary = {
            "postgresql": postgres_settings,
            "scale": {
                "messages_per_round": MESSAGES,
                "rounds_per_mode": ROUNDS,
                "clients": CLIENTS,
                "gunicorn_sync_workers": WORKERS,
                "attachment_bytes": ATTACHMENT_BYTES,
                "promulgation_dates_spread_days": SPREAD_DAYS,
                "message_bytes_avg": round(sum(len(m) for m in all_rounds[0]) / len(all_rounds[0])),
                "database": "postgresql" if postgres else "sqlite",
                "cpus": os.cpu_count(),
                "load_average_at_end": os.getloadavg(),
                "setup_seconds": round(setup_seconds, 1),
                "build_seconds": round(build_seconds, 1),
            },
            "target_rps": TARGET_RPS,
            "raw_signxml_verify_per_s_one_process": round(raw["signxml_verify_per_s"], 1),
            "ours_verify_and_parse_per_s_one_process": round(raw["ours_verify_parse_per_s"], 1),
            **results,
            "runs": runs,
        }
    finally:
        for worker in workers:
            worker.kill()
        federation.close()
    (OUT / "exchange.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    (OUT / "exchange.partial.json").unlink(missing_ok=True)
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2, ensure_ascii=False))
    ok = bool(summary)
    for mode in modes:
        result = summary.get(mode, {})
        ok = ok and result.get("errors") == 0 and result.get("duplicates") == 0
        ok = ok and result.get("registered") == result.get("acknowledged")
        if mode == "sync":
            ok = ok and result.get("repost_same_answer") == result.get("repost_sample")
    if not ok:
        print("EXACTLY-ONCE CHECK FAILED: see bench/results/exchange.json", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
