"""Weight tying: the MLM decoder and the input embedding are one matrix.

Press & Wolf (2017, "Using the Output Embedding to Improve Language Models", EACL) and Inan et al.
(2017, "Tying Word Vectors and Word Classifiers", ICLR) showed that a language model's input
embedding ``E`` ([vocab, hidden]) and its output layer ``W`` ([vocab, hidden]) can be the same
matrix: the score of word w is ``h . E[w] + b[w]``. The one matrix then learns from both roles
(its gradient is the sum of the two), and the parameter count drops by vocab x hidden as a
consequence (30522 x 768 = 23,440,896 at bert-base size).

"The same matrix" means the same ``torch.nn.Parameter`` object, not a copy: ``decoder.weight is
word_embeddings.weight``. An optimizer then sees (and updates) it once.

Helpers here: check and make the tie, count parameters with and without it, and resize the
vocabulary while keeping the tie and the decoder-bias link.

What changed across transformers versions (the Chinese text this course grew from was written for 4.4.2):

- 4.4.2 - 4.x: ``PreTrainedModel.tie_weights`` assigned ``output.weight = input.weight``, and the
  LM head set ``self.decoder.bias = self.bias`` in ``__init__`` (a link kept even when the
  weights were untied). ``_tied_weights_keys`` was a list of names.
- 5.x: ``_tied_weights_keys`` is a dict target -> source
  (``"cls.predictions.decoder.weight": "bert.embeddings.word_embeddings.weight"`` and
  ``"cls.predictions.decoder.bias": "cls.predictions.bias"``); the tying machinery makes both
  links, so with ``tie_word_embeddings=False`` the bias is untied too, the decoder uses its own
  bias and ``cls.predictions.bias`` gets no gradient.
"""

from __future__ import annotations

import functools

import torch
from torch import nn

from .._checks import check_integer

__all__ = [
    "bias_link_follows_weight_tie",
    "is_tied",
    "bias_is_linked",
    "tie_output_embeddings",
    "count_parameters",
    "tying_savings",
    "resize_token_embeddings",
    "resized_rows",
]


@functools.cache
def bias_link_follows_weight_tie() -> bool:
    """True when the installed transformers (5.x) unties the decoder bias along with the weight.

    The course mirrors the installed reference so that parity tests hold on 4.57 and on 5.x.
    Without transformers installed we follow the current (5.x) behaviour.
    """
    try:
        import transformers
    except ImportError:  # pragma: no cover - transformers is a course dependency
        return True
    return int(transformers.__version__.split(".")[0]) >= 5


def _lm_head(model):
    decoder = model.get_output_embeddings()
    if decoder is None:
        raise ValueError(f"{type(model).__name__} has no output embedding (no MLM head) to tie or resize")
    return model.cls.predictions, decoder


def is_tied(model) -> bool:
    """Is the decoder weight the very Parameter of the input embedding (``is``, not equal values)?"""
    _, decoder = _lm_head(model)
    return decoder.weight is model.get_input_embeddings().weight


def bias_is_linked(model) -> bool:
    """Is ``cls.predictions.decoder.bias`` the very Parameter ``cls.predictions.bias``?"""
    head, decoder = _lm_head(model)
    return decoder.bias is head.bias


def tie_output_embeddings(model) -> bool:
    """Re-apply the model's tying rule (``config.tie_word_embeddings``) and report whether it is tied."""
    model.tie_weights()
    return is_tied(model)


def count_parameters(model) -> dict[str, int]:
    """Parameter counts: ``distinct`` (each tensor once: what is stored and optimised, and what
    transformers' ``num_parameters()`` reports) and ``by_name`` (every name counted, so a tied
    matrix counts twice: what the model would hold if it were untied).

    ``saved_by_tying`` is their difference.
    """
    distinct = sum(p.numel() for p in model.parameters())
    by_name = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    return {"distinct": distinct, "by_name": by_name, "saved_by_tying": by_name - distinct}


def tying_savings(config) -> int:
    """vocab x hidden: the weights that tying the decoder to the embedding saves. A model stands for its config."""
    config = getattr(config, "config", config)
    return config.vocab_size * config.hidden_size


@torch.no_grad()
def resized_rows(old: torch.Tensor, new_rows: int, fill: str = "mean") -> torch.Tensor:
    """Copy the first rows of ``old``; initialise added rows (dim 0) to the mean of the old rows
    (``fill="mean"``) or to zero (``fill="zero"``).

    Why the mean (Hewitt, 2021, "Initializing New Word Embeddings for Pretrained Language
    Models"; transformers' ``mean_resizing``): a new row at the average embedding gives the new
    word an average score, so the model's predictions for the old words barely move. Random
    N(0, 0.02) rows can instead land far from the learned cloud and get extreme scores.
    """
    out = old.new_empty((new_rows,) + tuple(old.shape[1:]))
    keep = min(new_rows, old.shape[0])
    out[:keep] = old[:keep]
    if new_rows > keep:
        out[keep:] = old.float().mean(dim=0).to(old.dtype) if fill == "mean" else 0
    return out


@torch.no_grad()
def resize_token_embeddings(model, new_num_tokens: int):
    """Grow or shrink the vocabulary in place (the input embedding, the decoder, its bias) and
    keep the tie and the bias link. New embedding rows are the mean old row (transformers'
    ``mean_resizing``, without its 1e-9-scale noise); new bias entries are 0, BERT's bias
    initialisation and what transformers gives ``cls.predictions.bias``, so a new word's score
    starts as ``h . mean_embedding``: an average word's score. Updates ``config.vocab_size``.
    Returns the new input embedding.
    """
    check_integer("new_num_tokens", new_num_tokens, 1)
    old_embedding = model.get_input_embeddings()
    padding_idx = old_embedding.padding_idx
    if padding_idx is not None and padding_idx >= new_num_tokens:
        raise ValueError(
            f"cannot shrink the vocabulary to {new_num_tokens}: the padding token id {padding_idx} would be cut off"
        )
    new_embedding = nn.Embedding(new_num_tokens, old_embedding.embedding_dim, padding_idx=padding_idx).to(
        old_embedding.weight.device, old_embedding.weight.dtype
    )
    new_embedding.weight.copy_(resized_rows(old_embedding.weight, new_num_tokens))
    model.base_model.embeddings.word_embeddings = new_embedding
    model.config.vocab_size = new_num_tokens

    decoder = model.get_output_embeddings()
    if decoder is not None:
        head = model.cls.predictions
        tied = decoder.weight is old_embedding.weight
        if not tied:  # untied: the decoder keeps its own (resized) matrix
            decoder.weight = nn.Parameter(resized_rows(decoder.weight, new_num_tokens))
        own_bias = decoder.bias is not head.bias
        head.bias = nn.Parameter(resized_rows(head.bias, new_num_tokens, fill="zero"))
        if own_bias:
            decoder.bias = nn.Parameter(resized_rows(decoder.bias, new_num_tokens, fill="zero"))
        decoder.out_features = new_num_tokens
        model.tie_weights()  # re-make the weight tie (to the new embedding) and the bias link
    return new_embedding
