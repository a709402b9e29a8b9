"""The grader's hidden inputs (course_lib/exercises/inputs.py) and the checkers as tests (exercises/grading.py).

Every worked answer passes its checker on both sets; the hidden set really differs from the learner's for every
exercise whose inputs are drawn from seeds; the exercises with hand-picked inputs (fixed edge cases, configs,
sentences) are exactly inputs.SAME_HIDDEN_INPUTS, which the student notebooks' points notes and TEACHING name.
"""

import contextlib
import io

import pytest
import torch

from course_lib.exercises import inputs
from course_lib.exercises.grading import assert_passes, checker_for, exercise_checkers
from helpers import chapter_notebook
from tools.answers import read_answers


def answer_function(exercise: str):
    """The worked answer of ``exercise`` (classroom/answers/), executed as its cell would be, silently."""
    chapter = int(exercise.split(".")[0])
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(read_answers(chapter_notebook(chapter))[exercise].source, exercise, "exec"), namespace)
    return namespace[checker_for(exercise).default_name]


def digest(value):
    """Something comparable that changes with the values of a checker's inputs."""
    if isinstance(value, torch.Tensor):
        return tuple(value.shape), round(float(value.detach().double().abs().sum()), 6)
    if isinstance(value, torch.nn.Module):
        return round(sum(float(p.detach().double().abs().sum()) for p in value.parameters()), 6)
    if isinstance(value, (list, tuple)):
        return tuple(digest(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, digest(v)) for k, v in value.items())
    return value if isinstance(value, (int, float, str, bool, type(None))) else type(value).__name__


def first_inputs(check, hidden: bool):
    seen = []

    def recorder(*args, **kwargs):
        seen.append(digest((args, kwargs)))
        raise RuntimeError("recorded")

    check(recorder, print_verdict=False, hidden=hidden)
    return seen


def test_every_exercise_has_a_checker_found_by_number():
    assert len(exercise_checkers()) == 35
    assert checker_for("2.1").default_name == "my_mlm_loss"
    for bad in ("2.9", "12.1", 2.1, None):
        with pytest.raises(ValueError, match="no exercise"):
            checker_for(bad)


@pytest.mark.parametrize("exercise", list(exercise_checkers()))
def test_the_answer_passes_on_both_sets_of_inputs(exercise):
    fn = answer_function(exercise)
    assert_passes(exercise, fn)
    assert_passes(exercise, fn, hidden=True)
    assert not inputs.drawing_hidden_inputs(), "the hidden set is used for one check only"


def test_the_hidden_set_differs_where_inputs_are_drawn():
    same = [exercise for exercise, check in exercise_checkers().items()
            if first_inputs(check, False) == first_inputs(check, True)]
    assert same == list(inputs.SAME_HIDDEN_INPUTS)


def test_a_wrong_answer_fails_with_the_checkers_hint():
    def my_mlm_loss(logits, labels):  # the mean over all B x T positions: the -100 positions counted
        return torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels, reduction="none").mean()

    for hidden in (False, True):
        with pytest.raises(AssertionError, match=r"^\[TRY AGAIN\] Exercise 2\.1: your loss counts the -100"):
            assert_passes("2.1", my_mlm_loss, hidden=hidden)
    with pytest.raises(AssertionError, match=r"^\[NOT YET\] Exercise 2\.1:"):
        assert_passes("2.1", None)


def test_the_learner_sees_the_same_inputs_as_before():
    # the offset is 0 outside a hidden check: the committed notebooks' "[PASS] ... on input N" lines stay true
    assert inputs.case_seed(21) == 21
    with inputs.hidden_inputs():
        assert inputs.case_seed(21) == 21 + inputs.HIDDEN_SEED_OFFSET
    assert torch.equal(torch.randn(3, generator=inputs.case_generator(5)),
                       torch.randn(3, generator=torch.Generator().manual_seed(5)))
