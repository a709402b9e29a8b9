"""Held-out evaluation: batched prediction, the metrics the fine-tuning notebooks report, and the
baselines that answer "compared to what?".

    logits = predict(model, test_data)                       # no graph, eval mode, padding trimmed
    accuracy(logits, test_data["labels"])                    # single-label classification
    pearson_r(logits.squeeze(-1), test_data["labels"])       # regression (num_labels == 1)
    majority_baseline(train_labels, test_labels)             # what always answering one class scores
    mean_baseline(train_scores, test_scores)                 # what always predicting the mean scores
    bootstrap_interval(accuracy, logits, labels)             # how much the score depends on which
                                                             # held-out examples were drawn
    best_constant(test_labels)                               # the best input-blind answer ON THIS SET
    bag_of_words_baseline(train_texts, train_labels, texts)  # the classic lexical baseline (scikit-learn)
    compare_accuracy(logits_a, logits_b, labels)             # A minus B on the same examples: paired
                                                             # bootstrap interval and McNemar's p
    seed_spread([0.81, 0.80, 0.82])                          # mean ± sd over training seeds

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
    "best_constant",
    "bag_of_words_baseline",
    "PairedComparison",
    "paired_bootstrap",
    "mcnemar",
    "compare_accuracy",
    "SeedSpread",
    "seed_spread",
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
    if not isinstance(data, dict):
        raise TypeError(f"data must be a dict of tensors (input_ids, attention_mask, ...), got {type(data).__name__}; "
                        "for one tensor of ids: predict(model, {'input_ids': ids})")
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
    the prediction) or predicted class ids ``[N]``; ``labels`` are class ids ``[N]``. Examples
    labelled -100 are skipped (not counted at all), as the losses and ``training.accuracy`` skip them."""
    predictions, labels = _as_tensor(predictions, "predictions"), _as_tensor(labels, "labels")
    _same_length(predictions, labels)
    if labels.dim() != 1:
        raise ValueError(
            f"labels must be class ids of shape [N], got shape {tuple(labels.shape)} (compared with [N] "
            "predictions that would broadcast to [N, N]); flatten them with labels.view(-1)"
        )
    if labels.is_floating_point():
        raise ValueError(f"labels must be integer class ids, got dtype {labels.dtype}; convert with labels.long()")
    if predictions.dim() == 2:
        predictions = predictions.argmax(-1)
    elif predictions.dim() != 1:
        raise ValueError(f"predictions must be logits [N, C] or class ids [N], got shape {tuple(predictions.shape)}")
    if predictions.is_floating_point():
        raise ValueError("1-D predictions must be class ids (integers); pass logits as [N, C]")
    keep = labels != -100  # the ignore index of every loss
    if not bool(keep.any()):
        raise ValueError("every label is -100 (ignored): there is nothing to score")
    return (predictions[keep] == labels[keep]).float().mean().item()


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


# --------------------------------------------------------------------------------------------
# The best constant on the evaluated set, and the strongest simple baseline
# --------------------------------------------------------------------------------------------


def best_constant(eval_labels, metric: str = "accuracy") -> Baseline:
    """The best a model that ignores its input could score **on this evaluated set**: the most frequent
    class of ``eval_labels`` for ``metric="accuracy"`` (class ids ``[N]``; -100 labels are left out, as
    :func:`course_lib.training.accuracy` leaves them out), the mean of ``eval_labels`` for ``metric="mse"``
    (its MSE is their variance).

    It is chosen by looking at the answers, so no real constant predictor can beat it: a trained model that
    does not clear it has learnt nothing usable. (:func:`majority_baseline` is the honest constant, learnt
    from the training labels; on a set whose class shares differ from training it can score *below* a coin
    flip, and then it is a weak bar to clear.)
    """
    labels = _as_tensor(eval_labels, "eval_labels")
    if metric == "accuracy":
        if labels.is_floating_point() or labels.dim() != 1:
            raise ValueError(
                f"best_constant(metric='accuracy') takes integer class ids of shape [N], got dtype {labels.dtype} "
                f"and shape {tuple(labels.shape)}; for scores use metric='mse'"
            )
        labels = labels[labels != -100]
        if labels.numel() == 0:
            raise ValueError("every label is -100 (ignored): there is nothing to score")
        if labels.min() < 0:
            raise ValueError(f"class ids must be >= 0 (or -100 to ignore), got {int(labels.min())}")
        counts = torch.bincount(labels.long())
        best = int(counts.argmax())
        return Baseline("best constant on this set", best, "accuracy", counts[best].item() / labels.numel())
    if metric == "mse":
        if labels.dim() != 1:
            raise ValueError(f"best_constant(metric='mse') takes scores of shape [N], got {tuple(labels.shape)}")
        scores = labels.double()
        mean = scores.mean().item()
        return Baseline("best constant on this set", mean, "mse", ((scores - mean) ** 2).mean().item())
    raise ValueError(f"metric must be 'accuracy' or 'mse', got {metric!r}")


def bag_of_words_baseline(train_texts: Sequence[str], train_labels, eval_texts: Sequence[str], *,
                          ngrams: tuple[int, int] = (1, 2), regression: bool = False, C: float = 1.0
                          ) -> torch.Tensor:
    """The classic lexical baseline: TF-IDF weighted counts of words and word pairs, then a logistic
    regression (class ids) or a ridge regression (``regression=True``, scores), trained on the training split
    alone with scikit-learn. Returns class probabilities ``[N, C]`` (use them as logits: the highest is the
    prediction) or predicted scores ``[N]`` for ``eval_texts``.

    Word order beyond pairs, negation scope and anything not in the training vocabulary are invisible to it:
    a fine-tuned encoder must beat it for pre-training to have added something.
    """
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression, Ridge
    except ImportError as error:  # pragma: no cover - scikit-learn ships with the notebooks extra
        raise ImportError("bag_of_words_baseline needs scikit-learn: pip install scikit-learn") from error
    for name, texts in (("train_texts", train_texts), ("eval_texts", eval_texts)):
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError(f"{name} must be a list of strings (one per example)")
        if len(texts) == 0:
            raise ValueError(f"{name} is empty")
    labels = _as_tensor(train_labels, "train_labels")
    if labels.dim() != 1 or len(labels) != len(train_texts):
        raise ValueError(f"{len(train_texts)} training texts but train_labels of shape {tuple(labels.shape)}")
    if not regression and labels.is_floating_point():
        raise ValueError("class ids must be integers; for scores pass regression=True")
    vectorizer = TfidfVectorizer(ngram_range=ngrams, sublinear_tf=True, min_df=1)
    train_x = vectorizer.fit_transform(list(train_texts))
    eval_x = vectorizer.transform(list(eval_texts))
    if regression:
        model = Ridge(alpha=1.0 / C).fit(train_x, labels.double().numpy())
        return torch.as_tensor(model.predict(eval_x), dtype=torch.float32)
    model = LogisticRegression(C=C, max_iter=1000).fit(train_x, labels.long().numpy())
    return torch.as_tensor(model.predict_proba(eval_x), dtype=torch.float32)


# --------------------------------------------------------------------------------------------
# Comparing two set-ups: on the same examples (paired), and over training seeds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairedComparison:
    """``metric(a) - metric(b)`` on the same evaluation examples, with a paired bootstrap interval (both set-ups
    scored on the same resampled examples) and, for accuracy-like hits, McNemar's exact test."""

    difference: float
    low: float
    high: float
    level: float
    p_value: float | None = None

    @property
    def clear(self) -> bool:
        """True when the whole interval lies on one side of zero."""
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        text = f"{self.difference:+.3f} [{self.low:+.3f}, {self.high:+.3f}]"
        if self.p_value is not None:
            text += f", McNemar p = {self.p_value:.2g}"
        return text


def paired_bootstrap(metric: Callable[..., float], predictions_a, predictions_b, *targets,
                     resamples: int = 1000, level: float = 0.95, seed: int = 0) -> PairedComparison:
    """How much better set-up A scores than set-up B **on the same examples**, and how sure we can be.

    ``metric(predictions, *targets)`` is computed for A and B on each of ``resamples`` bootstrap draws of the
    evaluation examples, the *same* draw for both: an example that is hard for both moves both scores together
    and cancels in the difference. Two unpaired intervals that overlap do not show that A and B are alike; the
    paired interval of their difference does. It measures the evaluation set's noise, not the training seed's
    (compare seeds with :func:`seed_spread`)."""
    a = _as_tensor(predictions_a, "predictions_a")
    b = _as_tensor(predictions_b, "predictions_b")
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"A has {a.shape[0]} predictions but B has {b.shape[0]}: a paired test needs the same examples")
    difference = metric(a, *targets) - metric(b, *targets)
    low, high = bootstrap_interval(lambda x, y, *t: metric(x, *t) - metric(y, *t), a, b, *targets,
                                   resamples=resamples, level=level, seed=seed)
    return PairedComparison(float(difference), low, high, level)


def mcnemar(correct_a, correct_b) -> float:
    """McNemar's exact test on two set-ups' right/wrong answers to the same examples: the two-sided p-value
    that A and B are equally good, from the examples only one of them got right (a binomial test of those
    discordant pairs; the examples both get right or both get wrong say nothing about the difference)."""
    a = _as_tensor(correct_a, "correct_a").bool()
    b = _as_tensor(correct_b, "correct_b").bool()
    if a.shape != b.shape or a.dim() != 1:
        raise ValueError(f"correct_a {tuple(a.shape)} and correct_b {tuple(b.shape)} must be equally long vectors")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    n = only_a + only_b
    if n == 0:
        return 1.0
    k = min(only_a, only_b)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def compare_accuracy(logits_a, logits_b, labels, *, resamples: int = 1000, level: float = 0.95,
                     seed: int = 0) -> PairedComparison:
    """Accuracy of A minus accuracy of B on the same examples: the paired bootstrap interval and McNemar's p.
    ``logits_*`` are ``[N, C]`` scores (or class ids ``[N]``); labels of -100 are left out."""
    labels = _as_tensor(labels, "labels")
    keep = labels != -100
    hits = []
    for name, logits in (("logits_a", logits_a), ("logits_b", logits_b)):
        logits = _as_tensor(logits, name)
        if logits.shape[0] != labels.shape[0]:
            raise ValueError(f"{name} has {logits.shape[0]} rows but there are {labels.shape[0]} labels")
        ids = logits.argmax(-1) if logits.dim() == labels.dim() + 1 else logits
        if ids.shape != labels.shape:
            raise ValueError(f"{name} of shape {tuple(logits.shape)} do not match labels {tuple(labels.shape)}")
        hits.append((ids == labels)[keep].float())
    comparison = paired_bootstrap(lambda h: h.mean().item(), hits[0], hits[1], resamples=resamples,
                                  level=level, seed=seed)
    return PairedComparison(comparison.difference, comparison.low, comparison.high, level,
                            mcnemar(hits[0].bool(), hits[1].bool()))


@dataclass(frozen=True)
class SeedSpread:
    """One score over several training seeds: what changes when only the seed does."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    @property
    def std(self) -> float:
        """Sample standard deviation (n - 1): the seed-to-seed spread."""
        m = self.mean
        return math.sqrt(sum((v - m) ** 2 for v in self.values) / (len(self.values) - 1))

    def format(self, spec: str = ".3f") -> str:
        each = ", ".join(format(v, spec) for v in self.values)
        return f"{self.mean:{spec}} ± {self.std:{spec}} (seeds: {each})"

    def __str__(self) -> str:
        return self.format()


def seed_spread(values: Sequence[float]) -> SeedSpread:
    """Mean, standard deviation and the values of a score over training seeds (at least 2)."""
    values = tuple(float(v) for v in values)
    if len(values) < 2:
        raise ValueError(f"a seed spread needs at least 2 runs, got {len(values)}")
    if any(math.isnan(v) for v in values):
        raise ValueError("a score is nan: a run failed")
    return SeedSpread(values)
