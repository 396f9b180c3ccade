#!/usr/bin/env bash
# Run the test suite with the project's pytest configuration (pyproject.toml).
#
#   scripts/run-tests.sh [pytest args...]
#
# The database is SQLite unless DATABASE_URL says otherwise (scripts/with-postgres.sh sets it).
# pytest's exit code 5 ("no tests were collected") is turned into a failure: a suite that ran
# nothing must never look green.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
PY=${EGOV_PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3

export EGOV_CHROMIUM=${EGOV_CHROMIUM:-/usr/bin/chromium}
engine=sqlite
case "${DATABASE_URL:-}" in postgres*) engine=postgresql ;; esac
echo "run-tests: database=$engine chromium=$EGOV_CHROMIUM"

"$PY" -m pytest "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "run-tests: pytest collected no tests; treating that as a failure" >&2
    exit 1
fi
exit "$rc"
