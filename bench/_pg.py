"""What every PostgreSQL benchmark checks about its server before it measures anything.

Benchmarks run through ``EGOV_PG_DURABLE=1 scripts/with-postgres.sh``: a commit is on disk before it is
acknowledged (fsync and synchronous_commit on), as in production. A server that trades durability for speed
(the test suite's throwaway cluster) makes write figures meaningless, so a benchmark refuses it unless
BENCH_ALLOW_NONDURABLE=1 is set, and records the settings it ran with either way.
"""

from __future__ import annotations

import os
import sys
from urllib.parse import unquote, urlsplit

import psycopg

SETTINGS = ("fsync", "synchronous_commit", "full_page_writes", "shared_buffers", "server_version")


def conninfo(url: str) -> dict[str, str]:
    """libpq parameters of a ``postgres://`` URL; the host may be a percent-encoded socket directory
    (``urlsplit`` lower-cases host names, which would break such a path)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    host, _, port = netloc.rpartition(":") if netloc.count(":") else (netloc, "", "")
    return {
        "host": unquote(host) or "127.0.0.1",
        "port": port or "5432",
        "user": unquote(parts.username or "egov"),
        "password": unquote(parts.password or ""),
        "dbname": (parts.path or "/egov").lstrip("/"),
    }


def server_settings(url: str) -> dict[str, str]:
    with psycopg.connect(url, autocommit=True) as conn:
        return {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in SETTINGS}


def require_durable(url: str) -> dict[str, str]:
    """The server's settings; exits with a message when commits are not durable (see the module's text)."""
    found = server_settings(url)
    durable = found["fsync"] == "on" and found["synchronous_commit"] in {"on", "remote_write", "remote_apply"}
    found["durable"] = "yes" if durable else "no"
    if not durable and os.environ.get("BENCH_ALLOW_NONDURABLE") != "1":
        print(
            f"benchmark refused: the server does not flush commits (fsync={found['fsync']}, "
            f"synchronous_commit={found['synchronous_commit']}). Run it through "
            "`EGOV_PG_DURABLE=1 scripts/with-postgres.sh ...`, or set BENCH_ALLOW_NONDURABLE=1 for a quick look.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return found
