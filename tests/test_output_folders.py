"""No tool deletes or overwrites what it did not write (tools/output_folder.py).

Each tool that writes a folder refuses, with a one-line error naming the folder, the checkout itself (or a folder
that contains it), a folder holding tracked files, and a folder holding anything the tools did not write there;
its own earlier output is still replaced. Every command runs in a throwaway copy of the course (a fresh git
repository in a temporary folder), with HOME pointed at a temporary folder too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The tools read and write notebooks: not in the small transformers-4.57 environment (which has no nbformat).
pytest.importorskip("nbformat")

from tools import output_folder  # noqa: E402  (after the skip)

ROOT = Path(__file__).resolve().parent.parent

TINY = {"cells": [{"cell_type": "markdown", "id": "a1", "metadata": {}, "source": "# 00 · Tiny\n\nHello."}],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo,
                          capture_output=True, text=True, check=True).stdout


def make_course(tmp_path: Path) -> Path:
    """A committed copy of the tools and one tiny notebook; a home folder with a file of the learner's beside it."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    repo = tmp_path / "course"
    shutil.copytree(ROOT / "tools", repo / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "notebooks").mkdir()
    (repo / "notebooks" / "00_tiny.ipynb").write_text(json.dumps(TINY), encoding="utf-8")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    (repo / "course_lib").mkdir()  # tools/colab.py (imported by translate) reads the course version there
    shutil.copy(ROOT / "course_lib" / "__init__.py", repo / "course_lib" / "__init__.py")
    if (ROOT / "docs" / "run_times.json").exists():
        (repo / "docs").mkdir()
        shutil.copy(ROOT / "docs" / "run_times.json", repo / "docs" / "run_times.json")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "tiny course")
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.txt").write_text("mine", encoding="utf-8")
    (repo / "mine").mkdir()
    (repo / "mine" / "notes.txt").write_text("mine", encoding="utf-8")
    return repo


@pytest.fixture
def course(tmp_path) -> Path:
    return make_course(tmp_path)


@pytest.fixture(scope="module")
def shared_course(tmp_path_factory) -> Path:
    """One course for the refusals: each of them checks that it leaves every file as it was."""
    return make_course(tmp_path_factory.mktemp("refusals"))


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if ".git" not in p.parts}


def run_tool(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HOME": str(course.parent / "home")}
    return subprocess.run([sys.executable, *args], cwd=course, capture_output=True, text=True, timeout=300, env=env)


BAD_OUT = [
    (".", "is the course checkout"),
    ("..", "contains the course checkout"),
    ("{home}", "did not write"),
    ("notebooks", "holds files git tracks"),
    ("mine", "did not write"),
    ("pyproject.toml", "is a file"),
]

TOOLS = {
    "build_site.py": ["-m", "tools.build_site", "--quiet", "--out"],
    "run_notebooks.py": ["-m", "tools.run_notebooks", "notebooks/00_tiny.ipynb", "--out"],
    "translate.py": ["-m", "tools.translate", "--quiet", "--out"],
}


@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize("out, reason", BAD_OUT, ids=[o for o, _ in BAD_OUT])
def test_a_tool_refuses_a_folder_it_did_not_make(shared_course, tool, out, reason):
    course = shared_course
    if tool == "translate.py" and out == ".":
        pytest.skip("translate.py writes the committed zh-CN/ into the checkout: its job")
    before = files(course.parent)
    out = out.format(home=course.parent / "home")
    result = run_tool(course, *TOOLS[tool], out)
    assert result.returncode != 0, result.stdout + result.stderr
    assert files(course.parent) == before, "the tool deleted or wrote files"
    assert git(course, "status", "--porcelain") == "?? mine/\n"
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{tool}: will not write into ") and reason in lines[0], lines


def test_build_site_replaces_its_own_site_and_refuses_an_added_file(course):
    for _ in range(2):  # the second run replaces the first one's output (its marker lists every file)
        result = run_tool(course, "-m", "tools.build_site", "--quiet", "--out", "site")
        assert result.returncode == 0, result.stderr
    site = course / "site"
    assert (site / "00_tiny.html").is_file() and (site / output_folder.MARKER).is_file()
    (site / "my_notes.txt").write_text("mine", encoding="utf-8")  # a learner's file among the pages
    result = run_tool(course, "-m", "tools.build_site", "--quiet", "--out", "site")
    assert result.returncode != 0 and "my_notes.txt" in result.stderr, result.stderr
    assert (site / "my_notes.txt").read_text(encoding="utf-8") == "mine"


def test_build_site_still_replaces_a_site_from_before_the_marker(course):
    site = course / "site"
    (site / "mathjax").mkdir(parents=True)
    (site / "index.html").write_text("old", encoding="utf-8")
    (site / "mathjax" / "MathJax.js").write_text("old", encoding="utf-8")
    result = run_tool(course, "-m", "tools.build_site", "--quiet", "--out", "site")
    assert result.returncode == 0, result.stderr
    assert (site / "index.html").read_text(encoding="utf-8") != "old"


def test_build_site_and_run_notebooks_name_a_notebook_that_is_not_json(course):
    (course / "bad").mkdir()
    (course / "bad" / "00_bad.ipynb").write_text("{", encoding="utf-8")
    for args in (["-m", "tools.build_site", "--out", "site", "--notebooks", "bad"],
                 ["-m", "tools.run_notebooks", "--out", "build/x", "bad/00_bad.ipynb"]):
        result = run_tool(course, *args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode != 0 and len(lines) == 1 and "00_bad.ipynb is not a readable notebook" in lines[0], \
            result.stderr
    assert not (course / "site").exists() and not (course / "build").exists()


def test_translate_names_a_missing_chapter(course):
    for flag in ("--skeleton", "--todo"):
        result = run_tool(course, "-m", "tools.translate", flag, "99")
        lines = result.stderr.strip().splitlines()
        assert result.returncode != 0 and len(lines) == 1 and "no chapter notebook starts with '99'" in lines[0], \
            result.stderr


def test_the_helper_marks_replaces_and_refuses(tmp_path):
    root = tmp_path / "checkout"
    (root / "notebooks").mkdir(parents=True)
    out = output_folder.prepare(tmp_path / "out", "tool.py", replace=True, root=root)
    (out / "page.html").write_text("x", encoding="utf-8")
    output_folder.finish(out)
    assert "page.html" in (out / output_folder.MARKER).read_text(encoding="utf-8")
    output_folder.prepare(out, "tool.py", replace=True, root=root)  # its own: replaced
    assert not (out / "page.html").exists()
    (out / "yours.txt").write_text("x", encoding="utf-8")
    with pytest.raises(output_folder.OutputFolderError, match=r"tool.py: will not write into .*yours.txt"):
        output_folder.prepare(out, "tool.py", replace=True, root=root)
    for folder, reason in ((root, "is the course checkout"), (tmp_path, "contains the course checkout")):
        with pytest.raises(output_folder.OutputFolderError, match=reason):
            output_folder.check(folder, "tool.py", root=root)
    assert output_folder.resolve("~/x") == Path.home() / "x"


def test_colab_proof_works_in_fresh_temporary_folders_only():
    """colab_proof.sh and colab_proof.py write nothing but folders they create (mktemp -d, TemporaryDirectory)."""
    script = (ROOT / "tools" / "colab_proof.sh").read_text(encoding="utf-8")
    assert 'WORK="$(mktemp -d)"' in script and "rm -rf \"$WORK\"" in script
    proof = (ROOT / "tools" / "colab_proof.py").read_text(encoding="utf-8")
    assert "tempfile.TemporaryDirectory()" in proof and "rmtree" not in proof
