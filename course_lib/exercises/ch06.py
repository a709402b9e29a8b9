"""Checkers for the exercises of notebook 06 (multiple choice: one score per choice).

- 6.1 :func:`check_flatten_choices`: ``[batch, choices, ...]`` -> ``[batch * choices, ...]``, row
  ``b * choices + c`` = question b, choice c (``course_lib.models.multiple_choice.flatten_choices``);
- 6.2 :func:`check_multiple_choice_loss`: from the ``[batch * choices, 1]`` scores to the
  cross-entropy over the choices, -100 questions skipped
  (``course_lib.losses.multiple_choice_loss``).

Each checker runs the learner's function on fresh, seeded inputs (other seeds than the notebook's)
and compares it with the course_lib reference; known mistakes get a specific hint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..losses.classification import IGNORE_INDEX, multiple_choice_loss
from ..models.multiple_choice import flatten_choices
from . import Case, Check, Diagnosis, Verdict, checker, run_check
from .inputs import case_generator

__all__ = ["check_flatten_choices", "check_multiple_choice_loss", "reference_multiple_choice_loss"]


# --------------------------------------------------------------------------------------------
# 6.1 Flatten the choices
# --------------------------------------------------------------------------------------------


def _choice_major(tensor):
    return tensor.transpose(0, 1).reshape(-1, *tensor.shape[2:])  # row c * B + b


def _everything(tensor):
    return tensor.reshape(-1)


def _choices_concatenated(tensor):
    return tensor.reshape(tensor.shape[0], -1)


def _last_axis_only(tensor):
    return tensor.reshape(-1, tensor.shape[-1])


def _flatten_cases() -> list[Case]:
    g = case_generator(601)
    ids = torch.randint(1000, 2000, (3, 4, 6), generator=g)
    five = torch.randint(1000, 2000, (2, 5, 7), generator=g)
    return [
        Case(args=(ids,), label="input_ids [3, 4, 6]"),
        Case(args=(torch.randint(0, 2, (1, 2, 5), generator=g),), label="one question with 2 choices"),
        Case(args=(five[:, :3],), label="the first 3 choices of a 5-choice batch, a non-contiguous slice as in "
                                        "section 5"),
        Case(args=(torch.randn(2, 3, 4, 8, generator=g),), label="inputs_embeds [2, 3, 4, 8]"),
    ]


@checker("6.1", "my_flatten_choices")
def check_flatten_choices(fn, name: str) -> Verdict:
    """Exercise 6.1: ``fn(tensor)`` turns ``[batch, choices, ...]`` into ``[batch * choices, ...]``."""
    section = " (notebook section 1)"
    diagnoses = [
        Diagnosis(_choice_major,
                  "your rows are in the wrong order: you put all first choices, then all second choices (row "
                  "c * B + b). The model reads row b * C + c as question b, choice c, so the C choices of a question "
                  "must be neighbours: reshape the tensor as it is, without transposing; the scores are later "
                  "reshaped to [B, C] in that same order" + section + "."),
        Diagnosis(_everything,
                  "you flattened every axis into one. Only the first two merge: each (question, choice) pair must "
                  "stay a row of tokens, [batch * choices, seq_len]" + section + "."),
        Diagnosis(_choices_concatenated,
                  "you glued the choices of a question into one long sequence ([batch, choices * seq_len]). Each "
                  "(question, choice) pair must be its own row, a separate sequence for the encoder: "
                  "[batch * choices, seq_len]" + section + "."),
        Diagnosis(_last_axis_only,
                  "right for [batch, choices, seq_len], but inputs_embeds is [batch, choices, seq_len, hidden]: keep "
                  "EVERY axis after the second, `tensor.reshape(-1, *tensor.shape[2:])`" + section + "."),
    ]
    return run_check(fn, Check("6.1", _flatten_cases(), flatten_choices, name=name,
                               what="flattened tensor", diagnoses=diagnoses))


# --------------------------------------------------------------------------------------------
# 6.2 The multiple-choice loss
# --------------------------------------------------------------------------------------------


def reference_multiple_choice_loss(scores, labels, num_choices):
    """The loss of ``course_lib.losses.multiple_choice_loss``."""
    return multiple_choice_loss(scores, labels, num_choices)


def _transposed_scores(scores, labels, num_choices):
    return F.cross_entropy(scores.view(num_choices, -1).t(), labels)


def _skipped_as_choice_0(scores, labels, num_choices):
    return F.cross_entropy(scores.view(-1, num_choices), labels.clamp(min=0))


def _divided_by_all(scores, labels, num_choices):
    per_question = F.cross_entropy(scores.view(-1, num_choices), labels, reduction="none")
    return per_question.sum() / labels.numel()


def _per_question(scores, labels, num_choices):
    return F.cross_entropy(scores.view(-1, num_choices), labels, reduction="none")


def _per_kept_question(scores, labels, num_choices):
    return _per_question(scores, labels, num_choices)[labels != IGNORE_INDEX]


def _sigmoid_per_choice(scores, labels, num_choices):
    logits, keep = scores.view(-1, num_choices), labels != IGNORE_INDEX
    target = F.one_hot(labels[keep], num_choices).to(logits.dtype)
    return F.binary_cross_entropy_with_logits(logits[keep], target)


def _softmax_over_questions(scores, labels, num_choices):
    log_p = scores.view(-1, num_choices).log_softmax(dim=0)
    keep = labels != IGNORE_INDEX
    return -log_p[keep.nonzero().squeeze(-1), labels[keep]].mean()


def _loss_cases() -> list[Case]:
    g = case_generator(621)
    cases = []
    # (questions, choices, labels to skip, label)
    for batch, choices, skipped, label in [(5, 4, [], "5 questions, 4 choices"),
                                          (6, 3, [1, 4], "6 questions, 3 choices, two labelled -100"),
                                          (1, 2, [], "one question with 2 choices"),
                                          (3, 5, [0], "3 questions, 5 choices, the first labelled -100")]:
        scores = torch.randn(batch * choices, 1, generator=g) * 2
        labels = torch.randint(0, choices, (batch,), generator=g)
        labels[skipped] = IGNORE_INDEX
        cases.append(Case(args=(scores, labels, choices), label=label))
    return cases


@checker("6.2", "my_multiple_choice_loss")
def check_multiple_choice_loss(fn, name: str) -> Verdict:
    """Exercise 6.2: ``fn(scores [B*C, 1], labels [B], num_choices)`` returns the cross-entropy over the
    choices, averaged over the questions whose label is not -100, a scalar tensor."""
    section = " (notebook section 2)"
    diagnoses = [
        Diagnosis(_transposed_scores,
                  "your [B, C] table pairs scores with the wrong questions: row b * C + c of `scores` is question b, "
                  "choice c, so `scores.view(-1, num_choices)` (B rows of C neighbouring scores) is the table. "
                  "`view(num_choices, -1).t()` assumes the order c * B + b" + section + "."),
        Diagnosis(_softmax_over_questions,
                  "your softmax runs down a column (over the questions, dim=0). The choices of ONE question "
                  "compete with each other: softmax across each row of the [B, C] table (dim=-1)" + section + "."),
        Diagnosis(_skipped_as_choice_0,
                  "the questions labelled -100 are counted as if choice 0 were right. -100 means 'skip this "
                  "question': it adds nothing to the loss and does not count in the average (`ignore_index=-100`, "
                  "notebook section 3)."),
        Diagnosis(_divided_by_all,
                  "your loss is too small when some labels are -100: you divided by all B questions. The average "
                  "runs over the questions that are scored, those whose label is not -100 (notebook section 3)."),
        Diagnosis(_per_question,
                  "you returned one loss per question; the loss is their mean over the questions that are not "
                  "labelled -100, a single number (a tensor of shape ())" + section + "."),
        Diagnosis(_per_kept_question,
                  "you returned one loss per scored question; the loss is their mean, a single number (a tensor of "
                  "shape ())" + section + "."),
        Diagnosis(_sigmoid_per_choice,
                  "you scored each choice as its own yes/no (a sigmoid per choice, binary cross-entropy). Exactly "
                  "one choice is right, so they compete: a softmax across the C scores of a question and "
                  "cross-entropy with the index of the right one" + section + "."),
    ]
    return run_check(fn, Check("6.2", _loss_cases(), reference_multiple_choice_loss, name=name,
                               what="multiple-choice loss", diagnoses=diagnoses))
