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

from .classification import *  # noqa: E402,F401,F403
from .pretraining import *  # noqa: E402,F401,F403
from .token_and_span import *  # noqa: E402,F401,F403
