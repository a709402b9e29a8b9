"""Pre-training losses: masked LM, next-sentence prediction, their sum, and the causal (shifted) LM.

BERT is pre-trained on two objectives at once (Devlin et al., 2019, section 3.1):

- **Masked LM (MLM)**: predict the original token at the ~15 % of positions that were masked.
  Every other position carries the label ``-100`` and adds nothing to the loss: cross-entropy's
  default ``ignore_index`` is -100, and the mean is taken over the *counted* positions only.
- **Next-sentence prediction (NSP)**: a two-way classification of the [CLS] vector: 0 means
  "sentence B really follows sentence A", 1 means "B is a random sentence".

The pre-training loss is the plain, unweighted sum of the two means. The causal LM loss
(``BertLMHeadModel``) is the same cross-entropy after shifting the labels one step left, so the
logits at position t are scored against the token at t + 1.

The models in :mod:`course_lib.models.pretraining` call exactly these functions, so a notebook can
compute a loss here by hand and watch it equal ``model(...).loss``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from . import IGNORE_INDEX, check_logits  # defined once, in course_lib/losses/__init__.py

__all__ = [
    "masked_lm_loss",
    "next_sentence_loss",
    "pretraining_loss",
    "shift_labels_for_causal_lm",
    "causal_lm_loss",
    "check_mlm_labels",
    "check_next_sentence_label",
]


def _check_class_ids(name: str, labels) -> None:
    """Cross-entropy targets: a tensor of int64 class ids (int32 and float make torch fail with
    "expected target dtype to be Long")."""
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(labels).__name__}; convert with torch.tensor(...)")
    if labels.dtype != torch.long:
        hint = "class ids, not probabilities: " if labels.is_floating_point() else ""
        raise ValueError(
            f"{name} must be {hint}integer ids of dtype torch.long, got {labels.dtype}; convert with {name}.long()"
        )


def check_mlm_labels(labels: torch.Tensor, input_shape: tuple, vocab_size: int) -> None:
    """Reject MLM / causal-LM labels that would give a wrong number or a cryptic error later.

    ``labels`` must have the shape of ``input_ids`` (one label per token) and hold either -100
    (ignored) or a token id in ``[0, vocab_size)``.
    """
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"MLM labels must be a torch.Tensor, got {type(labels).__name__}; convert with torch.tensor(...)")
    if tuple(labels.shape) != tuple(input_shape):
        raise ValueError(
            f"MLM labels have shape {tuple(labels.shape)} but input_ids have shape {tuple(input_shape)}: "
            "give one label per token, -100 where no prediction is scored"
        )
    if labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError(f"MLM labels must be integer token ids, got dtype {labels.dtype}")
    if labels.dtype != torch.long:
        raise ValueError(
            f"MLM labels must be token ids of dtype torch.long (cross-entropy needs int64), got {labels.dtype}; "
            "convert with labels.long()"
        )
    scored = labels[labels != IGNORE_INDEX]
    if scored.numel() and (scored.min() < 0 or scored.max() >= vocab_size):
        raise ValueError(
            f"MLM labels must be -100 (ignored) or a token id in [0, {vocab_size}); got values "
            f"{int(scored.min())}..{int(scored.max())} (the ignore index is -100, not 100)"
        )


def check_next_sentence_label(next_sentence_label: torch.Tensor, batch_size: int) -> None:
    """NSP labels: one per sequence, each 0 (B follows A) or 1 (B is random), dtype torch.long."""
    if not isinstance(next_sentence_label, torch.Tensor):
        raise TypeError(
            f"next_sentence_label must be a torch.Tensor, got {type(next_sentence_label).__name__}; "
            "convert with torch.tensor(...)"
        )
    if next_sentence_label.numel() != batch_size:
        raise ValueError(
            f"next_sentence_label must hold one label per sequence ({batch_size}), "
            f"got shape {tuple(next_sentence_label.shape)}"
        )
    bad = (next_sentence_label != 0) & (next_sentence_label != 1)
    if bad.any():
        raise ValueError(
            "next_sentence_label values must be 0 (sentence B follows A) or 1 (B is random); "
            f"got {sorted(set(next_sentence_label[bad].tolist()))}"
        )
    if next_sentence_label.dtype != torch.long:
        raise ValueError(
            f"next_sentence_label must be class ids of dtype torch.long, got {next_sentence_label.dtype}; "
            "convert with next_sentence_label.long()"
        )


def masked_lm_loss(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Mean cross-entropy over the positions whose label is not ``ignore_index``.

    logits: ``[batch, seq, vocab]`` (raw scores, no softmax: ``cross_entropy`` applies log-softmax
    itself, in a numerically stable way). labels: ``[batch, seq]``.

    Why the mean over *counted* positions matters: with ``reduction="mean"`` and ignore_index,
    PyTorch divides by the number of non-ignored labels, so the loss does not shrink just because
    a batch has more unmasked tokens. (Multiplying a per-token loss by a 0/1 mask and then taking
    a mean over all tokens would silently divide by the wrong count.)
    """
    check_logits(logits, "masked_lm_loss(logits, labels)", "[batch, seq_len, vocab_size]", dims=3)
    _check_class_ids("labels", labels)
    vocab_size = logits.shape[-1]
    if tuple(labels.shape) != tuple(logits.shape[:2]):
        raise ValueError(
            f"masked_lm_loss: labels have shape {tuple(labels.shape)} but the logits {tuple(logits.shape)} need "
            f"{tuple(logits.shape[:2])}: one label per token, {ignore_index} where nothing is scored"
        )
    scored = labels[labels != ignore_index]
    if scored.numel() and (scored.min() < 0 or scored.max() >= vocab_size):
        raise ValueError(
            f"masked_lm_loss: labels must be {ignore_index} (ignored) or a token id in [0, {vocab_size}); got "
            f"values {int(scored.min())}..{int(scored.max())}"
        )
    return F.cross_entropy(logits.reshape(-1, vocab_size), labels.reshape(-1), ignore_index=ignore_index)


def next_sentence_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the two-way NSP classifier. logits ``[batch, 2]``, labels ``[batch]``."""
    check_logits(logits, "next_sentence_loss(logits, labels)", "[batch, 2]", dims=2)
    if logits.shape[1] != 2:
        raise ValueError(f"next_sentence_loss: the logits must be [batch, 2] (is next / is random), got shape "
                         f"{tuple(logits.shape)}")
    _check_class_ids("next_sentence_label", labels)
    check_next_sentence_label(labels, logits.shape[0])
    return F.cross_entropy(logits.reshape(-1, 2), labels.reshape(-1))


def pretraining_loss(
    prediction_logits: torch.Tensor,
    seq_relationship_logits: torch.Tensor,
    labels: torch.Tensor,
    next_sentence_label: torch.Tensor,
) -> torch.Tensor:
    """BERT's pre-training loss: MLM mean + NSP mean, an unweighted sum (no 0.5, no tuning)."""
    call = "pretraining_loss(prediction_logits, seq_relationship_logits, labels, next_sentence_label)"
    check_logits(prediction_logits, call, "[batch, seq_len, vocab_size] first", dims=3)
    check_logits(seq_relationship_logits, call, "[batch, 2] second", dims=2)
    return masked_lm_loss(prediction_logits, labels) + next_sentence_loss(seq_relationship_logits, next_sentence_label)


def shift_labels_for_causal_lm(labels: torch.Tensor, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """The label for position t is the token at t + 1: drop the first label, append ``ignore_index``.

    This is how transformers' shared causal-LM loss shifts: it pads the labels (not the logits),
    so logits keep their full ``[batch, seq, vocab]`` shape and the last position, which has no
    next token, is simply ignored.
    """
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels must be a torch.Tensor, got {type(labels).__name__}; convert with torch.tensor(...)")
    padded = F.pad(labels, (0, 1), value=ignore_index)
    return padded[..., 1:].contiguous()


def causal_lm_loss(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Next-token cross-entropy: ``labels`` are the unshifted input ids (with -100 where ignored).

    The logits are upcast to float32 first, as transformers does, so a half-precision model does
    not lose precision in the log-softmax over a large vocabulary.
    """
    check_logits(logits, "causal_lm_loss(logits, labels)", "[batch, seq_len, vocab_size]", dims=3)
    return masked_lm_loss(logits.float(), shift_labels_for_causal_lm(labels, ignore_index), ignore_index)
