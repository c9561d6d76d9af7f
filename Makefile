# Two commands do all the set-up on a fresh machine with Python 3.10+:
#   make lab    create .venv, install, open the course in JupyterLab
#   make test   create .venv, install, run every test (unit, notebooks, browser)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=300

.PHONY: lab test test-unit test-notebooks install exercises bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab course/00_welcome.ipynb

# Unit tests and every notebook; pytest's exit code 5 (nothing collected) fails too.
test: $(STAMP)
	$(PYTEST) -n 2 --dist loadscope $(NBVAL) tests course solutions exercises

test-unit: $(STAMP)
	$(PYTEST) -n 2 tests

test-notebooks: $(STAMP)
	$(PYTEST) -n 2 --dist loadscope $(NBVAL) course solutions exercises

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
