# The DataFlow Lab · MLflow curriculum.
#   make lab    set up .venv, start the stack and JupyterLab, print the URLs
#   make test   set up .venv, run the whole test suite against its own lab
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: help lab up down status doctor reset test notebooks lock lint venv clean benchmark benchmark-workshop chromium postgresql screenshots site workshop
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

help:
	@echo "make lab        set up everything and open the lab (stack + JupyterLab)"
	@echo "make test       run the whole test suite against a lab of its own"
	@echo "make workshop   start a workshop lab for a room (PostgreSQL, accounts): see docs/instructor_guide.md"
	@echo "make up | down | status | doctor | reset    manage the stack (LAB_HOME=$${LAB_HOME:-.lab})"
	@echo "make notebooks  rebuild notebooks/ and solutions/ from lessons/ and run them"
	@echo "make benchmark  time 'lab up' and measure the stack's memory"
	@echo "make benchmark-workshop  60 learners at once: defaults vs lab vs workshop server"
	@echo "make screenshots  refresh docs/screenshots from the live UI (browser tests)"
	@echo "make site       build the executed lessons into a static HTML book (build/site)"
	@echo "make lint       ruff over the code and the notebooks"

venv: $(STAMP)

# uv installs the locked versions in ~30 s where pip takes ~110 s; bytecode is compiled at
# install time because the servers import thousands of modules at every start.
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "Python 3.11 is required (found $$($(PYTHON) --version)); set PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --python $(BIN)/python --compile-bytecode requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lab)" >/dev/null
	touch $@

lab: venv
	$(BIN)/lab up --jupyter

up: venv
	$(BIN)/lab up

down: venv
	$(BIN)/lab down

status: venv
	$(BIN)/lab status

doctor: venv
	$(BIN)/lab doctor

reset: venv
	$(BIN)/lab reset

test: venv chromium postgresql
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The UI tests drive Debian's Chromium (Playwright cannot download its own browser here).
# Workshop labs keep their metadata in Debian's PostgreSQL (programs in /usr/lib/postgresql).
postgresql:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql; }

workshop: venv postgresql
	$(BIN)/lab up --workshop

chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

screenshots: venv chromium
	$(BIN)/python -m pytest tests/test_ui.py
	cp build/screenshots/*.png docs/screenshots/

site: venv
	$(BIN)/python tools/build_site.py

notebooks: venv
	$(BIN)/lab up
	$(BIN)/python tools/build_notebooks.py --execute $(LESSONS)

benchmark: venv
	$(BIN)/python benchmarks/lab_up.py

benchmark-workshop: venv postgresql
	$(BIN)/python benchmarks/workshop_load.py --learners 60 --seconds 60 --repeats 3

lint: venv
	$(BIN)/ruff check .

lock:
	uv pip compile --python 3.11 requirements.in -o requirements.lock
	$(BIN)/python tools/sync_environment_yml.py

clean:
	rm -rf build
