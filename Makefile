# leadscore: the two commands of the README are `make demo` and `make test`.
# Both create .venv if it is missing and install the pinned set (constraints.txt).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
WORKDIR ?= work

.PHONY: help install install-dev demo test test-fast lint format typecheck bench bench-quick real-data constraints clean

help:
	@echo "make demo        end-to-end demo on a synthetic CRM (creates .venv if missing)"
	@echo "make test        the whole test suite (creates .venv with dev extras if missing)"
	@echo "make test-fast   tests not marked slow/integration, on every core"
	@echo "make lint        ruff check + ruff format --check + mypy"
	@echo "make bench       benchmarks at full size; make bench-quick: small sizes"
	@echo "make real-data   train on the real CRMs in ../shared/data; writes the README's table"
	@echo "make constraints re-pin constraints.txt from the current .venv"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "leadscore needs Python 3.11, found " + sys.version' \
		|| { echo "Set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(RUN_STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e .
	@touch $@

$(DEV_STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -q -c constraints.txt -e '.[dev]'
	@touch $@ $(RUN_STAMP)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

demo: $(RUN_STAMP)
	$(BIN)/leadscore demo --workdir $(WORKDIR)

test: $(DEV_STAMP)
	$(BIN)/python -m pytest

test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -m "not slow and not integration" -n auto

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.run --scale full

bench-quick: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.run --scale quick

real-data: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.real_data

constraints: $(DEV_STAMP)
	$(PIP) freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(WORKDIR) .pytest_cache .mypy_cache .ruff_cache
