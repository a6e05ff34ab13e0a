# The two commands a fresh machine needs: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
PYTEST_WORKERS ?= 2

.PHONY: run test lint format test-embedded test-services deps test-deps bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml changes.
$(VENV)/.deps: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml $(VENV)/.deps
	$(BIN)/pip install -q --disable-pip-version-check -e ".[test]"
	touch $@

deps: $(VENV)/.deps
test-deps: $(VENV)/.test-deps

## make run: the embedded product (SQLite, demo data) on http://127.0.0.1:$${PORT:-8000}
run: deps
	SITE_URL=$${SITE_URL:-http://127.0.0.1:$${PORT:-8000}} $(BIN)/python manage.py serve

lint: test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run

format: test-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## The suite on the embedded default (SQLite + in-memory layer, plus the browser, multi-process
## and deploy tests, which bring up their own servers), then the rest again on PostgreSQL +
## Redis with the PubSub layer (the default), then the tests that drive a channel layer once
## more with the other Redis layer (`redis`): the rest do not touch the layer.
test: test-deps lint
	./scripts/system-packages.sh
	./scripts/services.sh
	$(MAKE) --no-print-directory test-embedded test-services

LAYER_TESTS := tests/realtime tests/dining tests/kitchen tests/floor tests/menu/test_menu_changes.py \
  tests/tables/test_staff.py tests/venues/test_sockets_isolation.py \
  tests/venues/test_sockets_load.py tests/venues/test_sockets_roles.py \
  tests/billing/test_phone_ops.py

test-embedded:
	env -u DATABASE_URL -u REDIS_URL VAR_DIR=$(CURDIR)/var/test \
	  $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup -q

test-services:
	run=$$$$; for layer in pubsub redis; do \
	  echo "== PostgreSQL + Redis, CHANNEL_LAYER=$$layer"; \
	  if [ $$layer = pubsub ]; then tests=""; else tests="$(LAYER_TESTS)"; fi; \
	  env VAR_DIR=$(CURDIR)/var/test DATABASE_URL=$(PG_TEST_URL) REDIS_URL=$(REDIS_TEST_URL) \
	    CHANNEL_LAYER=$$layer TEST_RUN_ID=$$run \
	    $(BIN)/pytest -n $(PYTEST_WORKERS) -q -m "not browser and not multiprocess and not deploy" \
	    $$tests || exit 1; \
	done

## make bench [ARGS="W1 --quick"]: the load benchmark with its baselines (loopback only)
bench: test-deps
	./scripts/services.sh
	$(BIN)/python -m bench $(ARGS)
