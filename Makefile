# The two commands: `make run` (set up and serve with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install lint format bench bench-builder bench-widget fuzz load clean

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
	rm -rf $(VENV) $(FUZZ_VENV) $(LOAD_VENV) .pytest_cache .ruff_cache
