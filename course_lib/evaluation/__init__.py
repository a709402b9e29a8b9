"""Held-out evaluation: the metrics the fine-tuning notebooks report, the baselines that answer
"compared to what?", and how sure a comparison is.

- :mod:`.metrics`: ``accuracy`` (the one accuracy: logits or class ids; labels equal to -100 skipped, as the
  losses skip them), ``hits``, ``mean_squared_error``, ``pearson_r``
- :mod:`.baselines`: ``majority_baseline``, ``mean_baseline``, ``best_constant``, ``bag_of_words_baseline``
- :mod:`.comparison`: ``bootstrap_interval``, ``paired_bootstrap``, ``mcnemar``, ``compare_accuracy``,
  ``seed_spread``

    logits = course_lib.training.predict(model, test_data)   # the predictions (no graph, eval mode)
    accuracy(logits, test_data["labels"])
    best_constant(test_data["labels"])                        # the best input-blind answer on this set
    compare_accuracy(logits_a, logits_b, labels)              # A minus B on the same examples

Every function takes tensors (or anything ``torch.as_tensor`` accepts) and returns plain Python
numbers, so the notebooks can print them with a format string. Bad input raises ``ValueError``
with a message that names the problem.
"""

from .baselines import Baseline, bag_of_words_baseline, best_constant, majority_baseline, mean_baseline
from .comparison import (
    PairedComparison,
    SeedSpread,
    bootstrap_interval,
    compare_accuracy,
    mcnemar,
    paired_bootstrap,
    seed_spread,
)
from .metrics import accuracy, hits, mean_squared_error, pearson_r

__all__ = [
    "accuracy",
    "hits",
    "mean_squared_error",
    "pearson_r",
    "Baseline",
    "majority_baseline",
    "mean_baseline",
    "best_constant",
    "bag_of_words_baseline",
    "bootstrap_interval",
    "PairedComparison",
    "paired_bootstrap",
    "mcnemar",
    "compare_accuracy",
    "SeedSpread",
    "seed_spread",
]
