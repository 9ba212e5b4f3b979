# MySetlist backend. `make run` starts the suite with embedded defaults;
# `make test` runs every test against a throwaway PostgreSQL and Redis.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BUF := $(VENV)/bin/buf
export PYTHONPATH := $(CURDIR):$(CURDIR)/gen

.PHONY: run test proto proto-vendor lint breaking bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

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
