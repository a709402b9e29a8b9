"""Weight tying: identity of the shared parameters, gradients from both roles, counts, resizing."""

import pytest
import torch

import course_lib
from course_lib.models.tying import (
    bias_is_linked,
    count_parameters,
    is_tied,
    resize_token_embeddings,
    tie_output_embeddings,
    tying_savings,
)
from helpers import TRANSFORMERS_MAJOR, random_batch, reference_model, tiny_config


def test_tied_matrix_shares_storage():
    model = course_lib.BertForMaskedLM(tiny_config())
    emb = model.bert.embeddings.word_embeddings.weight
    dec = model.cls.predictions.decoder.weight
    assert is_tied(model) and dec is emb and dec.data_ptr() == emb.data_ptr()
    with torch.no_grad():
        emb[5, 0] = 42.0
    assert dec[5, 0].item() == 42.0


def test_tied_gradient_is_sum_of_both_roles():
    """The shared matrix's gradient equals (gradient as input embedding) + (gradient as decoder)."""
    config = tiny_config()
    torch.manual_seed(0)
    tied = course_lib.BertForMaskedLM(config).eval()
    untied = course_lib.BertForMaskedLM(tiny_config(tie_word_embeddings=False)).eval()
    untied.load_state_dict(tied.state_dict(), strict=True)  # same values, two separate matrices
    assert not is_tied(untied)
    batch = random_batch(config)
    labels = batch["input_ids"].clone()
    labels[batch["attention_mask"] == 0] = -100
    tied(**batch, labels=labels).loss.backward()
    untied(**batch, labels=labels).loss.backward()
    as_input = untied.bert.embeddings.word_embeddings.weight.grad
    as_output = untied.cls.predictions.decoder.weight.grad
    torch.testing.assert_close(tied.bert.embeddings.word_embeddings.weight.grad, as_input + as_output)
    assert as_input.abs().sum() > 0 and as_output.abs().sum() > 0


def test_parameter_counts_at_bert_base_size_on_meta_device():
    from transformers import BertConfig

    config = BertConfig()  # bert-base-uncased shape: 30522 x 768, 12 layers
    with torch.device("meta"):  # shapes only: no 440 MB allocation
        tied = course_lib.BertForPreTraining(config)
        untied = course_lib.BertForPreTraining(BertConfig(tie_word_embeddings=False))
    counts = count_parameters(tied)
    assert tying_savings(config) == 30522 * 768 == 23_440_896
    assert counts["saved_by_tying"] == 23_440_896 + 30522  # the weight and the linked decoder bias
    assert count_parameters(untied)["distinct"] - counts["distinct"] == 23_440_896 + (
        30522 if TRANSFORMERS_MAJOR >= 5 else 0  # 5.x: the untied decoder has its own bias too
    )
    assert tied.cls.predictions.decoder.weight.is_meta


def test_counts_agree_with_transformers_num_parameters():
    for tie in (True, False):
        config = tiny_config(tie_word_embeddings=tie)
        ours = course_lib.BertForPreTraining(config)
        theirs = reference_model("BertForPreTraining", config)
        assert count_parameters(ours)["distinct"] == theirs.num_parameters()


def test_tie_output_embeddings_reties_after_parameter_replacement():
    model = course_lib.BertForMaskedLM(tiny_config())
    model.cls.predictions.decoder.weight = torch.nn.Parameter(model.cls.predictions.decoder.weight.detach().clone())
    assert not is_tied(model)
    assert tie_output_embeddings(model)


@pytest.mark.parametrize("new_size", [120, 80], ids=["grow", "shrink"])
def test_resize_keeps_tie_bias_link_and_old_rows(new_size):
    config = tiny_config()
    model = course_lib.BertForMaskedLM(config)
    with torch.no_grad():
        model.cls.predictions.bias.normal_()
    old_emb = model.bert.embeddings.word_embeddings.weight.detach().clone()
    old_bias = model.cls.predictions.bias.detach().clone()
    resize_token_embeddings(model, new_size)
    head = model.cls.predictions
    assert model.config.vocab_size == new_size
    assert head.decoder.weight.shape == (new_size, config.hidden_size) and head.bias.shape == (new_size,)
    assert is_tied(model) and bias_is_linked(model)
    keep = min(new_size, 99)
    torch.testing.assert_close(head.decoder.weight[:keep], old_emb[:keep])
    torch.testing.assert_close(head.bias[:keep], old_bias[:keep])
    if new_size > 99:  # new rows start at the mean embedding (transformers' mean_resizing), new biases at 0
        torch.testing.assert_close(head.decoder.weight[99:], old_emb.mean(0).expand(new_size - 99, -1))
        assert (head.bias[99:] == 0).all()
    batch = random_batch(model.config)
    assert model(**batch).logits.shape[-1] == new_size


def test_resize_matches_transformers_resize_token_embeddings():
    config = tiny_config()
    theirs = reference_model("BertForMaskedLM", config)
    ours = course_lib.BertForMaskedLM(config)
    with torch.no_grad():
        theirs.cls.predictions.bias.normal_()
    ours.load_state_dict(theirs.state_dict())
    theirs.resize_token_embeddings(110)  # mean_resizing=True is the default
    resize_token_embeddings(ours, 110)
    for key, value in theirs.state_dict().items():
        # transformers adds 1e-9-scale noise to the mean; we use the mean itself
        torch.testing.assert_close(ours.state_dict()[key], value, atol=1e-5, rtol=1e-4, msg=key)


def test_resize_untied_model_resizes_decoder_separately():
    model = course_lib.BertForMaskedLM(tiny_config(tie_word_embeddings=False))
    resize_token_embeddings(model, 105)
    assert not is_tied(model)
    assert model.cls.predictions.decoder.weight.shape[0] == 105
    assert model.cls.predictions.decoder.bias.shape[0] == 105


def test_resize_rejects_cutting_off_padding():
    model = course_lib.BertForMaskedLM(tiny_config(pad_token_id=50))
    with pytest.raises(ValueError, match="padding token id 50 would be cut off"):
        resize_token_embeddings(model, 40)


def test_resize_rejects_non_positive_size():
    model = course_lib.BertForMaskedLM(tiny_config())
    with pytest.raises(ValueError, match="new_num_tokens must be an integer >= 1, got 0"):
        resize_token_embeddings(model, 0)


def test_tying_helpers_reject_models_without_lm_head():
    model = course_lib.BertForNextSentencePrediction(tiny_config())
    with pytest.raises(ValueError, match="has no output embedding"):
        is_tied(model)
