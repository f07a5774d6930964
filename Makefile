# The two commands: `make run` (set up and serve with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint format bench bench-builder bench-widget fuzz load cluster-test clean check-deploy audit

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required (set PYTHON=python3.x).")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

.env:
	cp .env.example .env

install: $(STAMP) .env

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo --base-url http://$(HOST):$(PORT)
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench.chat

bench-builder: install
	$(BIN)/python -m bench.builder

bench-widget: install
	$(BIN)/python -m bench.widget

# Schemathesis against the whole schema on a throwaway database (PostgreSQL when DATABASE_URL
# points there); FUZZ_EXAMPLES cases per operation in the fuzzing phase.
FUZZ_VENV ?= .venv-fuzz
FUZZ_EXAMPLES ?= 10
FUZZ_STAMP := $(FUZZ_VENV)/.requirements-installed

$(FUZZ_STAMP): requirements-fuzz.txt
	@test -x $(FUZZ_VENV)/bin/python || $(PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-fuzz.txt
	@touch $(FUZZ_STAMP)

fuzz: install $(FUZZ_STAMP)
	$(BIN)/python fuzz/run.py --schemathesis $(abspath $(FUZZ_VENV))/bin/schemathesis --max-examples $(FUZZ_EXAMPLES)

# Django's deployment checklist (check --deploy) under production settings: DEBUG off, a fresh
# random SECRET_KEY and encryption key, a real host name. Any warning fails.
check-deploy: install
	DEBUG=False ALLOWED_HOSTS=chat.example.com \
	SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	FIELD_ENCRYPTION_KEYS="$$($(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# pip-audit over every requirements*.txt, from a virtualenv of its own (audit/run.py says what
# fails the run). AUDIT_FLAGS=--allow-unaudited where no vulnerability service can be reached.
AUDIT_VENV ?= .venv-audit
AUDIT_FLAGS ?=
AUDIT_STAMP := $(AUDIT_VENV)/.requirements-installed

$(AUDIT_STAMP): requirements-audit.txt
	@test -x $(AUDIT_VENV)/bin/python || $(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-audit.txt
	@touch $(AUDIT_STAMP)

audit: $(AUDIT_STAMP)
	$(AUDIT_VENV)/bin/python audit/run.py --pip-audit $(abspath $(AUDIT_VENV))/bin/pip-audit $(AUDIT_FLAGS)

# The deployment's shape with real processes (tests/cluster/, skipped by `make test`): a throwaway
# PostgreSQL cluster and redis-server, two gunicorn app servers, Celery workers, faults, the
# SQLite default under concurrent writers, and the Procfile run with honcho behind HAProxy.
# honcho (requirements-deploy.txt) gets a virtualenv of its own.
DEPLOY_VENV ?= .venv-deploy
DEPLOY_STAMP := $(DEPLOY_VENV)/.requirements-installed

$(DEPLOY_STAMP): requirements-deploy.txt
	@test -x $(DEPLOY_VENV)/bin/python || $(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-deploy.txt
	@touch $(DEPLOY_STAMP)

cluster-test: install $(DEPLOY_STAMP)
	CLUSTER_TESTS=1 HONCHO=$(abspath $(DEPLOY_VENV))/bin/honcho $(BIN)/python -m pytest tests/cluster --durations=15

# Mixed traffic with locust (headless) against gunicorn + PostgreSQL + Redis for LOAD_SECONDS,
# LOAD_USERS simulated people; a throwaway database on the server DATABASE_URL points at (default
# the local one), and LOAD_REDIS_URL, a Redis database of its own, emptied before and after.
# Exits non-zero on any error. Locust lives in a virtualenv of its own (LOAD_VENV).
LOAD_VENV ?= .venv-load
LOAD_SECONDS ?= 60
LOAD_USERS ?= 60
LOAD_REDIS_URL ?= redis://127.0.0.1:6379/14
LOAD_STAMP := $(LOAD_VENV)/.requirements-installed

$(LOAD_STAMP): requirements-load.txt
	@test -x $(LOAD_VENV)/bin/python || $(PYTHON) -m venv $(LOAD_VENV)
	$(LOAD_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-load.txt
	@touch $(LOAD_STAMP)

load: install $(LOAD_STAMP)
	$(BIN)/python -m bench.load.run --locust $(abspath $(LOAD_VENV))/bin/locust --seconds $(LOAD_SECONDS) \
		--users $(LOAD_USERS) --redis-url '$(LOAD_REDIS_URL)'

clean:
	rm -rf $(VENV) $(FUZZ_VENV) $(AUDIT_VENV) $(DEPLOY_VENV) $(LOAD_VENV) .pytest_cache .ruff_cache
