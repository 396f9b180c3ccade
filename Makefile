# egov: the commands the README names. `make help` lists them.
#
# Everything runs from the virtualenv in .venv (created by `make install`). Variables:
#   PYTHON=python3.11   interpreter used to create .venv
#   ARGS="-k calendar"  extra pytest arguments for the test targets

SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell command -v python3.11 || command -v python3)
STAMP := $(VENV)/.egov-installed
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run worker test test-pg test-browser test-all lint format check bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	scripts/system-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --progress-bar off -e '.[dev]'
	touch $(STAMP)

install: ## Debian packages if missing (as root), .venv, pip install -e .[dev]
	rm -f $(STAMP)
	$(MAKE) $(STAMP)

run: $(STAMP) ## migrate, load the demo province, run the task worker and the web server on 127.0.0.1:8000
	scripts/run-dev.sh

worker: $(STAMP) ## run only the task worker (all queues), e.g. next to a server started elsewhere
	EGOV_DEBUG=$${EGOV_DEBUG:-1} $(PY) manage.py db_worker --queue-name '*'

test: $(STAMP) ## the whole test suite on SQLite (browser tests included when Chromium is present)
	scripts/run-tests.sh $(ARGS)

test-pg: $(STAMP) ## the whole test suite on a throwaway PostgreSQL (scripts/with-postgres.sh)
	scripts/with-postgres.sh scripts/run-tests.sh $(ARGS)

test-browser: $(STAMP) ## only the browser tests (Debian's Chromium through Playwright)
	scripts/run-tests.sh -m browser $(ARGS)

test-all: ## exactly what CI runs: packages, .venv, lint, checks, tests on SQLite and PostgreSQL
	bash .ci/run

lint: $(STAMP) ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check --output-format concise .

format: $(STAMP) ## ruff format and the safe ruff fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: $(STAMP) ## makemigrations --check and check --deploy with production settings
	EGOV_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_deploy.py

bench: $(STAMP) ## the benchmarks in bench/ (bench/run_all.sh), results in bench/results/
	@if [ -x bench/run_all.sh ]; then bench/run_all.sh; \
	elif [ -f bench/run_all.sh ]; then bash bench/run_all.sh; \
	else echo "bench: bench/run_all.sh not found"; fi

clean: ## remove caches and test output (keeps .venv and the demo database in var/)
	rm -rf .ruff_cache .pytest_cache .hypothesis test-results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
