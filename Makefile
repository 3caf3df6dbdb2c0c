# Huddle: `make run` starts everything, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help

TOOLS := $(CURDIR)/.tools
FERRETDB := $(TOOLS)/bin/ferretdb
FERRETDB_SRC := deploy/local/ferretdb
UV := $(or $(shell command -v uv 2>/dev/null),$(TOOLS)/uv/bin/uv)
PYTHON ?= python3
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON := $(PYTHON)

.PHONY: help setup tools assets browser wrk run test lint format typecheck bench asyncapi screenshots clean

help:
	@echo "make run    - set up, start NATS, FerretDB, every service and the gateway, load demo data"
	@echo "make test   - set up, lint, type-check and run every test layer against real servers"
	@echo "make bench  - benchmarks as ratios to baselines measured in the same run (load: var/bench/)"
	@echo "make screenshots - PNGs of the web app's main pages (desktop and phone) in docs/screenshots/"
	@echo "make format - apply ruff formatting and safe fixes"

# uv from PyPI when the machine has none (never a Python build: UV_PYTHON_DOWNLOADS=never).
$(TOOLS)/uv/bin/uv:
	$(PYTHON) -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet --disable-pip-version-check uv

# Byte-compiled once here: with PYTHONDONTWRITEBYTECODE set, Python would otherwise compile
# every module again in each of make run's processes at every start (decision 0028).
.venv/.synced: uv.lock pyproject.toml $(wildcard services/*/pyproject.toml shared/pyproject.toml deploy/devkit/pyproject.toml) Makefile | $(UV)
	$(UV) sync --frozen --all-packages --compile-bytecode
	@touch $@

# FerretDB v1.24.2, built once from the Go module proxy (see docs/decisions/0002-ferretdb-for-local-runs.md),
# with its lookups by _id using the _id index (decision 0029) and equalities narrowed in SQLite (0048).
$(FERRETDB): $(FERRETDB_SRC)/go.mod $(FERRETDB_SRC)/go.sum $(FERRETDB_SRC)/main.go $(FERRETDB_SRC)/build.sh $(wildcard $(FERRETDB_SRC)/patches/*.patch)
	@mkdir -p $(TOOLS)/bin
	$(FERRETDB_SRC)/build.sh $(abspath $(FERRETDB))

tools: $(FERRETDB)

# Browser files the gateway serves itself (the API reference page), pinned by package-lock.json;
# npm runs no package scripts (.npmrc). The gateway's copy is what it serves and packages.
NPM ?= npm
SWAGGER_UI := node_modules/swagger-ui-dist
GATEWAY_VENDOR := services/gateway/src/huddle_gateway/static/vendor
VENDOR_FILES := $(GATEWAY_VENDOR)/swagger-ui/swagger-ui-bundle.js $(GATEWAY_VENDOR)/swagger-ui/swagger-ui.css

node_modules/.package-lock.json: package.json package-lock.json .npmrc
	$(NPM) ci
	@touch $@

$(GATEWAY_VENDOR)/swagger-ui/%: node_modules/.package-lock.json
	@mkdir -p $(@D)
	cp $(SWAGGER_UI)/$* $@

# The NHS.UK design system for the web app (served at /assets/), prepared by
# deploy/nhsuk-assets.sh (its CSS without the web font; see there).
NHSUK := node_modules/nhsuk-frontend/dist/nhsuk
NHSUK_VENDOR := $(GATEWAY_VENDOR)/nhsuk
NHSUK_FILES := $(NHSUK_VENDOR)/.copied

$(NHSUK_VENDOR)/.copied: node_modules/.package-lock.json deploy/nhsuk-assets.sh
	deploy/nhsuk-assets.sh $(NHSUK) $(NHSUK_VENDOR)
	@touch $@

assets: $(VENDOR_FILES) $(NHSUK_FILES)

# Debian's Chromium for the browser tests (tests/browser, Playwright drives it; Playwright's
# own browser download is never used), installed where the machine allows it (root and
# apt-get). Elsewhere this says how to install it, and the browser tests fail saying so too.
BROWSER_PACKAGE := chromium
browser:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(BROWSER_PACKAGE) (Debian) for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGE) \
		|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(BROWSER_PACKAGE); }; \
	else echo "warning: no Chromium, and no root to install it: run 'sudo apt-get install $(BROWSER_PACKAGE)'; the browser tests fail without it" >&2; fi

setup: .venv/.synced tools assets browser

# FerretDB is built only when no MONGODB_URL points at a server already.
# HUDDLE_RUN_STARTED_AT: the launcher reports readiness counted from here.
run: .venv/.synced assets $(if $(MONGODB_URL),,tools)
	HUDDLE_RUN_STARTED_AT=$$(date +%s.%N) $(UV) run --frozen python -m huddle_devkit run

lint: .venv/.synced
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

# By package (each ships py.typed), so imports across the workspace are checked too.
MYPY_PACKAGES := $(foreach dir,$(wildcard shared/src/huddle_* deploy/devkit/src/huddle_* services/*/src/huddle_*),-p $(notdir $(dir)))

typecheck: .venv/.synced
	$(UV) run --frozen mypy $(MYPY_PACKAGES)

# One pytest worker per core and one more (pytest-xdist; tests/conftest.py keeps each module,
# and all the browser tests, on one worker; decision 0047), then the tests that measure time,
# with nothing beside them. TEST_WORKERS=0 runs the first part in this process too.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))

test: setup lint typecheck
	$(UV) run --frozen pytest -n $(TEST_WORKERS) -m "not alone"
	$(UV) run --frozen pytest -m alone

format: .venv/.synced
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

asyncapi: .venv/.synced
	$(UV) run --frozen python -m huddle_devkit.asyncapi docs/asyncapi

# wrk (Debian) drives the load benchmark; installed where the machine allows (root, apt-get).
wrk:
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing wrk (Debian) for the load benchmark"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk \
		|| { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends wrk; }; \
	else echo "error: no wrk and no root to install it: install wrk, then run make bench" >&2; exit 1; fi

# BENCH_ARGS: for example --seconds 10, or --scale 1 to skip the 10x data set.
bench: setup wrk
	cd tests && $(UV) run --frozen python bench_notes.py
	cd tests && $(UV) run --frozen python bench.py
	cd tests && $(UV) run --frozen python bench_load.py $(BENCH_ARGS)
	cd tests && $(UV) run --frozen python bench_library.py
	cd tests && $(UV) run --frozen python bench_signposting.py
	cd tests && $(UV) run --frozen python bench_people.py

# PNGs of the main pages at desktop and phone widths, from a system of its own on free ports.
screenshots: setup
	$(UV) run --frozen python tests/screenshots.py docs/screenshots

clean:
	rm -rf .venv var .pytest_cache .mypy_cache .ruff_cache node_modules $(GATEWAY_VENDOR)
