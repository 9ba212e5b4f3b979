# MySetlist backend. `make run` starts the suite with embedded defaults;
# `make test` runs every test against a throwaway PostgreSQL and Redis.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUF := $(VENV)/bin/buf
export PYTHONPATH := $(CURDIR):$(CURDIR)/gen

.PHONY: venv run test proto proto-vendor lint breaking bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

## Create .venv with every runtime and development dependency (other targets do it too).
venv: $(VENV)/.installed

gen/.stamp: $(VENV)/.installed $(shell find protos -name '*.proto')
	$(PY) scripts/gen_protos.py
	touch $@

## Regenerate Python code and type stubs from protos/.
proto: $(VENV)/.installed
	$(PY) scripts/gen_protos.py
	touch gen/.stamp

## Refresh third_party/protos from the pinned googleapis-common-protos wheel.
proto-vendor: $(VENV)/.installed
	$(PY) scripts/vendor_protos.py

## buf lint (STANDARD) and ruff.
lint: $(VENV)/.installed
	$(BUF) lint
	$(VENV)/bin/ruff check .

## buf breaking against main (override: make breaking AGAINST='.git#ref=HEAD~1').
AGAINST ?= .git\#branch=main
breaking: $(VENV)/.installed
	$(BUF) breaking --against '$(AGAINST)'

## Run the suite on loopback with embedded defaults (SQLite under .data/, embedded Redis).
run: gen/.stamp
	$(PY) scripts/run_suite.py

## Run every test; starts a throwaway PostgreSQL and Redis itself. Extra args: ARGS='-k vote'.
test: gen/.stamp
	$(PY) -m pytest $(ARGS)

## Run every benchmark under bench/, in name order; stops at the first failure.
bench: gen/.stamp
	@set -e; found=0; for script in $$(ls bench/*.py 2>/dev/null | sort); do \
		found=1; echo "== $$script"; $(PY) $$script; done; \
	[ $$found = 1 ] || echo "no benchmarks in bench/ yet"

## Remove generated code, local data and caches (keeps .venv; rm -rf .venv for a full reset).
clean:
	rm -rf gen .data .tmp .pytest_cache .ruff_cache .mypy_cache
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
