"""Exercises of notebook 01: the checkers pass the worked solutions, stay "not yet" on the templates, and
name the mistake for each known wrong answer (written here the way a learner would write it)."""

import math

import pytest
import torch
import transformers
from transformers import BertConfig

import course_lib
from course_lib.exercises.ch01 import (
    _count_parameters,
    _count_parameters_cases,
    check_additive_mask,
    check_attention,
    check_count_parameters,
    check_pooler,
)
from course_lib.models.backbone import make_additive_mask
from helpers import try_again

# --- 1.1 the additive mask --------------------------------------------------------------------


def test_additive_mask_reference_is_the_models_mask():
    keep = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    from course_lib.exercises.ch01 import _additive_mask

    for dtype in (torch.float32, torch.float16):
        ours = _additive_mask(keep, dtype)
        model = make_additive_mask(keep, 2, 4, dtype, keep.device)  # [B, 1, T, T]: the same row for every query
        torch.testing.assert_close(ours.expand_as(model), model)
        assert ours.dtype == dtype


def test_additive_mask_accepts_the_notebook_formula():
    assert check_additive_mask(lambda m, dtype=torch.float32: (1 - m[:, None, None, :]) * torch.finfo(dtype).min)


@pytest.mark.parametrize("wrong, hint", [
    (lambda m, dtype=torch.float32: m[:, None, None, :] * torch.finfo(dtype).min, "inverted"),
    (lambda m, dtype=torch.float32: (1.0 - m[:, None, None, :]) * -10000.0, "-10000"),
    (lambda m, dtype=torch.float32: torch.zeros(m.shape, dtype=dtype).masked_fill(m == 0, float("-inf"))[:, None, None],
     "NaN"),
    (lambda m, dtype=torch.float32: (1 - m[:, None, None, :]) * torch.finfo(torch.float32).min, "-65504"),
])
def test_additive_mask_names_the_mistake(wrong, hint):
    try_again(check_additive_mask, wrong, hint)


def test_additive_mask_wrong_shape_is_reported():
    verdict = check_additive_mask(lambda m, dtype=torch.float32: (1 - m) * torch.finfo(dtype).min)
    assert verdict.status == "try again" and "(2, 1, 1, 5)" in verdict.message


# --- 1.2 attention for one head ---------------------------------------------------------------


def _attention(q, k, v, mask):
    return ((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1]) + mask).softmax(-1) @ v


def test_attention_accepts_sdpa():
    assert check_attention(lambda q, k, v, m: torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m))


def test_attention_reference_matches_the_model_for_one_head():
    config = BertConfig(hidden_size=8, num_attention_heads=1, num_hidden_layers=1, intermediate_size=16,
                        vocab_size=20, max_position_embeddings=8)
    attn = course_lib.BertModel(config).eval().encoder.layer[0].attention.self
    x = torch.randn(2, 5, 8)
    keep = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    from course_lib.exercises.ch01 import _additive_mask
    from course_lib.exercises.ch01 import _attention as reference

    with torch.no_grad():
        expected, _ = attn(x, make_additive_mask(keep, 2, 5, x.dtype, x.device))
        got = reference(attn.query(x), attn.key(x), attn.value(x), _additive_mask(keep)[:, 0])
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("wrong, hint", [
    (lambda q, k, v, m: ((q @ k.transpose(-1, -2)) + m).softmax(-1) @ v, "forgot the scaling"),
    (lambda q, k, v, m: ((q @ k.transpose(-1, -2)) / q.shape[-1] + m).softmax(-1) @ v, "*square root*"),
    (lambda q, k, v, m: ((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1]) + m).softmax(1) @ v, "wrong axis"),
    (lambda q, k, v, m: ((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])).softmax(-1) @ v, "no effect"),
    (lambda q, k, v, m: (((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1])).softmax(-1) + m) @ v, "*before*"),
    (lambda q, k, v, m: ((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1]) * m).softmax(-1) @ v, "not multiplied"),
])
def test_attention_names_the_mistake(wrong, hint):
    try_again(check_attention, wrong, hint)


def test_attention_returning_the_weights_is_a_shape_error():
    verdict = check_attention(lambda q, k, v, m: ((q @ k.transpose(-1, -2)) / math.sqrt(q.shape[-1]) + m).softmax(-1))
    assert verdict.status == "try again" and "shape" in verdict.message


# --- 1.3 the pooler ---------------------------------------------------------------------------


def test_pooler_reference_is_the_models_pooler():
    config = BertConfig(hidden_size=16, num_attention_heads=2, num_hidden_layers=1, intermediate_size=32,
                        vocab_size=20, max_position_embeddings=8)
    model = course_lib.BertModel(config).eval()
    from course_lib.exercises.ch01 import _pooler

    h = torch.randn(3, 5, 16)
    torch.testing.assert_close(_pooler(h, model.pooler.dense), model.pooler(h))


def test_pooler_cases_leave_the_global_random_stream_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    check_pooler(lambda h, dense: torch.tanh(dense(h[:, 0])))
    torch.testing.assert_close(torch.rand(3), expected)


@pytest.mark.parametrize("wrong, hint", [
    (lambda h, dense: dense(h[:, 0]), "forgot the tanh"),
    (lambda h, dense: dense(h[:, 0].tanh()), "dense first"),
    (lambda h, dense: dense(h.mean(1)).tanh(), "not the mean"),
    (lambda h, dense: dense(h[:, -1]).tanh(), "not the last"),
    (lambda h, dense: dense(h[0]).tanh(), "first *sequence*"),
])
def test_pooler_names_the_mistake(wrong, hint):
    try_again(check_pooler, wrong, hint)


# --- 1.4 the parameter count ------------------------------------------------------------------


@pytest.mark.parametrize("case", _count_parameters_cases(), ids=lambda c: c.label)
def test_count_reference_matches_both_models(case):
    (config,) = case.args
    with torch.device("meta"):
        ours = course_lib.BertModel(config)
        theirs = transformers.BertModel(config)
    expected = _count_parameters(config)
    assert sum(p.numel() for p in ours.parameters()) == expected
    assert sum(p.numel() for p in theirs.parameters()) == expected


def test_bert_base_count():
    assert _count_parameters(BertConfig()) == 109_482_240


def _layer(H, I, biases=True, norms=2):
    return 4 * H * H + 2 * H * I + (4 * H + I + H if biases else 0) + norms * 2 * H


def _count(c, *, pooler=True, positions=True, norms=True, biases=True, layers=None, intermediate=None, heads=False):
    H, I = c.hidden_size, intermediate or c.intermediate_size
    L = layers or c.num_hidden_layers
    total = c.vocab_size * H + (c.max_position_embeddings + c.type_vocab_size) * H * positions + 2 * H * norms
    total += L * _layer(H, I, biases, 2 if norms else 0)
    if heads:
        total += L * (c.num_attention_heads - 1) * 3 * (H * H + H)
    if pooler:
        total += H * H + H * biases
    return total


def test_count_helper_is_right_when_nothing_is_left_out():
    for case in _count_parameters_cases():
        assert _count(case.args[0]) == _count_parameters(case.args[0])


@pytest.mark.parametrize("wrong, hint", [
    (lambda c: _count(c, pooler=False), "pooler"),
    (lambda c: _count(c, positions=False), "three tables"),
    (lambda c: _count(c, norms=False), "one after the embeddings and two"),
    (lambda c: _count(c) - c.num_hidden_layers * 4 * c.hidden_size, "*two* LayerNorms"),
    (lambda c: _count(c) - 2 * c.hidden_size, "LayerNorm of their own"),
    (lambda c: _count(c, biases=False), "has a bias"),
    (lambda c: _count(c, intermediate=4 * c.hidden_size), "intermediate_size"),
    (lambda c: _count(c, heads=True), "heads do not add parameters"),
    (lambda c: _count(c, layers=1), "num_hidden_layers"),
])
def test_count_names_the_mistake(wrong, hint):
    try_again(check_count_parameters, wrong, hint)


def test_count_is_exact():
    verdict = check_count_parameters(lambda c: _count_parameters(c) + 1)
    assert verdict.status == "try again" and "differs" in verdict.message


def test_attention_overflow_without_a_known_mistake_is_named():
    verdict = check_attention(lambda q, k, v, m: (((q @ k.transpose(-1, -2)) + m).softmax(-1) @ v) / 0)
    assert verdict.status == "try again" and "NaN or infinite" in verdict.message


def test_one_line_functions_are_not_mistaken_for_templates():
    def pooler(h, dense): return torch.tanh(dense(h[:, 0]))  # noqa: E704

    assert check_pooler(pooler)
