# Two commands a new user needs: `make demo` and `make test`.
# Any Python >= 3.11; prefers python3.11 when present.
PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev
JOBS   ?= 2

.PHONY: demo test test-unit test-slow bench bench-all lint clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: no python3 found; set PYTHON=/path/to/python3.11"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "error: $(PYTHON) is older than 3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEVSTAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(BIN)/cbecopt solve instances/demo --model warehouses --independent --out results/demo

# The wall-clock checks of --time-limit and Ctrl-C run after the rest, one at a time: a
# machine busy with other tests would measure the load, not cbecopt.
test: $(DEVSTAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m "not slow and not timing"
	$(BIN)/python -m pytest -m "timing and not slow"

# The fast tier alone: functions checked without a solver, a command or another process
# (tests/tiers.py says what each tier may do); seconds, in one process.
test-unit: $(DEVSTAMP)
	$(BIN)/python -m pytest -m "unit and not slow"

test-slow: $(DEVSTAMP)
	$(BIN)/python -m pytest -n $(JOBS) -m "slow and not timing"

bench: $(DEVSTAMP)
	$(BIN)/python -m benchmarks run --suite default

bench-all: $(DEVSTAMP)
	$(BIN)/python -m benchmarks run --suite all --time-limit 60

lint: $(DEVSTAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) results build src/*.egg-info .pytest_cache
