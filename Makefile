# Two commands on a fresh machine: `make hub` (the course hub) and `make test` (the whole test suite).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: hub test install system-deps node release bench

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

node_modules/.bin/configurable-http-proxy: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

node: node_modules/.bin/configurable-http-proxy

system-deps:
	bash scripts/install-system-deps.sh

release: install
	$(PY) -m autograder release

hub: install node release
	$(PY) -m hub

# The grader runs student code as an unprivileged user (and server mode runs students as their own users); they
# import the project's student-side modules from this tree, so it must be enterable (a fresh clone may be 0700).
test: install node system-deps
	chmod go+rx . $(VENV)
	$(PY) -m pytest

bench: install
	$(PY) bench/reference.py
	$(PY) bench/grading.py
