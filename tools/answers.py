"""Read classroom/answers/: each chapter's worked answers and their points (the one source of both).

A file ``classroom/answers/NN_slug.py`` belongs to ``notebooks/NN_slug.ipynb`` and holds one block per
exercise, in Otter-Grader's question syntax (its keys on the comment lines after the marker):

    # BEGIN QUESTION
    # name: q2_1
    # points: 4
    from course_lib.exercises.ch02 import check_mlm_loss
    ...                                  # the answer cell, exactly as the solutions notebook shows it
    check_mlm_loss(my_mlm_loss)
    # END QUESTION

``name`` is ``q`` + the exercise number with ``_`` for the dot (q2_1 is exercise 2.1): the chapter's
exercise cell with ``metadata.course.exercise == "2.1"`` is the learner's template that the answer replaces.
Read by tools/make_solutions.py and tools/make_assignments.py; tests/test_classroom.py checks that every
exercise of every chapter has exactly one answer and every answer an exercise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = ROOT / "classroom" / "answers"

BEGIN, END = "# BEGIN QUESTION", "# END QUESTION"
BEGIN_LINE, END_LINE = (re.compile(rf"^{marker}[ \t]*$", re.MULTILINE) for marker in (BEGIN, END))
NAME = re.compile(r"q(\d+)_(\d+)")


@dataclass(frozen=True)
class Answer:
    exercise: str  # "2.1"
    config: dict  # Otter's question keys: name, points (and any other Otter key the block sets)
    source: str  # the answer cell

    @property
    def name(self) -> str:
        return self.config["name"]

    @property
    def points(self) -> int | float:
        return self.config["points"]


def exercise_number(name: str) -> str | None:
    """The exercise an Otter question name stands for: q2_1 -> "2.1" (None for a name of another shape)."""
    match = NAME.fullmatch(str(name))
    return f"{int(match[1])}.{int(match[2])}" if match else None


def answers_file(chapter: Path) -> Path:
    """classroom/answers/NN_slug.py for notebooks/NN_slug.ipynb (or a translated copy of it)."""
    return ANSWERS / f"{chapter.stem}.py"


def parse_answers(text: str, where: str = "answers") -> dict[str, Answer]:
    """The answers of one file by exercise number, in file order; ValueError naming the block for a bad one."""
    answers: dict[str, Answer] = {}
    blocks = BEGIN_LINE.split(text)[1:]  # the marker on a line of its own (a docstring may quote it)
    ends = len(END_LINE.findall(text))
    if ends != len(blocks) or any(len(END_LINE.findall(block)) != 1 for block in blocks):
        raise ValueError(f"{where}: each '{BEGIN}' line needs one '{END}' line before the next "
                         f"({len(blocks)} begin, {ends} end)")
    for number, block in enumerate(blocks, start=1):
        body = END_LINE.split(block)[0]
        lines = body.strip("\n").splitlines()
        config_lines = []
        while lines and lines[0].startswith("# ") and ":" in lines[0]:
            config_lines.append(lines.pop(0)[2:])
        config = yaml.safe_load("\n".join(config_lines)) or {}
        label = f"{where}, question {number}"
        exercise = exercise_number(config.get("name", ""))
        if exercise is None:
            raise ValueError(f"{label}: 'name' must be q<chapter>_<exercise> (q2_1 for exercise 2.1), "
                             f"got {config.get('name')!r}")
        points = config.get("points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            raise ValueError(f"{label} ({config['name']}): 'points' must be a positive number, got {points!r}")
        if exercise in answers:
            raise ValueError(f"{label}: exercise {exercise} has two answers")
        source = "\n".join(lines).strip("\n")
        if not source:
            raise ValueError(f"{label} ({config['name']}): the answer cell is empty")
        answers[exercise] = Answer(exercise, config, source)
    return answers


def read_answers(chapter: Path) -> dict[str, Answer]:
    """The answers of one chapter (empty if it has no answers file)."""
    path = answers_file(chapter)
    if not path.exists():
        return {}
    return parse_answers(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
