"""Checkers for the exercises of notebook 05 (sequence classification: one head, three losses).

- 5.1 :func:`check_problem_type`: the rule transformers uses when ``config.problem_type`` is not
  set (``num_labels`` first, then the labels' dtype), gap for int16 labels included;
- 5.2 :func:`check_regression_loss`: MSE of ``logits [B, 1]`` against ``labels [B]``, squeezed;
- 5.3 :func:`check_multi_label_loss`: binary cross-entropy on every (example, label) cell, from the
  logits, numerically safe for confident logits.

Each checker runs the learner's function on fresh, seeded inputs (other seeds than the notebook's)
and compares it with the course_lib reference; known mistakes get a specific hint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..losses.classification import (
    MULTI_LABEL,
    PROBLEM_TYPES,
    REGRESSION,
    SINGLE_LABEL,
    infer_problem_type,
    multi_label_loss,
    regression_loss,
)
from . import Case, Check, Diagnosis, Verdict, chapter_say, checker, describe, run_check
from .inputs import case_generator

__all__ = ["check_problem_type", "check_regression_loss", "check_multi_label_loss", "reference_problem_type"]

#: What this chapter's checks say beyond their hints (other languages: course_lib/exercises/messages_*.json).
MESSAGES = {
    "not a str": "`{name}` returned {got}; return one of the strings {types}.",
    "unknown problem type": "{got!r} is not a problem type transformers knows; the three are {types}. A misspelt "
                            "`config.problem_type` makes transformers silently return loss=None.",
    "another problem type": "for {label} you answer {got!r}; transformers chooses {expected!r}. Go through the rule "
                            "in order: num_labels first, then the dtype (notebook section 2, the table).",
}
_say = chapter_say(__name__, MESSAGES)


# --------------------------------------------------------------------------------------------
# 5.1 Which problem type?
# --------------------------------------------------------------------------------------------


def reference_problem_type(num_labels, labels) -> str:
    """The ``problem_type`` transformers chooses (and stores in its config) when none is set.

    Identical to ``course_lib.losses.infer_problem_type`` wherever that one answers; where it raises
    (int16, uint8, bool labels: no problem type fits), transformers falls through to
    ``multi_label_classification``, and binary cross-entropy then fails (notebook section 4)."""
    try:
        return infer_problem_type(num_labels, labels)
    except ValueError:
        return MULTI_LABEL


def _dtype_before_num_labels(num_labels, labels):
    if labels.dtype in (torch.long, torch.int):
        return SINGLE_LABEL
    return REGRESSION if num_labels == 1 else MULTI_LABEL


def _only_int64(num_labels, labels):
    if num_labels == 1:
        return REGRESSION
    return SINGLE_LABEL if labels.dtype == torch.long else MULTI_LABEL


def _any_integer(num_labels, labels):
    if num_labels == 1:
        return REGRESSION
    return MULTI_LABEL if labels.is_floating_point() else SINGLE_LABEL


def _by_shape(num_labels, labels):
    if num_labels == 1:
        return REGRESSION
    return SINGLE_LABEL if labels.dim() == 1 else MULTI_LABEL


def _no_answer(num_labels, labels):
    return None


def _problem_cases() -> list[Case]:
    g = case_generator(501)
    ids = torch.randint(0, 3, (6,), generator=g)
    return [
        Case(args=(3, ids), label="3 labels, int64 class ids"),
        Case(args=(1, torch.rand(5, generator=g) * 5), label="1 label, float scores"),
        Case(args=(4, torch.bernoulli(torch.full((5, 4), 0.5), generator=g)), label="4 labels, float multi-hot"),
        Case(args=(1, torch.randint(0, 6, (4,), generator=g)), label="1 label, int64 scores"),
        Case(args=(2, torch.randint(0, 2, (6,), generator=g).int()), label="2 labels, int32 class ids"),
        Case(args=(5, torch.randint(0, 5, (6,), generator=g).float()), label="5 labels, class ids stored as floats"),
        Case(args=(2, torch.randint(0, 2, (6,), generator=g).to(torch.int16)), label="2 labels, int16 class ids"),
        Case(args=(3, torch.randint(0, 2, (4, 3), generator=g).bool()), label="3 labels, bool multi-hot"),
    ]


@checker("5.1", "my_problem_type")
def check_problem_type(fn, name: str) -> Verdict:
    """Exercise 5.1: ``fn(num_labels, labels)`` returns the ``problem_type`` string transformers
    infers: ``"regression"``, ``"single_label_classification"`` or ``"multi_label_classification"``."""
    section = " (notebook section 2, the table)"
    diagnoses = [
        Diagnosis(_no_answer, "your function returned None: did you forget `return`? Return one of the three "
                              "strings 'regression', 'single_label_classification', 'multi_label_classification'."),
        Diagnosis(_dtype_before_num_labels,
                  "with num_labels == 1 the answer is 'regression', whatever the labels' dtype: transformers tests "
                  "num_labels FIRST (one output can only be a score), and looks at the dtype only when "
                  "num_labels > 1" + section + "."),
        Diagnosis(_only_int64,
                  "int32 labels count as class ids too: transformers tests `labels.dtype == torch.long or "
                  "labels.dtype == torch.int`, and torch.int is int32" + section + "."),
        Diagnosis(_any_integer,
                  "only int64 and int32 labels are class ids to transformers. Every other dtype, int16, uint8 and "
                  "bool included, falls through to 'multi_label_classification', where binary cross-entropy then "
                  "fails (notebook section 4). Reproduce the rule, gap included."),
        Diagnosis(_by_shape,
                  "transformers decides by the labels' DTYPE, not their shape: float labels mean multi-label even "
                  "when they are 1-D class ids like 2.0 (BCE then fails on the shape), and integer labels other "
                  "than int64/int32 are not class ids" + section + "."),
    ]

    def on_differs(number, case, got, expected):
        # The generic message says neither what came back nor on which labels: say both.
        types = ", ".join(repr(p) for p in PROBLEM_TYPES)
        if not isinstance(got, str):
            return _say("not a str", name=name, got=describe(got), types=types)
        if got not in PROBLEM_TYPES:
            return _say("unknown problem type", got=got, types=types)
        return _say("another problem type", label=case.label, got=got, expected=expected)

    return run_check(fn, Check("5.1", _problem_cases(), reference_problem_type, name=name, what="problem type",
                               diagnoses=diagnoses, on_differs=on_differs))


# --------------------------------------------------------------------------------------------
# 5.2 The regression loss
# --------------------------------------------------------------------------------------------


def _broadcast_mean(logits, labels):
    return ((logits - labels) ** 2).mean()  # [B, 1] - [B] -> [B, B]: every prediction vs every target


def _broadcast_table(logits, labels):
    return (logits - labels) ** 2


def _summed(logits, labels):
    return ((logits.squeeze(-1) - labels) ** 2).sum()


def _per_example(logits, labels):
    return (logits.squeeze(-1) - labels) ** 2


def _root(logits, labels):
    return ((logits.squeeze(-1) - labels) ** 2).mean().sqrt()


def _absolute(logits, labels):
    return (logits.squeeze(-1) - labels).abs().mean()


def _regression_cases() -> list[Case]:
    g = case_generator(521)
    cases = []
    for batch, label in [(6, "a batch of 6"), (3, "a batch of 3"), (1, "batch size 1")]:
        logits = torch.randn(batch, 1, generator=g) * 2 + 2.5
        labels = torch.rand(batch, generator=g) * 5  # similarity scores in [0, 5]
        cases.append(Case(args=(logits, labels), label=label))
    return cases


@checker("5.2", "my_regression_loss")
def check_regression_loss(fn, name: str) -> Verdict:
    """Exercise 5.2: ``fn(logits [B, 1], labels [B])`` returns the mean squared error, a scalar tensor."""
    section = " (notebook section 2, Regression)"
    broadcast = ("your loss averages a [B, B] table: `logits` is [B, 1] and `labels` is [B], so `logits - labels` "
                 "(or `F.mse_loss(logits, labels)`) broadcasts [B, 1] vs [B] to [B, B] and compares every "
                 "prediction with every target. Squeeze the logits to [B] first (`logits.squeeze(-1)`), as the "
                 "model does" + section + ".")
    diagnoses = [
        Diagnosis(_broadcast_mean, broadcast),
        Diagnosis(_broadcast_table, broadcast),
        Diagnosis(_summed, "you summed the squared errors over the batch; the mean squared error averages them, so "
                           "the loss (and the step size it asks for) does not grow with the batch size" + section + "."),
        Diagnosis(_per_example, "you returned one squared error per example ([B]); the loss is their mean, a single "
                                "number (a tensor of shape ()) that `backward()` can start from" + section + "."),
        Diagnosis(_root, "you took the square root (RMSE). The model's loss is the mean squared error itself, "
                         "without the root" + section + "."),
        Diagnosis(_absolute, "you averaged absolute errors (L1). The regression loss squares the errors, so large "
                             "misses cost more than small ones" + section + "."),
    ]
    return run_check(fn, Check("5.2", _regression_cases(), regression_loss, name=name,
                               what="regression loss", diagnoses=diagnoses))


# --------------------------------------------------------------------------------------------
# 5.3 The multi-label loss
# --------------------------------------------------------------------------------------------


def _bce(log_p, log_not_p, labels):
    return -(labels * log_p + (1 - labels) * log_not_p)


def _softmax(logits, labels):
    p = logits.softmax(-1)
    return _bce(logits.log_softmax(-1), torch.log1p(-p), labels).mean()


def _mean_over_examples(logits, labels):
    return _bce(F.logsigmoid(logits), F.logsigmoid(-logits), labels).sum(-1).mean()


def _summed_cells(logits, labels):
    return _bce(F.logsigmoid(logits), F.logsigmoid(-logits), labels).sum()


def _single_label_ce(logits, labels):
    return -(labels * logits.log_softmax(-1)).sum(-1).mean()


def _positives_only(logits, labels):
    return -(labels * F.logsigmoid(logits)).mean()


def _naive_logs(logits, labels):
    p = logits.sigmoid()
    return _bce(p.log(), (1 - p).log(), labels).mean()


def _naive_clamped(logits, labels):
    return F.binary_cross_entropy(logits.sigmoid(), labels)


def _multi_label_cases() -> list[Case]:
    g = case_generator(531)
    first = (torch.randn(6, 5, generator=g) * 2, torch.bernoulli(torch.full((6, 5), 0.4), generator=g))
    one = (torch.randn(1, 3, generator=g), torch.tensor([[1.0, 0.0, 1.0]]))
    untagged = (torch.randn(4, 2, generator=g), torch.bernoulli(torch.full((4, 2), 0.5), generator=g))
    untagged[1][2] = 0.0  # an example with no tag at all is fine in multi-label
    labels = torch.bernoulli(torch.full((3, 4), 0.5), generator=g)
    confident = (labels * 2 - 1) * (20 + 10 * torch.rand(3, 4, generator=g))  # sure and right: |logit| 20-30
    confident[0, 0] = 30.0 if labels[0, 0] == 0 else -30.0  # sure and wrong: costs 30 nats
    return [Case(args=first, label="6 examples, 5 tags"), Case(args=one, label="batch size 1"),
            Case(args=untagged, label="an example without tags"),
            Case(args=(confident, labels), label="confident logits, |logit| up to 30")]


@checker("5.3", "my_multi_label_loss")
def check_multi_label_loss(fn, name: str) -> Verdict:
    """Exercise 5.3: ``fn(logits [B, L], labels [B, L])`` returns the multi-label binary cross-entropy
    from the logits, averaged over all B x L cells, a scalar tensor."""
    section = " (notebook section 2, Multi-label)"
    unstable = ("your loss is right for ordinary logits but not for confident ones: in float32, `sigmoid(20)` "
                "rounds to exactly 1.0, so log(1 - p) is log(0) (and 0 x -inf is NaN; `F.binary_cross_entropy` "
                "clamps it to -100 instead). Compute the log-probabilities from the logits: `F.logsigmoid(x)` for "
                "log p and `F.logsigmoid(-x)` for log(1 - p), which is what `binary_cross_entropy_with_logits` "
                "does inside.")
    diagnoses = [
        Diagnosis(_softmax,
                  "you used a softmax where each label needs its own sigmoid. A softmax makes the labels compete "
                  "(their probabilities sum to 1), but a sentence can be about sport AND food: every label is an "
                  "independent yes/no, p = sigmoid(logit)" + section + "."),
        Diagnosis(_single_label_ce,
                  "you computed single-label cross-entropy against the multi-hot vector: a softmax over the labels, "
                  "and nothing for the labels that are off. Multi-label is one binary question per label: "
                  "-(y log p + (1 - y) log(1 - p)) with p = sigmoid(logit)" + section + "."),
        Diagnosis(_mean_over_examples,
                  "your loss is too large by a factor of the number of labels: you summed over the labels and "
                  "averaged over the examples only. BCEWithLogitsLoss averages over every (example, label) cell"
                  + section + "."),
        Diagnosis(_summed_cells,
                  "you summed over every cell; the loss is the mean over all B x num_labels cells" + section + "."),
        Diagnosis(_positives_only,
                  "you kept only the y log p term. The labels that are OFF must count too, through "
                  "(1 - y) log(1 - p): without it, predicting every label always costs nothing" + section + "."),
        Diagnosis(_naive_logs, unstable),
        Diagnosis(_naive_clamped, unstable),
    ]
    return run_check(fn, Check("5.3", _multi_label_cases(), multi_label_loss, name=name,
                               what="multi-label loss", diagnoses=diagnoses))
