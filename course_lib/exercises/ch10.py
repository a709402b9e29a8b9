"""Exercises of notebook 10 (learning-rate schedules and warmup): four schedule multipliers written
by hand, checked at every step against ``course_lib.training.schedules`` (which matches
``transformers.get_scheduler`` at every step, notebook 10 section 3).

A learner's schedule is a function of the step, ``fn(step, num_warmup_steps, ...) -> float``. The
checker evaluates it at every step of a few fresh settings (different warmups and lengths, no
warmup, steps past the end) and compares the whole curve; the diagnoses compute typical wrong
curves (warmup off by one, decay over the wrong span, exponential instead of polynomial ...).
"""

from __future__ import annotations

import functools
import math

import torch

from ..training import schedules
from . import Case, Check, Diagnosis, Verdict, WrongAnswer, as_number, chapter_say, checker, describe, run_check
from .inputs import drawing_hidden_inputs

__all__ = ["check_constant_with_warmup", "check_linear_with_warmup", "check_cosine_with_warmup",
           "check_polynomial_decay"]

_TOLERANCE = dict(atol=1e-6, rtol=1e-5)

#: What this chapter's checks say beyond their hints (other languages: course_lib/exercises/messages_*.json).
MESSAGES = {
    "a complex number": "a complex number",
    "not a number": "`{name}` returned {got} at step {step} ({setting}); it should return the multiplier f(step), "
                    "one float such as 0.5.",
    "differs": "at step {step} ({setting}) your multiplier is {got:.6g}, the reference {expected:.6g}. {advice}",
    # what to check when no known mistake matches, one per exercise
    "advice 10.1": "Linear rise step / W for step < W, then 1 (section 1, the table).",
    "advice 10.2": "Rise step / W for step < W, then (T - step) / (T - W), never below 0 (section 1).",
    "advice 10.3": "After the warmup: p = (step - W) / (T - W), f = 0.5 * (1 + cos(2 * pi * num_cycles * p)) "
                   "(section 1).",
    "advice 10.4": "After the warmup: f = ((lr_init - lr_end) * (1 - p)**power + lr_end) / lr_init with "
                   "p = (step - W) / (T - W), and lr_end / lr_init after T (section 1).",
}
_say = chapter_say(__name__, MESSAGES)


class _Setting:
    """One schedule setting: the positional arguments after ``step`` and the steps to check."""

    def __init__(self, names: tuple[str, ...], values: tuple, last_step: int):
        self.names, self.values, self.steps = names, values, range(last_step + 1)

    def __str__(self):
        return ", ".join(f"{n}={v:g}" if isinstance(v, float) else f"{n}={v}" for n, v in zip(self.names, self.values))


def _curve(schedule, setting: _Setting) -> torch.Tensor:
    return torch.tensor([schedule(step, *setting.values) for step in setting.steps], dtype=torch.float64)


def _check_schedule(exercise, fn, *, name, what, names, settings, reference, diagnoses):
    """Run ``fn`` over every step of every setting; a non-number answer, an exception or a wrong
    value gets a message that names the step and the setting (and the exercise's advice in MESSAGES)."""
    if drawing_hidden_inputs():  # the grader's set: every step count one longer (0, an edge case, stays 0)
        settings = [(tuple(v + 1 if type(v) is int and v > 0 else v for v in values), last + 1)
                    for values, last in settings]
    cases = [Case((_Setting(names, values, last),), label=str(_Setting(names, values, last)))
             for values, last in settings]

    def learner_curve(setting):
        curve = []
        for step in setting.steps:
            value = fn(step, *setting.values)
            number = as_number(value)
            if number is None:  # every answer must be one real number: say so at the first step where it is not
                kind = _say("a complex number") if isinstance(value, complex) else describe(value)
                raise WrongAnswer(_say("not a number", name=name, got=kind, step=step, setting=setting))
            curve.append(number)
        return torch.tensor(curve, dtype=torch.float64)

    def on_differs(number, case, got, expected):  # no known mistake matched: point at the first step that differs
        setting = case.args[0]
        for step, mine in zip(setting.steps, got.tolist()):
            right = reference(step, *setting.values)
            if not math.isclose(mine, right, rel_tol=_TOLERANCE["rtol"], abs_tol=_TOLERANCE["atol"]):
                return _say("differs", step=step, setting=setting, got=mine, expected=right,
                            advice=_say(f"advice {exercise}"))
        return None

    steps = sum(len(case.args[0].steps) for case in cases)
    return run_check(functools.wraps(fn)(learner_curve), Check(
        exercise, cases, functools.partial(_curve, reference),
        name=name, what=what, on_differs=on_differs, **_TOLERANCE,
        diagnoses=[Diagnosis(functools.partial(_curve, wrong), hint) for wrong, hint in diagnoses],
        pass_message=f"your {what} matches the reference at all {steps} steps of {len(cases)} fresh settings.",
    ))


def _warmup_early(step, w):
    """The ramp shifted by one: (step + 1) / W, so step 0 already trains."""
    return (step + 1) / max(1, w)


def _warmup_peaks_early(step, w):
    """The ramp reaches 1 at step W - 1: step / (W - 1)."""
    return min(1.0, step / (w - 1))


_WARMUP_EARLY = ("off by one at the start of the warmup: you return (step + 1) / W, so the first step already "
                 "trains. The ramp is step / W: 0 at step 0 (the first update does nothing, section 1) and 1 "
                 "exactly at step W.")
_WARMUP_PEAKS_EARLY = ("off by one at the warmup boundary: your ramp reaches the peak at step W - 1. The ramp is "
                       "step / W for step < W, so it reaches 1 exactly at step W = num_warmup_steps (section 1).")


# ---------------------------------------------------------------------------------------------
# 10.1 constant_with_warmup
# ---------------------------------------------------------------------------------------------

def _constant_reference(step, w):
    return schedules.constant_with_warmup(step, num_warmup_steps=w)


@checker("10.1", "my_constant_with_warmup")
def check_constant_with_warmup(fn, name: str) -> Verdict:
    """Exercise 10.1: ``fn(step, num_warmup_steps)``, the multiplier of ``constant_with_warmup``."""
    return _check_schedule(
        "10.1", fn, name=name, what="constant_with_warmup multiplier",
        names=("num_warmup_steps",), settings=[((8,), 20), ((1,), 6), ((25,), 40), ((0,), 5)],
        reference=_constant_reference,
        diagnoses=[
            (lambda step, w: _warmup_early(step, w) if step < w else 1.0, _WARMUP_EARLY),
            (lambda step, w: _warmup_peaks_early(step, w) if step < w else 1.0, _WARMUP_PEAKS_EARLY),
            (lambda step, w: 1.0, "your multiplier is 1 at every step: that is `constant`, which ignores "
                                  "num_warmup_steps (section 2). constant_with_warmup first rises linearly, step / W "
                                  "for step < W, then stays at 1."),
        ],
    )


# ---------------------------------------------------------------------------------------------
# 10.2 linear with warmup
# ---------------------------------------------------------------------------------------------

def _linear_reference(step, w, total):
    return schedules.linear(step, num_warmup_steps=w, num_training_steps=total)


_LINEAR_SPAN = ("your decay runs over the wrong span: you divide by num_training_steps. The decay phase lasts "
                "T - W steps, so after the warmup f = (T - step) / (T - W): exactly 1 at step W and 0 at step T "
                "(section 1, the table).")


@checker("10.2", "my_linear_with_warmup")
def check_linear_with_warmup(fn, name: str) -> Verdict:
    """Exercise 10.2: ``fn(step, num_warmup_steps, num_training_steps)``, the multiplier of
    ``get_linear_schedule_with_warmup``."""
    return _check_schedule(
        "10.2", fn, name=name, what="linear-with-warmup multiplier",
        names=("num_warmup_steps", "num_training_steps"),
        settings=[((10, 50), 56), ((3, 12), 16), ((0, 20), 24), ((1, 7), 9)],
        reference=_linear_reference,
        diagnoses=[
            (lambda s, w, t: _warmup_early(s, w) if s < w else _linear_reference(s, w, t), _WARMUP_EARLY),
            (lambda s, w, t: _warmup_peaks_early(s, w) if s < w else _linear_reference(s, w, t), _WARMUP_PEAKS_EARLY),
            (lambda s, w, t: _linear_reference(s, w, t) if s < w else max(0.0, (t - s) / t), _LINEAR_SPAN),
            (lambda s, w, t: _linear_reference(s, w, t) if s < w else max(0.0, 1 - (s - w) / t), _LINEAR_SPAN),
            (lambda s, w, t: _linear_reference(s, w, t) if s < w else (t - s) / max(1, t - w),
             "past num_training_steps your multiplier goes negative, which would turn descent into ascent. "
             "Clamp the decay at 0: max(0, (T - step) / (T - W)) (section 1, the table)."),
        ],
    )


# ---------------------------------------------------------------------------------------------
# 10.3 cosine with warmup
# ---------------------------------------------------------------------------------------------

def _cosine_reference(step, w, total, cycles):
    return schedules.cosine(step, num_warmup_steps=w, num_training_steps=total, num_cycles=cycles)


def _cosine_with(progress, factor):
    def wrong(step, w, total, cycles):
        if step < w:
            return step / max(1, w)
        return factor(progress(step, w, total), cycles)
    return wrong


def _progress(step, w, total):
    return (step - w) / max(1, total - w)


def _half_cosine(p, cycles):
    return max(0.0, 0.5 * (1 + math.cos(2 * math.pi * cycles * p)))


@checker("10.3", "my_cosine_with_warmup")
def check_cosine_with_warmup(fn, name: str) -> Verdict:
    """Exercise 10.3: ``fn(step, num_warmup_steps, num_training_steps, num_cycles)``, the multiplier of
    ``get_cosine_schedule_with_warmup`` (checked from step 0 to num_training_steps)."""
    return _check_schedule(
        "10.3", fn, name=name, what="cosine-with-warmup multiplier",
        names=("num_warmup_steps", "num_training_steps", "num_cycles"),
        settings=[((8, 40, 0.5), 40), ((0, 24, 0.5), 24), ((5, 45, 1.5), 45), ((2, 9, 0.5), 9)],
        reference=_cosine_reference,
        diagnoses=[
            (lambda s, w, t, c: _warmup_early(s, w) if s < w else _cosine_reference(s, w, t, c), _WARMUP_EARLY),
            (_cosine_with(_progress, lambda p, c: 0.5 * (1 + math.cos(math.pi * c * p))),
             "your cosine stops halfway: you wrote cos(pi * num_cycles * p). The formula is "
             "0.5 * (1 + cos(2 * pi * num_cycles * p)); with num_cycles = 0.5 that is one half-cosine, from 1 at the "
             "end of the warmup to 0 at num_training_steps (section 1, the table)."),
            (_cosine_with(_progress, lambda p, c: math.cos(2 * math.pi * c * p)),
             "your multiplier goes negative: cos(...) runs from 1 to -1. Shift and scale it, "
             "0.5 * (1 + cos(2 * pi * num_cycles * p)), so the multiplier runs from 1 to 0."),
            (_cosine_with(lambda s, w, t: s / max(1, t), _half_cosine),
             "your cosine starts from step 0 instead of from the end of the warmup: progress is "
             "p = (step - W) / (T - W), so the multiplier is exactly 1 at step W and 0 at step T."),
            (_cosine_with(_progress, lambda p, c: _half_cosine(p, 0.5)),
             "your function ignores num_cycles (it always draws one half-cosine). Use it in the formula: "
             "0.5 * (1 + cos(2 * pi * num_cycles * p))."),
        ],
    )


# ---------------------------------------------------------------------------------------------
# 10.4 polynomial decay
# ---------------------------------------------------------------------------------------------

def _polynomial_reference(step, w, total, lr_init, lr_end, power):
    return schedules.polynomial(step, num_warmup_steps=w, num_training_steps=total, lr_init=lr_init,
                                lr_end=lr_end, power=power)


def _polynomial_with(after_warmup):
    def wrong(step, w, total, lr_init, lr_end, power):
        if step < w:
            return step / max(1, w)
        progress = min(1.0, (step - w) / (total - w))
        return after_warmup(progress, lr_init, lr_end, power)
    return wrong


_ABSOLUTE = ("you returned a learning rate, not a multiplier: LambdaLR multiplies your value by the peak lr. "
             "Divide by lr_init: f = ((lr_init - lr_end) * (1 - p)**power + lr_end) / lr_init.")


@checker("10.4", "my_polynomial_decay")
def check_polynomial_decay(fn, name: str) -> Verdict:
    """Exercise 10.4: ``fn(step, num_warmup_steps, num_training_steps, lr_init, lr_end, power)``, the
    multiplier of ``get_polynomial_decay_schedule_with_warmup``."""
    return _check_schedule(
        "10.4", fn, name=name, what="polynomial-decay multiplier",
        names=("num_warmup_steps", "num_training_steps", "lr_init", "lr_end", "power"),
        settings=[((6, 36, 1e-3, 1e-4, 2.0), 40), ((0, 20, 5e-4, 5e-5, 1.0), 23), ((4, 24, 2e-3, 1e-7, 3.0), 28)],
        reference=_polynomial_reference,
        diagnoses=[
            (_polynomial_with(lambda p, lr0, lr1, power: (lr1 / lr0) ** p),
             "exponential decay is not polynomial: your multiplier shrinks by a constant factor per step "
             "((lr_end / lr_init)**p). The polynomial schedule is (lr_init - lr_end) * (1 - p)**power + lr_end, "
             "divided by lr_init; power = 1 is a straight line (section 1, the table)."),
            (_polynomial_with(lambda p, lr0, lr1, power: (1 - p) ** power),
             "your schedule decays to 0, not to lr_end: after the warmup the lr is "
             "(lr_init - lr_end) * (1 - p)**power + lr_end, so the multiplier ends at lr_end / lr_init."),
            (_polynomial_with(lambda p, lr0, lr1, power: (lr0 - lr1) * (1 - p) ** power + lr1), _ABSOLUTE),
            (lambda *args: args[3] * _polynomial_reference(*args), _ABSOLUTE),
            (lambda s, w, t, lr0, lr1, power: _warmup_early(s, w) if s < w else _polynomial_reference(s, w, t, lr0, lr1, power),
             _WARMUP_EARLY),
            (lambda s, w, t, lr0, lr1, power: _polynomial_reference(s, w, t, lr0, lr1, power) if s <= t else
             ((lr0 - lr1) * (1 - (s - w) / (t - w)) ** power + lr1) / lr0,
             "after num_training_steps your multiplier keeps changing: (1 - p) goes negative. From step T on the "
             "schedule stays at lr_end, so return lr_end / lr_init there (section 1)."),
        ],
    )
