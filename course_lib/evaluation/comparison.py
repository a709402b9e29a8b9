"""Uncertainty and comparisons: how much a score depends on the examples drawn, and on the training seed.

    bootstrap_interval(accuracy, logits, labels)   # the score's spread over resampled held-out examples
    compare_accuracy(logits_a, logits_b, labels)   # A minus B on the same examples: paired bootstrap
                                                   # interval and McNemar's p
    seed_spread([0.81, 0.80, 0.82])                # mean ± sd over training seeds
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from .._checks import as_nonempty_tensor
from .metrics import hits

__all__ = ["bootstrap_interval", "PairedComparison", "paired_bootstrap", "mcnemar", "compare_accuracy",
           "SeedSpread", "seed_spread"]


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
    tensors = tuple(as_nonempty_tensor("tensor", t) for t in tensors)
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
    a = as_nonempty_tensor("predictions_a", predictions_a)
    b = as_nonempty_tensor("predictions_b", predictions_b)
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
    a = as_nonempty_tensor("correct_a", correct_a).bool()
    b = as_nonempty_tensor("correct_b", correct_b).bool()
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
    ``logits_*`` are what :func:`course_lib.evaluation.accuracy` takes (``[N, C]`` scores or class ids ``[N]``);
    labels of -100 are left out, as ``accuracy`` leaves them out."""
    correct = []
    for name, logits in (("logits_a", logits_a), ("logits_b", logits_b)):
        try:
            correct.append(hits(logits, labels).float())
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
    comparison = paired_bootstrap(lambda h: h.mean().item(), correct[0], correct[1], resamples=resamples,
                                  level=level, seed=seed)
    return PairedComparison(comparison.difference, comparison.low, comparison.high, level,
                            mcnemar(correct[0].bool(), correct[1].bool()))


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
