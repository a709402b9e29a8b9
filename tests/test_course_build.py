"""`make course` leaves the checkout as it was, and says only what a learner needs (issue 14).

The Makefile's own ``course`` target runs on a tiny course: a throw-away git repository with copies of the
Makefile and the tools, and one small notebook committed WITH outputs, its prints split over several stream
blocks as a real run may leave them. Afterwards ``git status --porcelain`` must be empty, and the output must
be exactly the notebook's line and the line that says where the site is: no kernel transport warning, no
traceback. The runner itself: ``--in-place`` (the authors' route) does rewrite a notebook, and a failing
notebook is reported with its failing cell while the others still run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="notebooks run in the course environment (.venv)")
pytest.importorskip("nbclient")
pytest.importorskip("nbconvert")

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the environment running the tests: the course's .venv
RUNNER = [sys.executable, "-m", "tools.run_notebooks"]  # run from ROOT (cwd=ROOT), where the tools package is
LINE = re.compile(r"^(?P<name>\S+) +(?P<seconds>\d+\.\d) s  (?P<status>ok|FAILED)$")

TINY_MARKDOWN = """# 00 · A tiny chapter

**Time:** about 1 minute (3 s to run)

## What you will learn

- that a formula such as $\\tfrac{\\lambda}{2}\\lVert\\theta\\rVert^2$ is typeset on the site
"""
TINY_CODE = "import time\nfor step in range(3):\n    print('step', step, flush=True)\n    time.sleep(0.05)"


def tiny_notebook(outputs_split: bool = True):
    """One markdown cell and one code cell; its committed outputs are split over three stream blocks."""
    v4 = nbformat.v4
    code = v4.new_code_cell(TINY_CODE, execution_count=1)
    texts = [f"step {i}\n" for i in range(3)] if outputs_split else ["step 0\nstep 1\nstep 2\n"]
    code.outputs = [v4.new_output("stream", name="stdout", text=t) for t in texts]
    nb = v4.new_notebook(cells=[v4.new_markdown_cell(TINY_MARKDOWN), code])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def clean_env() -> dict:
    env = dict(os.environ)
    for name in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL"):  # run as a learner would, not as a sub-make of make test
        env.pop(name, None)
    env.update(HF_HUB_OFFLINE="1", PYTHONHASHSEED="0", TOKENIZERS_PARALLELISM="false")
    return env


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-c", "user.name=course", "-c", "user.email=course@example.org", *args],
                            cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture(scope="module")
def tiny_course(tmp_path_factory) -> Path:
    """A git repository shaped like the course, one notebook, everything committed."""
    if shutil.which("git") is None or shutil.which("make") is None:
        pytest.skip("needs git and make")
    repo = tmp_path_factory.mktemp("course") / "clone"
    (repo / "tools").mkdir(parents=True)
    (repo / "notebooks").mkdir()
    (repo / "pictures").mkdir()
    for name in ("Makefile", "pyproject.toml", "constraints.txt", ".gitignore"):
        shutil.copy(ROOT / name, repo / name)
    (repo / "course_lib").mkdir()  # tools/colab.py (imported by translate) reads the course version there
    shutil.copy(ROOT / "course_lib" / "__init__.py", repo / "course_lib" / "__init__.py")
    # make course also translates the executed copies (tools/translate.py; with no translations/ here it writes
    # no Chinese notebook and must stay silent)
    for name in ("__init__.py", "run_notebooks.py", "build_site.py", "translate.py", "colab.py", "make_solutions.py", "answers.py",
                 "output_folder.py", "sync_run_times.py"):
        shutil.copy(ROOT / "tools" / name, repo / "tools" / name)
    nbformat.write(tiny_notebook(), repo / "notebooks" / "00_tiny.ipynb")
    (repo / ".stamp").touch()  # stands for the installed .venv (newer than pyproject.toml and constraints.txt)
    with open(repo / ".gitignore", "a") as ignore:
        ignore.write(".stamp\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tiny course")
    return repo


@pytest.fixture(scope="module")
def course_run(tiny_course) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "course", f"BIN={BIN}", f"STAMP={tiny_course / '.stamp'}"], cwd=tiny_course,
                          capture_output=True, text=True, timeout=600, env=clean_env())


def test_make_course_leaves_the_checkout_clean(tiny_course, course_run):
    assert course_run.returncode == 0, f"make course failed:\n{course_run.stdout}\n{course_run.stderr}"
    assert git(tiny_course, "status", "--porcelain") == "", "make course changed tracked or unignored files"
    copy = nbformat.read(tiny_course / "build" / "course" / "notebooks" / "00_tiny.ipynb", as_version=4)
    assert copy.cells[1].outputs[0]["text"] == "step 0\nstep 1\nstep 2\n", copy.cells[1].outputs
    page = (tiny_course / "site" / "00_tiny.html").read_text(encoding="utf-8")
    assert 'src="mathjax/MathJax.js' in page and (tiny_course / "site" / "mathjax" / "MathJax.js").is_file()
    assert "require.min.js" not in page, "the page asks a CDN for require.js"


def test_make_course_prints_one_line_per_notebook_and_the_site(tiny_course, course_run):
    lines = course_run.stdout.splitlines()
    assert len(lines) == 2, f"expected 2 lines, got:\n{course_run.stdout}"
    match = LINE.match(lines[0])
    assert match and match["name"] == "00_tiny" and match["status"] == "ok", lines[0]
    site = os.path.realpath(tiny_course / "site" / "index.html")
    assert lines[1] == f"The course is ready: open {site} in your browser.", lines[1]
    # nothing on stderr: no "[IPKernelApp] WARNING | Kernel is running over TCP without encryption", no traceback
    assert course_run.stderr == "", f"make course wrote to stderr:\n{course_run.stderr}"
    assert not re.search(r"warning|traceback", course_run.stdout, re.I), course_run.stdout


def test_runner_in_place_and_failures(tmp_path):
    """--in-place rewrites the notebook (streams merged); a failure shows its cell and the run goes on."""
    tiny = tmp_path / "00_tiny.ipynb"
    nbformat.write(tiny_notebook(), tiny)
    failing = tmp_path / "01_failing.ipynb"
    v4 = nbformat.v4
    nbformat.write(v4.new_notebook(cells=[v4.new_code_cell("x = 1"), v4.new_code_cell("ratio = x / 0")]), failing)
    before = tiny.read_bytes()

    copies = subprocess.run([*RUNNER, "--out", str(tmp_path / "out"), str(failing), str(tiny)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300, env=clean_env())
    assert copies.returncode == 1, copies.stdout + copies.stderr
    assert tiny.read_bytes() == before, "without --in-place the notebook itself must not change"
    lines = copies.stdout.splitlines()
    assert LINE.match(lines[0])["status"] == "FAILED", copies.stdout
    assert "ratio = x / 0" in copies.stdout and "ZeroDivisionError" in copies.stdout, copies.stdout
    assert any((m := LINE.match(line)) and m["name"] == "00_tiny" and m["status"] == "ok" for line in lines)
    assert lines[-1] == "1 of 2 notebooks FAILED: 01_failing", copies.stdout
    assert copies.stderr == "", copies.stderr

    in_place = subprocess.run([*RUNNER, "--in-place", str(tiny)],
                              cwd=ROOT, capture_output=True, text=True, timeout=300, env=clean_env())
    assert in_place.returncode == 0, in_place.stdout + in_place.stderr
    assert in_place.stderr == "" and len(in_place.stdout.splitlines()) == 1, in_place.stdout + in_place.stderr
    outputs = nbformat.read(tiny, as_version=4).cells[1].outputs
    assert [o["text"] for o in outputs] == ["step 0\nstep 1\nstep 2\n"], outputs


def test_runner_names_a_bad_path(tmp_path):
    result = subprocess.run([*RUNNER, "--out", str(tmp_path), str(tmp_path / "missing.ipynb")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "neither a notebook" in result.stderr, result.stderr


def test_runner_asks_where_the_notebooks_go(tmp_path):
    """No default: the old `run_notebooks.py notebooks/NN.ipynb` (in place) now says which flag to add."""
    tiny = tmp_path / "00_tiny.ipynb"
    nbformat.write(tiny_notebook(), tiny)
    before = tiny.read_bytes()
    result = subprocess.run([*RUNNER, str(tiny)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and f"--in-place {tiny}" in result.stderr and "--out DIR" in result.stderr
    assert tiny.read_bytes() == before
