#!/usr/bin/env bash
# `make run`: the platform on one machine with the embedded defaults (SQLite in var/, files on disk,
# tasks in the same database), the demo province loaded and its accounts printed.
#
#   scripts/run-dev.sh                 serves http://127.0.0.1:8000
#   EGOV_RUN_ADDR=0.0.0.0:8080 scripts/run-dev.sh
#
# A task worker (manage.py db_worker, all queues) runs in the background and is stopped when the
# web server stops (Ctrl+C).
set -euo pipefail

cd "$(dirname "$0")/.."
PY=${EGOV_PYTHON:-.venv/bin/python}
ADDR=${EGOV_RUN_ADDR:-127.0.0.1:8000}
export EGOV_DEBUG=${EGOV_DEBUG:-1}

"$PY" manage.py migrate --noinput

if "$PY" manage.py help load_demo >/dev/null 2>&1; then
    "$PY" manage.py load_demo
else
    echo "run-dev: manage.py load_demo is not available yet; starting with an empty database" >&2
fi

# Both queues: "default" and "notifications" (settings.TASKS); the worker's own default is one queue.
"$PY" manage.py db_worker --queue-name '*' &
worker=$!
# The scheduled deadline scan (cron or a systemd timer in a deployment, docs/runbook.md): every 15 minutes.
(while sleep "${EGOV_SCAN_SECONDS:-900}"; do "$PY" manage.py scan_deadlines || true; done) &
scanner=$!
# Re-queue edXML messages whose back-off has elapsed (every minute in a deployment).
(while sleep 60; do "$PY" manage.py exchange_retry >/dev/null || true; done) &
exchange_retry=$!

stop_worker() {
    trap - EXIT INT TERM
    kill -TERM "$scanner" "$exchange_retry" 2>/dev/null || true
    if kill -0 "$worker" 2>/dev/null; then
        kill -TERM "$worker" 2>/dev/null || true
        wait "$worker" 2>/dev/null || true
    fi
}
trap stop_worker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "run-dev: task worker pid $worker; web server on http://$ADDR/ (Ctrl+C stops both)"
"$PY" manage.py runserver "$ADDR"
