"""Grade a folder of submitted notebooks with Otter-Grader, on this machine, into one grade table.

Each submission is graded by Otter's own command, ``otter run`` (Otter executes the notebook in a fresh kernel,
then runs the assignment's tests, hidden ones included, against what it defined), in its own process with a time
limit: a notebook that never finishes gets 0 and a note, and the class goes on. No Docker, no JupyterHub, no
network: the machine needs the course's environment with Otter (``pip install "bert-heads-course[classroom]"``,
or the course's ``make setup``). Otter 7's ``otter grade`` needs Docker; ``otter run`` is its one-submission
command without it, and this loop is what ``otter grade`` adds on top: a table.

    python -m tools.grade build/classroom/autograder/en/02_pretraining_heads_and_loss.zip submissions/ --out grades/

writes ``grades/grades.csv`` (UTF-8 with a byte-order mark, for Excel; one row per student, the file name without
``.ipynb``; a column per exercise with its points in the header, then the total, the ``status`` (``graded``,
``timed out after N s: graded 0`` or ``not graded: otter run failed (why)``) and ``review``: what to look at by
hand, never counted in the scores (code that names the grader's functions, an answer not defined in its own cell,
an answer that calls the course's own reference implementation)) and ``grades/feedback/<student>.txt`` (what each test said: for a
failed test, the checker's hint, in the language the notebook's set-up cell chose), to hand back.
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tools.answers import exercise_number

DEFAULT_TIMEOUT_S = 900  # the capstone runs ~2.5 minutes on a 2-core laptop; a class machine is rarely slower


@dataclass
class Graded:
    student: str
    scores: dict[str, float] = field(default_factory=dict)  # exercise ("2.1") -> points earned
    possible: dict[str, float] = field(default_factory=dict)  # exercise -> points it is worth
    status: str = "graded"
    review: list[str] = field(default_factory=list)  # what to look at by hand (review_notes)
    feedback: str = ""
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(self.scores.values())


# The feedback file's line above each exercise's test results, in the submission's language (Otter's own lines
# below it stay English; the checkers' hints inside them follow the notebook's set-up cell).
FEEDBACK = {
    "en": {"heading": "Exercise {exercise}: {score:g} / {possible:g} points",
           "halves": "(Under each exercise, result 1 is its checker on the inputs you saw in your notebook, result 2 "
                     "the same checker on its second set of inputs: check_...(your_function, hidden=True) shows it.)",
           "timed out": "The notebook did not finish within {seconds:g} s, so it was not graded.",
           "failed": "The grader could not run this notebook: {why}"},
    "zh-CN": {"heading": "练习 {exercise}：得 {score:g} 分（满分 {possible:g} 分）",
              "halves": "（每道练习下，result 1 是检查函数在你笔记本里看到的那组输入上的结果，result 2 是同一个检查函数在"
                        "第二组输入上的结果：用 check_...(你的函数, hidden=True) 可以看到。）",
              "timed out": "这个笔记本在 {seconds:g} 秒内没有运行完，所以没有评分。",
              "failed": "评分程序无法运行这个笔记本：{why}"},
}


def notebook_language(submission: Path) -> str:
    """The course language a notebook was handed out in (the Chinese edition says so in its metadata)."""
    try:
        language = json.loads(submission.read_text(encoding="utf-8"))["metadata"]["course"]["language"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return "en"
    return language if language in FEEDBACK else "en"


# What a notebook autograder cannot stop: the student's code runs in the kernel the tests run in, and the course's
# own reference functions are importable. Scores are never changed for these; the `review` column names them.
GRADER_INTERNALS = re.compile(r"\b(assert_passes|exercises\.grading|exercises\.inputs|hidden_inputs|case_seed|"
                              r"case_generator|HIDDEN_SEED_OFFSET|otter)\b")


def review_notes(submission: Path) -> list[str]:
    """What a teacher should look at by hand in one submission (empty: nothing seen)."""
    from course_lib.exercises.grading import checker_for

    try:
        cells = json.loads(submission.read_text(encoding="utf-8"))["cells"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return ["not a readable notebook"]
    code = [("".join(c["source"]) if isinstance(c["source"], list) else c["source"], c.get("metadata", {}))
            for c in cells if c.get("cell_type") == "code"]
    notes = []
    if any(GRADER_INTERNALS.search(source) for source, _ in code):
        notes.append("the code names the grader's own functions")
    library = _library_names(source for source, _ in code)
    for source, metadata in code:
        exercise = metadata.get("course", {}).get("exercise")
        if not exercise:
            continue
        name = checker_for(exercise).default_name
        if not re.search(rf"^def {re.escape(name)}\(", source, flags=re.M):
            notes.append(f"{exercise}: `{name}` is not defined (def) in its own cell")
        used = sorted(library & _names_in(source))
        if used:
            notes.append(f"{exercise}: uses the course's own {', '.join(used)}")
    return notes


def _names_in(source: str) -> set[str]:
    try:
        return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    except SyntaxError:
        return set()


def _library_names(sources) -> set[str]:
    """Names the notebook imports from course_lib outside its exercise checkers (the reference implementations)."""
    names = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_lib") and not (
                    node.module or "").startswith("course_lib.exercises"):
                names |= {alias.asname or alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names
                          if alias.name.startswith("course_lib") and not alias.name.startswith("course_lib.exercises")}
    return names


def read_results(path: Path, student: str, language: str = "en") -> Graded:
    """One submission's Otter results.json (Gradescope's format) as scores per exercise and its feedback text."""
    graded = Graded(student)
    parts = []
    for test in json.loads(path.read_text(encoding="utf-8"))["tests"]:
        if "max_score" not in test:  # Otter's "Public Tests" summary repeats the questions' own outputs
            continue
        exercise = exercise_number(test["name"]) or test["name"]  # q2_1 -> 2.1, as classroom/answers/ names it
        graded.scores[exercise], graded.possible[exercise] = float(test["score"]), float(test["max_score"])
        heading = FEEDBACK[language]["heading"].format(exercise=exercise, score=test["score"], possible=test["max_score"])
        parts.append(f"{heading}\n{test['output'].strip()}")
    graded.feedback = FEEDBACK[language]["halves"] + "\n\n" + "\n\n".join(parts) + "\n"
    return graded


def with_course_kernel(submission: Path, folder: Path) -> Path:
    """A copy of the submission that names the kernel "python3" (this environment's Python): `otter run` starts the
    kernel the notebook names, and a notebook saved from a conda or a Hub kernel names one this machine lacks. An
    unreadable file is passed on as it is (Otter then reports it)."""
    try:
        notebook = json.loads(submission.read_text(encoding="utf-8"))
        notebook.setdefault("metadata", {})["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
        return submission
    copy = folder / "submission" / submission.name
    copy.parent.mkdir()
    copy.write_text(json.dumps(notebook), encoding="utf-8")
    return copy


def grade_one(autograder: Path, submission: Path, timeout_s: float) -> Graded:
    """``otter run`` on one submission, in a child process with a time limit."""
    student, language = submission.stem, notebook_language(submission)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course_grade_") as out:
        command = [sys.executable, "-m", "otter", "run", "--no-logo", "-a", str(autograder), "-o", out,
                   str(with_course_kernel(submission, Path(out)))]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            graded = Graded(student, status=f"timed out after {timeout_s:g} s: graded 0",
                            feedback=FEEDBACK[language]["timed out"].format(seconds=timeout_s) + "\n")
        else:
            results = Path(out) / "results.json"
            if result.returncode == 0 and results.exists():
                graded = read_results(results, student, language)
            else:
                last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no message"]
                graded = Graded(student, status=f"not graded: otter run failed ({last[0][:200]})",
                                feedback=FEEDBACK[language]["failed"].format(why=last[0]) + "\n")
    graded.seconds = time.perf_counter() - started
    graded.review = review_notes(submission)
    return graded


def write_table(rows: list[Graded], out: Path) -> Path:
    """grades.csv: one row per student; a column per exercise, its points in the header ("2.1 (2 pts)": a bare 2.1
    becomes a date in some spreadsheets), then the total, the status and what to review by hand."""
    exercises = sorted({e for row in rows for e in row.possible}, key=lambda e: tuple(int(p) for p in e.split(".")))
    possible = {e: next(row.possible[e] for row in rows if e in row.possible) for e in exercises}
    path = out / "grades.csv"
    # utf-8-sig: the byte-order mark makes Excel read the file as UTF-8 (without it, Chinese Windows reads GBK and
    # garbles names such as 张三); every other spreadsheet and csv.reader(encoding="utf-8-sig") skip it.
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", *(f"{e} ({possible[e]:g} pts)" for e in exercises),
                         f"total ({sum(possible.values()):g} pts)", "status", "review"])
        for row in rows:
            writer.writerow([row.student, *(f"{row.scores.get(e, 0.0):g}" for e in exercises), f"{row.total:g}",
                             row.status, "; ".join(row.review)])
    return path


def check_environment() -> None:
    """The grading kernel imports the course's checkers as graders' tests: a course_lib without them (an older
    release) would fail every test and give every student 0, so refuse before grading anybody."""
    try:
        import otter  # noqa: F401

        import course_lib.exercises.grading  # noqa: F401
    except ImportError as error:
        raise SystemExit(f"grade: this environment cannot grade ({error}); run it in the course environment "
                         "(make setup) or pip install the course's current release with its [classroom] extra") from None


def grade_folder(autograder: Path, submissions: Path, out: Path, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 jobs: int = 1, quiet: bool = False) -> list[Graded]:
    """Grade every ``*.ipynb`` in ``submissions`` (``jobs`` at a time); write the table and the feedback into
    ``out``."""
    if not autograder.is_file() or autograder.suffix != ".zip":
        raise SystemExit(f"grade: {autograder} is not an autograder zip (make classroom writes them under "
                         "build/classroom/autograder/)")
    notebooks = sorted(submissions.glob("*.ipynb")) if submissions.is_dir() else []
    if not notebooks:
        raise SystemExit(f"grade: no submitted notebooks (*.ipynb) in {submissions}")
    check_environment()
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    rows = []
    # each submission is its own `otter run` process: threads only wait for them, so jobs > 1 uses more cores
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for graded in pool.map(lambda notebook: grade_one(autograder, notebook, timeout_s), notebooks):
            (out / "feedback" / f"{graded.student}.txt").write_text(graded.feedback, encoding="utf-8")
            rows.append(graded)
            if not quiet:
                review = f"; review: {'; '.join(graded.review)}" if graded.review else ""
                print(f"{graded.student}: {graded.total:g} / {sum(graded.possible.values()):g} ({graded.status}, "
                      f"{graded.seconds:.0f} s{review})", flush=True)
    write_table(rows, out)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("autograder", type=Path, help="the assignment's autograder zip (build/classroom/autograder/)")
    parser.add_argument("submissions", type=Path, help="a folder of submitted notebooks, one per student")
    parser.add_argument("--out", type=Path, default=Path("grades"), help="where grades.csv and feedback/ go")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds one submission may take (default {DEFAULT_TIMEOUT_S})")
    parser.add_argument("--jobs", type=int, default=1,
                        help="submissions graded at the same time (default 1; at most one per CPU core)")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error(f"--timeout must be a positive number of seconds, got {args.timeout:g}")
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    grade_folder(args.autograder, args.submissions, args.out, timeout_s=args.timeout, jobs=args.jobs)
    print(f"wrote {args.out / 'grades.csv'} and {args.out / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
