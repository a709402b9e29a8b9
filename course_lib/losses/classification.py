"""Sequence-classification losses (regression / single-label / multi-label) and the multiple-choice loss.

One sentence-level head, three problems. ``BertForSequenceClassification`` puts a linear layer
with ``num_labels`` outputs on the pooled [CLS] vector; what those outputs *mean* depends on the
task, and so does the loss:

==========================  ====================  ============================  ==================
problem_type                labels                logits read as                loss
==========================  ====================  ============================  ==================
``regression``              float ``[B]``         a real number (a score)       mean squared error
``single_label_...``        int64 ``[B]``         unnormalised class scores     cross-entropy
``multi_label_...``         float ``[B, L]``      one independent yes/no each   binary cross-entropy
==========================  ====================  ============================  ==================

When ``config.problem_type`` is not set, transformers infers it from ``num_labels`` and the
labels' dtype (:func:`infer_problem_type`). transformers 4.4.2 knew only the first two rows
(``num_labels == 1`` -> MSE, else CE); the multi-label row arrived later.

Multiple choice reuses the single-label loss with a twist: the "classes" are the choices, and
each choice's score comes from a separate pass through the encoder (:func:`multiple_choice_loss`).

Every function here checks its input and raises a ``ValueError`` that names the problem, where
plain PyTorch would raise a confusing error deep inside a loss, or silently compute something else.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._checks import check_integer, check_tensor
from . import IGNORE_INDEX, check_class_labels, check_label_shape, check_logits  # defined once, in __init__.py

REGRESSION = "regression"
SINGLE_LABEL = "single_label_classification"
MULTI_LABEL = "multi_label_classification"
PROBLEM_TYPES = (REGRESSION, SINGLE_LABEL, MULTI_LABEL)

# transformers sends exactly these two integer dtypes to cross-entropy. Any other integer dtype
# (int16, int8, uint8, bool) falls through to the multi-label branch, where BCE fails with a
# message about dtypes that never mentions the real cause. We stop it at the door instead.
_CLASS_ID_DTYPES = (torch.long, torch.int)

__all__ = [
    "REGRESSION",
    "SINGLE_LABEL",
    "MULTI_LABEL",
    "PROBLEM_TYPES",
    "infer_problem_type",
    "regression_loss",
    "single_label_loss",
    "multi_label_loss",
    "check_problem_type",
    "sequence_classification_loss",
    "choice_loss",
    "multiple_choice_loss",
]


def check_problem_type(problem_type: str | None, num_labels: int) -> None:
    """The one check of ``config.problem_type`` against ``num_labels`` (the model calls it when built,
    the loss on every call). Rejects an unknown name, and single-label classification over one
    class: a softmax over a single logit is always 1, so its cross-entropy is always 0 and nothing
    is learned (transformers computes that 0 without a word)."""
    check_integer("num_labels", num_labels, 1, why="a classifier with no outputs has empty logits")
    if problem_type is None:
        return
    if problem_type not in PROBLEM_TYPES:
        raise ValueError(f"unknown problem_type {problem_type!r}; expected None or one of {list(PROBLEM_TYPES)}")
    if problem_type == SINGLE_LABEL and num_labels == 1:
        raise ValueError(
            "problem_type='single_label_classification' needs num_labels >= 2: with one class the softmax "
            "is always 1 and the loss always 0. Use num_labels=2 for a yes/no task, or "
            "problem_type='regression' (or 'multi_label_classification') for one output"
        )


def infer_problem_type(num_labels: int, labels: torch.Tensor) -> str:
    """transformers' rule for an unset ``config.problem_type``, with a clear error where it has none.

    - ``num_labels == 1``: one real number per example -> ``"regression"``;
    - integer class ids (int64 or int32) -> ``"single_label_classification"``;
    - floating-point labels -> ``"multi_label_classification"`` (a multi-hot vector per example).

    Anything else (int16, uint8, bool, ...) is rejected: transformers would take it to the
    multi-label branch and fail there with a dtype error.
    """
    check_tensor("labels", labels, required=True)
    check_problem_type(None, num_labels)
    if num_labels == 1:
        return REGRESSION
    if labels.dtype in _CLASS_ID_DTYPES:
        return SINGLE_LABEL
    if labels.is_floating_point():
        return MULTI_LABEL
    raise ValueError(
        f"labels of dtype {labels.dtype} fit no problem type: use torch.long class ids of shape "
        f"[batch] for single-label classification, or float multi-hot labels of shape [batch, "
        f"{num_labels}] for multi-label classification (transformers would send {labels.dtype} to "
        "the multi-label branch and fail there)"
    )


def regression_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean squared error between predicted and target scores.

    With one output (``logits [B, 1]``) transformers squeezes both sides to ``[B]`` first: without
    that, MSE of a ``[B, 1]`` against a ``[B]`` broadcasts to ``[B, B]`` and averages every
    prediction against every target, a silent and classic bug.
    """
    check_logits(logits, "regression_loss(logits, labels)", "[batch, num_labels]", dims=2)
    check_tensor("labels", labels, required=True)
    if not labels.is_floating_point():
        raise ValueError(
            f"regression needs float labels (target scores), got dtype {labels.dtype}; "
            "convert with labels.float()"
        )
    if logits.shape[-1] == 1:
        if labels.numel() != logits.shape[0]:
            raise ValueError(
                f"regression with one output needs one target per example: {logits.shape[0]} "
                f"examples but labels have shape {tuple(labels.shape)}"
            )
        return F.mse_loss(logits.squeeze(), labels.squeeze().to(logits.dtype))
    if labels.shape != logits.shape:
        raise ValueError(
            f"regression with {logits.shape[-1]} outputs needs labels of shape {tuple(logits.shape)}, "
            f"got {tuple(labels.shape)}"
        )
    return F.mse_loss(logits, labels.to(logits.dtype))


def single_label_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over ``num_labels`` classes: softmax the logits, take -log p(true class),
    average over the examples whose label is not -100 (those are skipped, as everywhere in
    transformers)."""
    check_logits(logits, "single_label_loss(logits, labels)", "[batch, num_labels]", dims=2)
    num_labels = logits.shape[-1]
    check_problem_type(SINGLE_LABEL, num_labels)
    check_class_labels(labels, num_labels, "single-label classification labels", int32=True)
    if labels.dim() == 2 and tuple(labels.shape) == tuple(logits.shape) and labels.shape[1] > 1:
        raise ValueError(
            f"integer labels of shape {tuple(labels.shape)} are read as class ids (single-label, transformers' "
            "rule), but they look multi-hot: for multi-label classification convert with labels.float()"
        )
    if labels.numel() != logits.shape[0]:
        raise ValueError(
            f"single-label classification needs one class id per example: {logits.shape[0]} "
            f"examples but labels have shape {tuple(labels.shape)}"
        )
    return F.cross_entropy(logits.view(-1, num_labels), labels.view(-1).long(), ignore_index=IGNORE_INDEX)


def multi_label_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy on every (example, label) pair: each label is its own yes/no question
    answered by a sigmoid, so any number of labels can be on at once. ``binary_cross_entropy_with_logits``
    fuses the sigmoid into the loss, which is numerically safer than sigmoid followed by log."""
    check_logits(logits, "multi_label_loss(logits, labels)", "[batch, num_labels]", dims=2)
    check_tensor("labels", labels, required=True)
    if not labels.is_floating_point():
        raise ValueError(
            f"multi-label classification needs float multi-hot labels, got dtype {labels.dtype}; "
            "convert with labels.float()"
        )
    if labels.dim() == 1 and labels.shape[0] == logits.shape[0]:
        raise ValueError(
            f"float labels of shape {tuple(labels.shape)} are read as multi-hot (multi-label, transformers' rule), "
            f"which needs shape {tuple(logits.shape)}; for class ids (single-label) convert with labels.long()"
        )
    if labels.shape != logits.shape:
        raise ValueError(
            f"multi-label classification needs labels of shape {tuple(logits.shape)} (one 0/1 per "
            f"label), got {tuple(labels.shape)}"
        )
    return F.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))


_LOSSES = {REGRESSION: regression_loss, SINGLE_LABEL: single_label_loss, MULTI_LABEL: multi_label_loss}


def sequence_classification_loss(
    logits: torch.Tensor, labels: torch.Tensor, problem_type: str | None = None
) -> torch.Tensor:
    """The loss ``BertForSequenceClassification`` computes: pick the problem type (the configured
    one, else :func:`infer_problem_type`), then return its loss (a scalar tensor).

    ``logits`` is ``[batch, num_labels]``. An unknown ``problem_type`` is an error here; in
    transformers a misspelt one makes the model silently return ``loss=None``.
    """
    check_logits(logits, "sequence_classification_loss(logits, labels)",
                 "[batch, num_labels] (one score per example: [batch, 1], logits.unsqueeze(-1))", dims=2)
    check_problem_type(problem_type, logits.shape[-1])
    if problem_type is None:
        problem_type = infer_problem_type(logits.shape[-1], labels)
    return _LOSSES[problem_type](logits, labels)


def choice_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the choices: ``logits [batch, num_choices]`` (one score per choice, the
    choices of a question side by side), ``labels [batch]`` the index of the right choice, or -100
    to skip a question."""
    check_logits(logits, "choice_loss(logits, labels)", "[batch, num_choices]", dims=2)
    name = "multiple-choice labels"
    check_label_shape(labels, logits.shape[:1], name, "the batch needs", "one right choice per question, [batch]")
    check_class_labels(labels, logits.shape[-1], name, what="choice indices", classes="choices", skip="a question",
                       int32=True)
    return F.cross_entropy(logits, labels.long(), ignore_index=IGNORE_INDEX)


def multiple_choice_loss(logits: torch.Tensor, labels: torch.Tensor, num_choices: int) -> torch.Tensor:
    """The multiple-choice loss from the classifier's ``[batch * num_choices, 1]`` scores: reshape to
    ``[batch, num_choices]`` (what ``BertForMultipleChoice.forward`` does), then :func:`choice_loss`.
    Returns the loss, a tensor of shape ``()``. (Notebook 6 and exercise 6.2 start from the flat scores;
    the model itself reshapes in ``forward`` and calls :func:`choice_loss`.)

    The encoder saw ``batch * num_choices`` separate sequences; reshaping to ``[batch, num_choices]``
    puts the choices of one question side by side, and a softmax across that row compares them.
    """
    check_integer("num_choices", num_choices, 1)
    if logits.numel() % num_choices != 0:
        raise ValueError(f"{logits.numel()} scores cannot be split into rows of {num_choices} choices")
    if labels is None:
        raise ValueError("multiple_choice_loss needs labels (the right choice of each question)")
    return choice_loss(logits.view(-1, num_choices), labels)
