# OpsLedger — `make run` starts the console, `make test` runs the whole suite. `make help` lists all.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# pytest workers of `make test`: the browser tests share one console on one worker, the rest spread.
TEST_WORKERS ?= 2
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help run worker test lint fmt typecheck unit e2e bench chromium faketime odbc poppler clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "OpsLedger needs Python 3.11 ($(PYTHON)); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: $(PY) requirements.txt pyproject.toml
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

run: $(VENV)/.runtime ## set up, create/upgrade the database, load demo data on first start, start the console
	@$(PY) -m engine db upgrade >/dev/null
	@$(PY) -m engine demo load >/dev/null
	@$(PY) -m engine demo accounts --banner --port $(PORT)
	$(VENV)/bin/streamlit run console/app.py --server.port $(PORT)

worker: $(VENV)/.runtime ## run the background jobs without the console (server database deployments)
	$(PY) -m jobs

chromium: ## install Debian's chromium for the browser tests when it is missing
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  echo "installing chromium (Debian package) for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

faketime: ## install Debian's faketime for the every-weekday tests when it is missing
	@command -v faketime >/dev/null || { \
	  echo "installing faketime (Debian package) for the every-weekday tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq faketime >/dev/null; }

odbc: ## install unixODBC and Debian's PostgreSQL ODBC driver for the WMS pull's tests when missing
	@odbcinst -q -d 2>/dev/null | grep -q "PostgreSQL Unicode" || { \
	  echo "installing unixodbc and odbc-postgresql (Debian packages) for the WMS pull tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq unixodbc odbc-postgresql >/dev/null; }

lint: $(VENV)/.dev ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(VENV)/.dev ## format the code
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: $(VENV)/.dev ## mypy (strict on engine/ and jobs/)
	$(VENV)/bin/mypy

test: $(VENV)/.dev chromium faketime odbc lint typecheck ## everything: lint, types, unit, integration, console, browser tests
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadgroup

unit: $(VENV)/.dev faketime odbc ## the suite without the browser tests
	$(VENV)/bin/pytest -m "not browser"

e2e: $(VENV)/.dev chromium ## only the browser tests
	$(VENV)/bin/pytest -m browser

$(VENV)/.bench: $(VENV)/.dev requirements-bench.txt
	$(PY) -m pip install --quiet -r requirements-bench.txt
	@touch $@

poppler: ## install Debian's poppler-utils (pdftotext, the invoice benchmark's anchor) when missing
	@command -v pdftotext >/dev/null || { \
	  echo "installing poppler-utils (Debian package) for the invoice benchmark"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq poppler-utils >/dev/null; }

bench: $(VENV)/.bench poppler ## the benchmark suite (figures go into BENCHMARKS.md)
	$(PY) -m tests.benchmarks

clean: ## remove the virtual environment (never the data directory)
	rm -rf $(VENV) .mypy_cache .ruff_cache
