# Task runner used by developers and CI alike.
PY ?= .venv/bin/python
BIN := $(dir $(PY))

.PHONY: setup check test coverage bench demo fmt docs

setup:
	bash scripts/setup

check:
	$(BIN)ruff format --check .
	$(BIN)ruff check .
	$(BIN)mypy

fmt:
	$(BIN)ruff format .
	$(BIN)ruff check --fix .

# The README's test command: pytest on WORKERS processes (pytest-xdist; CI runs this).
# `make test PYTEST_ARGS="tests/cases -x"` passes arguments on; `make test WORKERS=0` runs
# in one process. Two workers suit CI's two cores (the tests wait on subprocesses, servers
# and PostgreSQL as much as they compute); --dist loadgroup keeps tests/browser on one
# worker (tests/conftest.py says why) and spreads the rest test by test.
WORKERS ?= 2
test:
	$(PY) -m pytest -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS)

# pytest under coverage on the same workers, subprocesses included (pyproject.toml
# [tool.coverage]; the xdist workers are subprocesses too); the report fails below
# fail_under. Separate from `make test`: in one process on Python 3.11 coverage took 1.6-2.2x
# the suite's wall time; on two workers it has not yet been timed on a quiet 2-core machine.
coverage:
	$(BIN)coverage erase
	$(BIN)coverage run -m pytest -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS)
	$(BIN)coverage combine --quiet
	$(BIN)coverage report

bench:
	$(PY) bench/run_all.py

demo:
	$(BIN)pingjing demo

# Regenerate the generated parts of the docs (tests fail while they are stale).
docs:
	$(PY) -m rating.clidoc
	$(PY) -m rating.openapi --markdown docs/api.md
