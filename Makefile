# Two commands on a fresh machine: `make hub` (the course hub) and `make test` (the whole test suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: hub test install system-deps node release bench

# `install` is the self-learner's set (work and check); the hub's and the tests' packages are extras on top.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $(STAMP)

$(VENV)/.installed-%: $(STAMP)
	$(PY) -m pip install -q -e '.[$*]'
	touch $@

install: $(STAMP)

node_modules/.bin/configurable-http-proxy: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node: node_modules/.bin/configurable-http-proxy

system-deps:
	bash scripts/install-system-deps.sh

release: install
	$(PY) -m autograder release

hub: $(VENV)/.installed-hub node release
	$(PY) -m hub

# The grader runs student code as an unprivileged user (and server mode runs students as their own users); they
# import the project's student-side modules from this tree, so it must be enterable (a fresh clone may be 0700).
test: $(VENV)/.installed-test node system-deps
	chmod go+rx . $(VENV)
	$(PY) -m pytest

bench: $(VENV)/.installed-test
	$(PY) bench/reference.py
	$(PY) bench/grading.py
