# Two commands do all the set-up on a fresh machine with Python 3.10+:
#   make lab    create .venv, install, open the course in JupyterLab
#   make test   create .venv, install, run every test (unit, notebooks, browser)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/python -m pytest
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout=300

.PHONY: lab test test-unit test-notebooks test-fast test-perturbed install playground notebook notebooks exercises bench clean lock handout book

$(STAMP): pyproject.toml tools/lab_settings/overrides.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# pip compiles every installed package's bytecode on one core (about a minute); compileall does
	# the same on every core. Without it, each process of the first run would compile what it imports.
	$(BIN)/python -m pip install --quiet --no-compile -e ".[dev]"
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
	mkdir -p $(VENV)/share/jupyter/lab/settings
	cp tools/lab_settings/overrides.json $(VENV)/share/jupyter/lab/settings/
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab course/00_welcome.md

# Unit tests and every notebook; pytest's exit code 5 (nothing collected) fails too. The notebooks come
# first: xdist hands out whole files in the order given, so the longest ones (lesson 9, the solutions)
# start early and the many short test files at the end keep both workers busy until they finish
# together. The exercises run in tests/test_exercises_fail_gently.py (every one, untouched, must answer
# only "not done yet"): nbval would run them a second time.
test: $(STAMP)
	$(PYTEST) -n 2 --dist loadscope $(NBVAL) course solutions tests

test-unit: $(STAMP)
	$(PYTEST) -n 2 tests

test-notebooks: $(STAMP)
	$(PYTEST) -n 2 --dist loadscope $(NBVAL) course solutions exercises

# Everything but the real-browser tests (quicker while editing).
test-fast: $(STAMP)
	$(PYTEST) -n 2 --dist loadscope -m "not browser" $(NBVAL) tests course solutions exercises

# The prose's robustness check: every test and notebook on another BLAS kernel with one BLAS
# thread, every random draw of minigrad moved by a few units in its last digit (tools/perturbed).
test-perturbed: $(STAMP)
	PYTHONPATH=tools/perturbed OPENBLAS_CORETYPE=Sandybridge OPENBLAS_NUM_THREADS=1 \
		$(PYTEST) -n 2 --dist loadscope $(NBVAL) tests course solutions exercises

# The participants' tree (build/handout): executed lessons, exercises, playground, data; no sources.
# BRANCH=handout also commits it as the next commit of that branch, for nbgitpuller to pull.
handout: $(STAMP)
	$(BIN)/python tools/make_handout.py $(if $(BRANCH),--branch $(BRANCH))

# The hub image's exact versions: binder/requirements.txt, resolved from pyproject.toml (runtime
# dependencies and the [hub] extra) for the image's Python (binder/runtime.txt) on Linux. Run after
# changing a dependency; tests/test_binder_env.py checks the lock against pyproject.toml.
IMAGE_PYTHON = $(shell sed -n "s/^python-//p" binder/runtime.txt)
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet "uv>=0.5"
	$(BIN)/uv pip compile pyproject.toml --extra hub --python-version $(IMAGE_PYTHON) \
		--python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock" \
		--quiet -o binder/requirements.txt

# Instructor mode: the playground as an app (no code cells) at http://localhost:8866;
# run from the root, Voilà reads voila.json there (a kernel kept ready: a preset link opens in seconds).
# A busy port is an error rather than another port: the slides' links name 8866.
playground: $(STAMP)
	$(BIN)/voila --port=8866 --Voila.port_retries=0 --no-browser course/playground.ipynb

# The course site (Jupyter Book 1, config in book/): every lesson's executed notebook as a page, nothing
# run, no network. Opens at $(BOOK_OUT)/_build/html/index.html. Each lesson's launch button opens it live
# on Binder and/or a JupyterHub (nbgitpuller pulls the repository there); without BOOK_REPOSITORY_URL
# there is no button, and each lesson says to run `make lab` instead. For example:
#   make book BOOK_REPOSITORY_URL=https://github.com/<owner>/<repo> BOOK_HUB_URL=https://<hub>
BOOK_OUT ?= build/book
BOOK_REPOSITORY_URL ?=
BOOK_BRANCH ?= main
BOOK_BINDER_URL ?= https://mybinder.org
BOOK_HUB_URL ?=
book: $(STAMP)
	BOOK_REPOSITORY_URL="$(BOOK_REPOSITORY_URL)" BOOK_BRANCH="$(BOOK_BRANCH)" BOOK_BINDER_URL="$(BOOK_BINDER_URL)" \
		BOOK_HUB_URL="$(BOOK_HUB_URL)" $(BIN)/jupyter-book build . --config book/_config.yml --toc book/_toc.yml \
		--path-output $(BOOK_OUT)

# After editing a lesson's or a solution's Markdown source (course/*.md, solutions/*.md):
#   make notebook NB=course/05_lr_schedules.md   rebuild and execute that notebook
#   make notebooks                               rebuild and execute every notebook whose source changed
# Building a solution also regenerates exercises/ from solutions/.
notebook: $(STAMP)
	@test -n "$(NB)" || { echo "usage: make notebook NB=course/05_lr_schedules.md"; exit 2; }
	$(BIN)/python tools/build_notebook.py $(NB)

notebooks: $(STAMP)
	$(BIN)/python tools/build_notebook.py

# Rewrite exercises/ from solutions/ (make notebook does it too when it builds a solution).
exercises: $(STAMP)
	$(BIN)/python tools/make_exercises.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_core.py
	$(BIN)/python benchmarks/bench_optim.py
	$(BIN)/python benchmarks/bench_widgets.py
	$(BIN)/python benchmarks/bench_stacked.py
	$(BIN)/python benchmarks/bench_memory.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
