"""The metrics the fine-tuning notebooks report: one ``accuracy`` for every task, and two regression scores.

    accuracy(logits, test_data["labels"])                # [N, C] logits, or [B, T, C] token logits, or class ids
    mean_squared_error(logits.squeeze(-1), scores)       # regression (num_labels == 1)
    pearson_r(logits.squeeze(-1), scores)

Labels equal to -100 are skipped by every metric of a classification, as the losses skip them.
"""

from __future__ import annotations

import torch

from .._checks import as_nonempty_tensor
from ..losses import IGNORE_INDEX

__all__ = ["hits", "accuracy", "mean_squared_error", "pearson_r"]


def hits(predictions, labels) -> torch.Tensor:
    """True or False for every scored label (one not equal to -100): was it predicted?

    ``predictions`` are either logits with one more dimension than ``labels``, the scores of every class
    last (``[N, C]`` for labels ``[N]``, ``[B, T, C]`` for token labels ``[B, T]``; the highest score is
    the prediction), or predicted class ids of the labels' shape. Tensors, lists and numpy arrays all work.
    """
    predictions, labels = as_nonempty_tensor("predictions", predictions), as_nonempty_tensor("labels", labels)
    if labels.dim() == 0 or predictions.dim() == 0 or predictions.shape[0] != labels.shape[0]:
        n_predictions = predictions.shape[0] if predictions.dim() else 1
        n_labels = labels.shape[0] if labels.dim() else 1
        raise ValueError(f"{n_predictions} predictions but {n_labels} labels")
    if labels.is_floating_point():
        raise ValueError(f"labels must be integer class ids, got dtype {labels.dtype}; convert with labels.long()")
    if predictions.dim() == labels.dim() + 1 and predictions.shape[:-1] == labels.shape:
        predictions = predictions.argmax(-1)
    elif predictions.shape != labels.shape:
        if labels.dim() >= predictions.dim():
            # e.g. ids [N] against labels [N, 1]: == would broadcast to [N, N] and count N * N pairs
            expected = "[N]" if predictions.dim() <= 2 else f"{tuple(predictions.shape[:-1])}"
            raise ValueError(
                f"labels must be class ids of shape {expected}, got shape {tuple(labels.shape)} (for predictions "
                f"of shape {tuple(predictions.shape)}); flatten them with labels.view(-1)"
            )
        raise ValueError(
            f"predictions {tuple(predictions.shape)} do not fit labels {tuple(labels.shape)}: pass logits [N, C] or "
            "class ids [N] for labels [N] (token logits [B, T, C] or ids [B, T] for labels [B, T])"
        )
    elif predictions.is_floating_point():
        raise ValueError(
            f"predictions of shape {tuple(predictions.shape)} are floats: with the labels' shape they must be class "
            f"ids (integers, e.g. logits.argmax(-1)), and as logits {tuple(predictions.shape)} must have one more "
            f"dimension than labels {tuple(labels.shape)} (the scores of every class, last)"
        )
    keep = labels != IGNORE_INDEX
    if not bool(keep.any()):
        raise ValueError("every label is -100 (ignored): there is nothing to score")
    return predictions[keep] == labels[keep]


def accuracy(predictions, labels) -> float:
    """Share of the scored labels that were predicted right.

    ``predictions``: logits ``[N, C]`` (the highest score is the prediction) or class ids ``[N]`` for labels
    ``[N]``; for token labels ``[B, T]``, token logits ``[B, T, C]`` or ids ``[B, T]`` (:func:`hits`).

    Labels equal to -100 are skipped, not counted at all, as the losses skip them (padding, the later pieces
    of a word, examples left out on purpose): the share is taken over the other labels. When every label is
    -100 there is nothing to score, and a ``ValueError`` says so rather than returning 0 or nan.
    """
    return hits(predictions, labels).float().mean().item()


def _scores(predictions, targets) -> tuple[torch.Tensor, torch.Tensor]:
    """Regression outputs and targets as float64 vectors; ``[N, 1]`` logits are squeezed to ``[N]``."""
    predictions, targets = as_nonempty_tensor("predictions", predictions), as_nonempty_tensor("targets", targets)
    if predictions.dim() == 2 and predictions.shape[1] == 1:
        predictions = predictions.squeeze(1)  # the [N, 1] output of a num_labels=1 head
    if predictions.shape != targets.shape or predictions.dim() != 1:
        raise ValueError(
            f"predictions {tuple(predictions.shape)} and targets {tuple(targets.shape)} must both be [N] "
            "(or predictions [N, 1])"
        )
    return predictions.double(), targets.double()


def mean_squared_error(predictions, targets) -> float:
    """Mean of (prediction - target)^2, the regression head's loss, over the whole set."""
    predictions, targets = _scores(predictions, targets)
    return ((predictions - targets) ** 2).mean().item()


def pearson_r(predictions, targets) -> float:
    """Pearson correlation between predicted and true scores, in [-1, 1].

    It asks whether the predictions *order and space* the examples like the targets, whatever
    their scale or offset: r = 1 for predictions 2 * target + 3. A constant prediction (the mean
    baseline) has no correlation at all; that raises ``ValueError`` rather than returning nan.
    """
    predictions, targets = _scores(predictions, targets)
    if len(predictions) < 2:
        raise ValueError("Pearson r needs at least 2 examples")
    x, y = predictions - predictions.mean(), targets - targets.mean()
    if x.norm() == 0 or y.norm() == 0:
        which = "predictions are" if x.norm() == 0 else "targets are"
        raise ValueError(f"Pearson r is undefined: the {which} constant (zero variance)")
    return (x @ y / (x.norm() * y.norm())).clamp(-1.0, 1.0).item()
