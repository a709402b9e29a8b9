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

from .._checks import check_tensor
from . import IGNORE_INDEX, check_class_labels, check_label_shape, check_logits  # defined once, in __init__.py

__all__ = [
    "masked_lm_loss",
    "next_sentence_loss",
    "pretraining_loss",
    "shift_labels_for_causal_lm",
    "causal_lm_loss",
    "check_mlm_labels",
    "check_next_sentence_label",
]


def check_mlm_labels(labels: torch.Tensor, input_shape: tuple, vocab_size: int) -> None:
    """Reject MLM / causal-LM labels that would give a wrong number or a cryptic error later.

    ``labels`` must have the shape of ``input_ids`` (one label per token) and hold either -100
    (ignored) or a token id in ``[0, vocab_size)``.
    """
    _check_token_ids(labels, input_shape, vocab_size, "MLM labels", "input_ids have shape")


def _check_token_ids(labels, shape: tuple, vocab_size: int, name: str, against: str,
                     ignore_index: int = IGNORE_INDEX) -> None:
    # the model checks against the input's shape, the loss against the logits'
    check_label_shape(labels, shape, name, against, f"give one label per token, {ignore_index} where no prediction is scored")
    check_class_labels(labels, vocab_size, name, what="token ids", classes="vocabulary entries", skip="a token",
                       ignore_index=ignore_index)


def check_next_sentence_label(next_sentence_label: torch.Tensor, batch_size: int) -> None:
    """NSP labels: one per sequence, each 0 (B follows A) or 1 (B is random), dtype torch.long."""
    check_tensor("next_sentence_label", next_sentence_label, required=True)
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
    check_class_labels(next_sentence_label, 2, "next_sentence_label")  # the dtype (the values are checked above)


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
    vocab_size = logits.shape[-1]
    _check_token_ids(labels, logits.shape[:2], vocab_size, "labels", f"the logits {tuple(logits.shape)} need", ignore_index)
    return F.cross_entropy(logits.reshape(-1, vocab_size), labels.reshape(-1), ignore_index=ignore_index)


def next_sentence_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the two-way NSP classifier. logits ``[batch, 2]``, labels ``[batch]``."""
    check_logits(logits, "next_sentence_loss(logits, labels)", "[batch, 2]", dims=2)
    if logits.shape[1] != 2:
        raise ValueError(f"next_sentence_loss: the logits must be [batch, 2] (is next / is random), got shape "
                         f"{tuple(logits.shape)}")
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
    check_tensor("labels", labels, required=True)
    padded = F.pad(labels, (0, 1), value=ignore_index)
    return padded[..., 1:].contiguous()


def causal_lm_loss(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = IGNORE_INDEX) -> torch.Tensor:
    """Next-token cross-entropy: ``labels`` are the unshifted input ids (with -100 where ignored).

    The logits are upcast to float32 first, as transformers does, so a half-precision model does
    not lose precision in the log-softmax over a large vocabulary.
    """
    check_logits(logits, "causal_lm_loss(logits, labels)", "[batch, seq_len, vocab_size]", dims=3)
    return masked_lm_loss(logits.float(), shift_labels_for_causal_lm(labels, ignore_index), ignore_index)
