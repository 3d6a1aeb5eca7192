# Lifeboat — every developer and CI entry point. `make test` and `make demo` set up everything.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
CHECKOV_STAMP := $(VENV)/checkov/.installed
BROWSER_STAMP := $(VENV)/.browser
PYTEST_ARGS ?=

.PHONY: setup test lint typecheck unit demo bench emulator clean

setup: $(PY_STAMP) $(NODE_STAMP) $(CHECKOV_STAMP) $(BROWSER_STAMP)

$(PY_STAMP): requirements.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Lifeboat needs Python 3.11 (Azure Functions runtime); found " + sys.version' 
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .  # the lifeboat CLI
	@touch $@

# checkov pins pycep-parser and packaging to versions that conflict with requirements-dev.txt,
# so it gets its own venv (inside .venv/, so clean/ignore rules cover it).
$(CHECKOV_STAMP): infra/requirements-checkov.txt | $(PY_STAMP)
	$(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/pip install --quiet --disable-pip-version-check -r infra/requirements-checkov.txt
	@touch $@

# Debian's chromium + chromium-driver for the dashboard's browser test (apt-get, idempotent).
$(BROWSER_STAMP): .ci/install-browser.sh | $(PY_STAMP)
	.ci/install-browser.sh
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(PY_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(PY_STAMP)
	$(PY) -m mypy shared function_app.py functions emulator devtools

test: setup lint typecheck
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

unit: $(PY_STAMP)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

demo: setup
	$(PY) -m demo

bench: setup
	$(PY) -m bench

emulator: setup
	$(PY) -m emulator --estate emulator/estates/demo.json

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis .lifeboat-local
