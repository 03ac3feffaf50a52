# Task runner used by developers and CI alike.
PY ?= .venv/bin/python
BIN := $(dir $(PY))

.PHONY: setup check test bench demo fmt docs

setup:
	bash scripts/setup

check:
	$(BIN)ruff format --check .
	$(BIN)ruff check .
	$(BIN)mypy

fmt:
	$(BIN)ruff format .
	$(BIN)ruff check --fix .

test:
	$(PY) -m pytest

bench:
	$(PY) bench/run_all.py

demo:
	$(BIN)pingjing demo

# Regenerate the generated parts of the docs (tests fail while they are stale).
docs:
	$(PY) -m rating.clidoc
	$(PY) -m rating.openapi --markdown docs/api.md
