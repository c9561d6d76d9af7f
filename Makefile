# Two commands do all the set-up on a fresh machine with Python 3.10+:
#   make lab    create .venv, install, open the course in JupyterLab
#   make test   create .venv, install, run every test (unit, notebooks, browser)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=300

.PHONY: lab test test-unit test-notebooks test-fast install playground exercises solutions bench clean

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

# Everything but the real-browser tests (quicker while editing).
test-fast: $(STAMP)
	$(PYTEST) -n 2 --dist loadscope -m "not browser" $(NBVAL) tests course solutions exercises

# Instructor mode: the playground as an app (no code cells) at http://localhost:8866
playground: $(STAMP)
	$(BIN)/voila --port=8866 --no-browser course/playground.ipynb

# Rewrite exercises/ from solutions/ (after editing a solution notebook by hand).
exercises: $(STAMP)
	$(BIN)/python tools/make_exercises.py

# Rebuild solutions/ from tools/notebooks/exercise_NN_*.py, execute them, then rewrite exercises/.
solutions: $(STAMP)
	$(BIN)/python tools/notebooks/exercise_build.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_optim.py
	$(BIN)/python benchmarks/bench_widgets.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
