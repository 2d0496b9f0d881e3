# ProgresoNet developer commands. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench reliability messages clean-venv

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ProgresoNet needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.base-installed: requirements/base.lock | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements/base.lock
	@touch $@

$(VENV)/.dev-installed: requirements/dev.lock | $(VENV)/bin/python
	$(PIP) install --quiet -r requirements/dev.lock
	@touch $@ $(VENV)/.base-installed

## run: development server on embedded SQLite with demo data (Celery eager, console email)
run: $(VENV)/.base-installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_load
	$(PY) manage.py runserver $(HOST):$(PORT)

## lint: ruff (lint + format check) and djLint on the templates
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/djlint templates --lint

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djlint templates --reformat

## test: the whole suite on a throwaway PostgreSQL and Redis, Chromium for browser tests
test: $(VENV)/.dev-installed
	@sh scripts/check_system.sh
	$(MAKE) --no-print-directory lint
	DJANGO_SETTINGS_MODULE=progresonet.settings.test $(PY) scripts/services.py -- $(PY) -m pytest $(PYTEST_ARGS)

## bench: benchmarks; figures go to bench/out/results.json
bench: $(VENV)/.dev-installed
	@sh scripts/check_system.sh
	DJANGO_SETTINGS_MODULE=progresonet.settings.test $(PY) scripts/services.py -- $(PY) -m bench $(BENCH_ARGS)

## messages: recompile the Spanish catalogue after editing locale/es/LC_MESSAGES/django.po
messages: $(VENV)/.dev-installed
	$(PY) manage.py compilemessages --locale es --ignore .venv

clean-venv:
	rm -rf $(VENV)
