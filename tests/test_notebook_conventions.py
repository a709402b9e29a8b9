"""Every chapter notebook follows the course conventions (docs/CONTRIBUTING.md).

These are the promises a learner relies on: a notebook says what it teaches and how long it takes,
starts from the shared set-up, ends with a summary and exercises, was committed fully executed in
order, and does not write outside its own folder.
"""

import json
import re
from pathlib import Path

import pytest

from tools.answers import read_answers

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_notebooks_exist_and_are_numbered_in_sequence():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers[:2] == [0, 1], "the course starts with 00_welcome and 01_bert_backbone"
    assert numbers == sorted(set(numbers)), f"duplicate or unordered notebook numbers: {numbers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_opening_cell_states_title_time_and_goals(path):
    first = source(cells(path)[0])
    assert cells(path)[0]["cell_type"] == "markdown"
    assert re.match(rf"# {path.name[:2]} · \S", first), "first line: '# NN · Title'"
    assert re.search(r"\*\*Time:\*\* about \d+ minutes", first), "a '**Time:** about N minutes' line"
    assert "## What you will learn" in first
    assert len(re.findall(r"^- ", first, flags=re.M)) >= 3, "at least three goals"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_first_code_cell_is_the_shared_setup(path):
    code = [source(c) for c in cells(path) if c["cell_type"] == "code"]
    assert "setup_notebook(" in code[0], "the first code cell calls setup_notebook()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_ends_with_summary_and_exercises(path):
    markdown = "\n".join(source(c) for c in cells(path) if c["cell_type"] == "markdown")
    assert "## Summary" in markdown and "## Exercises" in markdown
    tail = markdown[markdown.index("## Exercises"):]
    checked = len(re.findall(r"^### Exercise \d+\.\d+", tail, flags=re.M))
    listed = len(re.findall(r"^\d+\. ", tail, flags=re.M))
    assert checked >= 2 or listed >= 2, "at least two exercises"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_marked_exercise_has_a_statement_a_template_and_a_checker(path):
    marked = {}
    for c in cells(path):
        meta = c.get("metadata", {}).get("course", {})
        if "exercise" in meta:
            marked.setdefault(meta["exercise"], []).append((c["cell_type"], meta, source(c)))
    answers = read_answers(path)
    assert sorted(answers) == sorted(marked), "classroom/answers/ has one answer per exercise, and no other"
    for exercise, parts in marked.items():
        kinds = [kind for kind, _, _ in parts]
        assert "markdown" in kinds and "code" in kinds, f"exercise {exercise}: a statement and a code cell"
        for kind, meta, text in parts:
            assert set(meta) == {"exercise"}, f"exercise {exercise}: the answer lives in classroom/answers/, not here"
            if kind == "code":
                answer = answers[exercise].source
                assert "check_" in text and "check_" in answer, (
                    f"exercise {exercise}: the template and the answer both end with a checker call")
                assert answer.strip() != text.strip(), f"exercise {exercise}: the answer is not the template"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_executed_in_order_without_errors(path):
    code = [c for c in cells(path) if c["cell_type"] == "code" and source(c).strip()]
    counts = [c["execution_count"] for c in code]
    assert None not in counts, "every code cell was executed"
    assert counts == list(range(1, len(counts) + 1)), "executed top to bottom in one fresh kernel"
    for c in code:
        assert not any(o["output_type"] == "error" for o in c["outputs"]), "no cell ends in an error"
        assert not any(o.get("name") == "stderr" for o in c["outputs"]), "no stderr noise (warnings, progress bars)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_writes_nothing_outside_its_folder(path):
    for c in cells(path):
        if c["cell_type"] == "code":
            assert "/tmp" not in source(c), "use tempfile or a relative path: /tmp does not exist on Windows"
