"""Checkers for the exercises of notebook 02 (pre-training heads and their loss).

    Exercise 2.1  my_mlm_loss(logits, labels)                   -> mean cross-entropy over the labels that are not -100
    Exercise 2.2  my_nsp_loss(seq_relationship_logits, labels)  -> mean two-class cross-entropy
    Exercise 2.3  my_pretraining_loss(prediction_logits, seq_relationship_logits, labels, next_sentence_label)
                                                                -> MLM + NSP, a plain sum

Each checker runs the learner's function on fixed, seeded inputs that are not the notebook's and
compares it with the reference here; known mistakes get a specific hint (the MLM ones are reused,
prefixed "in the MLM part", for the pre-training loss).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..losses import IGNORE_INDEX
from . import Case, Check, Diagnosis, Verdict, checker, run_check
from .inputs import case_generator

__all__ = ["check_mlm_loss", "check_nsp_loss", "check_pretraining_loss"]



# --------------------------------------------------------------------------------------------
# Reference losses and the known mistakes, as plain functions (the pre-training loss reuses them)
# --------------------------------------------------------------------------------------------


def _mlm(logits, labels):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX)


def _nsp(logits, labels):
    return F.cross_entropy(logits.reshape(-1, 2), labels.reshape(-1))


def _per_token(logits, labels):
    """Cross-entropy at every position, 0 where the label is -100: [B, T]."""
    return F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=IGNORE_INDEX, reduction="none")


def _mlm_mean_over_all_positions(logits, labels):
    return _per_token(logits, labels).mean()


def _mlm_ignored_scored_as_token_0(logits, labels):
    return _mlm(logits, labels.clamp(min=0))


def _mlm_mean_per_sequence(logits, labels):
    scored = (labels != IGNORE_INDEX).sum(dim=1)
    return (_per_token(logits, labels).sum(dim=1) / scored).mean()


def _mlm_cases() -> list[Case]:
    g = case_generator(21)
    cases = []
    for batch, seq_len, vocab, scored_per_row, label in [
        (2, 8, 30, [3, 1], "B=2, T=8, vocab 30, 3 and 1 masked positions"),
        (3, 10, 50, [2, 5, 1], "B=3, T=10, vocab 50"),
        (2, 12, 200, [1, 4], "B=2, T=12, vocab 200, larger logits"),
    ]:
        logits = torch.randn(batch, seq_len, vocab, generator=g) * (3.0 if vocab == 200 else 1.0)
        labels = torch.full((batch, seq_len), IGNORE_INDEX)
        for row, count in enumerate(scored_per_row):
            positions = torch.randperm(seq_len, generator=g)[:count]
            labels[row, positions] = torch.randint(1, vocab, (count,), generator=g)
        cases.append(Case((logits, labels), label=label))
    return cases


_MLM_DIAGNOSES = [
    Diagnosis(_mlm_mean_over_all_positions,
              "your loss counts the -100 positions. Positions labelled -100 add nothing to the sum *and* must not be "
              "counted in the average: divide by the number of scored positions, not by all B x T positions "
              "(`F.cross_entropy(..., ignore_index=-100)` does exactly that)."),
    Diagnosis(_mlm_ignored_scored_as_token_0,
              "your loss scores the -100 positions as if their label were token 0. They must be left out "
              "entirely: keep the -100 labels and let `ignore_index=-100` skip them."),
    Diagnosis(_mlm_mean_per_sequence,
              "you averaged each sequence first and then the sequences. The MLM loss is one mean over all scored "
              "positions of the batch, so a sequence with 3 masked tokens weighs 3 times one with 1."),
    Diagnosis(lambda logits, labels: _per_token(logits, labels).sum(),
              "that is the *sum* over the scored positions; the loss is their *mean* (divide by how many there are)."),
    Diagnosis(lambda logits, labels: _mlm(logits.softmax(-1), labels),
              "cross-entropy takes raw logits and applies log-softmax itself: you applied a softmax first, so it "
              "ran twice. Pass the logits unchanged."),
    Diagnosis(lambda logits, labels: F.nll_loss(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)),
              "`F.nll_loss` expects log-probabilities: apply `log_softmax(-1)` to the logits first, or use "
              "`F.cross_entropy`, which does both."),
]


@checker("2.1", "my_mlm_loss")
def check_mlm_loss(fn, name: str) -> Verdict:
    """Exercise 2.1: ``fn(logits, labels)`` with logits ``[B, T, vocab]`` and labels ``[B, T]`` (-100 where
    nothing is scored) returns the mean cross-entropy over the scored positions, a scalar tensor."""
    return run_check(fn, Check("2.1", _mlm_cases(), _mlm, name=name, what="MLM loss",
                               diagnoses=_MLM_DIAGNOSES))


# --------------------------------------------------------------------------------------------
# Exercise 2.2: NSP loss
# --------------------------------------------------------------------------------------------


def _nsp_cases() -> list[Case]:
    g = case_generator(22)
    return [
        Case((torch.randn(4, 2, generator=g), torch.tensor([0, 1, 1, 0])), label="B=4"),
        Case((2 * torch.randn(6, 2, generator=g), torch.tensor([1, 0, 0, 0, 1, 0])), label="B=6"),
        Case((torch.randn(3, 2, generator=g), torch.tensor([0, 0, 1])), label="B=3"),
    ]


_NSP_DIAGNOSES = [
    Diagnosis(lambda logits, labels: _nsp(logits, 1 - labels),
              "your labels are swapped: 0 means \"sentence B follows A\" and is scored by logit 0; 1 means \"B is "
              "random\" and is scored by logit 1. Use the labels as they are."),
    Diagnosis(lambda logits, labels: F.binary_cross_entropy_with_logits(logits[:, 1], labels.float()),
              "NSP is a two-class softmax over *both* logits (`F.cross_entropy` on [B, 2]); a sigmoid on logit 1 "
              "alone ignores logit 0."),
    Diagnosis(lambda logits, labels: F.cross_entropy(logits, labels, reduction="sum"),
              "that is the *sum* over the batch; the NSP loss is the *mean* over the sequences."),
    Diagnosis(lambda logits, labels: _nsp(logits.softmax(-1), labels),
              "cross-entropy applies log-softmax itself: pass the raw logits, without a softmax first."),
]


@checker("2.2", "my_nsp_loss")
def check_nsp_loss(fn, name: str) -> Verdict:
    """Exercise 2.2: ``fn(seq_relationship_logits, next_sentence_label)`` with logits ``[B, 2]`` and labels
    ``[B]`` (0 = B follows A, 1 = B is random) returns the mean two-class cross-entropy."""
    return run_check(fn, Check("2.2", _nsp_cases(), _nsp, name=name, what="NSP loss",
                               diagnoses=_NSP_DIAGNOSES))


# --------------------------------------------------------------------------------------------
# Exercise 2.3: the pre-training loss
# --------------------------------------------------------------------------------------------


def _pretraining(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    return _mlm(prediction_logits, labels) + _nsp(seq_relationship_logits, next_sentence_label)


def _pretraining_cases() -> list[Case]:
    g = case_generator(23)
    cases = []
    for mlm_case, nsp_case in zip(_mlm_cases(), _nsp_cases()):
        logits, labels = mlm_case.args
        batch = logits.shape[0]
        seq_logits = 2 * torch.randn(batch, 2, generator=g)
        next_sentence_label = nsp_case.args[1][:batch]
        cases.append(Case((logits, seq_logits, labels, next_sentence_label),
                          label=f"B={batch}, T={logits.shape[1]}, vocab {logits.shape[2]}"))
    return cases


@checker("2.3", "my_pretraining_loss")
def check_pretraining_loss(fn, name: str) -> Verdict:
    """Exercise 2.3: ``fn(prediction_logits, seq_relationship_logits, labels, next_sentence_label)`` returns
    BertForPreTraining's loss: the MLM mean plus the NSP mean."""

    def plus_nsp(mlm):
        return lambda p, s, lab, nsl: mlm(p, lab) + _nsp(s, nsl)

    diagnoses = [
        Diagnosis(lambda p, s, lab, nsl: _pretraining(p, s, lab, nsl) / 2,
                  "BertForPreTraining adds the two means and stops there: no division by 2, no weights."),
        Diagnosis(lambda p, s, lab, nsl: _mlm(p, lab),
                  "that is the MLM loss alone: add the NSP loss of `seq_relationship_logits`."),
        Diagnosis(lambda p, s, lab, nsl: _nsp(s, nsl),
                  "that is the NSP loss alone: add the MLM loss of `prediction_logits`."),
        *(Diagnosis(plus_nsp(d.wrong), "in the MLM part: " + d.hint) for d in _MLM_DIAGNOSES),
        *(Diagnosis(lambda p, s, lab, nsl, wrong=d.wrong: _mlm(p, lab) + wrong(s, nsl), "in the NSP part: " + d.hint)
          for d in _NSP_DIAGNOSES),
    ]
    return run_check(fn, Check("2.3", _pretraining_cases(), _pretraining, name=name,
                               what="pre-training loss", diagnoses=diagnoses))
