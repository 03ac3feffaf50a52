# Task runner used by developers and CI alike.
PY ?= .venv/bin/python
BIN := $(dir $(PY))

.PHONY: setup check test bench demo fmt

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
