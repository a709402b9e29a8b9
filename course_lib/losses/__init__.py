"""The losses of every BERT head, as small named functions.

The models call these, and the notebooks show them on their own, so that a learner can see each
loss computed by hand and by the model and watch the two agree.

- :mod:`course_lib.losses.pretraining`: masked-LM loss (ignore index -100), next-sentence loss,
  their sum, and the causal (shifted) LM loss.
- :mod:`course_lib.losses.classification`: the sequence-classification problem types
  (regression, single-label, multi-label) and the multiple-choice loss.
- :mod:`course_lib.losses.token_and_span`: the token-classification loss (-100 for sub-words and
  padding) and the question-answering span loss (clamped positions, (start + end) / 2).
"""

# Defined here, once; every loss module imports it from here (it is set before they are imported).
IGNORE_INDEX = -100  # CrossEntropyLoss(ignore_index=-100) default: labels equal to it add nothing


def check_logits(logits, call: str, shape: str, dims: int | None = None) -> None:
    """The scores a loss reads: a floating-point tensor (``dims`` dimensions when given). Integer
    "logits" are almost always the labels passed first: ``call`` shows the argument order."""
    import torch

    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"{call}: the logits must be a torch.Tensor {shape}, got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise ValueError(
            f"{call}: the logits must be float scores {shape}, got dtype {logits.dtype} (labels?): "
            "check the order of the arguments"
        )
    if dims is not None and logits.dim() != dims:
        raise ValueError(f"{call}: the logits must be {shape}, got shape {tuple(logits.shape)}")

from .classification import *  # noqa: E402,F401,F403
from .pretraining import *  # noqa: E402,F401,F403
from .token_and_span import *  # noqa: E402,F401,F403
