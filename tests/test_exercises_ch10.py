"""Checkers of notebook 10's exercises (schedule multipliers): right answers pass, typical mistakes get
their hint, and a learner who submits nothing, the wrong type or broken code gets a message, never a
traceback. The wrong answers are written here the way a learner would write them."""

import math

import pytest
import torch

from course_lib.exercises.ch10 import (
    check_constant_with_warmup,
    check_cosine_with_warmup,
    check_linear_with_warmup,
    check_polynomial_decay,
)
from helpers import by_checker, try_again


def check(checker, fn):
    return checker(fn, print_verdict=False)


# --- right answers ------------------------------------------------------------------------------------

def constant_with_warmup(step, num_warmup_steps):
    if step < num_warmup_steps:
        return step / num_warmup_steps
    return 1.0


def linear(step, num_warmup_steps, num_training_steps):
    if step < num_warmup_steps:
        return step / max(1, num_warmup_steps)
    return max(0.0, (num_training_steps - step) / max(1, num_training_steps - num_warmup_steps))


def cosine(step, num_warmup_steps, num_training_steps, num_cycles):
    if step < num_warmup_steps:
        return step / max(1, num_warmup_steps)
    progress = (step - num_warmup_steps) / max(1, num_training_steps - num_warmup_steps)
    return 0.5 * (1 + math.cos(2 * math.pi * num_cycles * progress))


def polynomial(step, num_warmup_steps, num_training_steps, lr_init, lr_end, power):
    if step < num_warmup_steps:
        return step / max(1, num_warmup_steps)
    if step > num_training_steps:
        return lr_end / lr_init
    progress = (step - num_warmup_steps) / (num_training_steps - num_warmup_steps)
    return ((lr_init - lr_end) * (1 - progress) ** power + lr_end) / lr_init


RIGHT = [
    (check_constant_with_warmup, constant_with_warmup, "10.1"),
    (check_linear_with_warmup, linear, "10.2"),
    (check_cosine_with_warmup, cosine, "10.3"),
    (check_polynomial_decay, polynomial, "10.4"),
]
IDS = ["constant_with_warmup", "linear", "cosine", "polynomial"]


@pytest.mark.parametrize("checker, right, exercise", RIGHT, ids=IDS)
def test_right_answer_passes(checker, right, exercise):
    verdict = check(checker, right)
    assert verdict and verdict.exercise == exercise and "matches the reference at all" in verdict.message, verdict


@pytest.mark.parametrize("checker, right, exercise", RIGHT, ids=IDS)
def test_tensor_answers_are_accepted(checker, right, exercise):
    def as_tensor(step, *args):
        return torch.tensor(right(step, *args), dtype=torch.float32)

    assert check(checker, as_tensor)


def test_min_formulation_passes():
    def clipped(step, num_warmup_steps):
        return min(1.0, step / num_warmup_steps) if num_warmup_steps else 1.0

    assert check(check_constant_with_warmup, clipped)


def test_pass_is_printed(capsys):
    check_linear_with_warmup(linear)
    assert capsys.readouterr().out.startswith("[PASS] Exercise 10.2: your linear-with-warmup multiplier matches")


# --- typical mistakes get their hint ------------------------------------------------------------------

def warmup_from_one(step, num_warmup_steps, *rest):
    return (step + 1) / num_warmup_steps


def warmup_peaks_early(step, num_warmup_steps, *rest):
    return step / (num_warmup_steps - 1)


def constant_early(step, w):
    return warmup_from_one(step, w) if step < w else 1.0


def constant_peaks_early(step, w):
    return warmup_peaks_early(step, w) if step < w else 1.0


def constant_no_warmup(step, w):
    return 1.0 + 0 * step


def linear_early(step, w, t):
    return warmup_from_one(step, w) if step < w else linear(step, w, t)


def linear_over_total(step, w, t):
    return step / w if step < w else max(0.0, (t - step) / t)


def linear_ends_late(step, w, t):
    return step / w if step < w else max(0.0, 1 - (step - w) / t)


def linear_unclamped(step, w, t):
    return step / w if step < w else (t - step) / (t - w)


def cosine_variant(cos_factor=2.0, shifted=True, from_zero=False, cycles=None, early=False):
    def wrong(step, w, t, c):
        if step < w:
            return (step + early) / w
        c = c if cycles is None else cycles
        p = step / t if from_zero else (step - w) / max(1, t - w)
        value = math.cos(cos_factor * math.pi * c * p)
        return 0.5 * (1 + value) if shifted else value
    return wrong


@pytest.mark.parametrize("checker, wrong, phrase", by_checker({
    check_constant_with_warmup: [
        (constant_early, "off by one at the start of the warmup"),
        (constant_peaks_early, "reaches the peak at step W - 1"),
        (constant_no_warmup, "that is `constant`, which ignores"),
    ],
    check_linear_with_warmup: [
        (linear_early, "off by one at the start of the warmup"),
        (linear_over_total, "your decay runs over the wrong span"),
        (linear_ends_late, "your decay runs over the wrong span"),
        (linear_unclamped, "past num_training_steps your multiplier goes negative"),
    ],
    check_cosine_with_warmup: [
        (cosine_variant(early=True), "off by one at the start of the warmup"),
        (cosine_variant(cos_factor=1.0), "your cosine stops halfway"),
        (cosine_variant(shifted=False), "your multiplier goes negative"),
        (cosine_variant(from_zero=True), "starts from step 0 instead of from the end of the warmup"),
        (cosine_variant(cycles=0.5), "ignores num_cycles"),
    ],
}))
def test_typical_mistake_gets_its_hint(checker, wrong, phrase):
    try_again(checker, wrong, phrase)


def poly_variant(kind):
    def wrong(step, w, t, lr0, lr1, power):
        if step < w:
            return (step + (kind == "early")) / max(1, w) * (lr0 if kind == "absolute everywhere" else 1)
        if step > t and kind != "unclamped":
            step = t
        p = (step - w) / (t - w)
        if kind == "exponential":
            return (lr1 / lr0) ** p
        if kind == "to zero":
            return (1 - p) ** power
        lr = (lr0 - lr1) * (1 - p) ** power + lr1
        return lr if kind.startswith("absolute") else lr / lr0
    return wrong


@pytest.mark.parametrize("kind, phrase", [
    ("exponential", "exponential decay is not polynomial"),
    ("to zero", "decays to 0, not to lr_end"),
    ("absolute", "you returned a learning rate, not a multiplier"),
    ("absolute everywhere", "you returned a learning rate, not a multiplier"),
    ("early", "off by one at the start of the warmup"),
    ("unclamped", "after num_training_steps your multiplier keeps changing"),
])
def test_polynomial_mistakes(kind, phrase):
    verdict = check(check_polynomial_decay, poly_variant(kind))
    assert verdict.status == "try again" and phrase in verdict.message, verdict


def test_unknown_mistake_names_the_step():
    def squared(step, w, t, c):
        return cosine(step, w, t, c) ** 2

    verdict = check(check_cosine_with_warmup, squared)
    assert verdict.status == "try again"
    assert verdict.message.startswith("at step 1 (num_warmup_steps=8, num_training_steps=40, num_cycles=0.5) "
                                      "your multiplier is 0.015625, the reference 0.125.")


# --- nothing, templates, wrong types, exceptions ------------------------------------------------------


def test_division_by_zero_without_warmup_names_the_setting():
    def no_guard(step, num_warmup_steps, num_training_steps):
        warmup = step / num_warmup_steps  # fails when there is no warmup
        if step < num_warmup_steps:
            return warmup
        return max(0.0, (num_training_steps - step) / (num_training_steps - num_warmup_steps))

    verdict = check(check_linear_with_warmup, no_guard)
    assert "raised ZeroDivisionError" in verdict.message and "num_warmup_steps=0" in verdict.message


@pytest.mark.parametrize("returns, phrase", [
    ("list", "returned a list at step 0"),
    ("vector", "returned a tensor of shape (2,)"),
    ("missing return", "returned None (did you forget `return`?) at step 8"),
    ("string", "returned a str"),
])
def test_wrong_type_gets_a_helpful_message(returns, phrase):
    def wrong_type(step, num_warmup_steps):
        value = constant_with_warmup(step, num_warmup_steps)
        if returns == "list":
            return [value]
        if returns == "vector":
            return torch.tensor([value, value])
        if returns == "string":
            return f"{value}"
        if step < num_warmup_steps:
            return value

    verdict = check(check_constant_with_warmup, wrong_type)
    assert verdict.status == "try again" and phrase in verdict.message, verdict
    assert "one float such as 0.5" in verdict.message


def test_complex_answer_is_named():
    def unclamped_root(step, w, t, lr0, lr1, power):
        p = (step - w) / (t - w) if step >= w else 0.0
        return ((lr0 - lr1) * (1 - p) ** 0.5 + lr1) / lr0 if step >= w else step / w

    verdict = check(check_polynomial_decay, unclamped_root)
    assert "returned a complex number at step 37" in verdict.message, verdict
