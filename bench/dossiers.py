#!/usr/bin/env python
"""One-stop shop throughput: counter reception (durable) and public status look-up, each against a
bare Django view served by the same gunicorn in the same run, on PostgreSQL with N existing dossiers.

    EGOV_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/dossiers.py            # 100,000 dossiers
    BENCH_DOSSIERS=20000 BENCH_SECONDS=5 EGOV_PG_DURABLE=1 scripts/with-postgres.sh .venv/bin/python bench/dossiers.py

Load: wrk (Debian package) with 2 threads and 16 connections, on the same 2 cores as the server (so
absolute numbers are pessimistic; the ratios are what we compare). Each endpoint is run BENCH_ROUNDS
times (default 3), interleaved, and the median counts. Results go to bench/results/dossiers.json.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import _harness as harness
from _pg import require_durable

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = BENCH / "results"
PY = sys.executable
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))


def server_env() -> dict[str, str]:
    return harness.server_env(OUT / "var")


def manage(*args: str, env: dict[str, str], stdin: str | None = None) -> None:
    subprocess.run(
        [PY, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT, input=stdin, text=True
    )


def wrk(url: str, script: str, env: dict[str, str]) -> dict:
    return harness.wrk(url, script, env, connections=CONNECTIONS, seconds=SECONDS)


def count(env: dict[str, str], sql: str) -> int:
    code = (
        "from django.db import connection\n"
        f"c = connection.cursor(); c.execute({sql!r}); print('COUNT', c.fetchone()[0])\n"
    )
    out = subprocess.run(
        [PY, str(ROOT / "manage.py"), "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return int(next(line for line in out.splitlines() if line.startswith("COUNT")).split()[1])


def main() -> int:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench/dossiers.py needs PostgreSQL: run it through scripts/with-postgres.sh", file=sys.stderr)
        return 2
    postgres_settings = require_durable(os.environ["DATABASE_URL"])
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    env = server_env()
    manage("migrate", "--noinput", "-v", "0", env=env)
    started = time.monotonic()
    manage("shell", "-c", (BENCH / "seed_dossiers.py").read_text(), env=env)
    seeded_in = time.monotonic() - started
    context = json.loads((OUT / "context.json").read_text())
    body = json.dumps(
        {
            "procedure_code": context["procedure_code"],
            "agency_code": context["agency_code"],
            "applicant": {
                "name": "Nguyễn Thị Hoa",
                "id_number": "025190001234",
                "phone": "0912345678",
                "email": "hoa@example.vn",
                "address": "Phường Việt Trì, tỉnh Phú Thọ",
            },
            "documents": [{"required_document_id": pk, "quantity": 1} for pk in context["required"]],
        },
        ensure_ascii=False,
    )

    port = harness.free_port()
    server = subprocess.Popen(harness.gunicorn(PY, workers=WORKERS, port=port), env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/bench/bare", timeout=1).read()  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        wrk_env = dict(
            os.environ,
            BENCH_DIR=str(BENCH),
            BENCH_CODES=str(OUT / "codes.txt"),
            BENCH_TOKEN=context["token"],
            BENCH_BODY=body,
        )
        # Warm up every worker's connection and caches.
        for path, script in (("/bench/bare", "get.lua"), ("/", "status.lua")):
            subprocess.run(
                ["wrk", "-t2", "-c8", "-d2s", "-s", str(BENCH / script), base + path],
                env=wrk_env,
                capture_output=True,
                check=True,
            )
        before = count(env, "select count(*) from dossiers_dossier")
        events_before = count(env, "select count(*) from dossiers_dossierevent")
        runs: dict[str, list[dict]] = {"bare": [], "status": [], "receive": []}
        for _ in range(ROUNDS):
            runs["bare"].append(wrk(base + "/bench/bare", "get.lua", wrk_env))
            runs["status"].append(wrk(base + "/", "status.lua", wrk_env))
            runs["receive"].append(wrk(base + "/api/v1/dossiers/counter", "receive.lua", wrk_env))
    finally:
        server.terminate()
        server.wait(timeout=30)

    acknowledged = sum(
        r["requests"] - r["errors_status"] - r["errors_read"] - r["errors_timeout"] for r in runs["receive"]
    )
    created = count(env, "select count(*) from dossiers_dossier") - before
    receive_events = count(env, "select count(*) from dossiers_dossierevent") - events_before

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    bare = median("bare", "rps")
    summary = {
        "postgresql": postgres_settings,
        "scale": {
            "existing_dossiers": context["dossiers"],
            "seconds_per_run": SECONDS,
            "rounds": ROUNDS,
            "connections": CONNECTIONS,
            "gunicorn_workers": WORKERS,
            "cpus": os.cpu_count(),
            "seed_seconds": round(seeded_in, 1),
        },
        "bare_rps": round(bare, 1),
        "status_rps": round(median("status", "rps"), 1),
        "status_ratio": round(median("status", "rps") / bare, 3),
        "status_p99_ms": round(median("status", "p99_us") / 1000, 1),
        "receive_rps": round(median("receive", "rps"), 1),
        "receive_ratio": round(median("receive", "rps") / bare, 3),
        "receive_p95_ms": round(median("receive", "p95_us") / 1000, 1),
        "receive_errors": sum(
            r["errors_status"] + r["errors_connect"] + r["errors_timeout"] for r in runs["receive"]
        ),
        "receive_acknowledged": acknowledged,
        "receive_created": created,
        "receive_events_written": receive_events,
        "runs": runs,
    }
    (OUT / "dossiers.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2, ensure_ascii=False))
    ok = created >= acknowledged and summary["receive_errors"] == 0
    if not ok:
        print("DURABILITY CHECK FAILED: acknowledged receptions missing or errors returned", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
