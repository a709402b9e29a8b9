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

IGNORE_INDEX = -100  # same value as course_lib.losses.IGNORE_INDEX (defined there before this import)

__all__ = [
    "token_classification_loss",
    "token_classification_loss_with_attention_mask",
    "clamp_span_positions",
    "span_position_loss",
    "question_answering_loss",
]


def _check_token_labels(logits: torch.Tensor, labels: torch.Tensor) -> None:
    if tuple(labels.shape) != tuple(logits.shape[:-1]):
        raise ValueError(
            f"token labels have shape {tuple(labels.shape)} but the logits cover {tuple(logits.shape[:-1])} "
            "tokens: give one label per token, [batch, seq_len] like input_ids (use -100 for sub-word "
            "pieces, special tokens and padding)"
        )
    if labels.is_floating_point():
        raise ValueError(f"token labels must be integer class ids, got dtype {labels.dtype}")
    num_labels = logits.shape[-1]
    real = labels[labels != IGNORE_INDEX]
    if real.numel() and (real.min() < 0 or real.max() >= num_labels):
        raise ValueError(
            f"token labels must be class ids in [0, {num_labels}) or -100 (ignored), got values "
            f"{int(real.min())}..{int(real.max())}"
        )


def token_classification_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every token whose label is not -100.

    logits: ``[batch, seq_len, num_labels]``; labels: ``[batch, seq_len]``.
    The mean is over the *counted* tokens only (``reduction="mean"`` with ``ignore_index`` divides
    by the number of non-ignored labels), so adding padding does not dilute the loss.
    """
    _check_token_labels(logits, labels)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=IGNORE_INDEX)


def token_classification_loss_with_attention_mask(
    logits: torch.Tensor, labels: torch.Tensor, attention_mask: torch.Tensor | None
) -> torch.Tensor:
    """The transformers 4.4.2 version: labels at padded positions (``attention_mask == 0``) are
    replaced by the ignore index before the cross-entropy, whatever they were.

    Kept for the notebook's "what changed" comparison. When padding already carries -100 (as it
    must now) the two losses are identical; they differ only when padding carries a real label.
    """
    _check_token_labels(logits, labels)
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
    seq_len = logits.shape[1]
    clamped = clamp_span_positions(positions, seq_len)
    return F.cross_entropy(logits, clamped, ignore_index=seq_len)


def _squeeze_positions(name: str, positions: torch.Tensor) -> torch.Tensor:
    # transformers accepts [batch, 1] (what some data loaders produce) and squeezes it.
    if positions.dim() > 1:
        positions = positions.squeeze(-1)
    if positions.dim() != 1:
        raise ValueError(f"{name} must be [batch] (one token index per example), got shape {tuple(positions.shape)}")
    if positions.is_floating_point():
        raise ValueError(f"{name} must hold integer token indices, got dtype {positions.dtype}")
    return positions


def question_answering_loss(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    start_positions: torch.Tensor,
    end_positions: torch.Tensor,
) -> torch.Tensor:
    """``(start_loss + end_loss) / 2``, each a cross-entropy over the token positions with
    out-of-range positions clamped to the ignored index (see :func:`span_position_loss`)."""
    if tuple(start_positions.shape) != tuple(end_positions.shape):
        raise ValueError(
            f"start_positions has shape {tuple(start_positions.shape)} but end_positions has shape "
            f"{tuple(end_positions.shape)}: every example needs exactly one start and one end"
        )
    start_positions = _squeeze_positions("start_positions", start_positions)
    end_positions = _squeeze_positions("end_positions", end_positions)
    if start_positions.shape[0] != start_logits.shape[0]:
        raise ValueError(
            f"start_positions/end_positions have {start_positions.shape[0]} entries but the batch has "
            f"{start_logits.shape[0]} examples"
        )
    start_loss = span_position_loss(start_logits, start_positions)
    end_loss = span_position_loss(end_logits, end_positions)
    return (start_loss + end_loss) / 2
