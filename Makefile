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
	$(PY) -m mypy shared function_app.py functions emulator devtools lifeboat_cli

test: setup lint typecheck
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

unit: $(PY_STAMP)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

demo: setup
	$(PY) -m demo

bench: setup
	$(PY) -m bench

emulator: setup
	@echo "Next steps, in a second shell, once the emulator prints its settings:"
	@echo "  1. paste its 'export LIFEBOAT_...' lines, then serve the app's HTTP functions:"
	@echo "       $(PY) -m devtools.serve --port 7071 --key local-key"
	@echo "  2. the readiness page: http://127.0.0.1:7071/api/dashboard?code=local-key"
	@echo "  3. the CLI: export LIFEBOAT_URL=http://127.0.0.1:7071 LIFEBOAT_FUNCTION_KEY=local-key"
	@echo "       .venv/bin/lifeboat status; .venv/bin/lifeboat --json status; .venv/bin/lifeboat --direct status"
	@echo "  4. a sample Service Health alert:"
	@echo "       curl -s -X POST -H 'Content-Type: application/json' 'http://127.0.0.1:7071/api/service-health?code=local-key' \\"
	@echo "         --data @tests/fixtures/payloads/alert-common-schema_servicehealth_maintenance_alertContext.json"
	$(PY) -m emulator --estate emulator/estates/demo.json

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .hypothesis .lifeboat-local
