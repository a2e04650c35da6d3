# Two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
JOBS   ?= 2

.PHONY: demo test test-slow bench lint clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEVSTAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(BIN)/cbecopt solve instances/demo --model warehouses --out results/demo

test: $(DEVSTAMP)
	$(BIN)/python -m pytest -n $(JOBS)

test-slow: $(DEVSTAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m slow

bench: $(DEVSTAMP)
	$(BIN)/python -m benchmarks run --suite default

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) results build src/*.egg-info .pytest_cache
