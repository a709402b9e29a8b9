"""The contract every exercise checker keeps, tested once over every public ``check_*`` of every chapter:

nothing submitted, the empty template, a value instead of a function, a function that raises, answers of
the wrong kind (None, a str, a numpy array, a generator), one that never returns, one that prints a lot:
each gets a clear verdict, printed exactly once, never a traceback. The chapter's worked solution
passes, its template is "not yet", and neither touches the learner's global random state.

The chapters' own tests (tests/test_exercises_chNN.py) check their specific hints.
"""

import importlib
import inspect
import threading

import numpy as np
import pytest
import torch

import course_lib.exercises as exercises
from helpers import chapter_notebook, exercise_cells, run_cell, solutions_in_sync

CHAPTERS = range(12)
MODULES = {chapter: importlib.import_module(f"course_lib.exercises.ch{chapter:02d}") for chapter in CHAPTERS}
CHECKERS = [getattr(module, name) for module in MODULES.values() for name in module.__all__
            if name.startswith("check_")]
IDS = [f"{check.exercise}-{check.__name__}" for check in CHECKERS]


def printed_once(check, fn, capsys):
    """Run ``check(fn)``; assert the verdict is printed exactly once and returned; give it and the output."""
    capsys.readouterr()
    verdict = check(fn)
    out = capsys.readouterr().out
    assert isinstance(verdict, exercises.Verdict), f"{check.__name__} returned {verdict!r}"
    assert out.count(f"] Exercise {check.exercise}:") == 1, f"printed {out.count('] Exercise')} times:\n{out}"
    assert str(verdict) in out and verdict.printed
    assert "Traceback" not in out
    return verdict, out


def test_every_checker_is_made_by_the_one_mechanism():
    assert len(CHECKERS) == 35
    for check in CHECKERS:
        assert hasattr(check, "exercise") and check.default_name.startswith("my_"), check.__name__
        assert list(inspect.signature(check).parameters) == ["fn", "print_verdict", "hidden"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_notebook_has_a_checker_for_each_exercise(chapter):
    module = MODULES[chapter]
    ours = sorted(getattr(module, name).exercise for name in module.__all__ if name.startswith("check_"))
    assert sorted(exercise_cells(chapter_notebook(chapter))) == ours


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_solution_passes_and_the_template_is_not_yet(chapter, capsys):
    for exercise, (template, solution) in exercise_cells(chapter_notebook(chapter)).items():
        state = torch.get_rng_state()
        out = run_cell(solution, capsys)
        assert f"[PASS] Exercise {exercise}:" in out and out.count("] Exercise") == 1, out
        assert torch.equal(torch.get_rng_state(), state), f"{exercise}: the checker changed the global random state"
        out = run_cell(template, capsys)
        assert f"[NOT YET] Exercise {exercise}:" in out and out.count("] Exercise") == 1, out


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_solutions_notebook_is_in_sync_with_the_chapter(chapter):
    solutions_in_sync(chapter_notebook(chapter))


@pytest.mark.parametrize("check", CHECKERS, ids=IDS)
def test_nothing_submitted_is_not_yet(check, capsys):
    verdict, _ = printed_once(check, None, capsys)
    assert verdict.status == "not yet" and verdict.reason == "nothing" and check.default_name in verdict.message


def empty_template(*args, **kwargs):
    ...


def documented_template(*args, **kwargs):
    """Your code here."""
    raise NotImplementedError


@pytest.mark.parametrize("template", [empty_template, documented_template])
@pytest.mark.parametrize("check", CHECKERS, ids=IDS)
def test_the_empty_template_is_not_yet(check, template, capsys):
    verdict, _ = printed_once(check, template, capsys)
    assert verdict.status == "not yet" and verdict.reason == "template", verdict


@pytest.mark.parametrize("check", CHECKERS, ids=IDS)
def test_a_function_that_raises_not_implemented_later_is_not_yet(check, capsys):
    def my_unfinished(*args, **kwargs):
        x = len(args)
        raise NotImplementedError(x)

    verdict, _ = printed_once(check, my_unfinished, capsys)
    assert verdict.status == "not yet" and verdict.reason == "not implemented", verdict


@pytest.mark.parametrize("check", CHECKERS, ids=IDS)
def test_a_value_instead_of_a_function_is_try_again(check, capsys):
    verdict, _ = printed_once(check, 0.5, capsys)
    assert verdict.status == "try again" and verdict.reason == "not callable"
    assert "expected a function, got a float" in verdict.message


@pytest.mark.parametrize("check", CHECKERS, ids=IDS)
def test_an_exception_is_named_without_a_traceback(check, capsys):
    def my_broken(*args, **kwargs):
        return 1 / 0

    verdict, _ = printed_once(check, my_broken, capsys)
    assert verdict.status == "try again" and verdict.reason == "raised", verdict
    assert "`my_broken` raised ZeroDivisionError" in verdict.message


def generator(*args, **kwargs):
    return (x for x in range(3))


WRONG_KINDS = {
    "None": (lambda *args, **kwargs: None, "None"),
    "str": (lambda *args, **kwargs: "0.5", "str"),
    "numpy": (lambda *args, **kwargs: np.zeros(3), "numpy"),
    "generator": (generator, "generator"),
}


@pytest.mark.parametrize("kind", WRONG_KINDS)
@pytest.mark.parametrize("check", CHECKERS, ids=IDS)
def test_an_answer_of_the_wrong_kind_gets_a_clear_verdict(check, kind, capsys):
    fn, word = WRONG_KINDS[kind]
    verdict, _ = printed_once(check, fn, capsys)
    assert verdict.status == "try again", verdict
    assert verdict.reason in ("wrong type", "known mistake", "differs", "raised"), verdict
    if verdict.reason == "wrong type":
        assert word in verdict.message, verdict


def test_a_str_is_not_a_number():
    verdict = MODULES[0].check_max_abs_diff(lambda ours, theirs: f"{(ours - theirs).abs().max().item():.6f}",
                                            print_verdict=False)
    assert verdict.status == "try again" and verdict.reason == "wrong type"
    assert "returned a str" in verdict.message and "expected a number" in verdict.message


def test_none_says_did_you_forget_return():
    verdict = MODULES[2].check_mlm_loss(lambda logits, labels: None, print_verdict=False)
    assert "did you forget `return`?" in verdict.message


@pytest.mark.parametrize("check", CHECKERS, ids=IDS)
def test_a_function_that_never_returns_is_given_up_on(check, capsys, monkeypatch):
    monkeypatch.setattr(exercises, "TIME_LIMIT_S", 0.2)
    release = threading.Event()

    def my_stuck(*args, **kwargs):
        release.wait(30)  # "forever", until the test lets it go

    try:
        verdict, _ = printed_once(check, my_stuck, capsys)
    finally:
        release.set()
    assert verdict.status == "try again" and verdict.reason == "timeout", verdict
    assert "did not return within 0.2 s" in verdict.message and "still be running" in verdict.message


@pytest.mark.parametrize("check", CHECKERS, ids=IDS)
def test_printing_from_the_learner_does_not_flood_the_output(check, capsys):
    def my_chatty(*args, **kwargs):
        for i in range(50):
            print("debug line", i)

    verdict, out = printed_once(check, my_chatty, capsys)
    assert verdict.status == "try again"
    lines = out.splitlines()
    assert len(lines) <= exercises.SHOWN_OUTPUT_LINES + 2, out  # the note, a few lines, the verdict
    assert lines[0].startswith("`my_chatty` printed") and "rest hidden" in lines[0] and lines[1].strip() == "debug line 0"


def test_captured_output_is_shown_once_and_kept_on_the_verdict(capsys):
    def my_max_abs_diff(ours, theirs):
        print("checking")
        return (ours - theirs).abs().max()

    verdict = MODULES[0].check_max_abs_diff(my_max_abs_diff, print_verdict=False)
    assert capsys.readouterr().out == ""
    assert verdict and "`my_max_abs_diff` printed 3 lines" in verdict.output
    verdict.show()
    verdict.show()
    assert capsys.readouterr().out.count("[PASS]") == 1


def test_the_learner_random_state_is_left_alone():
    def my_adamw_step(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
        torch.rand(1)  # the learner's code may draw: the notebook's stream must not see the checker's seeds
        return p

    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    MODULES[9].check_adamw_step(my_adamw_step, print_verdict=False)
    MODULES[9].check_no_decay_split(lambda model: ([], []), print_verdict=False)
    MODULES[11].check_training_step(lambda *args: 0.0, print_verdict=False)
    assert torch.equal(torch.rand(3), expected)


def test_grad_mode_of_the_caller_reaches_the_learner():
    seen = []

    def my_max_abs_diff(ours, theirs):
        seen.append(torch.is_grad_enabled())
        return (ours - theirs).abs().max()

    with torch.no_grad():
        MODULES[0].check_max_abs_diff(my_max_abs_diff, print_verdict=False)
    MODULES[0].check_max_abs_diff(my_max_abs_diff, print_verdict=False)
    assert seen == [False] * 3 + [True] * 3


def test_run_check_alone_prints_only_when_asked(capsys):
    case = exercises.Case((torch.ones(2),))
    double = exercises.Check("9.9", [case], lambda x: x * 2, name="f", what="double")
    verdict = exercises.run_check(lambda x: x * 2, double)
    assert verdict and verdict.reason == "pass" and capsys.readouterr().out == ""
    verdict = exercises.run_check(lambda x: x, double, print_verdict=True)
    assert verdict.reason == "differs" and capsys.readouterr().out.count("[TRY AGAIN]") == 1


@pytest.mark.parametrize("answer, ok", [(True, True), (torch.tensor(True), True), (np.bool_(True), True),
                                        (1, True), (torch.tensor(1.0), True), (0.7, False), (torch.tensor(0.7), False),
                                        ("True", False), (torch.tensor([True, True]), False)])
def test_a_yes_or_no_answer_must_be_a_truth_value(answer, ok):
    assert exercises._as_bool(answer) is (True if ok else None)


def test_numbers_from_numpy_and_one_element_tensors_count_and_nothing_else_does():
    assert exercises.as_number(np.float32(0.5)) == 0.5 and exercises.as_number(np.array([2])) == 2.0
    assert exercises.as_number(torch.tensor([3.0])) == 3.0
    for not_a_number in ("0.5", True, 1j, torch.tensor([1.0, 2.0]), np.zeros(2), None, [1.0]):
        assert exercises.as_number(not_a_number) is None, not_a_number


def test_an_integer_answer_is_a_python_int_or_a_one_element_integer_tensor():
    assert exercises.as_integer(3) == 3 and exercises.as_integer(torch.tensor(-100)) == -100
    assert exercises.as_integer(torch.tensor([7])) == 7
    for not_an_integer in (True, 2.0, torch.tensor(2.0), torch.tensor([1, 2]), np.int64(3), "3", None):
        assert exercises.as_integer(not_an_integer) is None, not_an_integer


def test_the_framework_words_come_from_one_table(monkeypatch):
    # Another language (issue 24) is another table: every sentence the framework says is an entry, and
    # every entry is said somewhere (a stale entry would be translated for nothing).
    source = inspect.getsource(exercises)
    unused = [key for key in exercises.MESSAGES if source.count(f'"{key}"') < 2]
    assert not unused, f"MESSAGES entries nothing uses: {unused}"
    monkeypatch.setitem(exercises.MESSAGES, "verdict", "<{status}> {exercise} | {message}")
    monkeypatch.setitem(exercises.MESSAGES, "template", "TEMPLATE {name}")
    verdict = MODULES[0].check_max_abs_diff(empty_template, print_verdict=False)
    assert str(verdict) == "<NOT YET> 0.1 | TEMPLATE empty_template"
