# The CRM's commands. `make help` lists them.
# The distribution's Python 3.11+ first, when it can make a virtualenv: Debian's and Ubuntu's
# are built with profile-guided and link-time optimisation, as the production image's
# (python:3.11-slim) is. A Python built from source without them (pyenv's default build) ran
# the busy pages 15-20 % slower here. Else the first python3 on PATH; or set PYTHON_SYSTEM.
PYTHON_SYSTEM ?= $(firstword $(foreach p,/usr/bin/python3 python3,$(shell $(p) -c 'import sys, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $(p))) python3)
VENV := .venv
PY := $(VENV)/bin/python
NODE_STAMP := node_modules/.package-lock.json

.DEFAULT_GOAL := help
.PHONY: help run test lint format check messages env clean bench bench-scoping bench-outbox bench-import bench-activities bench-instructions bench-queries bench-documents bench-sales

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

run: $(VENV)/.deps-base $(NODE_STAMP) ## Run the whole system with demo data (web, worker, beat) until Ctrl-C
	@$(PY) scripts/stack.py run

# The suite runs on every core (pytest-xdist; one database and Redis db per worker); the
# benchmarks' tests stay together on one worker. PYTEST_ARGS="tests/sales -n 0" for one process.
PYTEST_ARGS ?= -n auto --dist loadgroup

test: $(VENV)/.deps-dev $(NODE_STAMP) ## Run the whole test suite (checks, ruff, browser tests included)
	@$(PY) scripts/stack.py test $(PYTEST_ARGS)

lint: $(VENV)/.deps-dev ## Lint and check formatting with ruff
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.deps-dev ## Format the code and fix what ruff can
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: $(VENV)/.deps-dev ## Update the Hungarian and English message catalogues
	DEBUG=true $(PY) manage.py makemessages -l hu -l en --ignore=.venv --ignore=node_modules --ignore=var --ignore=tests --ignore=deploy --no-obsolete

bench: $(VENV)/.deps-dev $(NODE_STAMP) ## Benchmark: partner list, page and search on 1M partners beside their SQL (every bench: BENCH_SCALE=0.1 for a tenth; README: Benchmarks)
	@$(PY) scripts/stack.py bench bench/partners.py $(BENCH_ARGS)

bench-scoping: $(VENV)/.deps-dev $(NODE_STAMP) ## Benchmark: a scoped list page beside the unscoped one on 1M rows × BENCH_SCALE
	@$(PY) scripts/stack.py bench bench/scoping.py

bench-outbox: $(VENV)/.deps-dev $(NODE_STAMP) ## Benchmark: 50,000 × BENCH_SCALE e-mails queued and sent through the outbox beside a raw SMTP script
	@$(PY) scripts/stack.py bench bench/outbox.py

bench-activities: $(VENV)/.deps-dev $(NODE_STAMP) ## Benchmark: the timeline, home page and nightly check on 5M × BENCH_SCALE activities beside their SQL
	@$(PY) scripts/stack.py bench bench/activities.py

bench-queries: $(VENV)/.deps-dev $(NODE_STAMP) ## Benchmark: the query builder's screen page, grouped report and 100,000-row exports on 5M × BENCH_SCALE activities beside their SQL
	@$(PY) scripts/stack.py bench bench/queries.py

bench-sales: $(VENV)/.deps-dev $(NODE_STAMP) ## Benchmark: the pipeline board and the forecast report on 100,000 open opportunities and 1M lines × BENCH_SCALE beside their SQL
	@$(PY) scripts/stack.py bench bench/sales.py

bench-documents: $(VENV)/.deps-dev $(NODE_STAMP) ## Benchmark: document search on 200,000 documents beside its SQL, text extraction, a 100 MB upload's memory, 500 generated PDFs beside WeasyPrint (× BENCH_SCALE)
	@$(PY) scripts/stack.py bench bench/documents_search.py
	@$(PY) scripts/stack.py bench bench/documents_upload.py
	@$(PY) scripts/stack.py bench bench/documents_generate.py

bench-instructions: $(VENV)/.deps-dev $(NODE_STAMP) ## Benchmark: instructions a page costs the web process (callgrind), steady on any machine (same BENCH_SCALE as make bench)
	@$(PY) scripts/stack.py bench bench/instructions.py

bench-import: $(VENV)/.deps-dev $(NODE_STAMP) ## Benchmark: a 1M-row (× BENCH_SCALE) partner CSV import beside a raw COPY
	@$(PY) scripts/stack.py bench bench/partner_import.py

env: $(VENV)/.deps-base ## Print the DATABASE_URL and REDIS_URL that run and test would use
	@$(PY) scripts/stack.py env

clean: ## Remove the virtualenv, node_modules and everything under var/ (private databases too)
	rm -rf $(VENV) node_modules var

$(VENV)/bin/python:
	@$(PYTHON_SYSTEM) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || \
		{ echo "crm: Python 3.11 or newer is needed as $(PYTHON_SYSTEM) (apt-get install python3 python3-venv), or set PYTHON_SYSTEM=python3.12"; exit 1; }
	@$(PYTHON_SYSTEM) -m venv $(VENV) || { echo "crm: cannot create $(VENV): install python3-venv"; rm -rf $(VENV); exit 1; }
	@$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.deps-base: pyproject.toml | $(VENV)/bin/python
	@echo "crm: installing Python dependencies"
	@$(PY) -m pip install --quiet --disable-pip-version-check -e . 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c 'import django, celery, psycopg' || { echo "crm: installing the Python dependencies failed; see above"; exit 1; }
	@touch $@

$(VENV)/.deps-dev: pyproject.toml | $(VENV)/bin/python
	@echo "crm: installing Python dependencies (with the test tools)"
	@$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v "^WARNING: Location" || true
	@$(PY) -c 'import django, celery, psycopg, pytest, playwright' || { echo "crm: installing the Python dependencies failed; see above"; exit 1; }
	@touch $@ $(VENV)/.deps-base

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "crm: Node.js is missing (npm not found): install it (apt-get install nodejs npm), or use docker compose up"; exit 1; }
	@echo "crm: installing front-end libraries from the npm registry"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@
