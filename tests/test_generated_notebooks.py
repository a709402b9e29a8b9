"""Generated parts of the notebooks are in sync with their single source.

- ``solutions/*`` are generated from the chapters' tagged exercise cells (tools/make_solutions.py);
- every notebook's Colab badge and install/set-up cell come from tools/colab.py.
A stale copy would show learners an old solution or install from an old address.
"""

from pathlib import Path

import pytest

pytest.importorskip("nbformat", reason="notebook tooling lives in the course environment (.venv)")

from tools import colab, make_solutions  # noqa: E402  (after the skip)

ROOT = Path(__file__).resolve().parent.parent


def test_solutions_are_generated_from_the_chapters():
    assert make_solutions.stale() == [], "run: python -m tools.make_solutions, then execute solutions/"


def test_every_notebook_has_the_current_colab_badge_and_setup_cell():
    assert colab.stale() == [], "run: python -m tools.colab"


def test_every_chapter_with_exercises_has_a_solutions_notebook():
    root = ROOT
    chapters = {p.stem for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    solutions = {p.stem.removesuffix("_solutions") for p in (root / "solutions").glob("*_solutions.ipynb")}
    assert solutions <= chapters
    assert len(solutions) >= 2
