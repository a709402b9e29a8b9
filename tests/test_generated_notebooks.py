"""Generated parts of the notebooks are in sync with their single source.

- ``solutions/*`` are generated from the chapters' tagged exercise cells (tools/make_solutions.py);
- every notebook's Colab badge and install/set-up cell come from tools/colab.py.
A stale copy would show learners an old solution or install from an old address.
"""

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbformat", reason="notebook tooling lives in the course environment (.venv)")

TOOLS = Path(__file__).resolve().parent.parent / "tools"


def load(name):
    sys.path.insert(0, str(TOOLS))
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_solutions_are_generated_from_the_chapters():
    assert load("make_solutions").stale() == [], "run: python tools/make_solutions.py, then execute solutions/"


def test_every_notebook_has_the_current_colab_badge_and_setup_cell():
    assert load("colab").stale() == [], "run: python tools/colab.py"


def test_every_chapter_with_exercises_has_a_solutions_notebook():
    root = TOOLS.parent
    chapters = {p.stem for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    solutions = {p.stem.removesuffix("_solutions") for p in (root / "solutions").glob("*_solutions.ipynb")}
    assert solutions <= chapters
    assert len(solutions) >= 2
