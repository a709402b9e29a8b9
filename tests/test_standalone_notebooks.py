"""In Colab only the .ipynb file arrives: no notebook may lean on a file beside it."""

import ast
import importlib.util
import os
import shutil
import sys
import types
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")  # not in the small transformers-4.57 environment

from tools import colab, colab_proof  # noqa: E402  (after the skip)

ROOT = Path(__file__).resolve().parent.parent

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_relative_path_and_every_picture_inside(path):
    nb = nbformat.read(path, as_version=4)
    assert colab_proof.relative_paths(nb) == [], f"{path.name} uses ../ paths: run python -m tools.colab"
    assert colab_proof.picture_problems(nb) == [], "run python -m tools.colab"


def test_the_checker_catches_a_picture_beside_the_notebook():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("![a](../pictures/bert_flow.png)")])
    assert colab_proof.relative_paths(nb) == ["cell 0"]
    assert "beside the notebook" in colab_proof.picture_problems(nb)[0]
    colab.embed_pictures_and_links(nb)
    assert colab_proof.picture_problems(nb) == [] and colab_proof.relative_paths(nb) == []


def test_setup_cell_installs_the_published_version_with_accelerate_and_fetches_data_where_needed():
    """By default the set-up cell asks pip for the published distribution at exactly the version of this checkout
    (a plain requirement: PyPI, or the mirror the learner's pip names; no git address, no range)."""
    import tomllib
    from packaging.requirements import Requirement

    import course_lib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirement = Requirement(colab.INSTALL_SOURCE)
    assert requirement.name == project["name"] and requirement.url is None, colab.INSTALL_SOURCE
    assert requirement.extras == {"notebooks"}
    # the version as Python sees it, against colab.py's own reading of the file
    assert str(requirement.specifier) == f"=={course_lib.__version__}" == f"=={colab.COURSE_VERSION}"
    assert any(dep.startswith("accelerate") for dep in project["optional-dependencies"]["notebooks"])
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        setup = next(c for c in nb.cells if c.cell_type == "code")
        reads_data = any(colab.DATA_MARKER in c.source for c in nb.cells if c is not setup)
        assert ("course_lib.task_data.movie_reviews" in setup.source) == reads_data, path.name


def test_project_urls_name_the_repository_of_the_notebooks():
    """PyPI's page links where the notebooks' badges and links point: COURSE_REPOSITORY of tools/colab.py."""
    import tomllib

    urls = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]
    assert urls, "pyproject.toml has no [project.urls]"
    elsewhere = {label: url for label, url in urls.items()
                 if not url.startswith(f"https://github.com/{colab.COURSE_REPOSITORY}")}
    assert elsewhere == {}, f"pyproject.toml's [project.urls] do not follow COURSE_REPOSITORY: {elsewhere}"


# --- The quick form of `make colab-proof` (the full proof builds a fresh environment: ~10 minutes) ----------------

def _install_branch(setup_source: str) -> ast.If:
    tree = ast.parse(setup_source)
    branches = [node for node in tree.body if isinstance(node, ast.If)]
    assert len(branches) == 1, "the set-up cell should have exactly one `if course_lib is missing` branch"
    return branches[0]


def _run_install_branch(setup_source: str, name: str) -> list[list[str]]:
    """The set-up cell's install branch executed as Colab would take it (course_lib missing), with every
    subprocess (pip, the data fetch) recorded instead of run: the recorded command lines, without the python."""
    calls = []

    class FakeUtil:
        @staticmethod
        def find_spec(name):
            return None if name == "course_lib" else importlib.util.find_spec(name)

    class FakeSubprocess:
        @staticmethod
        def run(command, check=False):
            assert check, "a failed install must stop the notebook (check=True)"
            calls.append(command[1:])

    namespace = {"importlib": types.SimpleNamespace(util=FakeUtil), "os": os, "subprocess": FakeSubprocess,
                 "sys": sys}
    branch = _install_branch(setup_source)
    exec(compile(ast.Module(body=[branch], type_ignores=[]), f"{name} set-up cell", "exec"), namespace)
    return calls


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_setup_cell_installs_the_course_where_it_is_missing(path, monkeypatch):
    """Execute the set-up cell's install branch as Colab would take it (course_lib missing), with pip and the
    data fetch recorded instead of run: it must install COURSE_LIB_SOURCE (default: the published version with
    the notebooks extra) and fetch the movie reviews exactly where the notebook reads them."""
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    monkeypatch.delenv("COURSE_LIB_SOURCE", raising=False)
    calls = _run_install_branch(setup.source, path.name)
    assert calls[0] == ["-m", "pip", "install", "--quiet", colab.INSTALL_SOURCE], "stale: run python -m tools.colab"
    reads_data = any(colab.DATA_MARKER in c.source for c in nb.cells if c is not setup)
    assert calls[1:] == ([["-m", "course_lib.task_data.movie_reviews", "--quiet"]] if reads_data else [])


@pytest.mark.parametrize("override", [
    "bert-heads-course[notebooks] @ git+https://github.com/OWNER/REPO@v9.9.9",  # a git address: any tag or fork
    "bert-heads-course[notebooks] @ file:///tmp/bert_heads_course-9.9.9-py3-none-any.whl",  # a wheel (colab-proof)
], ids=["git", "wheel"])
def test_course_lib_source_replaces_the_published_version(override, monkeypatch):
    """COURSE_LIB_SOURCE, where set, is what pip installs instead of the published version: checked on the set-up
    cell that tools/colab.py makes now (stamped in memory, nothing written)."""
    path = ROOT / "notebooks" / "00_welcome.ipynb"
    nb = colab.stamped(nbformat.read(path, as_version=4), "notebooks", path.name)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    monkeypatch.setenv("COURSE_LIB_SOURCE", override)
    assert _run_install_branch(setup.source, path.name)[0] == ["-m", "pip", "install", "--quiet", override]
    monkeypatch.delenv("COURSE_LIB_SOURCE")
    assert _run_install_branch(setup.source, path.name)[0] == ["-m", "pip", "install", "--quiet",
                                                               colab.INSTALL_SOURCE]


def test_one_notebook_runs_in_full_alone_in_an_empty_folder(tmp_path, monkeypatch):
    """Notebook 00 copied alone into an empty folder (no repository around it, an empty data folder) runs
    without a cell error and draws as many figures as the committed one."""
    nbclient = pytest.importorskip("nbclient")
    source = ROOT / "notebooks" / "00_welcome.ipynb"
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(source, alone / source.name)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "empty_data"))
    monkeypatch.setenv("TQDM_DISABLE", "1")
    nb = nbformat.read(alone / source.name, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                                     resources={"metadata": {"path": str(alone)}})
    client.km = client.kernel_manager_class(kernel_name="python3", transport="ipc", ip=str(alone / "kernel"))
    client.execute()
    errors = [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert colab_proof.figures(nb) == colab_proof.figures(nbformat.read(source, as_version=4))
