"""Helpers for parity tests: small configs, reference models, weight copying, inputs.

Pattern (after rasbt/LLMs-from-scratch): a tiny random config, build the transformers class and
ours, copy the reference weights into ours *by name* with strict=True, eval(), same inputs,
compare with torch.testing.assert_close.
"""

from __future__ import annotations

import torch
import transformers
from transformers import BertConfig

TRANSFORMERS_MAJOR = int(transformers.__version__.split(".")[0])
ATTN_IMPLEMENTATIONS = ("eager", "sdpa")

# Several small shapes: different widths, depths, head counts, activations, vocabularies.
TINY_CONFIGS = {
    "tiny-gelu": dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=37, max_position_embeddings=64, hidden_act="gelu"),
    "narrow-relu": dict(vocab_size=120, hidden_size=24, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=48, max_position_embeddings=40, hidden_act="relu", type_vocab_size=3),
    "deep-gelu_new": dict(vocab_size=77, hidden_size=48, num_hidden_layers=3, num_attention_heads=6,
                          intermediate_size=64, max_position_embeddings=32, hidden_act="gelu_new",
                          layer_norm_eps=1e-7),
    "one-head-silu": dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=1,
                          intermediate_size=20, max_position_embeddings=24, hidden_act="silu"),
}


def tiny_config(name: str = "tiny-gelu", **overrides) -> BertConfig:
    return BertConfig(**{**TINY_CONFIGS[name], **overrides})


def reference_model(cls_name: str, config: BertConfig, attn_implementation: str = "eager", **kwargs):
    """Build ``transformers.<cls_name>`` with a chosen attention implementation, in eval mode.
    Works on transformers 4.57 and 5.x."""
    cls = getattr(transformers, cls_name)
    model = cls._from_config(config, attn_implementation=attn_implementation, **kwargs)
    return model.eval()


def ours_from(theirs, ours_cls, config=None, **kwargs):
    """Build our class and copy the reference weights into it, strictly, by name."""
    ours = ours_cls(config if config is not None else theirs.config, **kwargs)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours.eval()


def random_batch(config: BertConfig, batch: int = 3, seq_len: int = 10, seed: int = 0, padded: bool = True):
    """input_ids, attention_mask (with right padding of varied length) and token_type_ids."""
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(1, config.vocab_size, (batch, seq_len), generator=g)
    attention_mask = torch.ones(batch, seq_len, dtype=torch.long)
    if padded:
        for row in range(1, batch):
            keep = max(2, seq_len - 3 * row)
            attention_mask[row, keep:] = 0
            input_ids[row, keep:] = config.pad_token_id
    token_type_ids = torch.zeros(batch, seq_len, dtype=torch.long)
    token_type_ids[:, seq_len // 2 :] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


def assert_grads_close(ours, theirs, atol=1e-5, rtol=1e-4):
    """Every parameter's gradient matches the parameter of the same name."""
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        q = theirs_params[name]
        assert (p.grad is None) == (q.grad is None), f"{name}: gradient present in only one model"
        if p.grad is not None:
            torch.testing.assert_close(p.grad, q.grad, atol=atol, rtol=rtol, msg=lambda m: f"{name}: {m}")
