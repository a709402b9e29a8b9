"""cache_lower_layers_by_length gives cache_lower_layers' states on real tokens; cached batches are cut
with their attention mask (trim_padding, bucketed_batches, predict)."""

import pytest
import torch

from course_lib import BertForSequenceClassification
from course_lib.models.pooling import BertForMeanPooledClassification
from course_lib.training import predict
from course_lib.training.data import bucketed_batches, trim_padding
from course_lib.training.frozen import cache_lower_layers, cache_lower_layers_by_length, drop_lower_layers
from helpers import tiny_config


def _data(config, n=9, length=8):
    torch.manual_seed(1)
    ids = torch.randint(1, config.vocab_size, (n, length))
    mask = torch.ones_like(ids)
    for i, real in enumerate([8, 3, 5, 2, 8, 6, 4, 7, 1][:n]):
        mask[i, real:] = 0
    return {"input_ids": ids * mask, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids),
            "labels": torch.arange(n) % 2}


@pytest.mark.parametrize("num_frozen", [0, 1, 2])
def test_same_states_on_real_tokens_same_order(num_frozen):
    torch.manual_seed(0)
    model = BertForSequenceClassification(tiny_config(num_labels=2)).eval()
    data = _data(model.config)
    plain = cache_lower_layers(model, data, num_frozen)
    by_length = cache_lower_layers_by_length(model, data, num_frozen, batch_size=4)
    assert set(by_length) == set(plain) and by_length["inputs_embeds"].shape == plain["inputs_embeds"].shape
    real = data["attention_mask"].bool()
    torch.testing.assert_close(by_length["inputs_embeds"][real], plain["inputs_embeds"][real], rtol=1e-5, atol=1e-6)
    assert by_length["inputs_embeds"][~real].abs().sum() == 0  # padding holds zeros
    assert torch.equal(by_length["labels"], data["labels"])


def test_cached_batches_are_cut_and_predict_matches_the_full_model():
    torch.manual_seed(0)
    model = BertForMeanPooledClassification(tiny_config(num_labels=2)).eval()
    data = _data(model.config)
    full = predict(model, data)
    cached = cache_lower_layers_by_length(model, data, 1)
    drop_lower_layers(model, 1)
    torch.testing.assert_close(predict(model, cached, batch_size=4), full, rtol=1e-5, atol=1e-6)
    batch = trim_padding({k: v[[1, 3]] for k, v in cached.items()})
    assert batch["inputs_embeds"].shape[1] == batch["attention_mask"].shape[1] == 3
    for batch in bucketed_batches(cached, 3, generator=torch.Generator().manual_seed(0)):
        assert batch["inputs_embeds"].shape[:2] == batch["attention_mask"].shape
        assert batch["attention_mask"][:, -1].any()  # cut to the longest sentence of the batch
        model.train()(**batch).loss.backward()


def test_bad_input_is_named():
    torch.manual_seed(0)
    model = BertForSequenceClassification(tiny_config(num_labels=2))
    data = _data(model.config)
    with pytest.raises(ValueError, match=r"num_frozen must be an integer in \[0, 2\], got 99: the model has 2"):
        cache_lower_layers_by_length(model, data, 99)
    with pytest.raises(ValueError, match="needs a dict of tensors with input_ids and attention_mask"):
        cache_lower_layers_by_length(model, {"input_ids": data["input_ids"]}, 1)
    choices = {k: v.unsqueeze(1) for k, v in data.items() if k != "labels"}
    with pytest.raises(ValueError, match="takes sentences"):
        cache_lower_layers_by_length(model, choices, 1)
    drop_lower_layers(model, 1)
    with pytest.raises(ValueError, match="already dropped"):
        cache_lower_layers_by_length(model, data, 1)
