"""course_lib.BertForMultipleChoice against transformers: keys, logits, loss and gradients; the
flatten/reshape by hand; bad input."""

import pytest
import torch
import torch.nn.functional as F

from course_lib import BertForMultipleChoice, BertForSequenceClassification
from course_lib.losses import multiple_choice_loss
from course_lib.models.multiple_choice import flatten_choices
from helpers import ATTN_IMPLEMENTATIONS, assert_loss_and_grads_close, parity_pair, random_batch, tiny_config

BATCH, CHOICES, SEQ = 3, 4, 9


def choice_batch(config, batch=BATCH, choices=CHOICES, seq_len=SEQ, seed=0):
    """[batch, choices, seq_len] tensors: random_batch's rows (varied right padding) regrouped."""
    flat = random_batch(config, batch=batch * choices, seq_len=seq_len, seed=seed)
    return {k: v.view(batch, choices, seq_len) for k, v in flat.items()}


def build_pair(attn="eager", config_name="tiny-gelu", **overrides):
    config = tiny_config(config_name, **overrides)
    ours, theirs = parity_pair(BertForMultipleChoice, config, attn)
    return ours, theirs, config


def test_state_dict_keys_and_shapes_identical_and_strict_both_ways():
    ours, theirs, config = build_pair()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    assert ours.state_dict()["classifier.weight"].shape == (1, config.hidden_size)  # one score per choice
    fresh = BertForMultipleChoice(config)
    theirs.load_state_dict(fresh.state_dict(), strict=True)


@pytest.mark.parametrize("attn", ATTN_IMPLEMENTATIONS)
@pytest.mark.parametrize("config_name", ["tiny-gelu", "narrow-relu", "deep-gelu_new"])
def test_logits_loss_and_gradients_match(config_name, attn):
    ours, theirs, config = build_pair(attn, config_name)
    batch = choice_batch(config, seed=len(config_name))
    labels = torch.tensor([3, -100, 1])  # the middle question is ignored, as in transformers

    ours_out, theirs_out = ours(**batch, labels=labels), theirs(**batch, labels=labels)
    assert ours_out.logits.shape == (BATCH, CHOICES)
    torch.testing.assert_close(ours_out.logits, theirs_out.logits, atol=1e-5, rtol=1e-5)
    assert_loss_and_grads_close(ours, theirs, ours_out, theirs_out)


@pytest.mark.parametrize("choices", [2, 5])
def test_any_number_of_choices_without_labels(choices):
    ours, theirs, config = build_pair("sdpa")
    batch = choice_batch(config, choices=choices, seq_len=6, seed=2)
    ours_out, theirs_out = ours(**batch), theirs(**batch)
    assert ours_out.loss is None and ours_out.logits.shape == (BATCH, choices)
    torch.testing.assert_close(ours_out.logits, theirs_out.logits, atol=1e-5, rtol=1e-5)


def test_inputs_embeds_path_matches():
    ours, theirs, config = build_pair()
    batch = choice_batch(config)
    embeds = ours.bert.embeddings.word_embeddings(batch.pop("input_ids")).detach()
    torch.testing.assert_close(ours(inputs_embeds=embeds, **batch).logits,
                               theirs(inputs_embeds=embeds, **batch).logits, atol=1e-5, rtol=1e-5)


def test_by_hand_flatten_score_reshape():
    """The model is: flatten choices into the batch, score each pooled vector, regroup, CE."""
    ours, _, config = build_pair()
    batch = choice_batch(config)
    labels = torch.tensor([0, 2, 1])
    flat = {k: flatten_choices(v) for k, v in batch.items()}
    assert flat["input_ids"].shape == (BATCH * CHOICES, SEQ)
    torch.testing.assert_close(flat["input_ids"][CHOICES + 1], batch["input_ids"][1, 1])  # row b*C + c
    scores = ours.classifier(ours.bert(**flat).pooler_output)  # [B*C, 1]
    by_hand_logits = scores.view(BATCH, CHOICES)
    by_hand_loss = -(by_hand_logits.log_softmax(-1)[torch.arange(BATCH), labels]).mean()
    out = ours(**batch, labels=labels)
    torch.testing.assert_close(out.logits, by_hand_logits)
    torch.testing.assert_close(out.loss, by_hand_loss)
    loss = multiple_choice_loss(scores, labels, CHOICES)
    assert loss.shape == ()
    torch.testing.assert_close(loss, F.cross_entropy(by_hand_logits, labels))
    with pytest.raises(ValueError, match="needs labels"):
        multiple_choice_loss(scores, None, CHOICES)


def test_choices_are_scored_independently():
    """Permuting the choices permutes the logits: no choice sees another (unlike a [B, C] classifier)."""
    ours, _, config = build_pair()
    batch = choice_batch(config)
    perm = torch.tensor([2, 0, 3, 1])
    permuted = {k: v[:, perm] for k, v in batch.items()}  # a non-contiguous input, too
    torch.testing.assert_close(ours(**permuted).logits, ours(**batch).logits[:, perm], atol=1e-6, rtol=1e-5)


def test_break_on_purpose_is_caught():
    """Reshaping the scores the wrong way round ([C, B] then transposed) mixes questions."""
    ours, theirs, config = build_pair()
    batch = choice_batch(config)
    flat = {k: flatten_choices(v) for k, v in batch.items()}
    scores = ours.classifier(ours.bert(**flat).pooler_output)
    wrong = scores.view(CHOICES, BATCH).t()
    assert not torch.allclose(wrong, theirs(**batch).logits, atol=1e-4)


def test_classifier_dropout_is_honoured():
    ours, theirs, _ = build_pair(classifier_dropout=0.25)
    assert ours.dropout.p == theirs.dropout.p == 0.25


def test_pretrained_encoder_loads_with_only_the_head_missing():
    model, report = BertForMultipleChoice.from_pretrained(output_loading_info=True)
    assert report.missing_keys == ["classifier.bias", "classifier.weight"]
    assert report.unexpected_keys == []
    model2, report2 = BertForSequenceClassification.from_pretrained(output_loading_info=True, num_labels=2)
    assert report2.missing_keys == ["classifier.bias", "classifier.weight"]
    assert model2.classifier.weight.shape == (2, 384)
    torch.testing.assert_close(model.bert.pooler.dense.weight, model2.bert.pooler.dense.weight)


# --- bad input: one test per error -----------------------------------------------------------


@pytest.fixture(scope="module")
def model_and_batch():
    config = tiny_config()
    return BertForMultipleChoice(config).eval(), choice_batch(config)


def test_two_dimensional_input_is_rejected(model_and_batch):
    model, batch = model_and_batch
    with pytest.raises(ValueError, match=r"must be 3-D \[batch, num_choices, seq_len\], got shape \(12, 9\)"):
        model(input_ids=flatten_choices(batch["input_ids"]))


def test_four_dimensional_embeds_required(model_and_batch):
    model, batch = model_and_batch
    with pytest.raises(ValueError, match=r"inputs_embeds must be 4-D"):
        model(inputs_embeds=torch.zeros(BATCH * CHOICES, SEQ, 32))


def test_mask_shape_must_match(model_and_batch):
    model, batch = model_and_batch
    with pytest.raises(ValueError, match=r"attention_mask has shape \(12, 9\) but the input has shape \(3, 4, 9\)"):
        model(input_ids=batch["input_ids"], attention_mask=flatten_choices(batch["attention_mask"]))


# One case per error: the labels given, and the message that must name the problem.
@pytest.mark.parametrize("labels, message", [
    pytest.param(torch.tensor([0, 4, 1]), r"must lie in \[0, 4\) for 4 choices.*got \[4\]",
                 id="label_outside_the_choices"),
    pytest.param(torch.tensor([0, -1, 1]), r"must lie in \[0, 4\).*got \[-1\]", id="negative_label_other_than_ignore"),
])
def test_bad_labels_are_named(model_and_batch, labels, message):
    model, batch = model_and_batch
    with pytest.raises(ValueError, match=message):
        model(**batch, labels=labels)


def test_labels_wrong_shape(model_and_batch):
    model, batch = model_and_batch
    with pytest.raises(ValueError, match=r"labels have shape \(3, 1\) but the batch needs \(3,\)"):
        model(**batch, labels=torch.tensor([[0], [1], [2]]))


def test_float_labels(model_and_batch):
    model, batch = model_and_batch
    with pytest.raises(ValueError, match=r"must be integer choice indices, .*got torch.float32"):
        model(**batch, labels=torch.tensor([0.0, 1.0, 2.0]))
