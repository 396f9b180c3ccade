#!/usr/bin/env bash
# Every benchmark, each against its baseline measured in the same run (results in bench/results/).
# Scale with BENCH_DOSSIERS, BENCH_PEOPLE, BENCH_DOCUMENTS; each script documents its own variables.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${EGOV_PYTHON:-.venv/bin/python}
EGOV_PG_DURABLE=1 scripts/with-postgres.sh "$PY" bench/dossiers.py
"$PY" bench/signing.py
EGOV_PG_DURABLE=1 scripts/with-postgres.sh "$PY" bench/documents_search.py
EGOV_PG_DURABLE=1 scripts/with-postgres.sh "$PY" bench/registry.py
EGOV_PG_DURABLE=1 scripts/with-postgres.sh "$PY" bench/exchange.py
