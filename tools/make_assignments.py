"""The classroom kit: every chapter as an Otter-Grader assignment, in both languages (``make classroom``).

One source per chapter: the chapter notebook (the statements, the learner's templates, the prose; its Chinese
edition for zh-CN) and ``classroom/answers/NN_slug.py`` (each exercise's worked answer and points, in Otter's
question syntax; tools/answers.py). For each chapter and language this tool writes an Otter *master* notebook
(the chapter with every exercise turned into an Otter question: the template as the prompt, the answer as the
solution, and two tests), runs ``otter assign`` on it, and files what comes out:

    build/classroom/student/<language>/NN_slug.ipynb       hand these out: the chapter with its templates
    build/classroom/autograder/<language>/NN_slug.zip      Otter's autograder (hidden tests inside)
    build/classroom/solutions/<language>/NN_slug_solutions.ipynb   the worked solutions (solutions/ as committed)
    build/classroom/masters/<language>/NN_slug.ipynb       the master each was made from, for the curious

The tests are the course's checkers (course_lib/exercises/grading.py): half of an exercise's points for passing
its checker on the inputs the learner sees, half for passing it on a hidden set of inputs (exercises/inputs.py).
A failed test's message is the checker's own line, so the feedback names the mistake as the notebook would. The
student notebook needs no Otter: it is the chapter, its checkers still print [PASS] / [TRY AGAIN] / [NOT YET],
and each statement says what the exercise is worth. Grade with ``python -m tools.grade`` (TEACHING.md).

    python -m tools.make_assignments                        # every chapter, English and Chinese
    python -m tools.make_assignments --chapters 00 02 --languages en --out build/kit
    python -m tools.make_assignments --verify               # also let Otter run the solutions against the tests
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from course_lib.exercises.grading import checker_for
from course_lib.exercises.inputs import SAME_HIDDEN_INPUTS
from tools import output_folder
from tools.answers import Answer, answers_file, read_answers
from tools.colab import BADGE_RE  # the Colab badge opens the public chapter, not the handed-out copy
from tools.make_solutions import exercise_meta

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = {"en": ROOT / "notebooks", "zh-CN": ROOT / "zh-CN" / "notebooks"}
SOLUTIONS = {"en": ROOT / "solutions", "zh-CN": ROOT / "zh-CN" / "solutions"}
DEFAULT_OUT = ROOT / "build" / "classroom"

# What each statement gains in the student notebook: the exercise's worth, and how it is earned. "same": the
# exercise's inputs are hand-picked (inputs.SAME_HIDDEN_INPUTS), so the grader's second run uses the same ones.
POINTS_NOTE = {
    ("en", "hidden"): "**Points: {points:g}.** When the grader runs your notebook: {half:g} if your answer in the cell "
                      "below passes its checker, {half:g} more if it passes the same checker on a second set of inputs "
                      "(`{check}({function}, hidden=True)` shows them), so an answer made to fit the first set only "
                      "earns half.",
    ("en", "same"): "**Points: {points:g}.** When the grader runs your notebook: {half:g} if your answer in the cell "
                    "below passes its checker, {half:g} more when the grader runs that checker a second time (this "
                    "exercise's inputs are hand-picked edge cases, so both runs use the same ones).",
    ("zh-CN", "hidden"): "**分值：{points:g} 分。** 评分时会重新运行你的笔记本：下面单元格里的答案通过检查函数，得 {half:g} 分；"
                         "再用第二组输入通过同一个检查函数（`{check}({function}, hidden=True)` 可以看到这组输入），"
                         "再得 {half:g} 分。只适用于第一组输入的答案只能拿一半。",
    ("zh-CN", "same"): "**分值：{points:g} 分。** 评分时会重新运行你的笔记本：下面单元格里的答案通过检查函数，得 {half:g} 分；"
                       "评分时再运行一次这个检查函数，通过再得 {half:g} 分（这道题的输入是精心挑选的边界情况，两次用的是同一组输入）。",
}

# The student notebook's second cell: what is graded and how to submit, so that a right answer is not lost.
ASSIGNMENT_NOTE = {
    "en": "## This notebook is a graded assignment\n\n"
          "Graded: exercises {exercises} ({total:g} points in all; each statement says what it is worth). The other "
          "questions are for practice.\n\n"
          "- Write each answer in the exercise's own cell, in place of the `...`, and keep the function's name "
          "(`{example}`): the grader reads the function from that cell, under that name.\n"
          "- Before you submit: restart the kernel and run every cell from the top. The grader runs the notebook again, "
          "in a fresh kernel, with a time limit your teacher sets; what you edited in an output does not count.\n"
          "- `[PASS]` in your notebook means the first half of an exercise's points; the second half comes from the same "
          "checker on a second set of inputs.",
    "zh-CN": "## 这个笔记本是一份计分作业\n\n"
             "计分的是练习 {exercises}（共 {total:g} 分；每道题的题目下写明了分值）。其他问题供练习用，不计分。\n\n"
             "- 把每道题的答案写在这道练习自己的单元格里，替换掉 `...`，并保留函数名（`{example}`）：评分程序从这个单元格、"
             "按这个名字读取你的函数。\n"
             "- 提交之前：重启内核，从头运行每一个单元格。评分程序会在新的内核里重新运行整个笔记本，并有老师设定的时间上限；"
             "手工改动的输出不算数。\n"
             "- 笔记本里显示 `[PASS]`，说明你拿到了这道题的一半分数；另一半来自同一个检查函数在第二组输入上的检查。",
}

# Links to the worked solutions (most chapters end with one) lose their address in the handed-out notebook: the
# course is open and its solutions are public, but they need not be one click away during an assignment.
SOLUTIONS_LINK = re.compile(r"\[([^\]]*)\]\([^)]*/solutions/[^)]*\)")

# One test, in Otter's exception-based format: a function of the learner's function, and its call.
TEST_CELL = '''""" # BEGIN TEST CONFIG
points: {points:g}
hidden: {hidden}
""" # END TEST CONFIG
def test_{kind}_inputs({function}):
    from course_lib.exercises.grading import assert_passes
    assert_passes("{exercise}", {function}, hidden={hidden})

test_{kind}_inputs({function})'''

# Otter's assignment configuration: no Otter cells in the student notebook (the course's checkers are the
# learner's feedback, and the notebook must run where Otter is not installed), no PDFs, Python test files.
ASSIGNMENT_CONFIG = {
    "init_cell": False, "check_all_cell": False, "export_cell": False, "solutions_pdf": False,
    "template_pdf": False, "tests": {"ok_format": False}, "generate": {"pdf": False},
}


def exercise_of(cell) -> str | None:
    return (exercise_meta(cell) or {}).get("exercise")


def learner_function(answer: Answer) -> str:
    """The name the exercise's checker quotes and the grader's tests receive (``my_mlm_loss``)."""
    return checker_for(answer.exercise).default_name


def question_cells(template, answer: Answer) -> list:
    """The Otter question that replaces one exercise's template cell."""
    visible = hidden = answer.points / 2
    config = {**answer.config, "check_cell": False}  # no grader.check cell: the template ends with the checker
    solution = ('""" # BEGIN PROMPT\n' + template.source.rstrip("\n") + '\n""" # END PROMPT\n'
                "# BEGIN SOLUTION NO PROMPT\n" + answer.source + "\n# END SOLUTION")
    function = learner_function(answer)
    tests = [TEST_CELL.format(points=points, hidden=is_hidden, kind=kind, function=function, exercise=answer.exercise)
             for points, is_hidden, kind in ((visible, False, "checker"), (hidden, True, "hidden"))]
    return [
        new_raw_cell("# BEGIN QUESTION\n" + yaml.safe_dump(config, sort_keys=False).strip()),
        new_raw_cell("# BEGIN SOLUTION"), new_code_cell(solution), new_raw_cell("# END SOLUTION"),
        new_raw_cell("# BEGIN TESTS"), *(new_code_cell(test) for test in tests), new_raw_cell("# END TESTS"),
        new_raw_cell("# END QUESTION"),
    ]


def master_notebook(chapter: Path, language: str, *, verify: bool):
    """The chapter (in ``language``) as an Otter master notebook: config cell, then every cell, each exercise's
    template replaced by its question and each statement told the exercise's points."""
    english = LANGUAGES["en"] / chapter.name
    answers = read_answers(english)
    nb = nbformat.read(chapter, as_version=4)
    marked = {exercise_of(c) for c in nb.cells if exercise_of(c) and c.cell_type == "code"}
    if marked != set(answers):
        raise SystemExit(f"make_assignments: {chapter.name} has exercises {sorted(marked)} but "
                         f"{answers_file(english).relative_to(ROOT)} answers {sorted(answers)}")
    config = {"name": chapter.stem, **ASSIGNMENT_CONFIG, "run_tests": verify}
    cells = [new_raw_cell("# ASSIGNMENT CONFIG\n" + yaml.safe_dump(config, sort_keys=False).strip())]
    for cell in nb.cells:
        exercise = exercise_of(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None  # the student starts from a notebook not yet run
        if exercise and cell.cell_type == "markdown":
            points = answers[exercise].points
            kind = "same" if exercise in SAME_HIDDEN_INPUTS else "hidden"
            check = checker_for(exercise)
            cell.source = cell.source.rstrip() + "\n\n" + POINTS_NOTE[language, kind].format(
                points=points, half=points / 2, check=check.__name__, function=check.default_name)
        if cell.cell_type == "markdown":
            handed_out = SOLUTIONS_LINK.sub(r"\1", BADGE_RE.sub("", cell.source))
            if handed_out != cell.source:
                cell.source = re.sub(r"\n{3,}", "\n\n", handed_out).strip("\n")
        if exercise and cell.cell_type == "code":
            cells += question_cells(cell, answers[exercise])
        else:
            cells.append(cell)
    first = next(i for i, c in enumerate(cells) if c.cell_type == "markdown")  # the title cell
    note = new_markdown_cell(ASSIGNMENT_NOTE[language].format(
        exercises=("、" if language == "zh-CN" else ", ").join(answers), total=sum(a.points for a in answers.values()),
        example=checker_for(next(iter(answers))).default_name))
    note.id = "assignment-note"
    cells.insert(first + 1, note)
    nb.cells = cells
    return nb


def keep_template_identity(student, chapter) -> None:
    """Otter writes each prompt as a new cell: give it back the template's id and ``metadata.course``, so the
    student notebook's exercise cells are the chapter's (links, tools and a diff against the chapter see them)."""
    templates = [c for c in chapter.cells if exercise_of(c) and c.cell_type == "code"]
    prompts = [c for c in student.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    if [c.source for c in prompts] != [c.source for c in templates]:
        raise SystemExit(f"make_assignments: Otter changed a template of {chapter.metadata.get('course_stem', '')}; "
                         "the student notebook would not be the chapter's")
    for prompt, template in zip(prompts, templates):
        prompt.id, prompt.metadata["course"] = template.id, dict(template.metadata["course"])


def otter_assign(master, work: Path) -> Path:
    """Run ``otter assign`` on ``master`` inside ``work``; the folder Otter wrote (student/, autograder/)."""
    path = work / f"{master.metadata.get('course_stem', 'assignment')}.ipynb"
    nbformat.write(master, path)
    result = subprocess.run([sys.executable, "-m", "otter", "assign", "--no-pdfs", path.name, "dist"], cwd=work,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"make_assignments: otter assign failed on {path.name}:\n{result.stdout}{result.stderr}")
    return work / "dist"


def build(chapter_name: str, language: str, out: Path, *, verify: bool) -> dict:
    """One chapter in one language into ``out``; a summary (exercises, points) for the index."""
    chapter = LANGUAGES[language] / chapter_name
    master = master_notebook(chapter, language, verify=verify)
    master.metadata["course_stem"] = chapter.stem
    with tempfile.TemporaryDirectory(prefix="course_assign_") as tmp:
        dist = otter_assign(master, Path(tmp))
        student = nbformat.read(dist / "student" / f"{chapter.stem}.ipynb", as_version=4)
        student.metadata.pop("course_stem", None)
        keep_template_identity(student, nbformat.read(chapter, as_version=4))
        (zip_path,) = (dist / "autograder").glob("*.zip")
        targets = {kind: out / kind / language for kind in ("student", "autograder", "solutions", "masters")}
        for folder in targets.values():
            folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(student, targets["student"] / chapter.name)
        shutil.copyfile(zip_path, targets["autograder"] / f"{chapter.stem}.zip")
    master.metadata.pop("course_stem", None)
    nbformat.write(master, targets["masters"] / chapter.name)
    solutions = SOLUTIONS[language] / f"{chapter.stem}_solutions.ipynb"
    shutil.copyfile(solutions, targets["solutions"] / solutions.name)
    answers = read_answers(LANGUAGES["en"] / chapter_name)
    return {"exercises": {a.exercise: a.points for a in answers.values()}}


def chapters(selected: list[str] | None) -> list[str]:
    """Chapter file names (``02_pretraining_heads_and_loss.ipynb``) with answers, or those asked for by number."""
    names = [p.name for p in sorted(LANGUAGES["en"].glob("[0-9][0-9]_*.ipynb")) if read_answers(p)]
    if not selected:
        return names
    chosen = [n for n in names if n[:2] in {s.zfill(2) for s in selected}]
    unknown = sorted({s.zfill(2) for s in selected} - {n[:2] for n in chosen})
    if unknown:
        raise SystemExit(f"make_assignments: no chapter {', '.join(unknown)} with exercises; the chapters are "
                         + ", ".join(n[:2] for n in names))
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="the kit's folder (default build/classroom)")
    parser.add_argument("--chapters", nargs="+", metavar="NN", help="only these chapters (00 02 ...)")
    parser.add_argument("--languages", nargs="+", choices=sorted(LANGUAGES), default=list(LANGUAGES))
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1),
                        help="assignments built at the same time (default: the CPU cores, at most 4)")
    parser.add_argument("--verify", action="store_true",
                        help="let otter assign run every solution against its tests (executes each chapter)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    names = chapters(args.chapters)
    # The whole kit replaces the folder; a few chapters or one language are written into it, the rest kept.
    everything = not args.chapters and set(args.languages) == set(LANGUAGES)
    out = output_folder.prepare(args.out, "make_assignments.py", replace=everything, example="build/classroom")
    points = out / "points.json"
    index = {} if everything or not points.exists() else json.loads(points.read_text(encoding="utf-8"))
    # each `otter assign` is its own process (about 11 s, most of it Otter's start-up): a few at a time
    pairs = [(language, name) for language in args.languages for name in names]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        for (language, name), summary in zip(pairs, pool.map(
                lambda pair: build(pair[1], pair[0], out, verify=args.verify), pairs)):
            index[name[:-len(".ipynb")]] = summary
            print(f"{language}: {name[:-len('.ipynb')]}", flush=True)
    points.write_text(json.dumps(dict(sorted(index.items())), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    output_folder.finish(out)
    print(f"The classroom kit is in {out}: student/, autograder/, solutions/ (languages: {', '.join(args.languages)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
