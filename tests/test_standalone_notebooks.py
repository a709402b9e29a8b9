"""In Colab only the .ipynb file arrives: no notebook may lean on a file beside it."""

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")  # not in the small transformers-4.57 environment

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import colab  # noqa: E402
import colab_proof  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted((ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_relative_path_and_every_picture_inside(path):
    nb = nbformat.read(path, as_version=4)
    assert colab_proof.relative_paths(nb) == [], f"{path.name} uses ../ paths: run python tools/colab.py"
    assert colab_proof.picture_problems(nb) == [], "run python tools/colab.py"


def test_the_checker_catches_a_picture_beside_the_notebook():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("![a](../pictures/bert_flow.png)")])
    assert colab_proof.relative_paths(nb) == ["cell 0"]
    assert "beside the notebook" in colab_proof.picture_problems(nb)[0]
    colab.embed_pictures_and_links(nb)
    assert colab_proof.picture_problems(nb) == [] and colab_proof.relative_paths(nb) == []


def test_setup_cell_installs_a_release_tag_with_accelerate_and_fetches_data_where_needed():
    assert "@main" not in colab.INSTALL_SOURCE and colab.INSTALL_SOURCE.endswith(f"@v{colab.COURSE_VERSION}")
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith("accelerate") for dep in extras["notebooks"])
    assert "course_lib[notebooks]" in colab.INSTALL_SOURCE
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        setup = next(c for c in nb.cells if c.cell_type == "code")
        reads_data = any(colab.DATA_MARKER in c.source for c in nb.cells if c is not setup)
        assert ("course_lib.task_data.movie_reviews" in setup.source) == reads_data, path.name
