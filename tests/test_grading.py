"""The classroom kit, end to end: build two chapters' assignments, grade a class of three with Otter's own
command, read the grade table.

tools/classroom_demo.py does what a teacher does: ``make_assignments`` (Otter Assign) for chapters 00 and 02
(the two that run in about 10 s), then three submissions per chapter graded by ``otter run`` through
tools/grade.py: the worked answers (full marks), the student notebook untouched (0) and the answers with one
classic mistake planted (that exercise 0, the feedback quoting the checker's hint that names the mistake). The
Chinese kit and the other ten chapters were graded by hand (TEACHING.md, "Grading a class").
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("otter", reason="Otter-Grader is in the course environment (.venv), not in .venv-hf4")

import nbformat  # noqa: E402

from course_lib.exercises.grading import checker_for  # noqa: E402
from course_lib.exercises.inputs import SAME_HIDDEN_INPUTS  # noqa: E402
from tools import classroom_demo, grade, make_assignments  # noqa: E402
from tools.answers import parse_answers, read_answers  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ["00_welcome.ipynb", "02_pretraining_heads_and_loss.ipynb"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("classroom")
    with contextlib.redirect_stdout(io.StringIO()):
        # three at a time: a grading run waits for its kernel part of the time, and make test's other worker
        # cannot use that (measured: the unit tests' wall time fell from 243 s to 212 s)
        results = classroom_demo.run(CHAPTERS, ["en"], out, timeout_s=300, jobs=3)
    return out, results


def table(path: Path) -> dict[str, dict[str, str]]:
    """grades.csv by student."""
    with path.open(encoding="utf-8-sig") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def planted_hint(stem: str) -> str:
    """The checker's line for the planted mistake, computed here, in this process, without Otter."""
    planted = classroom_demo.PLANTED[stem[:2]]
    source = read_answers(ROOT / "notebooks" / f"{stem}.ipynb")[planted.exercise].source
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(source.replace(planted.right, planted.wrong), namespace)
    check = checker_for(planted.exercise)
    verdict = check(namespace[check.default_name], print_verdict=False)
    assert verdict.reason == "known mistake", "the planted mistake is one the checker names"
    return str(verdict)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_grade_table_gives_full_marks_zero_and_partial(demo, chapter):
    out, _ = demo
    stem = chapter[:-len(".ipynb")]
    answers = read_answers(ROOT / "notebooks" / chapter)
    path = out / "grading" / "en" / stem / "grades.csv"
    assert path.read_bytes().startswith("\ufeff".encode()), "a byte-order mark, for Excel"
    possible = sum(a.points for a in answers.values())
    columns = {e: f"{e} ({a.points:g} pts)" for e, a in answers.items()}
    with path.open(encoding="utf-8-sig") as handle:
        assert next(csv.reader(handle)) == ["student", *columns.values(), f"total ({possible:g} pts)", "status", "review"]
    rows = table(path)
    total = f"total ({possible:g} pts)"
    assert set(rows) == {"solved", "untouched", "mistake"}
    assert [float(rows["solved"][c]) for c in columns.values()] == [a.points for a in answers.values()]
    assert float(rows["solved"][total]) == possible
    assert [float(rows["untouched"][c]) for c in columns.values()] == [0.0] * len(answers)
    planted = classroom_demo.PLANTED[stem[:2]].exercise
    for exercise, column in columns.items():
        expected = 0.0 if exercise == planted else answers[exercise].points
        assert float(rows["mistake"][column]) == expected, f"mistake, exercise {exercise}"
    assert float(rows["mistake"][total]) == possible - answers[planted].points
    assert {row["status"] for row in rows.values()} == {"graded"}
    assert {row["review"] for row in rows.values()} == {""}, "nothing to review in an honest class"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_feedback_names_the_mistake_and_the_missing_work(demo, chapter):
    out, _ = demo
    stem = chapter[:-len(".ipynb")]
    feedback = out / "grading" / "en" / stem / "feedback"
    mistake = (feedback / "mistake.txt").read_text(encoding="utf-8")
    # the checker's own line, twice: on the learner's inputs and on the hidden ones
    assert mistake.count(planted_hint(stem)) == 2, mistake
    assert "Traceback" not in mistake
    untouched = (feedback / "untouched.txt").read_text(encoding="utf-8")
    assert untouched.count("[NOT YET] Exercise") == 2 * len(read_answers(ROOT / "notebooks" / chapter))
    assert "[TRY AGAIN]" not in (feedback / "solved.txt").read_text(encoding="utf-8")


def test_the_student_notebook_is_the_chapter_with_points_and_no_answers(demo):
    out, _ = demo
    chapter = nbformat.read(ROOT / "notebooks" / CHAPTERS[1], as_version=4)
    student = nbformat.read(out / "kit" / "student" / "en" / CHAPTERS[1], as_version=4)
    answers = read_answers(ROOT / "notebooks" / CHAPTERS[1])
    note = student.cells.pop(1)  # what is graded and how to submit
    assert note.id == "assignment-note" and "exercises 2.1, 2.2, 2.3 (6 points in all" in note.source
    assert [c.id for c in student.cells] == [c.id for c in chapter.cells]
    for ours, theirs in zip(student.cells, chapter.cells):
        exercise = theirs.metadata.get("course", {}).get("exercise")
        if "](" in theirs.source and ("Open In Colab" in theirs.source or "/solutions/" in theirs.source):
            assert "Open In Colab" not in ours.source and "/solutions/" not in ours.source, "no badge, no solutions link"
            assert len(ours.source) > len(theirs.source) / 2, "only the badge or the link's address went"
        elif exercise and theirs.cell_type == "markdown":
            assert ours.source.startswith(theirs.source) and f"**Points: {answers[exercise].points:g}.**" in ours.source
            assert ("hand-picked" in ours.source) == (exercise in SAME_HIDDEN_INPUTS)
        else:
            assert ours.source == theirs.source, f"cell {theirs.id} changed"
        if ours.cell_type == "code":
            assert ours.outputs == [], "handed out without outputs"
    # same cells as the chapter (above), so no answer and no test came along; and no Otter cell either
    text = json.dumps(student)
    assert "assert_passes('2.1', my_mlm_loss, hidden=True)" not in text, "the second-set test stays in the autograder"
    assert "otter" not in "".join(c.source for c in student.cells)


def test_the_autograder_holds_visible_and_hidden_tests_worth_the_points(demo):
    out, _ = demo
    answers = read_answers(ROOT / "notebooks" / CHAPTERS[1])
    with zipfile.ZipFile(out / "kit" / "autograder" / "en" / f"{CHAPTERS[1][:-6]}.zip") as kit:
        for exercise, answer in answers.items():
            test = kit.read(f"tests/{answer.name}.py").decode()
            assert f"points = {answer.points:g}" in test
            assert "hidden=False" in test and "hidden=True" in test
            assert f"assert_passes('{exercise}', {checker_for(exercise).default_name}, hidden=True)" in test


def test_a_submission_that_never_finishes_gets_zero_and_a_note(demo, tmp_path):
    out, _ = demo
    stem = CHAPTERS[0][:-len(".ipynb")]
    autograder = out / "kit" / "autograder" / "en" / f"{stem}.zip"
    graded = grade.grade_one(autograder, out / "grading" / "en" / stem / "submitted" / "solved.ipynb", timeout_s=1)
    assert graded.total == 0 and graded.status.startswith("timed out after 1 s")


def test_grade_names_a_bad_autograder_or_an_empty_folder(tmp_path):
    (tmp_path / "subs").mkdir()
    with pytest.raises(SystemExit, match="is not an autograder zip"):
        grade.grade_folder(tmp_path / "missing.zip", tmp_path / "subs", tmp_path / "out")
    (tmp_path / "kit.zip").write_bytes(b"")
    with pytest.raises(SystemExit, match="no submitted notebooks"):
        grade.grade_folder(tmp_path / "kit.zip", tmp_path / "subs", tmp_path / "out")
    with pytest.raises(SystemExit):
        grade.main([str(tmp_path / "kit.zip"), str(tmp_path / "subs"), "--timeout", "0"])


def test_make_assignments_names_an_unknown_chapter():
    with pytest.raises(SystemExit, match="no chapter 42 with exercises"):
        make_assignments.chapters(["42"])


@pytest.mark.parametrize("text, problem", [
    ("# BEGIN QUESTION\n# name: q2_1\nx = 1\n", "needs one '# END QUESTION'"),
    ("# BEGIN QUESTION\n# name: two_one\n# points: 2\nx = 1\n# END QUESTION\n", "'name' must be q<chapter>_<exercise>"),
    ("# BEGIN QUESTION\n# name: q2_1\nx = 1\n# END QUESTION\n", "'points' must be a positive number"),
    ("# BEGIN QUESTION\n# name: q2_1\n# points: true\nx = 1\n# END QUESTION\n", "'points' must be a positive number"),
    ("# BEGIN QUESTION\n# name: q2_1\n# points: 2\n# END QUESTION\n", "the answer cell is empty"),
    ("# BEGIN QUESTION\n# name: q2_1\n# points: 2\nx\n# END QUESTION\n"
     "# BEGIN QUESTION\n# name: q2_1\n# points: 2\ny\n# END QUESTION\n", "exercise 2.1 has two answers"),
])
def test_a_malformed_answers_file_is_named(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_answers(text, "answers.py")


def test_an_answers_file_reads_as_otter_questions():
    answers = parse_answers('"""A docstring may quote ``# BEGIN QUESTION`` without starting one."""\n'
                            "# BEGIN QUESTION\n# name: q2_1\n# points: 3\n\ndef f():\n    # a comment\n    return 1\n"
                            "# END QUESTION\n", "answers.py")
    assert list(answers) == ["2.1"]
    assert answers["2.1"].config == {"name": "q2_1", "points": 3}
    assert answers["2.1"].source == "def f():\n    # a comment\n    return 1"


def test_feedback_headings_follow_the_notebooks_language(tmp_path):
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"tests": [
        {"name": "Public Tests", "output": "q2_1 results: ...", "status": "failed"},
        {"name": "q2_1", "score": 1, "max_score": 2, "output": "q2_1 results:\n  AssertionError: [TRY AGAIN] ..."},
        {"name": "q2_2", "score": 2, "max_score": 2, "output": "q2_2 results: All test cases passed!"},
    ]}), encoding="utf-8")
    chinese = tmp_path / "zh.ipynb"
    chinese.write_text(json.dumps({"metadata": {"course": {"language": "zh-CN"}}, "cells": []}), encoding="utf-8")
    english = tmp_path / "en.ipynb"
    english.write_text(json.dumps({"metadata": {}, "cells": []}), encoding="utf-8")
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    assert [grade.notebook_language(p) for p in (chinese, english, tmp_path / "broken.ipynb")] == ["zh-CN", "en", "en"]
    graded = grade.read_results(results, "li_lei", "zh-CN")
    assert graded.scores == {"2.1": 1.0, "2.2": 2.0} and graded.total == 3.0
    assert "\n\n练习 2.1：得 1 分（满分 2 分）\nq2_1 results:" in graded.feedback
    assert graded.feedback.startswith("（每道练习下，result 1 是检查函数在你笔记本里看到的那组输入上的结果")
    assert "Public Tests" not in graded.feedback and "q2_1 results: ..." not in graded.feedback
    assert "hidden=True" in graded.feedback.splitlines()[0]
    assert "\n\nExercise 2.1: 1 / 2 points\n" in grade.read_results(results, "ada").feedback


def test_review_names_what_a_notebook_autograder_cannot_stop(demo, tmp_path):
    out, _ = demo
    solved = nbformat.read(out / "grading" / "en" / CHAPTERS[1][:-6] / "submitted" / "solved.ipynb", as_version=4)
    assert grade.review_notes(out / "grading" / "en" / CHAPTERS[1][:-6] / "submitted" / "solved.ipynb") == []
    cells = {c.metadata["course"]["exercise"]: c for c in solved.cells
             if c.cell_type == "code" and "exercise" in c.metadata.get("course", {})}
    cells["2.1"].source = "from course_lib.losses import masked_lm_loss\nmy_mlm_loss = masked_lm_loss"
    cells["2.2"].source = ("from course_lib.losses import next_sentence_loss\n\ndef my_nsp_loss(logits, labels):\n"
                           "    return next_sentence_loss(logits, labels)")
    cells["2.3"].source += "\nimport course_lib.exercises.grading as g\ng.assert_passes = lambda *a, **k: None"
    path = tmp_path / "gamer.ipynb"
    nbformat.write(solved, path)
    assert grade.review_notes(path) == [
        "the code names the grader's own functions",
        "2.1: `my_mlm_loss` is not defined (def) in its own cell",
        "2.1: uses the course's own masked_lm_loss",
        "2.2: uses the course's own next_sentence_loss",
    ]
    (tmp_path / "broken.ipynb").write_text("{", encoding="utf-8")
    assert grade.review_notes(tmp_path / "broken.ipynb") == ["not a readable notebook"]


def test_a_notebook_saved_from_another_kernel_is_graded_with_this_one(tmp_path):
    notebook = tmp_path / "ada.ipynb"
    notebook.write_text(json.dumps({"metadata": {"kernelspec": {"name": "conda-env-course-py", "display_name": "x"}},
                                    "cells": [], "nbformat": 4, "nbformat_minor": 5}), encoding="utf-8")
    copy = grade.with_course_kernel(notebook, tmp_path)
    assert copy != notebook and copy.name == "ada.ipynb"
    assert json.loads(copy.read_text(encoding="utf-8"))["metadata"]["kernelspec"]["name"] == "python3"
    (tmp_path / "broken.ipynb").write_text("{", encoding="utf-8")
    assert grade.with_course_kernel(tmp_path / "broken.ipynb", tmp_path / "other") == tmp_path / "broken.ipynb"
