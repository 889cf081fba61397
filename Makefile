# Serverless Dojo: `make lab` to learn, `make test` to check everything.
# Both create or update the virtual environment in .venv first; when
# pyproject.toml has not changed since the last install, nothing is reinstalled.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.dojo-installed
PYTEST_ARGS ?= -n auto

# nbgrader runs the alembic command from PATH: the venv's tools must come first.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: lab test setup system-deps release

lab: setup
	$(BIN)/dojo lab

test: setup system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# PostgreSQL and headless Chromium for the database and browser tests (installed only if missing).
system-deps:
	bash .ci/system-deps.sh

release: setup
	$(BIN)/dojo release

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@
