"""The four pre-training models against transformers: keys, outputs, losses, gradients."""

import pytest
import torch

import course_lib
from course_lib.losses import (
    IGNORE_INDEX,
    causal_lm_loss,
    masked_lm_loss,
    next_sentence_loss,
    pretraining_loss,
    shift_labels_for_causal_lm,
)
from helpers import (
    ATTN_IMPLEMENTATIONS,
    TRANSFORMERS_MAJOR,
    assert_grads_close,
    ours_from,
    random_batch,
    reference_model,
    tiny_config,
)

MODELS = ["BertForPreTraining", "BertForMaskedLM", "BertLMHeadModel", "BertForNextSentencePrediction"]
LM_MODELS = MODELS[:3]


def _config(name, config_name="tiny-gelu", **overrides):
    # BertLMHeadModel is meant to run with a causal mask.
    return tiny_config(config_name, is_decoder=(name == "BertLMHeadModel"), **overrides)


def _batch_with_labels(name, config, seed=0):
    """Padded batch; MLM labels are -100 at padding and at about half of the real tokens."""
    batch = random_batch(config, batch=3, seq_len=10, seed=seed, padded=True)
    g = torch.Generator().manual_seed(seed + 1)
    labels = torch.randint(0, config.vocab_size, batch["input_ids"].shape, generator=g)
    labels[torch.rand(labels.shape, generator=g) < 0.5] = IGNORE_INDEX
    labels[batch["attention_mask"] == 0] = IGNORE_INDEX
    labels[0, 1] = 5  # at least one scored position
    nsp = torch.tensor([0, 1, 1])
    if name == "BertForPreTraining":
        batch.update(labels=labels, next_sentence_label=nsp)
    elif name == "BertForNextSentencePrediction":
        batch.update(labels=nsp)
    else:
        batch.update(labels=labels)
    return batch


@pytest.mark.parametrize("name", MODELS)
def test_state_dict_keys_identical_and_load_both_ways(name):
    config = _config(name)
    theirs = reference_model(name, config)
    ours = getattr(course_lib, name)(config)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    theirs.load_state_dict(ours.state_dict(), strict=True)
    ours.load_state_dict(theirs.state_dict(), strict=True)


@pytest.mark.parametrize("tie", [True, False], ids=["tied", "untied"])
@pytest.mark.parametrize("attn", ATTN_IMPLEMENTATIONS)
@pytest.mark.parametrize("name", MODELS)
def test_outputs_loss_and_gradients_match(name, attn, tie):
    config = _config(name, tie_word_embeddings=tie)
    theirs = reference_model(name, config, attn)
    ours = ours_from(theirs, getattr(course_lib, name))
    batch = _batch_with_labels(name, config)
    ours_out, theirs_out = ours(**batch), theirs(**batch)
    fields = ["prediction_logits", "seq_relationship_logits"] if name == "BertForPreTraining" else ["logits"]
    for field in fields + ["loss"]:
        torch.testing.assert_close(ours_out[field], theirs_out[field], atol=1e-5, rtol=1e-5, msg=field)
    ours_out.loss.backward()
    theirs_out.loss.backward()
    # Same gradients for every parameter by name, including which ones get none: with untied
    # weights on 5.x, cls.predictions.bias is unused and has grad None in both models.
    assert_grads_close(ours, theirs)


@pytest.mark.parametrize("name", LM_MODELS)
def test_tied_parameters_are_the_same_objects(name):
    ours = getattr(course_lib, name)(_config(name))
    head = ours.cls.predictions
    assert head.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert head.decoder.bias is head.bias


@pytest.mark.parametrize("name", LM_MODELS)
def test_untied_bias_follows_installed_transformers(name):
    config = _config(name, tie_word_embeddings=False)
    ours = getattr(course_lib, name)(config)
    theirs = reference_model(name, config)
    head, ref_head = ours.cls.predictions, theirs.cls.predictions
    assert head.decoder.weight is not ours.bert.embeddings.word_embeddings.weight
    # 4.x linked decoder.bias to cls.predictions.bias always; 5.x unties it with the weight.
    assert (head.decoder.bias is head.bias) == (ref_head.decoder.bias is ref_head.bias)
    assert (head.decoder.bias is head.bias) == (TRANSFORMERS_MAJOR < 5)
    assert ours.num_parameters() == theirs.num_parameters()


@pytest.mark.parametrize("name", LM_MODELS)
def test_tie_survives_load_state_dict_with_assign(name):
    config = _config(name)
    ours = getattr(course_lib, name)(config)
    state = {k: v.clone() for k, v in reference_model(name, config).state_dict().items()}
    ours.load_state_dict(state, strict=True, assign=True)
    assert ours.cls.predictions.decoder.weight is ours.bert.embeddings.word_embeddings.weight
    assert ours.cls.predictions.decoder.bias is ours.cls.predictions.bias


@pytest.mark.parametrize("attn", ATTN_IMPLEMENTATIONS)
@pytest.mark.parametrize("given", ["only-mlm", "only-nsp", "none"])
def test_pretraining_loss_with_one_label_set_is_none_like_reference(given, attn):
    config = _config("BertForPreTraining")
    theirs = reference_model("BertForPreTraining", config, attn)
    ours = ours_from(theirs, course_lib.BertForPreTraining)
    batch = _batch_with_labels("BertForPreTraining", config)
    if given == "only-mlm":
        del batch["next_sentence_label"]
    elif given == "only-nsp":
        del batch["labels"]
    else:
        del batch["labels"], batch["next_sentence_label"]
    assert theirs(**batch).loss is None
    ours_out = ours(**batch)
    assert ours_out.loss is None
    torch.testing.assert_close(ours_out.prediction_logits, theirs(**batch).prediction_logits, atol=1e-5, rtol=1e-5)


# --- the loss functions on their own: against the model and against a hand computation ---------


def _hand_cross_entropy(logits, labels):
    """-log softmax(logits)[label], averaged over the labels that are not -100, by a Python loop."""
    total, count = 0.0, 0
    for row, label in zip(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)):
        if label == IGNORE_INDEX:
            continue
        total += -(row[label] - torch.logsumexp(row, dim=0)).item()
        count += 1
    return total / count


def test_loss_functions_equal_model_losses_and_hand_computation():
    config = _config("BertForPreTraining")
    model = course_lib.BertForPreTraining(config).eval()
    batch = _batch_with_labels("BertForPreTraining", config)
    out = model(**batch)
    mlm = masked_lm_loss(out.prediction_logits, batch["labels"])
    nsp = next_sentence_loss(out.seq_relationship_logits, batch["next_sentence_label"])
    torch.testing.assert_close(out.loss, mlm + nsp)
    torch.testing.assert_close(
        pretraining_loss(out.prediction_logits, out.seq_relationship_logits, batch["labels"], batch["next_sentence_label"]),
        out.loss,
    )
    assert mlm.item() == pytest.approx(_hand_cross_entropy(out.prediction_logits, batch["labels"]), rel=1e-5)
    assert nsp.item() == pytest.approx(_hand_cross_entropy(out.seq_relationship_logits, batch["next_sentence_label"]), rel=1e-5)


def test_ignored_positions_do_not_move_the_mlm_loss():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 6, 11, generator=g)
    labels = torch.full((2, 6), IGNORE_INDEX)
    labels[0, 2], labels[1, 4] = 3, 7
    before = masked_lm_loss(logits, labels)
    changed = logits.clone()
    changed[labels == IGNORE_INDEX] = 100 * torch.randn(10, 11, generator=g)
    torch.testing.assert_close(masked_lm_loss(changed, labels), before)
    # and the mean is over the 2 scored positions, not over all 12
    expected = (F_ce(logits[0, 2], 3) + F_ce(logits[1, 4], 7)) / 2
    torch.testing.assert_close(before, expected)


def F_ce(row, label):
    return -(row[label] - torch.logsumexp(row, dim=0))


def test_causal_shift_by_hand_and_against_model():
    labels = torch.tensor([[5, 6, 7, IGNORE_INDEX], [8, 9, IGNORE_INDEX, IGNORE_INDEX]])
    assert shift_labels_for_causal_lm(labels).tolist() == [[6, 7, -100, -100], [9, -100, -100, -100]]
    config = _config("BertLMHeadModel")
    model = course_lib.BertLMHeadModel(config).eval()
    batch = _batch_with_labels("BertLMHeadModel", config)
    out = model(**batch)
    torch.testing.assert_close(out.loss, causal_lm_loss(out.logits, batch["labels"]))
    # the same thing by slicing: logits at t against the label at t + 1
    sliced = masked_lm_loss(out.logits[:, :-1], batch["labels"][:, 1:])
    torch.testing.assert_close(out.loss, sliced)
    assert out.loss.item() == pytest.approx(
        _hand_cross_entropy(out.logits[:, :-1], batch["labels"][:, 1:]), rel=1e-5
    )


def test_lm_head_model_cannot_peek_at_the_next_token():
    """With the causal mask, logits at position t do not depend on tokens after t."""
    config = _config("BertLMHeadModel")
    model = course_lib.BertLMHeadModel(config).eval()
    batch = random_batch(config, padded=False)
    first = model(**batch).logits
    batch["input_ids"][:, 5:] = 3
    second = model(**batch).logits
    torch.testing.assert_close(first[:, :5], second[:, :5])


def test_logits_are_raw_scores_not_probabilities():
    config = _config("BertForMaskedLM")
    logits = course_lib.BertForMaskedLM(config).eval()(**random_batch(config)).logits
    assert logits.shape == (3, 10, config.vocab_size)
    assert not torch.allclose(logits.sum(-1), torch.ones(3, 10))  # no softmax inside the model


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LM_MODELS)
def test_mlm_labels_with_wrong_shape_are_rejected(name):
    config = _config(name)
    model = getattr(course_lib, name)(config)
    batch = random_batch(config)
    with pytest.raises(ValueError, match=r"MLM labels have shape \(3, 9\) but input_ids have shape \(3, 10\)"):
        model(**batch, labels=batch["input_ids"][:, :9])


def test_mlm_labels_out_of_vocabulary_are_rejected():
    config = _config("BertForMaskedLM")
    model = course_lib.BertForMaskedLM(config)
    batch = random_batch(config)
    labels = torch.full_like(batch["input_ids"], 100)  # the classic mistake: 100 instead of -100
    with pytest.raises(ValueError, match=r"MLM labels must lie in \[0, 99\) .*\(or be -100 to skip a token\).*not 100"):
        model(**batch, labels=labels)


@pytest.mark.parametrize("name", ["BertForPreTraining", "BertForNextSentencePrediction"])
def test_next_sentence_label_outside_0_1_is_rejected(name):
    config = _config(name)
    model = getattr(course_lib, name)(config)
    batch = random_batch(config)
    key = "next_sentence_label" if name == "BertForPreTraining" else "labels"
    if name == "BertForPreTraining":
        batch["labels"] = torch.full_like(batch["input_ids"], IGNORE_INDEX)
    with pytest.raises(ValueError, match=r"next_sentence_label values must be 0 .* or 1 .*got \[2\]"):
        model(**batch, **{key: torch.tensor([0, 2, 1])})


def test_next_sentence_label_with_wrong_count_is_rejected():
    config = _config("BertForNextSentencePrediction")
    model = course_lib.BertForNextSentencePrediction(config)
    with pytest.raises(ValueError, match=r"one label per sequence \(3\)"):
        model(**random_batch(config), labels=torch.tensor([0, 1]))
