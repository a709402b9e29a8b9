"""Held-out evaluation: batched prediction, the metrics the fine-tuning notebooks report, and the
baselines that answer "compared to what?".

    logits = predict(model, test_data)                       # no graph, eval mode, padding trimmed
    accuracy(logits, test_data["labels"])                    # single-label classification
    pearson_r(logits.squeeze(-1), test_data["labels"])       # regression (num_labels == 1)
    majority_baseline(train_labels, test_labels)             # what always answering one class scores
    mean_baseline(train_scores, test_scores)                 # what always predicting the mean scores
    bootstrap_interval(accuracy, logits, labels)             # how much the score depends on which
                                                             # held-out examples were drawn

A score means little alone: 70 % accuracy is good when the majority class is 50 % and poor when it
is 69 %. Report each metric next to the baseline of the same data.

Every function takes tensors (or anything ``torch.as_tensor`` accepts) and returns plain Python
numbers, so the notebooks can print them with a format string. Bad input raises ``ValueError``
with a message that names the problem.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

__all__ = [
    "Baseline",
    "predict",
    "accuracy",
    "mean_squared_error",
    "pearson_r",
    "majority_baseline",
    "mean_baseline",
    "bootstrap_interval",
]


def _as_tensor(values, name: str) -> torch.Tensor:
    tensor = values if isinstance(values, torch.Tensor) else torch.as_tensor(values)
    if tensor.numel() == 0:
        raise ValueError(f"{name} is empty")
    return tensor.detach()


def _same_length(a: torch.Tensor, b: torch.Tensor, what: str = "predictions") -> None:
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{a.shape[0]} {what} but {b.shape[0]} labels")


# --------------------------------------------------------------------------------------------
# Prediction
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def predict(model: torch.nn.Module, data: dict, batch_size: int = 64, output: str = "logits") -> torch.Tensor:
    """``model``'s ``output`` (logits by default) for every example of ``data``, in order.

    ``data`` is a dict of equally long tensors (``input_ids``, ``attention_mask``, ...) as
    ``course_lib.task_data.classification.encode`` returns; ``labels`` are not passed to the model.
    Runs in eval mode (dropout off) under ``torch.no_grad`` (no graph is kept), then restores the
    model's training mode.

    Each batch is cut to its longest real sequence (the last column where ``attention_mask`` is 1):
    tensors padded to a fixed ``max_length`` cost attention and feed-forward work on padding that
    the mask then ignores. With right padding (BERT's) the outputs are the same, up to float
    rounding. Without an ``attention_mask`` nothing is cut.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    inputs = {k: v for k, v in data.items() if k != "labels"}
    if not inputs:
        raise ValueError("data has no model inputs: expected a dict with input_ids (and attention_mask)")
    sizes = {k: len(v) for k, v in inputs.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"every tensor in data must have the same first dimension, got {sizes}")
    n = next(iter(sizes.values()))
    was_training = model.training
    model.eval()
    try:
        parts = []
        for start in range(0, n, batch_size):
            batch = {k: v[start : start + batch_size] for k, v in inputs.items()}
            mask = batch.get("attention_mask")
            if mask is not None and mask.dim() == 2 and all(v.dim() == 2 for v in batch.values()):
                real = mask.any(dim=0).nonzero()
                length = int(real.max()) + 1 if len(real) else 1
                batch = {k: v[:, :length] for k, v in batch.items()}
            result = getattr(model(**batch), output, None)
            if result is None:
                raise ValueError(f"the model's output has no field {output!r}")
            parts.append(result)
    finally:
        model.train(was_training)
    return torch.cat(parts)


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def accuracy(predictions, labels) -> float:
    """Share of examples predicted right. ``predictions`` are logits ``[N, C]`` (the highest one is
    the prediction) or predicted class ids ``[N]``; ``labels`` are class ids ``[N]``."""
    predictions, labels = _as_tensor(predictions, "predictions"), _as_tensor(labels, "labels")
    _same_length(predictions, labels)
    if predictions.dim() == 2:
        predictions = predictions.argmax(-1)
    elif predictions.dim() != 1:
        raise ValueError(f"predictions must be logits [N, C] or class ids [N], got shape {tuple(predictions.shape)}")
    if predictions.is_floating_point():
        raise ValueError("1-D predictions must be class ids (integers); pass logits as [N, C]")
    return (predictions == labels).float().mean().item()


def _scores(predictions, targets) -> tuple[torch.Tensor, torch.Tensor]:
    """Regression outputs and targets as float64 vectors; ``[N, 1]`` logits are squeezed to ``[N]``."""
    predictions, targets = _as_tensor(predictions, "predictions"), _as_tensor(targets, "targets")
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


# --------------------------------------------------------------------------------------------
# Baselines
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Baseline:
    """A model that ignores its input: it always predicts ``prediction``, learnt from the training
    labels alone; ``score`` is its ``metric`` on the evaluation labels."""

    name: str
    prediction: float
    metric: str
    score: float

    def __str__(self) -> str:
        return f"{self.name} (always {self.prediction:g}): {self.metric} {self.score:.4f}"


def majority_baseline(train_labels, eval_labels) -> Baseline:
    """Always predict the most frequent class of the *training* labels (ties: the smallest id);
    ``score`` is its accuracy on ``eval_labels``."""
    train_labels = _as_tensor(train_labels, "train_labels").long()
    eval_labels = _as_tensor(eval_labels, "eval_labels").long()
    if train_labels.dim() != 1 or eval_labels.dim() != 1:
        raise ValueError("majority_baseline takes class ids of shape [N] (single-label classification)")
    if train_labels.min() < 0:
        raise ValueError("train_labels hold a negative id (-100?): drop ignored examples first")
    majority = int(torch.bincount(train_labels).argmax())
    score = (eval_labels == majority).float().mean().item()
    return Baseline("majority class", majority, "accuracy", score)


def mean_baseline(train_scores, eval_scores) -> Baseline:
    """Always predict the mean of the *training* scores; ``score`` is its mean squared error on
    ``eval_scores``. That MSE is about the variance of the evaluation scores: a regression model
    must beat it to have learnt anything. (Its Pearson r is undefined: the prediction is constant.)"""
    train_scores = _as_tensor(train_scores, "train_scores").double()
    eval_scores = _as_tensor(eval_scores, "eval_scores").double()
    if train_scores.dim() != 1 or eval_scores.dim() != 1:
        raise ValueError("mean_baseline takes scores of shape [N]")
    mean = train_scores.mean().item()
    score = ((eval_scores - mean) ** 2).mean().item()
    return Baseline("training mean", mean, "mse", score)


# --------------------------------------------------------------------------------------------
# Uncertainty from the evaluation set
# --------------------------------------------------------------------------------------------


def bootstrap_interval(
    metric: Callable[..., float],
    *tensors: torch.Tensor | Sequence,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of ``metric(*tensors)`` over the evaluation examples.

    Draws ``resamples`` sets of N examples with replacement (the same rows from every tensor, so a
    paired comparison stays paired: ``metric`` may return the *difference* between two models on
    the same examples) and returns the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the
    metric. It measures how much the score depends on which held-out examples were drawn, not how
    much it depends on the training seed: that needs more training runs.
    """
    if not tensors:
        raise ValueError("bootstrap_interval needs at least one tensor to resample")
    if resamples < 2:
        raise ValueError(f"resamples must be at least 2, got {resamples}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    tensors = tuple(_as_tensor(t, "tensor") for t in tensors)
    n = tensors[0].shape[0]
    if any(t.shape[0] != n for t in tensors):
        raise ValueError(f"every tensor must have the same first dimension, got {[t.shape[0] for t in tensors]}")
    generator = torch.Generator().manual_seed(seed)
    values = []
    for _ in range(resamples):
        index = torch.randint(0, n, (n,), generator=generator)
        value = metric(*(t[index] for t in tensors))
        if isinstance(value, float) and math.isnan(value):
            raise ValueError("the metric returned nan on a resample")
        values.append(float(value))
    ordered = torch.tensor(values, dtype=torch.float64)
    low = torch.quantile(ordered, (1 - level) / 2).item()
    high = torch.quantile(ordered, (1 + level) / 2).item()
    return low, high
