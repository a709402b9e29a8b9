"""Token-classification loss (ignore index -100) and the question-answering span loss.

Token classification (NER, part-of-speech tagging) puts one cross-entropy term on every token
whose label is a real class. Sub-word pieces after the first, the special tokens [CLS]/[SEP] and
padding carry the label -100 and add nothing. Current transformers relies on that -100 alone;
transformers 4.4.2 also masked the loss with ``attention_mask``
(:func:`token_classification_loss_with_attention_mask` reproduces it for comparison).

Question answering (SQuAD, Rajpurkar et al., 2016, arXiv:1606.05250) predicts a start token and
an end token. Each is a classification over the ``seq_len`` positions of the input, so the loss is
two cross-entropies averaged: ``(start_loss + end_loss) / 2``. A position outside the input (the
answer was cut off by truncation) is clamped to ``ignored_index = seq_len``, a class that does not
exist, and the cross-entropy is told to ignore exactly that index. Negative positions are clamped
to 0, the [CLS] token, which SQuAD v2 models use to mean "no answer".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .._checks import check_tensor
from . import IGNORE_INDEX, check_class_labels, check_label_shape  # defined once, in course_lib/losses/__init__.py

__all__ = [
    "check_token_labels",
    "check_span_positions",
    "token_classification_loss",
    "token_classification_loss_with_attention_mask",
    "clamp_span_positions",
    "span_position_loss",
    "question_answering_loss",
]


def check_token_labels(labels, shape: tuple, num_labels: int, against: str = "the logits cover") -> None:
    """The one check of token-classification labels (the model runs it before the encoder, the loss
    on every call): a long tensor of ``shape`` (one label per token), each a class id in
    ``[0, num_labels)`` or -100. ``against`` names what ``shape`` is, for the message."""
    name = "token labels"
    check_label_shape(labels, shape, name, against, "give one label per token, [batch, seq_len] like input_ids "
                      "(use -100 for sub-word pieces, special tokens and padding)")
    check_class_labels(labels, num_labels, name, skip="a token")


def token_classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every token whose label is not -100.

    logits: ``[batch, seq_len, num_labels]``; labels: ``[batch, seq_len]``.
    The mean is over the *counted* tokens only (``reduction="mean"`` with ``ignore_index`` divides
    by the number of non-ignored labels), so adding padding does not dilute the loss.
    """
    check_token_labels(labels, tuple(logits.shape[:-1]), logits.shape[-1])
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX)


def token_classification_loss_with_attention_mask(
    logits: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor | None
) -> torch.Tensor:
    """The transformers 4.4.2 version: labels at padded positions (``attention_mask == 0``) are
    replaced by the ignore index before the cross-entropy, whatever they were.

    Kept for the notebook's "what changed" comparison. When padding already carries -100 (as it
    must now) the two losses are identical; they differ only when padding carries a real label.
    """
    check_token_labels(labels, tuple(logits.shape[:-1]), logits.shape[-1])
    if attention_mask is None:
        return token_classification_loss(logits, labels)
    active = attention_mask.reshape(-1) == 1
    active_labels = torch.where(active, labels.reshape(-1), torch.full_like(labels.reshape(-1), IGNORE_INDEX))
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), active_labels, ignore_index=IGNORE_INDEX)


def clamp_span_positions(positions: torch.Tensor, seq_len: int) -> torch.Tensor:
    """Clamp answer positions into ``[0, seq_len]``.

    ``seq_len`` itself is not a token (tokens are 0..seq_len-1): it is the *ignored index*, so an
    answer that lies beyond the truncated input contributes no loss instead of crashing the
    cross-entropy. Negative positions become 0, the [CLS] token ("no answer" in SQuAD v2).
    """
    return positions.clamp(0, seq_len)


def span_position_loss(logits: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of one boundary (start or end): ``logits [batch, seq_len]`` scored against
    ``positions [batch]``, after clamping, ignoring the clamped-out ``seq_len`` index.

    If every position in the batch is out of range, nothing is counted and the mean is 0/0 = NaN,
    exactly as in transformers: drop such batches or map those answers to [CLS] (0) instead.
    """
    positions = _squeeze_positions("positions", positions)
    seq_len = logits.shape[1]
    clamped = clamp_span_positions(positions, seq_len)
    return F.cross_entropy(logits, clamped, ignore_index=seq_len)


def _squeeze_positions(name: str, positions) -> torch.Tensor:
    # No range check: a position outside the input is clamped to the ignored index (clamp_span_positions).
    check_class_labels(positions, None, name, what="token indices")
    # transformers accepts [batch, 1] (what some data loaders produce) and squeezes it.
    if positions.dim() > 1:
        positions = positions.squeeze(-1)
    if positions.dim() != 1:
        raise ValueError(f"{name} must be [batch] (one token index per example), got shape {tuple(positions.shape)}")
    return positions


def check_span_positions(start_positions, end_positions, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The one check of QA targets (the model runs it before the encoder, the loss on every call):
    both given, of one shape, one integer index per example. Returns them squeezed to ``[batch]``."""
    if (start_positions is None) != (end_positions is None):
        # transformers silently returns no loss here; a training loop would then crash later
        # on loss.backward() with a less helpful message.
        raise ValueError("give both start_positions and end_positions to compute the loss, or neither")
    check_tensor("start_positions", start_positions, required=True)
    check_tensor("end_positions", end_positions, required=True)
    if tuple(start_positions.shape) != tuple(end_positions.shape):
        raise ValueError(
            f"start_positions has shape {tuple(start_positions.shape)} but end_positions has shape "
            f"{tuple(end_positions.shape)}: every example needs exactly one start and one end"
        )
    start_positions = _squeeze_positions("start_positions", start_positions)
    end_positions = _squeeze_positions("end_positions", end_positions)
    if start_positions.shape[0] != batch_size:
        raise ValueError(
            f"start_positions/end_positions have {start_positions.shape[0]} entries but the batch has "
            f"{batch_size} examples"
        )
    return start_positions, end_positions


def question_answering_loss(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    start_positions: torch.Tensor,
    end_positions: torch.Tensor,
) -> torch.Tensor:
    """``(start_loss + end_loss) / 2``, each a cross-entropy over the token positions with
    out-of-range positions clamped to the ignored index (see :func:`span_position_loss`)."""
    start_positions, end_positions = check_span_positions(start_positions, end_positions, start_logits.shape[0])
    start_loss = span_position_loss(start_logits, start_positions)
    end_loss = span_position_loss(end_logits, end_positions)
    return (start_loss + end_loss) / 2
