# Civic: `make run` serves the app, `make test` runs every test. Both need only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test lint audit screenshots install install-test translations extract-messages migrate clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Civic needs Python 3.11 or newer (set PYTHON=python3.12, for example)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

translations: $(VENV)/.installed
	@$(BIN)/pybabel compile -d civic/translations 2>&1 | grep -v "^compiling catalog" || true

extract-messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k "lazy_pgettext:1c,2" -k "pgettext:1c,2" -o civic/translations/messages.pot .
	$(BIN)/pybabel update -i civic/translations/messages.pot -d civic/translations --no-fuzzy-matching

migrate: $(VENV)/.installed
	$(BIN)/flask db upgrade

run: install translations migrate
	$(BIN)/flask civic seed-demo --if-empty
	$(BIN)/python wsgi.py

# `make test` runs the suite in two passes. First every test that may share the machine, spread
# over TEST_WORKERS processes (pytest-xdist; each has its own databases and Redis keys); then,
# alone, the browser tests and the tests marked `serial` (real server processes, timing). A pass
# that selects nothing (exit 5, e.g. PYTEST_ARGS=tests/browser) is not a failure.
# TEST_WORKERS=0 runs the first pass in one process.
TEST_WORKERS ?= auto
PARALLEL_TESTS := not browser and not serial
SERIAL_TESTS := browser or serial

# The layering and the style, checked before any test runs (see docs/architecture.md, "Imports").
lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Known vulnerable dependencies among the installed versions (pip-audit). It trusts a service only
# once the service finds the known vulnerabilities of a canary, and otherwise says that it did NOT
# run (failing only with CIVIC_REQUIRE_AUDIT=1): see SECURITY.md, "Dependencies".
audit: install-test
	$(BIN)/python .ci/audit_dependencies.py

test: install-test translations lint
	@status=0; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) -m "$(PARALLEL_TESTS)" $(PYTEST_ARGS) || [ $$? -eq 5 ] || status=1; \
	$(BIN)/python -m pytest -m "$(SERIAL_TESTS)" $(PYTEST_ARGS) || [ $$? -eq 5 ] || status=1; \
	exit $$status

# The README's pictures: the demo tour of the browser tests, saved at 1280 and 375 px.
screenshots: install-test translations
	CIVIC_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -m browser tests/browser/test_demo_tour.py

clean:
	rm -rf $(VENV) .pytest_cache
