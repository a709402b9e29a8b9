"""Baselines: what a model that ignores its input scores, and the classic lexical baseline.

    majority_baseline(train_labels, test_labels)             # always the training set's most frequent class
    mean_baseline(train_scores, test_scores)                 # always the training mean (regression)
    best_constant(test_labels)                               # the best input-blind answer ON THIS SET
    bag_of_words_baseline(train_texts, train_labels, texts)  # TF-IDF + logistic regression (scikit-learn)

A score means little alone: 70 % accuracy is good when the majority class is 50 % and poor when it
is 69 %. Report each metric next to the baseline of the same data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .._checks import as_nonempty_tensor
from ..losses import IGNORE_INDEX

__all__ = ["Baseline", "majority_baseline", "mean_baseline", "best_constant", "bag_of_words_baseline"]


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
    train_labels = as_nonempty_tensor("train_labels", train_labels).long()
    eval_labels = as_nonempty_tensor("eval_labels", eval_labels).long()
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
    train_scores = as_nonempty_tensor("train_scores", train_scores).double()
    eval_scores = as_nonempty_tensor("eval_scores", eval_scores).double()
    if train_scores.dim() != 1 or eval_scores.dim() != 1:
        raise ValueError("mean_baseline takes scores of shape [N]")
    mean = train_scores.mean().item()
    score = ((eval_scores - mean) ** 2).mean().item()
    return Baseline("training mean", mean, "mse", score)


def best_constant(eval_labels, metric: str = "accuracy") -> Baseline:
    """The best a model that ignores its input could score **on this evaluated set**: the most frequent
    class of ``eval_labels`` for ``metric="accuracy"`` (class ids ``[N]``; -100 labels are left out, as
    :func:`course_lib.evaluation.accuracy` leaves them out), the mean of ``eval_labels`` for ``metric="mse"``
    (its MSE is their variance).

    It is chosen by looking at the answers, so no real constant predictor can beat it: a trained model that
    does not clear it has learnt nothing usable. (:func:`majority_baseline` is the honest constant, learnt
    from the training labels; on a set whose class shares differ from training it can score *below* a coin
    flip, and then it is a weak bar to clear.)
    """
    labels = as_nonempty_tensor("eval_labels", eval_labels)
    if metric == "accuracy":
        if labels.is_floating_point() or labels.dim() != 1:
            raise ValueError(
                f"best_constant(metric='accuracy') takes integer class ids of shape [N], got dtype {labels.dtype} "
                f"and shape {tuple(labels.shape)}; for scores use metric='mse'"
            )
        labels = labels[labels != IGNORE_INDEX]
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
    labels = as_nonempty_tensor("train_labels", train_labels)
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
