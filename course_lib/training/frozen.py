"""Fine-tune only the top of the encoder: run the frozen lower layers once, then take many cheap steps.

A full fine-tuning step of the 6-layer MiniLM costs a forward *and* a backward pass through every layer.
When the lower layers are frozen (their weights never change), their output for a sentence never changes
either: compute it once for the whole data set, keep it, and let every training step start from there.
Each step then costs only the top layers and the head, and the notebooks can afford several seeds, baselines
and controls within their time budget.

    model = BertForSequenceClassification.from_pretrained(num_labels=2)
    train = cache_lower_layers(model, train_data, num_frozen=4)   # [N, T, H] states after layer 4, once
    test = cache_lower_layers(model, test_data, num_frozen=4)
    drop_lower_layers(model, num_frozen=4)                        # the model now starts at layer 5
    history = training.train(model, train, steps=300)             # trains layers 5-6 and the head
    logits = training.predict(model, test)

What changes against fine-tuning every layer: the frozen layers get no gradient (that is the point), and
their dropout is off (their output was computed once, in eval mode). ULMFiT (Howard & Ruder, 2018) and
Lee et al. ("What would Elsa do? Freezing layers during transformer fine-tuning", 2019) measure how much of
the full fine-tune's score the top layers alone recover; the notebooks measure it on their own task.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_integer
from ..models.backbone import make_additive_mask

__all__ = ["CachedLowerLayers", "cache_lower_layers", "cache_lower_layers_by_length", "drop_lower_layers"]

# Consumed by the embeddings, so already inside the cached states: not passed again.
_EMBEDDING_INPUTS = ("input_ids", "token_type_ids", "position_ids")


def _encoder_of(model: nn.Module):
    base = getattr(model, "base_model", model)
    if not hasattr(base, "embeddings") or not hasattr(base, "encoder"):
        raise TypeError(f"{type(model).__name__} has no BERT encoder (expected .bert or a BertModel)")
    return base


def _check_num_frozen(model: nn.Module, num_frozen) -> int:
    layers = len(_encoder_of(model).encoder.layer)
    return check_integer("num_frozen", num_frozen, 0, layers, why=f"the model has {layers} encoder layers")


class CachedLowerLayers(nn.Module):
    """Stands in for ``BertEmbeddings`` once the lower layers are cut off: the model's input
    (``inputs_embeds``) is already the hidden state that the last frozen layer produced, so it passes
    through unchanged. It keeps the word-embedding table (frozen) so that the model still knows its dtype
    and vocabulary size."""

    def __init__(self, embeddings: nn.Module, num_frozen: int):
        super().__init__()
        self.word_embeddings = embeddings.word_embeddings
        self.word_embeddings.requires_grad_(False)
        self.num_frozen = num_frozen

    def forward(self, input_ids=None, token_type_ids=None, position_ids=None, inputs_embeds=None):
        if inputs_embeds is None:
            raise ValueError(
                f"this model's lower {self.num_frozen} layers were dropped (drop_lower_layers): give it the cached "
                "states as inputs_embeds (what cache_lower_layers returns), not input_ids"
            )
        return inputs_embeds

    def extra_repr(self) -> str:
        return f"input = hidden states after layer {self.num_frozen}, computed once by cache_lower_layers"


@torch.no_grad()
def cache_lower_layers(model: nn.Module, data: dict, num_frozen: int, batch_size: int = 128) -> dict:
    """``data`` with its token ids replaced by ``inputs_embeds``: the hidden states after the first
    ``num_frozen`` encoder layers (embeddings included), computed once in eval mode (dropout off).

    ``data`` is a dict of equally long tensors (``input_ids`` ``[N, T]``, or ``[N, C, T]`` for multiple
    choice, ``attention_mask``, labels, ...). The result keeps every other entry as it is (``attention_mask``,
    ``labels``, ``start_positions``, ...) and drops ``token_type_ids`` and ``position_ids``: the embeddings
    already added them. Call it **before** :func:`drop_lower_layers`, on the full model."""
    num_frozen = _check_num_frozen(model, num_frozen)
    if not isinstance(data, dict) or "input_ids" not in data:
        raise ValueError("cache_lower_layers needs a dict of tensors with input_ids (what task_data...encode returns)")
    encoder = _encoder_of(model)
    if isinstance(encoder.embeddings, CachedLowerLayers):
        raise ValueError("the model's lower layers are already dropped: cache the data with the full model first")
    input_ids = data["input_ids"]
    shape = tuple(input_ids.shape)
    flat = {k: data[k].reshape(-1, shape[-1]) for k in ("input_ids", "attention_mask", "token_type_ids",
                                                        "position_ids") if k in data}
    was_training = encoder.training
    encoder.eval()
    try:
        parts = []
        for start in range(0, flat["input_ids"].shape[0], batch_size):
            batch = {k: v[start : start + batch_size] for k, v in flat.items()}
            hidden = encoder.embeddings(batch["input_ids"], batch.get("token_type_ids"), batch.get("position_ids"))
            additive = make_additive_mask(batch.get("attention_mask"), *hidden.shape[:2], dtype=hidden.dtype,
                                          device=hidden.device, causal=bool(getattr(encoder.config, "is_decoder", False)))
            for layer in encoder.encoder.layer[:num_frozen]:
                hidden = layer(hidden, additive)[0]
            parts.append(hidden)
    finally:
        encoder.train(was_training)
    states = torch.cat(parts).reshape(*shape, -1)
    cached = {k: v for k, v in data.items() if k not in _EMBEDDING_INPUTS}
    cached["inputs_embeds"] = states
    return cached


def drop_lower_layers(model: nn.Module, num_frozen: int) -> nn.Module:
    """Cut the embeddings and the first ``num_frozen`` encoder layers off ``model`` (in place) and freeze
    what is cut; the model then reads the states :func:`cache_lower_layers` computed (``inputs_embeds``).
    The remaining layers, the pooler and the head train as before. Returns the model."""
    num_frozen = _check_num_frozen(model, num_frozen)
    encoder = _encoder_of(model)
    if isinstance(encoder.embeddings, CachedLowerLayers):
        raise ValueError("drop_lower_layers was already applied to this model")
    for module in [encoder.embeddings, *encoder.encoder.layer[:num_frozen]]:
        module.requires_grad_(False)
    encoder.embeddings = CachedLowerLayers(encoder.embeddings, num_frozen)
    encoder.encoder.layer = nn.ModuleList(list(encoder.encoder.layer)[num_frozen:])
    return model


def cache_lower_layers_by_length(model: nn.Module, data: dict, num_frozen: int, batch_size: int = 128) -> dict:
    """:func:`cache_lower_layers` for right-padded sentences ``[N, T]``, computed on length-sorted batches,
    each cut to its longest sentence: the frozen layers then compute on real tokens instead of padding
    (with movie-review sentences of about 27 tokens padded to 64, more than half of the work).

    Returns the same dict, in the same order, with ``inputs_embeds`` ``[N, T, H]``; the positions past a
    sentence's end hold zeros (the attention mask hides them from every later layer, and
    :func:`course_lib.training.data.trim_padding` cuts them off a batch). The states of the real tokens are those
    of :func:`cache_lower_layers` up to float rounding."""
    from .data import padded_batches

    num_frozen = _check_num_frozen(model, num_frozen)
    if not isinstance(data, dict) or "input_ids" not in data or "attention_mask" not in data:
        raise ValueError("cache_lower_layers_by_length needs a dict of tensors with input_ids and attention_mask "
                         "(what task_data...encode returns)")
    if data["input_ids"].dim() != 2:
        raise ValueError(f"cache_lower_layers_by_length takes sentences [N, T], got input_ids of shape "
                         f"{tuple(data['input_ids'].shape)}; use cache_lower_layers for multiple choice")
    if isinstance(_encoder_of(model).embeddings, CachedLowerLayers):
        raise ValueError("the model's lower layers are already dropped: cache the data with the full model first")
    n, length = data["input_ids"].shape
    inputs = {k: data[k] for k in ("input_ids", "attention_mask", "token_type_ids", "position_ids") if k in data}
    states = None
    for batch in padded_batches(inputs, batch_size):
        index = batch.pop("index")
        part = cache_lower_layers(model, batch, num_frozen, batch_size=batch_size)["inputs_embeds"]
        if states is None:
            states = part.new_zeros(n, length, part.shape[-1])
        states[index, : part.shape[1]] = part * batch["attention_mask"].unsqueeze(-1).to(part.dtype)
    cached = {k: v for k, v in data.items() if k not in _EMBEDDING_INPUTS}
    cached["inputs_embeds"] = states
    return cached
