#!/usr/bin/env bash
# Every benchmark, each against its baseline measured in the same run (results in bench/results/).
# Scale with BENCH_DOSSIERS, BENCH_PEOPLE, BENCH_DOCUMENTS; each script documents its own variables.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${EGOV_PYTHON:-.venv/bin/python}
scripts/with-postgres.sh "$PY" bench/dossiers.py
"$PY" bench/signing.py
scripts/with-postgres.sh "$PY" bench/documents_search.py
scripts/with-postgres.sh "$PY" bench/registry.py
