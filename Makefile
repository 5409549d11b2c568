# Traject — the two commands that matter: `make up` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint typecheck contracts unit schema bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## make up: set everything up and start Traject on its embedded default
up: $(STAMP)
	$(BIN)/traject validate --quiet definitions/
	$(BIN)/traject up

## make test: install what the tests need, then lint, type-check, check contracts and run the tests
test: $(STAMP) lint typecheck contracts unit

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest; status=$$?; if [ $$status -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$status

## make schema: regenerate definitions/schema.json from the language's models
schema: $(STAMP)
	$(BIN)/traject schema > definitions/schema.json

## make bench: run the benchmarks and rewrite their reports in bench/ (not part of make test)
bench: $(STAMP)
	$(BIN)/python bench/simulate_bench.py
	$(BIN)/python bench/interpreter_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
