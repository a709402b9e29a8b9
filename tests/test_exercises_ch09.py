"""Checkers of notebook 09's exercises: right answers pass, typical mistakes get their hint, and a
learner who submits nothing, the wrong type or broken code gets a message, never a traceback."""

import pytest

from course_lib.exercises import ch09
from course_lib.exercises.ch09 import (
    check_adam_l2_step,
    check_adamw_step,
    check_no_decay_split,
)
from helpers import by_checker, try_again

# --- answers a learner might write (multi-line bodies: a one-line `def` reads as a template) ---------

def adam_step(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, decoupled):
    beta1, beta2 = betas
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        grad = grad + weight_decay * p
    m = beta1 * exp_avg + (1 - beta1) * grad
    v = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1**step), v / (1 - beta2**step)
    return p - lr * m_hat / (v_hat.sqrt() + eps)


def right_adamw(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
    return adam_step(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, decoupled=True)


def right_adam_l2(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
    return adam_step(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, decoupled=False)


def in_place_adamw(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
    # The torch way: update the state tensors in place. Must pass and must not disturb the checker.
    beta1, beta2 = betas
    p.mul_(1 - lr * weight_decay)
    exp_avg.mul_(beta1).add_(grad, alpha=1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    denom = (exp_avg_sq / (1 - beta2**step)).sqrt().add_(eps)
    return p.addcdiv_(exp_avg, denom, value=-lr / (1 - beta1**step))


def right_split(model):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if "bias" in name or "LayerNorm.weight" in name else decay).append(name)
    return decay, no_decay


def template(*args):
    """Your code here."""
    ...


def raises(*args):
    raise KeyError("exp_avg")


def check(checker, fn):
    return checker(fn, print_verdict=False)


STEP_CHECKERS = [(check_adamw_step, right_adamw, "9.1"), (check_adam_l2_step, right_adam_l2, "9.2")]


# --- right answers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("checker, right, exercise", STEP_CHECKERS, ids=["adamw", "adam_l2"])
def test_right_step_passes(checker, right, exercise):
    verdict = check(checker, right)
    assert verdict and verdict.status == "pass" and verdict.exercise == exercise, verdict


def test_in_place_adamw_passes():
    assert check(check_adamw_step, in_place_adamw), "an in-place update (as torch writes it) is a right answer"


def test_right_split_passes():
    verdict = check(check_no_decay_split, right_split)
    assert verdict and verdict.exercise == "9.3", verdict


def test_split_accepts_tuples_sets_and_any_order():
    def as_sets(model):
        decay, no_decay = right_split(model)
        return set(decay), tuple(reversed(no_decay))

    assert check(check_no_decay_split, as_sets)


def test_pass_is_printed(capsys):
    check_adamw_step(right_adamw)
    assert capsys.readouterr().out.startswith("[PASS] Exercise 9.1: your AdamW step matches the reference")


# --- typical mistakes get their hint ------------------------------------------------------------------

@pytest.mark.parametrize("checker, wrong, phrase", by_checker({
    check_adamw_step: [
        (right_adam_l2, "that is Adam + L2, the *coupled* form"),
        (ch09._adamw_no_bias_correction, "no bias correction"),
        (ch09._adamw_decay_through_denominator, "goes through the adaptive denominator"),
        (ch09._adamw_decay_after_update, "after the Adam update, as the old transformers.AdamW"),
    ],
    check_adam_l2_step: [
        (right_adamw, "AdamW's *decoupled* decay"),
        (ch09._l2_only_in_first_moment, "reached m but not v"),
        (ch09._l2_no_bias_correction, "no bias correction"),
    ],
    check_no_decay_split: [
        (ch09._split_swapped, "your two lists are swapped"),
        (ch09._split_layernorm_decayed, "you decayed the LayerNorm weights"),
        (ch09._split_tied_twice, "you counted a tied matrix twice"),
        (ch09._split_frozen_included, "you listed frozen parameters"),
    ],
}))
def test_typical_mistake_gets_its_hint(checker, wrong, phrase):
    try_again(checker, wrong, phrase)


def test_hand_written_coupled_mistake_is_recognised():
    # Written by a learner, not taken from the checker: add wd * p to the gradient, no shrink.
    def coupled(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
        return adam_step(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay, decoupled=False)

    assert "coupled" in check(check_adamw_step, coupled).message


def test_split_other_mistake_names_the_misplaced_parameter():
    def positions_excluded(model):
        decay, no_decay = right_split(model)
        moved = [n for n in decay if "position_embeddings" in n]
        return [n for n in decay if n not in moved], no_decay + moved

    verdict = check(check_no_decay_split, positions_excluded)
    assert verdict.status == "try again"
    assert "`bert.embeddings.position_embeddings.weight` is in your no_decay_names but belongs in decay_names" \
        in verdict.message


def test_other_step_mistake_reports_the_difference():
    def sign_error(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
        return 2 * p - right_adamw(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay)

    verdict = check(check_adamw_step, sign_error)
    assert verdict.status == "try again" and "differs from the reference on input 1" in verdict.message


# --- nothing, templates, wrong types, exceptions ------------------------------------------------------

ALL = [check_adamw_step, check_adam_l2_step, check_no_decay_split]


def test_step_wrong_shape_and_type():
    def summed(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
        return right_adamw(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay).sum()

    def with_state(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
        return right_adamw(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay), exp_avg, exp_avg_sq

    assert "returned shape (); the AdamW step has shape (4, 3)" in check(check_adamw_step, summed).message
    assert "returned a tuple; the Adam + L2 step should be a tensor of shape (4, 3)" in \
        check(check_adam_l2_step, with_state).message


@pytest.mark.parametrize("returns, phrase", [
    ("tensors", "returned parameters (tensors), not their names"),
    ("pairs", "returned (name, parameter) pairs"),
    ("flat", "returned a list of length"),
    ("dict", "returned a dict"),
])
def test_split_wrong_form_gets_a_helpful_message(returns, phrase):
    def wrong_form(model):
        decay, no_decay = right_split(model)
        params = dict(model.named_parameters())
        if returns == "tensors":
            return [params[n] for n in decay], [params[n] for n in no_decay]
        if returns == "pairs":
            return [(n, params[n]) for n in decay], [(n, params[n]) for n in no_decay]
        if returns == "flat":
            return decay + no_decay
        return {"decay": decay, "no_decay": no_decay}

    verdict = check(check_no_decay_split, wrong_form)
    assert verdict.status == "try again" and phrase in verdict.message, verdict
    assert "(decay_names, no_decay_names)" in verdict.message


def test_messages_are_deterministic():
    first = [check(c, f).message for c, f in ((check_adamw_step, right_adam_l2), (check_no_decay_split, raises))]
    again = [check(c, f).message for c, f in ((check_adamw_step, right_adam_l2), (check_no_decay_split, raises))]
    assert first == again and not any("0x" in m for m in first)
