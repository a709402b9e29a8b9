"""A class of three, graded end to end: what a teacher's first grading run looks like, and the kit's own test.

For each chapter asked for, in each language: build the assignment (tools/make_assignments.py), write three
submissions from the student notebook, grade them with Otter (tools/grade.py) and print the grade table:

    solved     every template replaced by the worked answer (classroom/answers/): full marks
    untouched  the student notebook as handed out: 0 (the checkers say "[NOT YET]")
    mistake    solved, except one classic mistake planted in one exercise (PLANTED below): that exercise
               loses its points, and the feedback quotes the checker's hint that names the mistake

    python -m tools.classroom_demo --chapters 00 02 --languages en zh-CN --out build/classroom-demo

tests/test_grading.py runs it on two quick chapters in ``make test``; the closing table of a run over every
chapter is in TEACHING.md.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools import grade, make_assignments, output_folder
from tools.answers import read_answers

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Planted:
    """One classic mistake: in exercise ``exercise``'s answer, ``right`` becomes ``wrong``."""

    exercise: str
    right: str
    wrong: str
    what: str  # the mistake, in words (the demo's table says which one was planted)


# One per chapter, each a mistake the chapter's checker diagnoses by name.
PLANTED = {
    "00": Planted("0.1", "(ours.double() - theirs.double()).abs().max()", "(ours.double() - theirs.double()).max()",
                  "the signed difference, without abs()"),
    "01": Planted("1.3", "return torch.tanh(dense(cls_vectors))", "return dense(cls_vectors)",
                  "the pooler without its tanh"),
    "02": Planted("2.1", "return -picked.mean()", "return -picked.sum() / labels.numel()",
                  "the MLM loss averaged over all B x T positions"),
    "03": Planted("3.2", "torch.cat([labels[:, 1:], ignored], dim=1)", "torch.cat([ignored, labels[:, :-1]], dim=1)",
                  "the labels shifted the wrong way"),
    "04": Planted("4.1", "mlm_head = linear(H, H) + layer_norm + V", "mlm_head = linear(H, H) + layer_norm + V * H + V",
                  "the tied decoder counted a second time"),
    "05": Planted("5.3", "return per_cell.mean()", "return per_cell.sum(dim=1).mean()",
                  "the multi-label loss summed over the labels"),
    "06": Planted("6.2", "log_probs = logits.log_softmax(dim=-1)", "log_probs = logits.log_softmax(dim=0)",
                  "the softmax across the questions instead of the choices"),
    "07": Planted("7.1", "labels.append(-100)  # a later piece", "labels.append(word_labels[word_id])  # a later piece",
                  "every piece of a word labelled"),
    "08": Planted("8.1", "return (start_loss + end_loss) / 2", "return start_loss + end_loss",
                  "the start and end losses summed, not averaged"),
    "09": Planted("9.1", "p = p * (1 - lr * weight_decay)", "grad = grad + weight_decay * p",
                  "L2 in the gradient (Adam + L2) instead of decoupled decay"),
    "10": Planted("10.2", "return max(0.0, remaining)", "return remaining",
                  "a linear decay that goes negative after the last step"),
    "11": Planted("11.1", "    scheduler.step()            # only then", "    pass                        # only then",
                  "the scheduler never stepped"),
}

STUDENTS = ("solved", "untouched", "mistake")


def answer_cells(notebook) -> dict[str, object]:
    """The student notebook's exercise code cells, by exercise number."""
    return {c.metadata["course"]["exercise"]: c for c in notebook.cells
            if c.cell_type == "code" and "exercise" in c.metadata.get("course", {})}


def submissions(student_notebook: Path, chapter: str, folder: Path) -> None:
    """The three submissions of ``chapter`` (its English notebook path) into ``folder``."""
    answers = read_answers(ROOT / "notebooks" / chapter)
    planted = PLANTED[chapter[:2]]
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(student_notebook, folder / "untouched.ipynb")
    for student in ("solved", "mistake"):
        nb = nbformat.read(student_notebook, as_version=4)
        for exercise, cell in answer_cells(nb).items():
            cell.source = answers[exercise].source
            if student == "mistake" and exercise == planted.exercise:
                if cell.source.count(planted.right) != 1:
                    raise SystemExit(f"classroom_demo: the planted mistake of {chapter[:2]} no longer fits exercise "
                                     f"{exercise}'s answer (looked for {planted.right!r} once)")
                cell.source = cell.source.replace(planted.right, planted.wrong)
        nbformat.write(nb, folder / f"{student}.ipynb")


def run(chapters: list[str], languages: list[str], out: Path, *, timeout_s: float, jobs: int = 1) -> dict:
    """Build, submit and grade (``jobs`` submissions at a time); {(language, chapter): [grade.Graded, ...]}."""
    make_assignments.main(["--out", str(out / "kit"), "--languages", *languages, "--chapters",
                           *(c[:2] for c in chapters)])
    results = {}
    for language in languages:
        for chapter in chapters:
            stem = chapter[:-len(".ipynb")]
            work = out / "grading" / language / stem
            submissions(out / "kit" / "student" / language / chapter, chapter, work / "submitted")
            rows = grade.grade_folder(out / "kit" / "autograder" / language / f"{stem}.zip", work / "submitted",
                                      work, timeout_s=timeout_s, jobs=jobs, quiet=True)
            results[(language, stem)] = rows
            planted = PLANTED[stem[:2]]
            for row in rows:
                note = f"  (planted in {planted.exercise}: {planted.what})" if row.student == "mistake" else ""
                print(f"{language} {stem} {row.student:<9} {row.total:g} / {sum(row.possible.values()):g} "
                      f"[{', '.join(f'{e}: {row.scores[e]:g}' for e in row.scores)}] {row.seconds:.0f} s{note}",
                      flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chapters", nargs="+", metavar="NN", default=["00", "02"])
    parser.add_argument("--languages", nargs="+", choices=sorted(make_assignments.LANGUAGES), default=["en"])
    parser.add_argument("--out", default="build/classroom-demo")
    parser.add_argument("--timeout", type=float, default=grade.DEFAULT_TIMEOUT_S)
    parser.add_argument("--jobs", type=int, default=1, help="submissions graded at the same time")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    out = output_folder.prepare(args.out, "classroom_demo.py", replace=True, example="build/classroom-demo")
    run(make_assignments.chapters(args.chapters), args.languages, out, timeout_s=args.timeout, jobs=args.jobs)
    output_folder.finish(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
