"""What the HTTP benchmarks share: a free port, the server's environment, one wrk run.

Every server benchmark starts gunicorn in production mode with the bare baseline view on (``EGOV_BENCH``)
and long database sessions, and drives it with wrk (2 threads, BENCH_CONNECTIONS connections) through a
Lua script that ends with ``wrk_report.lua``'s ``EGOV_RESULT`` line.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(var_dir: Path) -> dict[str, str]:
    """Production mode, the bench view on, database sessions kept for the whole run."""
    env = dict(os.environ)
    env.update(
        EGOV_SECRET_KEY=secrets.token_urlsafe(50),
        EGOV_BENCH="1",
        EGOV_DEBUG="0",
        EGOV_TESTING="0",
        EGOV_ALLOWED_HOSTS="127.0.0.1,localhost",
        EGOV_CONN_MAX_AGE="600",
        EGOV_LOG_LEVEL="WARNING",
        EGOV_SECURE_COOKIES="0",
        PYTHONPATH=str(ROOT / "src"),
        DJANGO_SETTINGS_MODULE="egov.config.settings",
        EGOV_VAR_DIR=str(var_dir),
    )
    return env


def gunicorn(python: str, *, workers: int, port: int, extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The command line of the server under test: sync workers (``extra`` for other worker classes)."""
    return [
        python, "-m", "gunicorn", "egov.config.wsgi", "-w", str(workers), *extra,
        "-b", f"127.0.0.1:{port}", "--log-level", "warning",
    ]  # fmt: skip


def wrk(url: str, script: str, env: dict[str, str], *, connections: int, seconds: int) -> dict:
    """One wrk run; the script's EGOV_RESULT line, with ``rps`` added."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(BENCH / script),
            url,
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith("EGOV_RESULT "))
    result = json.loads(line.split(" ", 1)[1])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result
