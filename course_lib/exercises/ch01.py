"""Checkers for the exercises of notebook 01 (the BERT backbone).

    Exercise 1.1  my_additive_mask(attention_mask, dtype=torch.float32)  -> [B, 1, 1, T] additive mask
    Exercise 1.2  my_attention(q, k, v, additive_mask)                     -> context [B, T, d] of one head
    Exercise 1.3  my_pooler(last_hidden_state, dense)                      -> pooler_output [B, H]
    Exercise 1.4  my_count_parameters(config)                              -> BertModel's parameter count

Each checker runs the learner's function on fixed, seeded inputs that are not the notebook's and
compares it with the reference here; known mistakes get a specific hint.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from . import Case, Check, Diagnosis, Verdict, checker, run_check
from .inputs import case_generator, case_seed

__all__ = ["check_additive_mask", "check_attention", "check_pooler", "check_count_parameters"]


# --------------------------------------------------------------------------------------------
# Exercise 1.1: the additive attention mask
# --------------------------------------------------------------------------------------------


def _additive_mask(attention_mask, dtype=torch.float32):
    keep = attention_mask.bool()[:, None, None, :]
    return torch.where(keep, torch.zeros((), dtype=dtype), torch.tensor(torch.finfo(dtype).min, dtype=dtype))


def _additive_mask_cases() -> list[Case]:
    t = torch.tensor
    return [
        Case((t([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]]),), label="2 sequences of 5 tokens, the second padded"),
        Case((t([[1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0], [1, 1, 0, 0, 0, 0, 0]]),),
             label="3 sequences of 7 tokens"),
        Case((t([[1, 1, 1, 0], [1, 1, 1, 1]]),), dict(dtype=torch.float16), label="dtype=torch.float16"),
        Case((torch.ones(2, 3, dtype=torch.long),), label="no padding at all"),
    ]


@checker("1.1", "my_additive_mask")
def check_additive_mask(fn, name: str) -> Verdict:
    """Exercise 1.1: ``fn(attention_mask, dtype=torch.float32)`` turns a ``[B, T]`` keep-mask (1 = token,
    0 = padding) into a ``[B, 1, 1, T]`` additive mask: 0 where a key may be attended,
    ``torch.finfo(dtype).min`` where it may not."""

    def keep(m):
        return m.bool()[:, None, None, :]

    def filled(m, value, dtype=torch.float32):
        return torch.where(keep(m), torch.zeros((), dtype=torch.float64), torch.tensor(value, dtype=torch.float64))

    diagnoses = [
        Diagnosis(lambda m, dtype=torch.float32: torch.where(keep(m), torch.finfo(dtype).min, 0.0),
                  "your mask is inverted: it blocks the real tokens and lets the padding through. The mask must be 0 "
                  "where `attention_mask` is 1 and very negative where it is 0: `(1 - attention_mask) * min`."),
        Diagnosis(lambda m, dtype=torch.float32: filled(m, -10000.0),
                  "-10000 is what transformers 4.x used. It is not really minus infinity: a score can be "
                  "larger than 10000 in magnitude. Use the most negative number of the dtype, "
                  "`torch.finfo(dtype).min`, as current transformers and the notebook do."),
        Diagnosis(lambda m, dtype=torch.float32: filled(m, float("-inf")),
                  "-inf works for a row with at least one real key, but a row whose keys are all masked gets "
                  "softmax(-inf, ..., -inf) = NaN. Use `torch.finfo(dtype).min`: large enough to give exp(.) = 0, "
                  "finite enough to never give NaN."),
        Diagnosis(lambda m, dtype=torch.float32: filled(m, torch.finfo(torch.float32).min),
                  "use the minimum of the `dtype` you are given, `torch.finfo(dtype).min` (-65504 for float16): "
                  "float32's minimum does not even exist in float16, where it overflows to -inf."),
    ]
    return run_check(fn, Check("1.1", _additive_mask_cases(), _additive_mask, name=name,
                               what="additive mask", diagnoses=diagnoses))


# --------------------------------------------------------------------------------------------
# Exercise 1.2: scaled dot-product attention for one head
# --------------------------------------------------------------------------------------------


def _attention(q, k, v, additive_mask):
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    return (scores + additive_mask).softmax(dim=-1) @ v


def _attention_cases() -> list[Case]:
    g = case_generator(11)
    cases = []
    for batch, seq_len, d, lengths, label in [
        (2, 5, 8, [5, 3], "B=2, T=5, d=8, second sequence padded after 3 tokens"),
        (3, 6, 16, [6, 4, 2], "B=3, T=6, d=16"),
        (1, 4, 4, [4], "B=1, T=4, d=4, no padding"),
    ]:
        q, k, v = (torch.randn(batch, seq_len, d, generator=g) for _ in range(3))
        keep = (torch.arange(seq_len)[None, :] < torch.tensor(lengths)[:, None]).long()
        mask = _additive_mask(keep)[:, 0]  # [B, 1, T]: one row per sequence, broadcast over the queries
        cases.append(Case((q, k, v, mask), label=label))
    return cases


@checker("1.2", "my_attention")
def check_attention(fn, name: str) -> Verdict:
    """Exercise 1.2: ``fn(q, k, v, additive_mask)`` with q, k, v ``[B, T, d]`` and an additive mask
    ``[B, 1, T]`` returns ``softmax(q k^T / sqrt(d) + mask) v``, shape ``[B, T, d]``."""

    def scores(q, k):
        return q @ k.transpose(-1, -2)

    diagnoses = [
        Diagnosis(lambda q, k, v, m: (scores(q, k) + m).softmax(-1) @ v,
                  "you forgot the scaling: divide the scores by sqrt(d) before the softmax, where d = q.shape[-1]. "
                  "Without it the scores grow with d and the softmax saturates."),
        Diagnosis(lambda q, k, v, m: (scores(q, k) / q.shape[-1] + m).softmax(-1) @ v,
                  "divide the scores by the *square root* of d, not by d."),
        Diagnosis(lambda q, k, v, m: (scores(q, k) / math.sqrt(q.shape[-1]) + m).softmax(-2) @ v,
                  "the softmax runs over the wrong axis. Each query's weights over the keys must sum to 1: "
                  "`softmax(dim=-1)` on scores of shape [B, T_query, T_key]."),
        Diagnosis(lambda q, k, v, m: (scores(q, k) / math.sqrt(q.shape[-1])).softmax(-1) @ v,
                  "the padding mask has no effect: add `additive_mask` to the scores before the softmax."),
        Diagnosis(lambda q, k, v, m: ((scores(q, k) / math.sqrt(q.shape[-1])).softmax(-1) + m) @ v,
                  "add the mask to the scores *before* the softmax: afterwards it no longer turns into zero weights."),
        Diagnosis(lambda q, k, v, m: (scores(q, k) / math.sqrt(q.shape[-1]) * m).softmax(-1) @ v,
                  "the mask is *added* to the scores, not multiplied: exp(score + min) = 0 removes a padded key, while score * 0 = 0 and exp(0) = 1 keeps it."),
    ]
    return run_check(fn, Check("1.2", _attention_cases(), _attention, name=name,
                               what="attention output", diagnoses=diagnoses))


# --------------------------------------------------------------------------------------------
# Exercise 1.3: the pooler
# --------------------------------------------------------------------------------------------


def _pooler(last_hidden_state, dense):
    return torch.tanh(dense(last_hidden_state[:, 0]))


def _pooler_cases() -> list[Case]:
    cases = []
    torch_state = torch.random.get_rng_state()
    try:
        for seed, (batch, seq_len, hidden) in enumerate([(2, 6, 16), (3, 4, 8), (1, 9, 32)]):
            torch.manual_seed(case_seed(100 + seed))  # nn.Linear draws its initial weights from the global generator
            dense = nn.Linear(hidden, hidden)
            hidden_states = 2 * torch.randn(batch, seq_len, hidden)
            cases.append(Case((hidden_states, dense), label=f"B={batch}, T={seq_len}, H={hidden}"))
    finally:
        torch.random.set_rng_state(torch_state)  # the learner's notebook keeps its own random stream
    return cases


@checker("1.3", "my_pooler")
def check_pooler(fn, name: str) -> Verdict:
    """Exercise 1.3: ``fn(last_hidden_state, dense)`` returns ``tanh(dense(last_hidden_state[:, 0]))``."""
    diagnoses = [
        Diagnosis(lambda h, dense: dense(h[:, 0]),
                  "you forgot the tanh: BERT's pooler is dense followed by tanh, so pooler_output lies in (-1, 1)."),
        Diagnosis(lambda h, dense: dense(torch.tanh(h[:, 0])),
                  "the order is dense first, then tanh: `tanh(dense(x))`."),
        Diagnosis(lambda h, dense: torch.tanh(dense(h.mean(dim=1))),
                  "BERT's pooler reads only the first token, [CLS] (`last_hidden_state[:, 0]`), not the mean over "
                  "the tokens."),
        Diagnosis(lambda h, dense: torch.tanh(dense(h[:, -1])),
                  "the pooler reads the *first* token, [CLS], at position 0 (`last_hidden_state[:, 0]`), not the "
                  "last."),
        Diagnosis(lambda h, dense: torch.tanh(dense(h[0])),
                  "`last_hidden_state[0]` is the first *sequence*; the first *token* of every sequence is "
                  "`last_hidden_state[:, 0]`."),
    ]
    return run_check(fn, Check("1.3", _pooler_cases(), _pooler, name=name,
                               what="pooler output", diagnoses=diagnoses))


# --------------------------------------------------------------------------------------------
# Exercise 1.4: how many parameters?
# --------------------------------------------------------------------------------------------


def _count_parts(config) -> dict[str, int]:
    """BertModel's parameters, by part, from the config's numbers alone."""
    H, I, L = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    layer_norm = 2 * H  # a gain and a bias per feature
    return {
        "word": config.vocab_size * H,
        "position": config.max_position_embeddings * H,
        "token_type": config.type_vocab_size * H,
        "embeddings_norm": layer_norm,
        "attention_weights": L * 4 * H * H,  # query, key, value, output dense
        "attention_biases": L * 4 * H,
        "ffn_weights": L * 2 * H * I,  # H -> I and I -> H
        "ffn_biases": L * (I + H),
        "layer_norms": L * 2 * layer_norm,  # after attention, after the feed-forward block
        "pooler": H * H + H,
    }


def _count_parameters(config) -> int:
    return sum(_count_parts(config).values())


def _count_parameters_cases() -> list[Case]:
    from transformers import BertConfig

    return [
        Case((BertConfig(vocab_size=100, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=32, max_position_embeddings=16),), label="notebook 01's tiny config"),
        Case((BertConfig(vocab_size=99, hidden_size=24, num_hidden_layers=3, num_attention_heads=4,
                         intermediate_size=40, max_position_embeddings=20, type_vocab_size=3),),
             label="a small config with intermediate_size != 4 x hidden"),
        Case((BertConfig(),), label="BertConfig() (bert-base)"),
        Case((BertConfig(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                         intermediate_size=1536),), label="the all-MiniLM-L6-v2 config"),
    ]


@checker("1.4", "my_count_parameters")
def check_count_parameters(fn, name: str) -> Verdict:
    """Exercise 1.4: ``fn(config)`` returns the number of parameters of ``BertModel(config)``, computed from
    the config alone."""

    def without(*parts):
        return lambda config: sum(v for k, v in _count_parts(config).items() if k not in parts)

    def no_biases(config):
        parts = _count_parts(config)
        return _count_parameters(config) - parts["attention_biases"] - parts["ffn_biases"] - config.hidden_size

    def changed(config, **changes):
        return _count_parameters(config.__class__(**{**config.to_dict(), **changes}))

    diagnoses = [
        Diagnosis(without("pooler"),
                  "you left out the pooler: one dense layer H x H plus its bias (`pooler.dense`)."),
        Diagnosis(without("position", "token_type"),
                  "the embeddings are three tables: word [vocab, H], position [max_position_embeddings, H] "
                  "and token type [type_vocab_size, H]."),
        Diagnosis(without("embeddings_norm", "layer_norms"),
                  "every LayerNorm has 2 x H parameters (a gain and a bias): one after the embeddings and two in "
                  "each layer."),
        Diagnosis(without("layer_norms"),
                  "each encoder layer has *two* LayerNorms (after attention and after the feed-forward block), "
                  "2 x H parameters each."),
        Diagnosis(without("embeddings_norm"),
                  "the embeddings have a LayerNorm of their own too (2 x H parameters)."),
        Diagnosis(no_biases,
                  "every `nn.Linear` in BERT has a bias: query, key, value and output dense (H each), the two "
                  "feed-forward layers (I and H) and the pooler (H)."),
        Diagnosis(lambda c: changed(c, intermediate_size=4 * c.hidden_size),
                  "use `config.intermediate_size` for the feed-forward width: 4 x hidden is bert-base's choice, "
                  "not a rule."),
        Diagnosis(lambda c: _count_parameters(c) + (c.num_attention_heads - 1) * c.num_hidden_layers * 3 * (
                      c.hidden_size * c.hidden_size + c.hidden_size),
                  "heads do not add parameters: query, key and value are each one H x H matrix, and the heads are "
                  "slices of size H / num_attention_heads of its output."),
        Diagnosis(lambda c: changed(c, num_hidden_layers=1),
                  "multiply the per-layer count by `config.num_hidden_layers`: every layer has its own weights."),
    ]
    return run_check(fn, Check("1.4", _count_parameters_cases(), _count_parameters, name=name,
                               what="parameter count", diagnoses=diagnoses, atol=0, rtol=0))
