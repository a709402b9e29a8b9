"""The losses of every BERT head, as small named functions.

The models call these, and the notebooks show them on their own, so that a learner can see each
loss computed by hand and by the model and watch the two agree.

- :mod:`course_lib.losses.pretraining`: masked-LM loss (ignore index -100), next-sentence loss,
  their sum, and the causal (shifted) LM loss.
- :mod:`course_lib.losses.classification`: the sequence-classification problem types
  (regression, single-label, multi-label) and the multiple-choice loss.
- :mod:`course_lib.losses.token_and_span`: the token-classification loss (-100 for sub-words and
  padding) and the question-answering span loss (clamped positions, (start + end) / 2).

The checks every loss shares are defined here, beside ``IGNORE_INDEX``: :func:`check_logits` (the scores)
and :func:`check_class_labels` / :func:`check_label_shape` (the cross-entropy targets, with the -100 rule).
They live here rather than in :mod:`course_lib._checks` because they speak the losses' language (ignore
index, classes, one label per token); ``_checks`` holds the checks that any layer needs (numbers, tensors).
"""

import torch

from .._checks import check_tensor

# Defined here, once; every loss module imports it from here (it is set before they are imported).
IGNORE_INDEX = -100  # CrossEntropyLoss(ignore_index=-100) default: labels equal to it add nothing


def check_logits(logits, call: str, shape: str, dims: int | None = None) -> None:
    """The scores a loss reads: a floating-point tensor (``dims`` dimensions when given). Integer
    "logits" are almost always the labels passed first: ``call`` shows the argument order."""
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"{call}: the logits must be a torch.Tensor {shape}, got {type(logits).__name__}")
    if not logits.is_floating_point():
        raise ValueError(
            f"{call}: the logits must be float scores {shape}, got dtype {logits.dtype} (labels?): "
            "check the order of the arguments"
        )
    if dims is not None and logits.dim() != dims:
        raise ValueError(f"{call}: the logits must be {shape}, got shape {tuple(logits.shape)}")


def check_class_labels(labels, num_classes: int | None = None, name: str = "labels", *, what: str = "class ids",
                       classes: str = "classes", skip: str = "an example", int32: bool = False,
                       ignore_index: int = IGNORE_INDEX) -> None:
    """The one check of cross-entropy targets, for every loss and model here (sequence and token
    classification, multiple choice, masked and causal LM, next sentence, answer spans).

    ``labels`` must be a tensor of integer ``what`` (``torch.long``; ``int32`` also accepts ``torch.int``,
    which the caller converts), and every label other than ``ignore_index`` must lie in ``[0, num_classes)``
    (no range check when ``num_classes`` is None). ``name`` is how messages call the tensor; its last
    word is the variable the ``.long()`` hint names (``"MLM labels"`` -> ``labels.long()``). ``classes`` and
    ``skip`` finish the range message: "must lie in [0, 4) for 4 *choices* (or be -100 to skip *a question*)".

    Why not leave it to ``F.cross_entropy``? It says "expected scalar type Long" for int32 or float labels,
    and an index error (or a CUDA assertion) for an id out of range, never which tensor is wrong.
    """
    check_tensor(name, labels, required=True)
    allowed = (torch.long, torch.int) if int32 else (torch.long,)
    if labels.dtype not in allowed:
        kinds = "torch.long or torch.int" if int32 else "torch.long"
        # float class labels are often soft targets or one-hot rows, which .long() would not fix
        soft = ", not probabilities," if labels.is_floating_point() and num_classes is not None else ""
        raise ValueError(
            f"{name} must be integer {what}{soft} of dtype {kinds}, got {labels.dtype}; convert with "
            f"{name.split()[-1]}.long()"
        )
    if num_classes is None:
        return
    bad = (labels != ignore_index) & ((labels < 0) | (labels >= num_classes))
    if bool(bad.any()):
        values = labels[bad].unique().tolist()
        shown = str(values) if len(values) <= 5 else str(values[:5])[:-1] + ", ...]"
        # 100 for -100 is the classic slip: say so
        slip = f" (the ignore index is {ignore_index}, not {-ignore_index})" if -ignore_index in values else ""
        raise ValueError(
            f"{name} must lie in [0, {num_classes}) for {num_classes} {classes} (or be {ignore_index} to skip "
            f"{skip}); got {shown}{slip}"
        )


def check_label_shape(labels, shape: tuple, name: str, against: str, hint: str) -> None:
    """``labels`` (a tensor) has exactly ``shape``; the message reads "{name} have shape (3, 9) but
    {against} (3, 10): {hint}". A label tensor of the wrong layout often has the right number of elements,
    and a loss that flattens it (``labels.view(-1)``) would train on the wrong pairs without a word."""
    check_tensor(name, labels, required=True)
    if tuple(labels.shape) != tuple(shape):
        raise ValueError(f"{name} have shape {tuple(labels.shape)} but {against} {tuple(shape)}: {hint}")

from .classification import *  # noqa: E402,F401,F403
from .pretraining import *  # noqa: E402,F401,F403
from .token_and_span import *  # noqa: E402,F401,F403
