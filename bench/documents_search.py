#!/usr/bin/env python
"""Document search at scale: ``selectors.documents_search`` against a raw SQL query of the same trigram
index, in the same run, on PostgreSQL with N documents of one agency.

    EGOV_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/documents_search.py                  # 1,000,000 documents
    BENCH_DOCUMENTS=100000 EGOV_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/documents_search.py

Seeds N documents (70 % incoming, 30 % outgoing, 0.5 % classified, eight years) with COPY, builds the
trigram GIN indexes of migration 0003 after the load (as a bulk import would), ANALYZEs, then runs 200
queries of five kinds (exact number/notation, two rare words, one topic, topic + filters, a common
phrase + filter), each once to warm up and then interleaved: the selector (ORM, two directions merged,
counts, rows loaded) and the raw SQL doing the same work on the same index. Prints JSON (latency p50/p95
in milliseconds and the ratio) and writes it to bench/results/documents_search.json.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import statistics
import sys
import time
from pathlib import Path

from _pg import server_settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.config.settings")
os.environ.setdefault("EGOV_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("EGOV_DEBUG", "0")
os.environ.setdefault("EGOV_TESTING", "0")
os.environ.setdefault("EGOV_LOG_LEVEL", "WARNING")

N = int(os.environ.get("BENCH_DOCUMENTS", "1000000"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "200"))
OUT = ROOT / "bench" / "results"
SEED = 20260302

TOPICS = [
    "chuyển đổi số", "cải cách hành chính", "xây dựng nông thôn mới", "giải phóng mặt bằng", "quản lý đất đai",
    "phòng chống thiên tai", "phòng chống dịch bệnh", "an toàn giao thông", "bảo vệ môi trường", "thu ngân sách",
    "dự toán ngân sách", "đầu tư công", "giảm nghèo bền vững", "bảo hiểm y tế", "tuyển dụng công chức",
    "thi đua khen thưởng", "quốc phòng địa phương", "an ninh trật tự", "phổ biến giáo dục pháp luật",
    "hộ tịch", "cư trú", "đăng ký kinh doanh", "cấp giấy chứng nhận quyền sử dụng đất", "xây dựng cơ bản",
    "nước sạch nông thôn", "chương trình mục tiêu quốc gia", "văn hóa thông tin", "lễ hội truyền thống",
    "du lịch cộng đồng", "khuyến nông", "chăn nuôi thú y", "phòng cháy chữa cháy", "trật tự đô thị",
    "sắp xếp đơn vị hành chính", "chính quyền hai cấp", "đề án 06", "định danh điện tử", "thanh toán trực tuyến",
    "dịch vụ công trực tuyến", "một cửa liên thông", "kiểm soát thủ tục hành chính", "thanh tra nhân dân",
    "tiếp công dân", "giải quyết khiếu nại tố cáo", "phòng chống tham nhũng", "thực hành tiết kiệm",
    "công tác dân vận", "bầu cử đại biểu", "kỳ họp hội đồng nhân dân", "quy hoạch sử dụng đất",
]  # fmt: skip
ASPECTS = [
    "tổng kết", "sơ kết", "kiểm tra", "triển khai", "đánh giá", "tập huấn", "hướng dẫn", "đôn đốc", "rà soát",
    "kiện toàn", "phân bổ kinh phí", "tuyên truyền", "giám sát", "bố trí cán bộ", "xử lý vướng mắc", "phối hợp",
    "điều chỉnh", "khắc phục tồn tại", "nâng cao chất lượng", "thống kê số liệu",
]  # fmt: skip
HEADS = [
    "Về việc",
    "Kế hoạch",
    "Báo cáo kết quả",
    "Thông báo",
    "Hướng dẫn thực hiện",
    "Triển khai",
    "Tăng cường",
]
PLACES = [
    "xã Hùng Sơn",
    "phường Việt Trì",
    "xã Hy Cương",
    "phường Vân Phú",
    "xã Thanh Đình",
    "xã Chu Hóa",
    "phường Nông Trang",
    "xã Phượng Lâu",
    "xã Kim Đức",
    "phường Thanh Miếu",
    "xã Sông Lô",
    "xã Trưng Vương",
    "phường Gia Cẩm",
    "xã Tân Đức",
    "phường Bến Gót",
    "xã Hùng Lô",
    "xã Thụy Vân",
    "phường Minh Nông",
    "xã Cao Xá",
    "xã Lâm Thao",
    "xã Phù Ninh",
    "xã Tam Nông",
    "xã Thanh Thủy",
    "xã Yên Lập",
    "xã Cẩm Khê",
] + [f"thôn {i}" for i in range(1, 76)]
ISSUERS = [
    ("Ủy ban nhân dân tỉnh Phú Thọ", "000.00.00.H26", "UBND"),
    ("Sở Tài chính tỉnh Phú Thọ", "000.00.12.H26", "STC"),
    ("Sở Nội vụ tỉnh Phú Thọ", "000.00.09.H26", "SNV"),
    ("Sở Tư pháp tỉnh Phú Thọ", "000.00.15.H26", "STP"),
    ("Sở Xây dựng tỉnh Phú Thọ", "000.00.17.H26", "SXD"),
    ("Sở Y tế tỉnh Phú Thọ", "000.00.18.H26", "SYT"),
    ("Sở Khoa học và Công nghệ tỉnh Phú Thọ", "000.00.06.H26", "SKHCN"),
    ("Công an tỉnh Phú Thọ", "000.00.01.H26", "CAT"),
    ("Bộ Nội vụ", "000.00.00.G09", "BNV"),
    ("Văn phòng Chính phủ", "000.00.00.G22", "VPCP"),
]
TYPES = [("quyet_dinh", "QĐ"), ("cong_van", ""), ("ke_hoach", "KH"), ("bao_cao", "BC"), ("thong_bao", "TB"),
         ("giay_moi", "GM"), ("to_trinh", "TTr"), ("huong_dan", "HD")]  # fmt: skip
YEARS = list(range(2019, 2027))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def stats(values: list[float]) -> dict:
    return {
        "p50": round(percentile(values, 0.50), 2),
        "p95": round(percentile(values, 0.95), 2),
        "max": round(max(values), 2),
        "mean": round(statistics.fmean(values), 2),
    }


def setup():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def seed() -> dict:  # noqa: C901 - a linear loader, easier to read in one piece
    import datetime as dt

    from django.db import connection, transaction

    from egov.accounts.choices import Role
    from egov.catalog.search import normalize
    from egov.core.calendar import LOCAL_TZ
    from egov.core.models import Department
    from egov.documents.choices import Direction, Series
    from egov.documents.models import DocumentRegister, DocumentType
    from egov.documents.services import document_register_open
    from egov.testing.factories import AgencyFactory, officer

    rng = random.Random(SEED)
    with transaction.atomic():
        agency = AgencyFactory(
            code="000.00.01.H26", name="Ủy ban nhân dân phường Việt Trì", abbreviation="UBND"
        )
        unit = Department.objects.create(agency=agency, name="Văn phòng", abbreviation="VP")
        clerk = officer(agency, Role.CLERK, username="bench.vanthu")
        reader = officer(agency, Role.SPECIALIST, username="bench.chuyenvien")
        types = {t.code: t for t in DocumentType.objects.all()}
        registers = {}
        for year in YEARS:
            for direction in Direction.values:
                for series in Series.values:
                    registers[(year, direction, series)] = document_register_open(
                        agency=agency, year=year, direction=direction, series=series
                    )
    type_names = {code: types[code].name for code, _abbr in TYPES}

    incoming_total = int(N * 0.7)
    outgoing_total = N - incoming_total
    numbers: dict[tuple, int] = {}
    samples: list[dict] = []
    started = time.monotonic()

    with connection.cursor() as cursor:
        for name in ("documents_incoming_search_trgm", "documents_outgoing_search_trgm"):
            cursor.execute(f"DROP INDEX IF EXISTS {name}")  # rebuilt after the load, as for a bulk import
    raw = connection.connection
    in_cols = (
        "agency_id, document_type_id, subject, urgency, secrecy, page_count, signer_name, signer_position, "
        "linked_dossier_code, search_text, created_at, updated_at, register_id, arrival_number, arrival_at, "
        "issuer_name, issuer_code, code_number, code_notation, document_date, deadline, status, source, "
        "exchange_document_id, registered_by_id, completed_at, recalled_at"
    )
    out_cols = (
        "agency_id, document_type_id, subject, urgency, secrecy, page_count, signer_name, signer_position, "
        "linked_dossier_code, search_text, created_at, updated_at, register_id, number, notation, document_date, "
        "drafting_department_id, signer_competence, copies, reply_due_date, status, reply_to_id, created_by_id, "
        "approved_by_id, signed_version_id, signed_at, issued_at, issued_by_id, recalled_at"
    )
    span = (
        dt.datetime(2026, 12, 31, tzinfo=LOCAL_TZ) - dt.datetime(2019, 1, 1, tzinfo=LOCAL_TZ)
    ).total_seconds()
    base = dt.datetime(2019, 1, 1, 8, 0, tzinfo=LOCAL_TZ)

    def moment(index: int, total: int) -> dt.datetime:
        # Spread evenly over eight years, in order, so numbers per year rise with time.
        return base + dt.timedelta(seconds=span * index / total)

    def subject() -> tuple[str, str, str, str]:
        topic, aspect, place = rng.choice(TOPICS), rng.choice(ASPECTS), rng.choice(PLACES)
        text = f"{rng.choice(HEADS)} {aspect} {topic} tại {place} năm {rng.choice(YEARS)}"
        return text, topic, aspect, place

    def key(parts: list) -> str:
        return f" {normalize(' '.join(str(p) for p in parts if p))} "

    with raw.cursor() as cur:
        with cur.copy(f"COPY documents_incomingdocument ({in_cols}) FROM STDIN") as copy:
            for i in range(incoming_total):
                at = moment(i, incoming_total)
                local = at.astimezone(LOCAL_TZ)
                secret = rng.random() < 0.005
                series = Series.SECRET if secret else Series.NORMAL
                key_ = (local.year, Direction.INCOMING, series)
                numbers[key_] = numbers.get(key_, 0) + 1
                issuer, organ_id, issuer_abbr = rng.choice(ISSUERS)
                type_code, type_abbr = rng.choice(TYPES)
                code_number = str(rng.randint(1, 3000))
                notation = f"{type_abbr}-{issuer_abbr}" if type_abbr else f"{issuer_abbr}-VP"
                text, topic, aspect, place = subject()
                secrecy = "confidential" if secret else "none"
                parts = [
                    code_number,
                    notation,
                    f"{code_number}/{notation}",
                    organ_id,
                    issuer,
                    type_names[type_code],
                ]
                if not secret:
                    parts += [text]
                copy.write_row(
                    (
                        agency.pk, types[type_code].pk, text, "urgent" if rng.random() < 0.1 else "normal", secrecy,
                        rng.randint(1, 20), "", "", "", key(parts), at, at,
                        registers[key_].pk, numbers[key_], at, issuer, organ_id, code_number, notation,
                        (local - dt.timedelta(days=rng.randint(0, 5))).date(), None, "completed", "paper",
                        None, clerk.pk, None, None,
                    )
                )  # fmt: skip
                if i % max(1, incoming_total // 400) == 0 and not secret:
                    samples.append({"notation": f"{code_number}/{notation}", "topic": topic, "aspect": aspect,
                                    "place": place, "year": local.year})  # fmt: skip
                if i % 100000 == 0:
                    print(f"\rincoming {i}/{incoming_total}", end="", file=sys.stderr)
        with cur.copy(f"COPY documents_outgoingdocument ({out_cols}) FROM STDIN") as copy:
            for i in range(outgoing_total):
                at = moment(i, outgoing_total)
                local = at.astimezone(LOCAL_TZ)
                secret = rng.random() < 0.005
                series = Series.SECRET if secret else Series.NORMAL
                key_ = (local.year, Direction.OUTGOING, series)
                numbers[key_] = numbers.get(key_, 0) + 1
                type_code, type_abbr = rng.choice(TYPES)
                notation = f"{type_abbr}-UBND" if type_abbr else "UBND-VP"
                number_notation = f"{numbers[key_]:02d}/{notation}"
                text, _topic, _aspect, _place = subject()
                parts = [
                    f"{numbers[key_]:02d}",
                    numbers[key_],
                    number_notation,
                    notation,
                    type_names[type_code],
                ]
                if not secret:
                    parts += [text, "Nguyễn Văn A", "Ủy ban nhân dân tỉnh Phú Thọ"]
                copy.write_row(
                    (
                        agency.pk, types[type_code].pk, text, "normal", "secret" if secret else "none",
                        rng.randint(1, 10), "Nguyễn Văn A", "Chủ tịch", "", key(parts), at, at,
                        registers[key_].pk, numbers[key_], notation, local.date(), unit.pk, "", 1, None, "issued",
                        None, clerk.pk, None, None, at, at, clerk.pk, None,
                    )
                )  # fmt: skip
                if i % 100000 == 0:
                    print(f"\routgoing {i}/{outgoing_total}", end="", file=sys.stderr)
    raw.commit()
    print(file=sys.stderr)
    seeded = time.monotonic() - started
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(
            "CREATE INDEX documents_incoming_search_trgm ON documents_incomingdocument "
            "USING gin (search_text gin_trgm_ops)"
        )
        cursor.execute(
            "CREATE INDEX documents_outgoing_search_trgm ON documents_outgoingdocument "
            "USING gin (search_text gin_trgm_ops)"
        )
    indexed = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE documents_incomingdocument")
        cursor.execute("VACUUM ANALYZE documents_outgoingdocument")
    assert DocumentRegister.objects.filter(agency=agency).count() == len(registers)
    return {
        "agency": agency,
        "reader": reader,
        "samples": samples,
        "incoming": incoming_total,
        "outgoing": outgoing_total,
        "seed_seconds": round(seeded, 1),
        "index_seconds": round(indexed, 1),
    }


def build_queries(samples: list[dict]) -> list[dict]:
    import datetime as dt

    from egov.catalog.search import normalize

    rng = random.Random(SEED + 1)
    kinds = ["notation", "rare_words", "topic", "topic_filtered", "common_filtered"]
    queries = []
    for index in range(QUERIES):
        kind = kinds[index % len(kinds)]
        sample = rng.choice(samples)
        strip = rng.random() < 0.5  # half typed without diacritics, as on a phone
        if kind == "notation":
            q, filters = sample["notation"], {}
        elif kind == "rare_words":
            q, filters = f"{sample['aspect']} {sample['topic']} {sample['place']}", {}
        elif kind == "topic":
            q, filters = sample["topic"], {}
        elif kind == "topic_filtered":
            q = sample["topic"]
            filters = {
                "direction": "incoming",
                "date_from": dt.date(sample["year"], 1, 1),
                "date_to": dt.date(sample["year"], 12, 31),
            }
        else:
            q, filters = (
                rng.choice(["kế hoạch", "về việc", "báo cáo kết quả", "đề nghị"]),
                {"urgency": "urgent"},
            )
        queries.append({"kind": kind, "q": normalize(q) if strip else q, "filters": filters})
    return queries


def raw_search(cursor, *, agency_id: int, q: str, filters: dict, limit: int = 20) -> tuple[int, list]:
    """The same work in SQL on the same index: per direction the top rows (one more than a page), a count
    (capped like the selector's) only when a direction has more than a page, then the page's rows."""
    from egov.catalog.search import query_terms
    from egov.documents.selectors import COUNT_CAP

    patterns = [f"%{t}%" if len(t) >= 3 else f"% {t} %" for t in query_terms(q)]
    tables = [("documents_incomingdocument", "arrival_at")]
    if filters.get("direction") != "incoming":
        tables.append(("documents_outgoingdocument", "created_at"))
    count = 0
    top: list[tuple] = []
    for table, order in tables:
        where = ["agency_id = %s", "secrecy = 'none'"] + ["search_text LIKE %s"] * len(patterns)
        params: list = [agency_id, *patterns]
        if filters.get("date_from"):
            where += ["document_date >= %s", "document_date <= %s"]
            params += [filters["date_from"], filters["date_to"]]
        if filters.get("urgency"):
            where.append("urgency = %s")
            params.append(filters["urgency"])
        clause = " AND ".join(where)
        cursor.execute(
            f"SELECT id, {order} FROM {table} WHERE {clause} ORDER BY {order} DESC, id DESC LIMIT %s",  # noqa: S608
            [*params, limit + 1],
        )
        rows = cursor.fetchall()
        if len(rows) <= limit:
            count += len(rows)
        else:
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {table} WHERE {clause} LIMIT %s) s",  # noqa: S608
                [*params, COUNT_CAP + 1],
            )
            count += min(cursor.fetchone()[0], COUNT_CAP)
        top += [(at, pk, table) for pk, at in rows[:limit]]
    top.sort(reverse=True)
    page = top[:limit]
    for table in {t for _a, _p, t in page}:
        ids = [pk for _a, pk, t in page if t == table]
        cursor.execute(f"SELECT * FROM {table} WHERE id = ANY(%s)", [ids])  # noqa: S608
        cursor.fetchall()
    return count, page


def explain(cursor, *, agency_id: int, query: dict) -> dict:
    """EXPLAIN ANALYZE of the top-rows query of the incoming direction: time and whether the trigram index served it."""
    from egov.catalog.search import query_terms

    patterns = [f"%{t}%" if len(t) >= 3 else f"% {t} %" for t in query_terms(query["q"])]
    clause = " AND ".join(["agency_id = %s", "secrecy = 'none'"] + ["search_text LIKE %s"] * len(patterns))
    cursor.execute(
        f"EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM documents_incomingdocument WHERE {clause} "  # noqa: S608
        "ORDER BY arrival_at DESC, id DESC LIMIT 21",
        [agency_id, *patterns],
    )
    plan = cursor.fetchone()[0]
    plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
    return {
        "q": query["q"],
        "execution_ms": round(plan["Execution Time"], 2),
        "uses_trigram_index": "search_trgm" in json.dumps(plan),
    }


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print(
            "bench/documents_search.py needs PostgreSQL: run it through scripts/with-postgres.sh",
            file=sys.stderr,
        )
        return 2
    postgres_settings = server_settings(os.environ["DATABASE_URL"])  # reads only: durability is not measured
    setup()
    from django.db import connection

    from egov.documents.selectors import SearchFilters, documents_search

    context = seed()
    agency, reader = context["agency"], context["reader"]
    queries = build_queries(context["samples"])

    def run_selector(query: dict) -> int:
        page = documents_search(
            user=reader, filters=SearchFilters(q=query["q"], **query["filters"]), limit=20
        )
        return page.count

    def run_raw(cursor, query: dict) -> int:
        count, _page = raw_search(cursor, agency_id=agency.pk, q=query["q"], filters=query["filters"])
        # Same shape as SearchPage.count: a capped direction contributes COUNT_CAP.
        return count

    selector_ms: list[float] = []
    raw_ms: list[float] = []
    by_kind: dict[str, dict[str, list[float]]] = {}
    mismatches = 0
    with connection.cursor() as cursor:
        for query in queries:  # warm-up: both paths once, caches filled
            run_selector(query)
            run_raw(cursor, query)
        for index, query in enumerate(queries):
            # Alternate which path goes first, so neither always finds the pages the other just read.
            timings = {}
            for path in ("selector", "raw") if index % 2 == 0 else ("raw", "selector"):
                started = time.perf_counter()
                timings[path] = run_selector(query) if path == "selector" else run_raw(cursor, query)
                timings[f"{path}_ms"] = (time.perf_counter() - started) * 1000
            mismatches += timings["selector"] != timings["raw"]
            selector_ms.append(timings["selector_ms"])
            raw_ms.append(timings["raw_ms"])
            slot = by_kind.setdefault(query["kind"], {"selector": [], "raw": [], "matches": []})
            slot["selector"].append(timings["selector_ms"])
            slot["raw"].append(timings["raw_ms"])
            slot["matches"].append(timings["selector"])
        plans = {}
        for query in queries:
            if query["kind"] not in plans:
                plans[query["kind"]] = explain(cursor, agency_id=agency.pk, query=query)
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    result = {
        "documents": N,
        "incoming": context["incoming"],
        "outgoing": context["outgoing"],
        "database": version,
        "seed_seconds": context["seed_seconds"],
        "index_seconds": context["index_seconds"],
        "queries": len(queries),
        "selector_ms": stats(selector_ms),
        "raw_sql_ms": stats(raw_ms),
        "ratio_p50": round(percentile(selector_ms, 0.5) / percentile(raw_ms, 0.5), 2),
        "ratio_p95": round(percentile(selector_ms, 0.95) / percentile(raw_ms, 0.95), 2),
        "count_mismatches": mismatches,
        "by_kind": {
            kind: {
                "selector_ms": stats(v["selector"]),
                "raw_sql_ms": stats(v["raw"]),
                "median_count": statistics.median(v["matches"]),
            }
            for kind, v in by_kind.items()
        },
        "plans": plans,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    result["postgresql"] = postgres_settings
    (OUT / "documents_search.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
