"""Training and inference: everything between a data set and a trained model.

- :mod:`.data`: the one batching path: batches of a dict of tensors, length buckets, padding trimmed
- :mod:`.loop`: ``training_step`` and ``train``, the small readable loop, and ``predict``, the one way to
  get a model's outputs for a data set
- :mod:`.optim`: ``AdamW`` and ``AdamL2`` written out, and the weight-decay parameter groups
- :mod:`.schedules`: the learning-rate schedules of transformers, with warmup
- :mod:`.masking`: the masked-LM input corruption (80/10/10) and whole-word masking
- :mod:`.frozen`: frozen lower layers computed once, so a step costs only the top layers
- :mod:`.finetune`: the fine-tuning command, ``python -m course_lib.training.finetune``

The metrics (``accuracy`` and friends) are in :mod:`course_lib.evaluation`.
"""

from .data import batches
from .loop import predict, saved_tensor_bytes, train, training_step

__all__ = ["batches", "training_step", "train", "predict", "saved_tensor_bytes"]
