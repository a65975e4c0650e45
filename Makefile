# The README's commands. Everything installs into .venv from pyproject.toml.
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
export PORT HOST

.PHONY: install run api worker test test-fast lint typecheck bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip uv
	$(VENV)/bin/uv pip install -q --python $(PY) -e '.[dev]' || $(PY) -m pip install -q -e '.[dev]'
	touch $@

run: install ## the API on $(PORT) and one worker, embedded store and broker unless configured
	$(VENV)/bin/python scripts/run_local.py

api: install
	$(VENV)/bin/uvicorn service.main:app --host $(HOST) --port $(PORT)

worker: install
	$(VENV)/bin/celery -A workers.celery_app worker -Q $${TASK_QUEUE:-training},$${PREDICT_QUEUE:-predict} --concurrency $${WORKER_CONCURRENCY:-1} --loglevel INFO

test: install
	$(VENV)/bin/pytest

test-fast: install  ## everything but the end-to-end tests
	$(VENV)/bin/pytest -m "not e2e"

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

typecheck: install
	$(VENV)/bin/mypy schemas service store core workers

bench: install  ## service vs the hand-written reference, and ingest vs pyarrow (ratios)
	$(VENV)/bin/python bench/compare_reference.py
	$(VENV)/bin/python bench/ingest_benchmark.py

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
