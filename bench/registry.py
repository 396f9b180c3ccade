#!/usr/bin/env python
"""Population registry: bulk ingest against raw COPY, and the person look-up API against a bare Django
view and against pgbench on the same table and index, all in one run on PostgreSQL
(performance goals R1, R2, R7 and S1 in shared/reference/performance.md §5).

    EGOV_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/registry.py                    # 10,000,000 people
    BENCH_PEOPLE=200000 BENCH_SECONDS=5 EGOV_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/registry.py

1. ``generate_people`` writes N synthetic people to a CSV file (SYNTHETIC DATA).
2. Ingest, the same file both ways: raw ``COPY ... FROM STDIN (FORMAT csv)`` into a scratch table with the
   registry's indexes and check constraints (``LIKE population_person INCLUDING ALL``), then
   ``import_people`` (row-by-row validation, NFC, commune codes, duplicates, all-or-nothing) into the
   registry. Ratio of rows/s; ``accepted + rejected = input`` is checked.
3. Look-ups, interleaved, BENCH_ROUNDS times (median counts): wrk on ``/bench/bare`` and on
   ``GET /api/v1/population/people/{id}?purpose=...`` with random existing ids (bearer token, officer
   check, one access-log row per read), and ``pgbench`` with a custom select-only script on the same
   table and index (prepared protocol, same client count). Afterwards every 200 answer must have written
   exactly one access-log row.

Load: wrk with 2 threads and BENCH_CONNECTIONS (16) connections on the same cores as the server, as in
bench/dossiers.py (absolute numbers are pessimistic; compare the ratios). Results go to
bench/results/registry.json.

Environment: BENCH_PEOPLE (10,000,000), BENCH_SECONDS (10), BENCH_ROUNDS (3), BENCH_CONNECTIONS (16),
BENCH_WORKERS (4), BENCH_SAMPLE_IDS (20,000), BENCH_WARMUP_SECONDS (15), BENCH_KEEP_CSV (unset: the CSV is
deleted at the end). After the import the registry is vacuumed, analysed and checkpointed, as an operator
does after a bulk load, before the look-ups are measured.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import _harness as harness
import psycopg
from _pg import conninfo, require_durable

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "results"
PY = sys.executable
PEOPLE = int(os.environ.get("BENCH_PEOPLE", "10000000"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
SAMPLE_IDS = int(os.environ.get("BENCH_SAMPLE_IDS", "20000"))
WARMUP = int(os.environ.get("BENCH_WARMUP_SECONDS", "15"))
# Threads per gunicorn worker (1: sync workers). A look-up waits for its access-log row to reach the disk;
# threads let a worker serve others meanwhile. The bare view runs on the same server, so the same config.
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
THREAD_ARGS = ["-k", "gthread", "--threads", str(THREADS)] if THREADS > 1 else []
PURPOSE = "Đo hiệu năng tra cứu (benchmark)"
CSV_COLUMNS = (
    "id_number, full_name, date_of_birth, sex, ethnicity, religion, nationality, place_of_birth, "
    "place_of_birth_commune_id, hometown, permanent_residence_commune_id, permanent_residence_address, "
    "temporary_residence_commune_id, temporary_residence_address, date_of_death"
)
TEXT_COLUMNS = "religion, nationality, place_of_birth, hometown, permanent_residence_address, temporary_residence_address"

SEED_OFFICER = """
import json
from egov.accounts.choices import Role
from egov.accounts.services import api_token_issue
from egov.core.models import AdministrativeUnit
from egov.testing.factories import AgencyFactory, officer
unit = AdministrativeUnit.objects.filter(level="province", code="25").first()
kwargs = {"administrative_unit": unit} if unit else {}
agency = AgencyFactory(code="000.00.09.H26", name="Công an tỉnh (benchmark)", **kwargs)
user = officer(agency, Role.SPECIALIST, username="bench.tracuu")
print("CONTEXT " + json.dumps({"token": api_token_issue(user=user, name="bench registry")}))
"""


def server_env() -> dict[str, str]:
    return harness.server_env(OUT / "var")


def manage(*args: str, env: dict[str, str], capture: bool = False) -> str:
    done = subprocess.run(
        [PY, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT, text=True, capture_output=capture
    )
    return done.stdout if capture else ""


def wrk(url: str, script: str, env: dict[str, str]) -> dict:
    return harness.wrk(url, script, env, connections=CONNECTIONS, seconds=SECONDS)


def pgbench(url: str, script: Path) -> dict:
    """Custom select-only pgbench: prepared protocol, the wrk client count, 2 threads like wrk."""
    info = conninfo(url)
    env = dict(os.environ, PGPASSWORD=info["password"])
    out = subprocess.run(
        [
            "pgbench", "-n", "-M", "prepared", "-c", str(CONNECTIONS), "-j", "2", "-T", str(SECONDS),
            "-f", str(script), "-h", info["host"], "-p", info["port"],
            "-U", info["user"], info["dbname"],
        ],
        env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return {"tps": tps, "latency_avg_ms": latency}


def scalar(url: str, sql: str):
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql).fetchone()[0]


ACTIVITY_SQL = """
SELECT w.wal_records, w.wal_fpi, w.wal_bytes::bigint, w.wal_sync,
       b.checkpoints_timed + b.checkpoints_req,
       coalesce((SELECT autovacuum_count + autoanalyze_count FROM pg_stat_user_tables
                 WHERE relname = 'population_personaccesslog'), 0)
FROM pg_stat_wal w, pg_stat_bgwriter b
"""
ACTIVITY_KEYS = ("wal_records", "wal_fpi", "wal_bytes", "wal_syncs", "checkpoints", "access_log_autovacuums")


def activity(url: str) -> dict[str, int]:
    """The server's cumulative WAL, checkpoint and autovacuum counters (to explain a run, not to score it)."""
    with psycopg.connect(url, autocommit=True) as conn:
        return dict(zip(ACTIVITY_KEYS, conn.execute(ACTIVITY_SQL).fetchone(), strict=True))


def fdatasync_latency(directory: Path, count: int = 3000) -> dict[str, float]:
    """What a commit waits for, measured on the disk the cluster lives on: ``count`` 8 kB writes each
    followed by ``fdatasync`` (as PostgreSQL flushes its WAL), in milliseconds. A look-up's p99 cannot be
    better than this disk's rare stalls allow: while one flush stalls, every commit queues behind it."""
    path = directory / "fdatasync-probe.bin"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.ftruncate(fd, 16 * 1024 * 1024)
        os.fsync(fd)
        block = b"\0" * 8192
        waits = []
        for i in range(count):
            os.pwrite(fd, block, (i % 2048) * 8192)
            started = time.perf_counter()
            os.fdatasync(fd)
            waits.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    waits.sort()

    def at(share: float) -> float:
        return round(waits[min(len(waits) - 1, int(share * len(waits)))], 3)

    return {"count": count, "p50": at(0.5), "p99": at(0.99), "p999": at(0.999), "max": round(waits[-1], 1),
            "over_50ms": sum(1 for w in waits if w > 50)}  # fmt: skip


def raw_copy(url: str, path: Path) -> float:
    """Seconds for ``COPY`` of the CSV file into a scratch table with the registry's indexes and checks.

    Columns the file does not carry get defaults (the search key '', created/updated now()); the file
    holds commune codes, loaded as numbers into the commune columns (no foreign keys, as in the
    registry); the death-date check is dropped because the file has no is_deceased column.
    """
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_person_copy")
        conn.execute("CREATE TABLE bench_person_copy (LIKE population_person INCLUDING ALL)")
        conn.execute(
            "ALTER TABLE bench_person_copy ALTER full_name_search SET DEFAULT '', "
            "ALTER is_deceased SET DEFAULT false"
        )
        conn.execute(
            "ALTER TABLE bench_person_copy DROP CONSTRAINT IF EXISTS person_death_date_only_if_deceased"
        )
        started = time.monotonic()
        with conn.cursor() as cursor, path.open("rb") as stream:
            sql = (
                f"COPY bench_person_copy ({CSV_COLUMNS}) FROM STDIN "  # noqa: S608
                f"WITH (FORMAT csv, HEADER true, FORCE_NOT_NULL ({TEXT_COLUMNS}))"
            )
            with cursor.copy(sql) as copy:
                while data := stream.read(1 << 20):
                    copy.write(data)
        seconds = time.monotonic() - started
        conn.execute("DROP TABLE bench_person_copy")
    return seconds


def main() -> int:  # noqa: C901 - one linear run, easier to read in one piece
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("bench/registry.py needs PostgreSQL: run it through scripts/with-postgres.sh", file=sys.stderr)
        return 2
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            print(
                f"{tool} is missing (apt-get install {'wrk' if tool == 'wrk' else 'postgresql-client'})",
                file=sys.stderr,
            )
            return 2
    postgres_settings = require_durable(url)
    OUT.mkdir(parents=True, exist_ok=True)
    env = server_env()
    work = Path(tempfile.mkdtemp(prefix="egov-registry-bench-"))
    csv_path = work / "people.csv"
    summary: dict = {"scale": {"people": PEOPLE, "seconds_per_run": SECONDS, "rounds": ROUNDS,
                               "connections": CONNECTIONS, "gunicorn_workers": WORKERS, "cpus": os.cpu_count()},
                     "postgresql": postgres_settings}  # fmt: skip
    try:
        manage("migrate", "--noinput", "-v", "0", env=env)
        manage("load_units", env=env, capture=True)
        started = time.monotonic()
        manage(
            "generate_people", str(PEOPLE), "--seed", "1", "--output", str(csv_path), env=env, capture=True
        )
        summary["scale"]["generate_seconds"] = round(time.monotonic() - started, 1)
        summary["scale"]["csv_bytes"] = csv_path.stat().st_size
        print(f"generated {PEOPLE:,} people in {summary['scale']['generate_seconds']} s", file=sys.stderr)

        # ---- ingest: raw COPY, then import_people, same file ------------------------------------
        copy_seconds = raw_copy(url, csv_path)
        print(f"raw COPY: {copy_seconds:.1f} s", file=sys.stderr)
        started = time.monotonic()
        out = manage("import_people", str(csv_path), "--json", "--quiet", env=env, capture=True)
        import_wall = time.monotonic() - started
        report = json.loads(out.strip().splitlines()[-1])
        in_registry = scalar(url, "SELECT count(*) FROM population_person")
        summary["ingest"] = {
            "copy_seconds": round(copy_seconds, 2),
            "copy_rows_per_second": round(PEOPLE / copy_seconds),
            "import_seconds": report["seconds"],
            "import_seconds_with_process_start": round(import_wall, 2),
            "import_rows_per_second": report["rows_per_second"],
            "import_ratio_to_copy": round(copy_seconds / report["seconds"], 3),
            "input": report["input"],
            "accepted": report["accepted"],
            "rejected": report["rejected"],
            "imported": report["imported"],
            "rows_in_registry": in_registry,
            "balanced": report["accepted"] + report["rejected"] == report["input"] == PEOPLE,
        }
        print(f"import_people: {report['seconds']:.1f} s", file=sys.stderr)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE population_person")
            # As after any bulk load in production: write the load's dirty pages out now, not during
            # the look-ups (a checkpoint of gigabytes competing with every commit's WAL flush).
            try:
                conn.execute("CHECKPOINT")
            except psycopg.Error as error:
                print(f"no CHECKPOINT before the look-ups ({error})", file=sys.stderr)
            conn.execute("DROP TABLE IF EXISTS bench_ids")
            conn.execute(
                "CREATE TABLE bench_ids AS SELECT row_number() OVER () AS n, id_number FROM ("
                "SELECT id_number FROM population_person TABLESAMPLE BERNOULLI (%s) LIMIT %s) s",
                (min(100.0, 100.0 * SAMPLE_IDS * 2 / max(PEOPLE, 1)), SAMPLE_IDS),
            )
            conn.execute("ALTER TABLE bench_ids ADD PRIMARY KEY (n)")
            conn.execute("ANALYZE bench_ids")
            ids = [row[0] for row in conn.execute("SELECT id_number FROM bench_ids ORDER BY n")]
        ids_path = work / "ids.txt"
        ids_path.write_text("\n".join(ids) + "\n")
        pgbench_script = work / "lookup.sql"
        # The same table, index and columns as the API's person query; the id comes from a small table
        # of sampled numbers (pgbench variables are numbers only), one extra primary-key probe.
        pgbench_script.write_text(
            f"\\set n random(1, {len(ids)})\n"
            "SELECT p.* FROM population_person p WHERE p.id_number = (SELECT id_number FROM bench_ids WHERE n = :n);\n"
        )
        seeded = manage("shell", "-c", SEED_OFFICER, env=env, capture=True)
        token = json.loads(next(line for line in seeded.splitlines() if line.startswith("CONTEXT "))[8:])[
            "token"
        ]

        # ---- look-ups: bare view, API, pgbench, interleaved ---------------------------------------
        port = harness.free_port()
        server = subprocess.Popen(
            harness.gunicorn(PY, workers=WORKERS, port=port, extra=THREAD_ARGS),
            env=env, cwd=ROOT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wrk_env = dict(
            os.environ,
            BENCH_DIR=str(BENCH),
            BENCH_IDS=str(ids_path),
            BENCH_TOKEN=token,
            BENCH_PURPOSE=PURPOSE,
        )
        runs: dict[str, list[dict]] = {"bare": [], "lookup": [], "pgbench": []}
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/bench/bare", timeout=1).read()  # noqa: S310 - loopback
                    break
                except OSError:
                    time.sleep(0.2)
            # Warm up every worker's connection and caches.
            # Warm up every worker's connection and caches; the look-up longer (BENCH_WARMUP_SECONDS), so
            # that the index pages of a 10-million-row registry are in memory, as in a server that runs.
            for path, script, seconds in (
                ("/bench/bare", "get.lua", 2),
                ("/", "registry_lookup.lua", WARMUP),
            ):
                subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "-s", str(BENCH / script), base + path], env=wrk_env, capture_output=True, check=True)  # fmt: skip
            time.sleep(2)  # let the warm-up's last requests finish before counting log rows
            disk_before = fdatasync_latency(work)
            logs_before = scalar(url, "SELECT count(*) FROM population_personaccesslog")
            for _ in range(ROUNDS):
                runs["bare"].append(wrk(base + "/bench/bare", "get.lua", wrk_env))
                before = activity(url)
                runs["lookup"].append(wrk(base + "/", "registry_lookup.lua", wrk_env))
                after = activity(url)
                # What the server did during the look-ups: WAL per answer, flushes, checkpoints, autovacuums.
                runs["lookup"][-1]["server"] = {key: after[key] - before[key] for key in ACTIVITY_KEYS}
                runs["pgbench"].append(pgbench(url, pgbench_script))
        finally:
            server.terminate()
            server.wait(timeout=30)
        disk_after = fdatasync_latency(work)
        logs_written = scalar(url, "SELECT count(*) FROM population_personaccesslog") - logs_before

        def median(name: str, key: str) -> float:
            return statistics.median(r[key] for r in runs[name])

        ok_lookups = sum(
            r["requests"] - r["errors_status"] - r["errors_read"] - r["errors_timeout"]
            for r in runs["lookup"]
        )
        # wrk stops counting at the deadline while up to one request per connection is still being served
        # (and logged): at most that many more rows than answers, never fewer.
        in_flight_allowance = CONNECTIONS * ROUNDS
        bare = median("bare", "rps")
        lookup = median("lookup", "rps")
        raw = median("pgbench", "tps")
        summary["lookup"] = {
            "bare_rps": round(bare, 1),
            "bare_p99_ms": round(median("bare", "p99_us") / 1000, 1),
            "lookup_rps": round(lookup, 1),
            "lookup_p50_ms": round(median("lookup", "p50_us") / 1000, 1),
            "lookup_p99_ms": round(median("lookup", "p99_us") / 1000, 1),
            "lookup_ratio_to_bare": round(lookup / bare, 3),
            "pgbench_tps": round(raw, 1),
            "pgbench_latency_avg_ms": round(median("pgbench", "latency_avg_ms"), 3),
            "lookup_share_of_pgbench": round(lookup / raw, 4),
            "lookup_errors": sum(
                r["errors_status"] + r["errors_connect"] + r["errors_timeout"] for r in runs["lookup"]
            ),
            "lookups_answered": ok_lookups,
            "answers_per_wal_flush": round(
                ok_lookups / max(1, sum(r["server"]["wal_syncs"] for r in runs["lookup"])), 2
            ),
            "checkpoints_during_lookups": sum(r["server"]["checkpoints"] for r in runs["lookup"]),
            "access_log_autovacuums_during_lookups": sum(
                r["server"]["access_log_autovacuums"] for r in runs["lookup"]
            ),
            "access_log_rows_written": logs_written,
            "disk_fdatasync_ms_before_and_after": [disk_before, disk_after],
            "every_answer_logged": ok_lookups <= logs_written <= ok_lookups + in_flight_allowance,
        }
        summary["targets"] = {
            "R1_lookup_ratio_to_bare_ge_0.35": summary["lookup"]["lookup_ratio_to_bare"] >= 0.35,
            "S1_lookup_p99_lt_50ms": summary["lookup"]["lookup_p99_ms"] < 50,
            "R2_lookup_share_of_pgbench_ge_0.05": summary["lookup"]["lookup_share_of_pgbench"] >= 0.05,
            "R7_import_ratio_to_copy_ge_0.5": summary["ingest"]["import_ratio_to_copy"] >= 0.5,
            "R7_balanced": summary["ingest"]["balanced"],
        }
        summary["runs"] = runs
    finally:
        if not os.environ.get("BENCH_KEEP_CSV"):
            shutil.rmtree(work, ignore_errors=True)
    (OUT / "registry.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2, ensure_ascii=False))
    # Privacy invariant: no answered look-up without its log row.
    ok = (
        summary["ingest"]["balanced"]
        and summary["lookup"]["lookup_errors"] == 0
        and summary["lookup"]["every_answer_logged"]
        and summary["ingest"]["rows_in_registry"] == summary["ingest"]["imported"]
    )
    if not ok:
        print("CHECK FAILED: ingest counts, lookup errors or access-log rows do not add up", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
