"""Notebook 01_bert_backbone: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q1_1
# points: 2
import torch

from course_lib.exercises.ch01 import check_additive_mask


def my_additive_mask(attention_mask, dtype=torch.float32):
    """[B, T] keep-mask (1 = token, 0 = padding) -> [B, 1, 1, T]: 0 where attended, finfo(dtype).min where not."""
    blocked = attention_mask[:, None, None, :] == 0        # [B, 1, 1, T]: True at the padded keys
    # The most negative *finite* number of the dtype: exp(score + min) is exactly 0 after the softmax, and a row
    # whose keys are all padding still gets a finite softmax (with -inf it would be NaN). It depends on the
    # dtype: -3.4e38 in float32, -65504 in float16.
    mask = torch.zeros(blocked.shape, dtype=dtype, device=attention_mask.device)
    return mask.masked_fill(blocked, torch.finfo(dtype).min)


check_additive_mask(my_additive_mask)
# END QUESTION


# BEGIN QUESTION
# name: q1_2
# points: 4
import math

from course_lib.exercises.ch01 import check_attention


def my_attention(q, k, v, additive_mask):
    """softmax(q k^T / sqrt(d) + mask) v for one head. q, k, v: [B, T, d]; additive_mask: [B, 1, T]."""
    d = q.shape[-1]
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)      # [B, T_query, T_key]; 1/sqrt(d) keeps their variance near 1
    weights = (scores + additive_mask).softmax(dim=-1)   # the mask goes in *before* the softmax; rows sum to 1
    return weights @ v                                   # [B, T, d]: each query's weighted sum of the values


check_attention(my_attention)
# END QUESTION


# BEGIN QUESTION
# name: q1_3
# points: 2
import torch

from course_lib.exercises.ch01 import check_pooler


def my_pooler(last_hidden_state, dense):
    """pooler_output [B, H] from last_hidden_state [B, T, H] and the pooler's nn.Linear(H, H)."""
    cls_vectors = last_hidden_state[:, 0]      # [B, H]: the first token, [CLS], of every sequence
    return torch.tanh(dense(cls_vectors))      # dense, then tanh: every value in (-1, 1)


check_pooler(my_pooler)
# END QUESTION


# BEGIN QUESTION
# name: q1_4
# points: 2
from transformers import BertConfig

from course_lib.exercises.ch01 import check_count_parameters


def my_count_parameters(config):
    """The number of parameters of BertModel(config), from the config's numbers alone."""
    H, I, L = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    layer_norm = 2 * H                                  # a gain and a bias per feature
    embeddings = (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * H + layer_norm
    attention = 4 * (H * H + H)     # query, key, value, output dense: the heads are slices of H, not extra weights
    feed_forward = (H * I + I) + (I * H + H)            # H -> I, then I -> H, each with a bias
    layer = attention + feed_forward + 2 * layer_norm   # a LayerNorm after each of the two sub-blocks
    pooler = H * H + H
    return embeddings + L * layer + pooler


check_count_parameters(my_count_parameters)
print(f"BertConfig() (bert-base): {my_count_parameters(BertConfig()):,} parameters")
# END QUESTION
