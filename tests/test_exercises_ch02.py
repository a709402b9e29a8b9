"""Exercises of notebook 02: the checkers pass the worked solutions, stay "not yet" on the templates, and
name the mistake for each known wrong answer (written here the way a learner would write it)."""

import pytest
import torch.nn.functional as F

from course_lib.exercises.ch02 import (
    _mlm_cases,
    _pretraining_cases,
    check_mlm_loss,
    check_nsp_loss,
    check_pretraining_loss,
)
from course_lib.losses import masked_lm_loss, next_sentence_loss, pretraining_loss
from helpers import try_again


def test_the_course_losses_pass_their_own_exercises():
    assert check_mlm_loss(masked_lm_loss)
    assert check_nsp_loss(next_sentence_loss)
    assert check_pretraining_loss(pretraining_loss)


def test_every_case_scores_some_but_not_all_positions():
    for case in _mlm_cases():
        scored = case.args[1] != -100
        assert scored.any(dim=1).all() and not scored.all()
        assert len(set(scored.sum(dim=1).tolist())) > 1, "rows with different counts expose a per-sequence mean"
    assert len(_pretraining_cases()) == 3


# --- 2.1 the MLM loss -------------------------------------------------------------------------


def _ce_per_token(logits, labels):
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # 0 at -100


def _scored_as_token_0(logits, labels):
    labels[labels == -100] = 0  # in place: the checker must hand over a copy
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))


def _per_sequence(logits, labels):
    keep = (labels != -100).float()
    return ((_ce_per_token(logits, labels) * keep).sum(1) / keep.sum(1)).mean()


@pytest.mark.parametrize("wrong, hint", [
    (lambda logits, labels: (_ce_per_token(logits, labels) * (labels != -100)).mean(), "counts the -100 positions"),
    (_scored_as_token_0, "as if their label were token 0"),
    (_per_sequence, "averaged each sequence first"),
    (lambda logits, labels: F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="sum"), "*sum*"),
    (lambda logits, labels: F.cross_entropy(logits.softmax(-1).flatten(0, 1), labels.flatten()), "ran twice"),
    (lambda logits, labels: F.nll_loss(logits.flatten(0, 1), labels.flatten()), "log-probabilities"),
])
def test_mlm_loss_names_the_mistake(wrong, hint):
    try_again(check_mlm_loss, wrong, hint)


def test_mlm_loss_with_ignore_index_100_is_reported_not_raised():
    verdict = check_mlm_loss(lambda logits, labels: F.cross_entropy(logits.flatten(0, 1), labels.flatten(),
                                                                    ignore_index=100))
    assert verdict.status == "try again" and "raised" in verdict.message


def test_mlm_loss_must_be_a_tensor():
    verdict = check_mlm_loss(lambda logits, labels: masked_lm_loss(logits, labels).item())
    assert verdict.status == "try again" and "tensor" in verdict.message


# --- 2.2 the NSP loss -------------------------------------------------------------------------


@pytest.mark.parametrize("wrong, hint", [
    (lambda logits, labels: F.cross_entropy(logits, 1 - labels), "swapped"),
    (lambda logits, labels: F.binary_cross_entropy(logits[:, 1].sigmoid(), labels.float()), "*both* logits"),
    (lambda logits, labels: F.cross_entropy(logits, labels, reduction="sum"), "*sum*"),
    (lambda logits, labels: F.cross_entropy(logits.softmax(-1), labels), "log-softmax itself"),
])
def test_nsp_loss_names_the_mistake(wrong, hint):
    try_again(check_nsp_loss, wrong, hint)


# --- 2.3 the pre-training loss ----------------------------------------------------------------


def _mlm(p, lab):
    return F.cross_entropy(p.flatten(0, 1), lab.flatten())


@pytest.mark.parametrize("wrong, hint", [
    (lambda p, s, lab, nsl: (_mlm(p, lab) + F.cross_entropy(s, nsl)) / 2, "no division by 2"),
    (lambda p, s, lab, nsl: 0.5 * _mlm(p, lab) + 0.5 * F.cross_entropy(s, nsl), "no division by 2"),
    (lambda p, s, lab, nsl: _mlm(p, lab), "MLM loss alone"),
    (lambda p, s, lab, nsl: F.cross_entropy(s, nsl), "NSP loss alone"),
    (lambda p, s, lab, nsl: (_ce_per_token(p, lab) * (lab != -100)).mean() + F.cross_entropy(s, nsl),
     "in the MLM part: your loss counts the -100 positions"),
    (lambda p, s, lab, nsl: _mlm(p, lab) + F.cross_entropy(s, 1 - nsl), "in the NSP part: your labels are swapped"),
])
def test_pretraining_loss_names_the_mistake(wrong, hint):
    try_again(check_pretraining_loss, wrong, hint)
