"""cache_lower_layers + drop_lower_layers give the full model's outputs, and train only the top."""

import pytest
import torch

from course_lib import BertForMultipleChoice, BertForSequenceClassification
from course_lib.training.frozen import cache_lower_layers, drop_lower_layers
from helpers import random_batch, tiny_config


def _model(cls=BertForSequenceClassification, **kw):
    torch.manual_seed(0)
    return cls(tiny_config(**kw)).eval()


@pytest.mark.parametrize("num_frozen", [0, 1, 2])
def test_cached_model_gives_the_full_models_logits(num_frozen):
    model = _model(num_labels=3)
    batch = random_batch(model.config, batch=4, seq_len=7)
    batch["attention_mask"][1, 5:] = 0
    batch["labels"] = torch.tensor([0, 1, 2, 1])
    full = model(**batch)
    cached = cache_lower_layers(model, batch, num_frozen)
    assert "input_ids" not in cached and "token_type_ids" not in cached
    drop_lower_layers(model, num_frozen)
    top = model(**cached)
    torch.testing.assert_close(top.logits, full.logits, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(top.loss, full.loss, rtol=1e-5, atol=1e-6)


def test_only_the_top_trains():
    model = _model(num_labels=2)
    batch = random_batch(model.config, batch=4, seq_len=6)
    batch["labels"] = torch.tensor([0, 1, 1, 0])
    cached = cache_lower_layers(model, batch, 1)
    drop_lower_layers(model, 1)
    model(**cached).loss.backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(("bert.encoder.layer.", "bert.pooler", "classifier")) for n in trainable)
    assert all(p.grad is not None for n, p in model.named_parameters() if p.requires_grad)
    assert len(model.bert.encoder.layer) == model.config.num_hidden_layers - 1


def test_multiple_choice_shapes():
    model = _model(BertForMultipleChoice)
    config = model.config
    ids = torch.randint(0, config.vocab_size, (3, 4, 6))
    data = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": torch.tensor([0, 3, 1])}
    full = model(**data).logits
    cached = cache_lower_layers(model, data, 1)
    assert cached["inputs_embeds"].shape == (3, 4, 6, config.hidden_size)
    drop_lower_layers(model, 1)
    torch.testing.assert_close(model(**cached).logits, full, rtol=1e-5, atol=1e-6)


def test_bad_input_is_named():
    model = _model(num_labels=2)
    batch = random_batch(model.config, batch=2, seq_len=5)
    with pytest.raises(ValueError, match=r"num_frozen must be an integer in \[0, 2\], got 99: the model has 2"):
        cache_lower_layers(model, batch, 99)
    drop_lower_layers(model, 1)
    with pytest.raises(ValueError, match="already dropped"):
        cache_lower_layers(model, batch, 1)
    with pytest.raises(ValueError, match="give it the cached states as inputs_embeds"):
        model(input_ids=batch["input_ids"])
    with pytest.raises(ValueError, match="already applied"):
        drop_lower_layers(model, 1)
