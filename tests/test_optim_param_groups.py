"""param_groups on real transformers BERT models: two groups, every trainable tensor exactly once."""

import transformers

from course_lib.training.optim import AdamW, format_param_groups, param_groups
from tests.helpers import tiny_config


def _mlm():
    # BertForMaskedLM ties cls.predictions.decoder.weight to the word embeddings: one tensor, two names.
    return transformers.BertForMaskedLM(tiny_config("tiny-gelu"))


def test_every_trainable_parameter_lands_in_exactly_one_group():
    model = _mlm()
    decay, no_decay = param_groups(model, weight_decay=0.01)
    grouped = [id(p) for p in decay["params"] + no_decay["params"]]
    assert len(grouped) == len(set(grouped)), "a parameter appears twice"
    assert set(grouped) == {id(p) for p in model.parameters() if p.requires_grad}


def test_tied_decoder_matrix_is_counted_once():
    model = _mlm()
    assert model.cls.predictions.decoder.weight is model.bert.embeddings.word_embeddings.weight
    decay, _ = param_groups(model, weight_decay=0.01)
    tied = [p for p in decay["params"] if p is model.bert.embeddings.word_embeddings.weight]
    assert len(tied) == 1


def test_no_decay_group_holds_exactly_biases_and_layernorm_gains():
    model = _mlm()
    decay, no_decay = param_groups(model, weight_decay=0.01)
    assert (decay["weight_decay"], no_decay["weight_decay"]) == (0.01, 0.0)
    assert all(n.endswith("bias") or n.endswith("LayerNorm.weight") for n in no_decay["names"])
    assert not any(n.endswith("bias") or "LayerNorm" in n for n in decay["names"])
    assert any("LayerNorm.weight" in n for n in no_decay["names"])


def test_frozen_parameters_are_left_out():
    model = _mlm()
    model.bert.embeddings.requires_grad_(False)
    decay, no_decay = param_groups(model, weight_decay=0.01)
    names = decay["names"] + no_decay["names"]
    assert not any(n.startswith("bert.embeddings") for n in names)
    # the tied decoder is frozen with the embedding it shares storage with
    assert not any("decoder.weight" in n for n in names)


def test_groups_feed_an_optimizer_and_print_where_parameters_landed():
    model = _mlm()
    groups = param_groups(model, weight_decay=0.01)
    opt = AdamW(groups, lr=1e-3)
    assert [g["weight_decay"] for g in opt.param_groups] == [0.01, 0.0]
    text = format_param_groups(groups)
    assert "group 0: weight_decay=0.01" in text and "group 1: weight_decay=0.0" in text
    assert "bert.encoder.layer.*.attention.output.LayerNorm.weight  x2" in text
