# PyTorch labs. `make` lists the targets; every target builds the environment on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-done
LAB ?=
TARGET ?=
EX ?=
LEVEL ?=
FORCE ?=

.DEFAULT_GOAL := help
.PHONY: help setup test test-lab check-stubs check-mistakes stubs check-sync gpu-check run hint watch progress doctor labs clean

help: ## list the targets
	@echo "PyTorch labs: make <target> [LAB=<lab>]   (LAB: a folder like phase1_foundations/lab1_tensors, lab1_tensors, or 1.1)"
	@echo
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  \1|\2/' | column -t -s '|'
	@echo
	@echo "Examples: make test-lab LAB=1.1   make test-lab LAB=1.1 EX=2   make hint LAB=1.1 EX=2   make watch LAB=1.1"
	@echo "          make run LAB=1.1   make run LAB=1.1 TARGET=exercises"

setup: $(STAMP) ## build .venv from requirements.txt (idempotent; other targets do it for you)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed; found " + sys.version.split()[0] + ". Run: make PYTHON=python3.11 setup")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $@
	@echo "environment ready: $(VENV)"

test: setup ## grade every reference solution and test the shared package
	$(PY) -m pytest

test-lab: setup ## grade YOUR exercises of LAB, exercise by exercise (TARGET=solution grades the reference, EX=N one exercise)
	@if [ -z "$(LAB)" ]; then echo "usage: make test-lab LAB=<lab>   (valid labs below)"; $(PY) -m shared.cli labs; exit 2; fi
	@$(PY) -m shared.cli test-lab "$(LAB)" --target $(or $(TARGET),exercises) $(if $(EX),--exercise "$(EX)")

check-stubs: setup ## every exercise test must fail on the untouched stubs
	$(PY) -m shared.cli check-stubs

check-mistakes: setup ## every known learner mistake (tests/<phase>/mistakes/) must be caught by its exercise's tests (LAB=… for one lab)
	$(PY) -m shared.cli check-mistakes $(LAB)

stubs: setup ## regenerate exercises/ from solution/ (edited stubs are kept unless FORCE=1)
	$(PY) -m shared.stubgen $(LAB) $(if $(FORCE),--force)

check-sync: setup ## fail if a committed stub differs from the one generated from its solution
	$(PY) -m shared.stubgen --check

gpu-check: setup ## on a machine with a CUDA GPU: every gpu-marked test and the runners' GPU sections (under 5 minutes)
	$(PY) -m shared.gpu_check

run: setup ## run a lab's runner solution/solution.py on the reference (TARGET=exercises: on your code)
	@$(PY) -m shared.cli run $(or $(LAB),phase1_foundations/lab1_tensors) --target $(or $(TARGET),solution)

hint: setup ## the next hint for exercise EX of LAB, a nudge first (LEVEL=k shows one level again)
	@if [ -z "$(LAB)" ]; then echo "usage: make hint LAB=<lab> EX=<exercise>   (valid labs below)"; $(PY) -m shared.cli labs; exit 2; fi
	@$(PY) -m shared.cli hint "$(LAB)" $(if $(EX),--exercise "$(EX)") $(if $(LEVEL),--level "$(LEVEL)")

watch: setup ## regrade YOUR exercises of LAB every time you save one (EX=N: that exercise only; Ctrl-C stops)
	@if [ -z "$(LAB)" ]; then echo "usage: make watch LAB=<lab> [EX=<exercise>]   (valid labs below)"; $(PY) -m shared.cli labs; exit 2; fi
	@$(PY) -m shared.cli watch "$(LAB)" $(if $(EX),--exercise "$(EX)") $(if $(POLL),--poll)

progress: setup ## exercises you have passed, lab by lab
	@$(PY) -m shared.cli progress

doctor: setup ## check the environment: Python, the torch trio, devices, folders
	@$(PY) -m shared.cli doctor

labs: setup ## list the labs and their short names
	@$(PY) -m shared.cli labs

clean: ## remove outputs and caches (keeps .venv and data/)
	find . -name __pycache__ -prune -not -path './.venv/*' -exec rm -rf {} +
	find . -name outputs -type d -prune -not -path './.venv/*' -exec rm -rf {} +
