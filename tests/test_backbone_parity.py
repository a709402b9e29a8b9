"""course_lib.BertModel against transformers.BertModel: outputs and every gradient."""

import pytest
import torch

from course_lib import BertModel
from helpers import (
    ATTN_IMPLEMENTATIONS,
    assert_grads_close,
    every_tiny_config_and_attention,
    parity_pair,
    random_batch,
    reference_model,
    tiny_config,
)


def test_state_dict_keys_and_shapes_identical():
    config = tiny_config()
    theirs = reference_model("BertModel", config)
    ours = BertModel(config)
    ours_sd, theirs_sd = ours.state_dict(), theirs.state_dict()
    assert list(ours_sd) == list(theirs_sd)
    assert {k: v.shape for k, v in ours_sd.items()} == {k: v.shape for k, v in theirs_sd.items()}


def test_weights_move_both_ways_strictly():
    config = tiny_config()
    ours = BertModel(config)
    theirs = reference_model("BertModel", config)
    theirs.load_state_dict(ours.state_dict(), strict=True)  # ours -> theirs
    for name, tensor in ours.state_dict().items():
        assert torch.equal(tensor, theirs.state_dict()[name]), name


@every_tiny_config_and_attention
@pytest.mark.parametrize("padded", [False, True], ids=["no-padding", "padding"])
def test_outputs_and_gradients_match(config_name, attn, padded):
    config = tiny_config(config_name)
    ours, theirs = parity_pair(BertModel, config, attn)
    batch = random_batch(config, padded=padded, seed=len(config_name))

    ours_out = ours(**batch)
    theirs_out = theirs(**batch)
    torch.testing.assert_close(ours_out.last_hidden_state, theirs_out.last_hidden_state, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours_out.pooler_output, theirs_out.pooler_output, atol=1e-5, rtol=1e-5)

    # A scalar that weighs every output element differently, so any permutation or sign error shows.
    g = torch.Generator().manual_seed(1)
    w_seq = torch.randn(ours_out.last_hidden_state.shape, generator=g)
    w_pool = torch.randn(ours_out.pooler_output.shape, generator=g)
    ((ours_out.last_hidden_state * w_seq).sum() + (ours_out.pooler_output * w_pool).sum()).backward()
    ((theirs_out.last_hidden_state * w_seq).sum() + (theirs_out.pooler_output * w_pool).sum()).backward()
    assert_grads_close(ours, theirs)


@pytest.mark.parametrize("attn", ATTN_IMPLEMENTATIONS)
def test_padding_positions_do_not_change_real_tokens(attn):
    """Changing the ids under padding must not move the real tokens' outputs (the mask works)."""
    config = tiny_config()
    ours = BertModel(config).eval()
    batch = random_batch(config, padded=True)
    out1 = ours(**batch).last_hidden_state
    batch2 = {k: v.clone() for k, v in batch.items()}
    batch2["input_ids"][batch["attention_mask"] == 0] = 7
    out2 = ours(**batch2).last_hidden_state
    real = batch["attention_mask"].bool()
    torch.testing.assert_close(out1[real], out2[real])


def test_without_pooler():
    config = tiny_config()
    ours, theirs = parity_pair(BertModel, config, add_pooling_layer=False)
    assert "pooler.dense.weight" not in ours.state_dict()
    batch = random_batch(config)
    out = ours(**batch)
    assert out.pooler_output is None
    torch.testing.assert_close(out.last_hidden_state, theirs(**batch).last_hidden_state, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("attn", ATTN_IMPLEMENTATIONS)
def test_causal_decoder_mask_matches(attn):
    config = tiny_config(is_decoder=True)
    ours, theirs = parity_pair(BertModel, config, attn)
    batch = random_batch(config, padded=True)
    torch.testing.assert_close(
        ours(**batch).last_hidden_state, theirs(**batch).last_hidden_state, atol=1e-5, rtol=1e-5
    )


def test_causal_mask_hides_the_future():
    config = tiny_config(is_decoder=True)
    ours = BertModel(config).eval()
    batch = random_batch(config, padded=False)
    out1 = ours(**batch).last_hidden_state
    batch["input_ids"][:, 6:] = 5  # change only the future of positions 0..5
    out2 = ours(**batch).last_hidden_state
    torch.testing.assert_close(out1[:, :6], out2[:, :6])
    assert not torch.allclose(out1[:, 6:], out2[:, 6:])


def test_inputs_embeds_path_matches_input_ids():
    config = tiny_config()
    ours = BertModel(config).eval()
    batch = random_batch(config)
    embeds = ours.embeddings.word_embeddings(batch["input_ids"])
    via_ids = ours(**batch).last_hidden_state
    via_embeds = ours(inputs_embeds=embeds, attention_mask=batch["attention_mask"],
                      token_type_ids=batch["token_type_ids"]).last_hidden_state
    torch.testing.assert_close(via_ids, via_embeds)


# One tensor per layer (attentions), or per layer plus the embeddings (hidden states), each matching.
@pytest.mark.parametrize("field, extra, atol", [
    pytest.param("attentions", 0, 1e-6, id="attention_probabilities_match_eager_reference"),
    pytest.param("hidden_states", 1, 1e-5, id="hidden_states_match"),  # + the embeddings' output
])
def test_per_layer_outputs_match(field, extra, atol):
    config = tiny_config()
    ours, theirs = parity_pair(BertModel, config, "eager")
    batch = random_batch(config)
    flag = {"attentions": "output_attentions", "hidden_states": "output_hidden_states"}[field]
    ours_per_layer = getattr(ours(**batch, **{flag: True}), field)
    theirs_per_layer = getattr(theirs(**batch, **{flag: True}), field)
    assert len(ours_per_layer) == config.num_hidden_layers + extra
    for a, b in zip(ours_per_layer, theirs_per_layer):
        torch.testing.assert_close(a, b, atol=atol, rtol=1e-5)


def test_training_mode_dropout_is_active_and_eval_is_deterministic():
    config = tiny_config()
    ours = BertModel(config)
    batch = random_batch(config)
    ours.train()
    assert not torch.allclose(ours(**batch).last_hidden_state, ours(**batch).last_hidden_state)
    ours.eval()
    torch.testing.assert_close(ours(**batch).last_hidden_state, ours(**batch).last_hidden_state)


def test_initialisation_follows_bert():
    config = tiny_config(initializer_range=0.02)
    ours = BertModel(config)
    w = ours.encoder.layer[0].attention.self.query.weight
    assert abs(w.std().item() - 0.02) < 0.005
    assert torch.count_nonzero(ours.encoder.layer[0].attention.self.query.bias) == 0
    assert torch.all(ours.embeddings.word_embeddings.weight[config.pad_token_id] == 0)
    assert torch.all(ours.embeddings.LayerNorm.weight == 1)
