# Task runner used by developers and CI alike.
PY ?= .venv/bin/python
BIN := $(dir $(PY))

.PHONY: setup check test coverage pytest bench demo fmt docs

setup:
	bash scripts/setup

check:
	$(BIN)ruff format --check .
	$(BIN)ruff check .
	$(BIN)mypy

fmt:
	$(BIN)ruff format .
	$(BIN)ruff check --fix .

# The README's test command (CI runs it): pytest on WORKERS processes (pytest-xdist) under
# coverage, the SQLite writer, `pingjing serve` and worker subprocesses included
# (pyproject.toml [tool.coverage]); it fails below fail_under. On two workers it took
# 4:39 for 1,782 tests, the plain run 3:51 (3 December 2026; the plain run beside other work).
# `make test PYTEST_ARGS="tests/cases -x"` passes arguments on and then reports coverage
# without the floor (a part of the suite covers only part of the code); `make test
# WORKERS=0` runs in one process; `make pytest` runs the same without coverage.
# Two workers suit CI's two cores (the tests wait on subprocesses, servers and PostgreSQL as
# much as they compute); --dist loadgroup keeps tests/browser on one worker
# (tests/conftest.py says why) and spreads the rest test by test.
WORKERS ?= 2
PYTEST = -m pytest -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS)
test:
	$(BIN)coverage erase
	$(BIN)coverage run $(PYTEST)
	$(BIN)coverage combine --quiet
	$(BIN)coverage report $(if $(PYTEST_ARGS),--fail-under=0)

# The old name of `make test`.
coverage: test

pytest:
	$(PY) $(PYTEST)

bench:
	$(PY) bench/run_all.py

demo:
	$(BIN)pingjing demo

# Regenerate the generated parts of the docs (tests fail while they are stale).
docs:
	$(PY) -m rating.clidoc
	$(PY) -m rating.openapi --markdown docs/api.md
