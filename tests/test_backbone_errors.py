"""Bad input gets a ValueError that names the problem."""

import pytest
import torch

from course_lib import BertModel
from helpers import random_batch, tiny_config


@pytest.fixture(scope="module")
def model():
    return BertModel(tiny_config()).eval()


def test_neither_input_ids_nor_inputs_embeds(model):
    with pytest.raises(ValueError, match="neither"):
        model(attention_mask=torch.ones(1, 4))


def test_both_input_ids_and_inputs_embeds(model):
    ids = torch.ones(1, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="not both"):
        model(input_ids=ids, inputs_embeds=torch.zeros(1, 4, model.config.hidden_size))


def test_sequence_longer_than_max_positions(model):
    too_long = torch.ones(1, model.config.max_position_embeddings + 1, dtype=torch.long)
    with pytest.raises(ValueError, match="max_position_embeddings"):
        model(input_ids=too_long)


def test_attention_mask_shape_mismatch(model):
    batch = random_batch(model.config)
    with pytest.raises(ValueError, match="attention_mask has shape"):
        model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"][:, :-1])


def test_token_type_ids_shape_mismatch(model):
    batch = random_batch(model.config)
    with pytest.raises(ValueError, match="token_type_ids has shape"):
        model(input_ids=batch["input_ids"], token_type_ids=batch["token_type_ids"][:1])


def test_token_ids_outside_vocabulary(model):
    ids = torch.tensor([[1, 2, model.config.vocab_size]])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model(input_ids=ids)


def test_negative_token_ids(model):
    with pytest.raises(ValueError, match="outside the vocabulary"):
        model(input_ids=torch.tensor([[1, -1]]))


def test_token_type_out_of_range(model):
    ids = torch.ones(1, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="token_type_ids must lie"):
        model(input_ids=ids, token_type_ids=torch.tensor([[0, 1, 2]]))


def test_float_input_ids(model):
    with pytest.raises(ValueError, match="integer token ids"):
        model(input_ids=torch.ones(1, 3))


def test_one_dimensional_input_ids(model):
    with pytest.raises(ValueError, match="2-D"):
        model(input_ids=torch.ones(3, dtype=torch.long))


def test_unsupported_config_is_rejected():
    with pytest.raises(ValueError, match="multiple of num_attention_heads"):
        BertModel(tiny_config(hidden_size=30))
    with pytest.raises(ValueError, match="position_embedding_type"):
        BertModel(tiny_config(position_embedding_type="relative_key"))
    with pytest.raises(ValueError, match="unknown activation"):
        BertModel(tiny_config(hidden_act="not-an-activation"))
