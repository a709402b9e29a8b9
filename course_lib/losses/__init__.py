"""The losses of every BERT head, as small named functions.

The models call these, and the notebooks show them on their own, so that a learner can see each
loss computed by hand and by the model and watch the two agree.

- :mod:`course_lib.losses.pretraining`: masked-LM loss (ignore index -100), next-sentence loss,
  their sum, and the causal (shifted) LM loss.
- :mod:`course_lib.losses.finetuning`: the sequence-classification problem types (regression,
  single-label, multi-label), the multiple-choice loss, the token loss and the QA span loss.
"""

from .finetuning import *  # noqa: F401,F403
from .pretraining import *  # noqa: F401,F403

IGNORE_INDEX = -100  # CrossEntropyLoss(ignore_index=-100) default: labels equal to it add nothing
