# Traject — the two commands that matter: `make up` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test lint typecheck contracts unit schema bench faults clean browser assets

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
test: $(STAMP) browser lint typecheck contracts unit

## make browser: Debian's Chromium for the browser tests (tests/browser); a no-op when it is there.
## Playwright drives /usr/bin/chromium and never downloads a browser of its own.
CHROMIUM := /usr/bin/chromium
APT_INSTALL := env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium
browser:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	echo "installing Debian's chromium (for tests/browser)"; \
	if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO $(APT_INSTALL) >/dev/null || { \
		$$SUDO apt-get update -q >/dev/null && \
		$$SUDO $(APT_INSTALL) >/dev/null; }; \
	[ -x $(CHROMIUM) ] || { echo "$(CHROMIUM) still missing after apt-get" >&2; exit 1; }

## make assets: re-vendor the front-end files into traject/web/static/vendor/ (needs npm; `make up` does not)
assets:
	$(PYTHON) traject/web/assets/vendor.py

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

## make bench: run every benchmark in bench/ with its defaults and rewrite its report there (not
## part of make test); bench/REPORT.md sets the figures against the targets. About an hour on 2
## cores (10,000 trajectories driven through the API, 10,000 held open); one at a time works too,
## e.g. `.venv/bin/python bench/throughput_bench.py --n 1000`.
BENCHES := simulate interpreter throughput open_trajectories inbox dashboard
bench: $(STAMP)
	$(BIN)/pip install -q -e '.[dev,bench]'
	@for name in $(BENCHES); do \
		script=bench/$${name}_bench.py; [ -f $$script ] || continue; \
		echo "== $$script"; $(BIN)/python $$script || exit 1; \
	done

## make faults: the fault tests of issue 9 at full size, 1,000 trajectories per fault (make test
## runs the same tests with 100); each prints its table of expected and found rows
FAULTS := tests/workflow/test_faults.py tests/workflow/test_server_restart.py \
	tests/workflow/test_pg_connection_drop.py
faults: $(STAMP)
	TRAJECT_FAULT_LOAD=1000 $(BIN)/pytest -q -s $(FAULTS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
