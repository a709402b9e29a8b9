"""The checkers as a grader's tests: one call that passes silently or fails with the checker's hint.

A learner studying alone calls ``check_mlm_loss(my_mlm_loss)`` and reads one line: ``[PASS]``,
``[TRY AGAIN]`` with a hint, or ``[NOT YET]``. A grader (Otter-Grader, in the classroom kit that
``python -m tools.make_assignments`` builds) needs the same judgement as a test that *fails*:
:func:`assert_passes` runs the exercise's checker without printing and raises ``AssertionError`` with the
checker's own line, so the feedback a student gets back names the same mistake the notebook would have.
``hidden=True`` runs it on the hidden set of inputs (``exercises/inputs.py``).

    from course_lib.exercises.grading import assert_passes
    assert_passes("2.1", my_mlm_loss)                 # the inputs the learner's checker uses
    assert_passes("2.1", my_mlm_loss, hidden=True)    # inputs the class has never seen
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable

from . import Verdict

__all__ = ["assert_passes", "checker_for", "exercise_checkers"]


@functools.cache
def exercise_checkers() -> dict[str, Callable]:
    """Every exercise's public checker, by exercise number ("2.1"), found in the chapter modules."""
    package = importlib.import_module(__package__)
    found = {}
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("ch"):
            continue
        chapter = importlib.import_module(f"{__package__}.{module.name}")
        for name in getattr(chapter, "__all__", ()):
            check = getattr(chapter, name)
            if hasattr(check, "exercise"):  # made by exercises.checker
                found[check.exercise] = check
    return dict(sorted(found.items(), key=lambda item: tuple(int(part) for part in item[0].split("."))))


def checker_for(exercise: str) -> Callable:
    """The checker of ``exercise`` ("2.1"); a clear error for a number the course does not have."""
    checkers = exercise_checkers()
    if not isinstance(exercise, str) or exercise not in checkers:
        raise ValueError(f"no exercise {exercise!r} in the course; the exercises are {', '.join(checkers)}")
    return checkers[exercise]


def assert_passes(exercise: str, fn, *, hidden: bool = False) -> Verdict:
    """Run ``exercise``'s checker on ``fn`` without printing; raise ``AssertionError`` carrying the checker's
    verdict line (its hint included) unless it passes. Returns the passing verdict."""
    verdict = checker_for(exercise)(fn, print_verdict=False, hidden=hidden)
    if not verdict:
        raise AssertionError(str(verdict))
    return verdict
