"""The transformers contract, completed (issue 11, item 5), and the one training step (item 4).

- ``output_attentions`` / ``output_hidden_states`` fall back to the config when not passed;
- ``get_input_embeddings`` / ``set_input_embeddings``, ``base_model`` a property;
- every activation name transformers' ``ACT2FN`` accepts works in ``config.hidden_act``, with parity;
- ``training.train`` and the fine-tune command share ``training.training_step``, which is exercise 11.1's step.
"""

from __future__ import annotations

import inspect

import pytest
import torch
import transformers
from transformers.activations import ACT2CLS

import course_lib
from course_lib.evaluation import accuracy
from course_lib.models.backbone import ACTIVATIONS, PARAMETRIC_ACTIVATIONS
from course_lib.training import loop as training  # the module, so a monkeypatch reaches train()
from course_lib.training.data import batches
from helpers import assert_grads_close, ours_from, random_batch, reference_model, tiny_config

MODELS = ["BertModel", "BertForSequenceClassification", "BertForTokenClassification", "BertForMaskedLM",
          "BertForQuestionAnswering", "BertForPreTraining", "BertForNextSentencePrediction"]


# --- output_attentions / output_hidden_states from the config --------------------------------------


@pytest.mark.parametrize("cls_name", MODELS)
def test_config_asks_for_attentions_and_hidden_states(cls_name):
    config = tiny_config(output_attentions=True, output_hidden_states=True)
    theirs = reference_model(cls_name, config, "eager")
    ours = ours_from(theirs, getattr(course_lib, cls_name))
    batch = random_batch(config)
    ours_out, theirs_out = ours(**batch), theirs(**batch)
    assert len(ours_out.attentions) == config.num_hidden_layers
    assert len(ours_out.hidden_states) == config.num_hidden_layers + 1
    for ours_t, theirs_t in zip(ours_out.attentions + ours_out.hidden_states,
                                theirs_out.attentions + theirs_out.hidden_states):
        torch.testing.assert_close(ours_t, theirs_t, atol=1e-5, rtol=1e-5)


def test_an_explicit_argument_beats_the_config():
    config = tiny_config(output_attentions=True, output_hidden_states=True)
    model = course_lib.BertModel(config).eval()
    out = model(**random_batch(config), output_attentions=False, output_hidden_states=False)
    assert out.attentions is None and out.hidden_states is None
    plain = course_lib.BertModel(tiny_config()).eval()
    assert plain(**random_batch(config)).attentions is None
    assert len(plain(**random_batch(config), output_attentions=True).attentions) == config.num_hidden_layers


def test_multiple_choice_follows_the_config_too():
    config = tiny_config(output_hidden_states=True)
    model = course_lib.BertForMultipleChoice(config).eval()
    ids = torch.randint(1, config.vocab_size, (2, 3, 6))
    out = model(input_ids=ids)
    assert len(out.hidden_states) == config.num_hidden_layers + 1
    assert out.hidden_states[0].shape == (6, 6, config.hidden_size)  # B*C sequences


# --- embeddings and base_model ----------------------------------------------------------------------


@pytest.mark.parametrize("cls_name", MODELS)
def test_base_model_is_a_property_as_in_transformers(cls_name):
    config = tiny_config()
    ours = getattr(course_lib, cls_name)(config)
    theirs = reference_model(cls_name, config)
    assert isinstance(inspect.getattr_static(type(ours), "base_model"), property)
    assert type(ours.base_model).__name__ == type(theirs.base_model).__name__ == "BertModel"
    if cls_name == "BertModel":
        assert ours.base_model is ours and theirs.base_model is theirs
    else:
        assert ours.base_model is ours.bert and theirs.base_model is theirs.bert


def test_get_and_set_input_embeddings():
    config = tiny_config()
    model = course_lib.BertForSequenceClassification(config).eval()
    assert model.get_input_embeddings() is model.bert.embeddings.word_embeddings
    new = torch.nn.Embedding(config.vocab_size, config.hidden_size)
    model.set_input_embeddings(new)
    assert model.get_input_embeddings() is new and model.bert.embeddings.word_embeddings is new
    ids = torch.tensor([[3, 4, 5]])
    expected = new(ids)
    assert torch.equal(model.bert.embeddings.word_embeddings(ids), expected)


def test_set_input_embeddings_then_tie_weights_reties_the_decoder():
    model = course_lib.BertForMaskedLM(tiny_config())
    new = torch.nn.Embedding(model.config.vocab_size, model.config.hidden_size)
    model.set_input_embeddings(new)
    model.tie_weights()
    assert model.get_output_embeddings().weight is new.weight


def test_set_input_embeddings_names_a_wrong_argument():
    model = course_lib.BertModel(tiny_config())
    with pytest.raises(TypeError, match="expects an nn.Embedding, got Linear"):
        model.set_input_embeddings(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="the new embedding has 7 dimensions but the model's hidden_size is 32"):
        model.set_input_embeddings(torch.nn.Embedding(10, 7))


# --- every ACT2FN activation --------------------------------------------------------------------------


def test_every_transformers_activation_name_is_known():
    assert set(ACT2CLS) <= set(ACTIVATIONS) | set(PARAMETRIC_ACTIVATIONS)


@pytest.mark.parametrize("act", sorted(ACT2CLS))
def test_every_activation_matches_transformers(act):
    config = tiny_config(hidden_act=act)
    torch.manual_seed(0)
    theirs = reference_model("BertForMaskedLM", config, "eager")  # encoder + the MLM head's transform
    ours = ours_from(theirs, course_lib.BertForMaskedLM)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    batch = random_batch(config, seed=3)
    batch["labels"] = torch.where(batch["attention_mask"].bool(), batch["input_ids"], -100)
    ours_out, theirs_out = ours(**batch), theirs(**batch)
    torch.testing.assert_close(ours_out.logits, theirs_out.logits, atol=1e-5, rtol=1e-5)
    ours_out.loss.backward()
    theirs_out.loss.backward()
    assert_grads_close(ours, theirs)


# --- one training step --------------------------------------------------------------------------------


def _tiny_run(step, seed=0, steps=3):
    config = tiny_config(num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(seed)
    model = course_lib.BertForSequenceClassification(config).train()
    optimizer = course_lib.training.optim.AdamW(course_lib.training.optim.param_groups(model, 0.01), lr=1e-3)
    scheduler = course_lib.training.schedules.get_scheduler("linear", optimizer, num_warmup_steps=1, num_training_steps=steps)
    g = torch.Generator().manual_seed(seed + 1)
    losses = []
    for _ in range(steps):
        batch = {"input_ids": torch.randint(1, config.vocab_size, (4, 6), generator=g),
                 "labels": torch.randint(0, 2, (4,), generator=g)}
        losses.append(step(model, batch, optimizer, scheduler, 1.0))
    return losses, model.classifier.weight.detach().clone()


def test_training_step_is_the_step_exercise_11_1_teaches():
    from course_lib.exercises.ch11 import reference_training_step

    ours_losses, ours_weight = _tiny_run(training.training_step)
    reference_losses, reference_weight = _tiny_run(reference_training_step)
    assert ours_losses == reference_losses
    assert torch.equal(ours_weight, reference_weight)


def test_train_and_the_finetune_command_use_training_step(monkeypatch, tmp_path):
    calls = []
    original = training.training_step

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(training, "training_step", counting)
    monkeypatch.delenv("COURSE_ENCODER", raising=False)
    config = tiny_config(num_labels=2)
    data = {"input_ids": torch.randint(1, config.vocab_size, (8, 5)), "labels": torch.randint(0, 2, (8,))}
    training.train(course_lib.BertForSequenceClassification(config), data, steps=3, batch_size=4)
    assert len(calls) == 3
    from course_lib.training import finetune

    finetune.main(["--tiny", "--steps", "2", "--train-size", "16", "--test-size", "4", "--batch-size", "8",
                   "--out", str(tmp_path)])
    assert len(calls) == 5


def test_train_draws_the_same_batches_as_before():
    """The loop body moved into training_step; the data order (seeded generator, drop_last) did not change."""
    config = tiny_config(num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    data = {"input_ids": torch.randint(1, config.vocab_size, (10, 5), generator=torch.Generator().manual_seed(0)),
            "labels": torch.randint(0, 2, (10,), generator=torch.Generator().manual_seed(1))}
    torch.manual_seed(0)
    model = course_lib.BertForSequenceClassification(config)
    history = training.train(model, data, steps=5, batch_size=4, seed=3)

    # the old loop, written out
    torch.manual_seed(0)
    reference = course_lib.BertForSequenceClassification(config)
    optimizer = torch.optim.AdamW(reference.parameters(), lr=5e-5, weight_decay=0.01)
    generator = torch.Generator().manual_seed(3)
    reference.train()
    expected = []
    while len(expected) < 5:
        for batch in batches(data, 4, shuffle=True, generator=generator, drop_last=True):
            loss = reference(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(reference.parameters(), 1.0)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            expected.append(loss.item())
            if len(expected) == 5:
                break
    assert history == expected


def test_finetune_evaluate_is_predict_plus_accuracy():
    from course_lib.training import finetune

    config = tiny_config(num_labels=2)
    model = course_lib.BertForSequenceClassification(config).eval()
    mask = torch.ones(9, 5, dtype=torch.long)
    mask[::2, 3:] = 0  # some padding: evaluation cuts each batch to its longest sentence
    data = {"input_ids": torch.randint(1, config.vocab_size, (9, 5)), "attention_mask": mask,
            "labels": torch.randint(0, 2, (9,))}
    value = finetune.evaluate(model, data, torch.device("cpu"), batch_size=4)
    assert value == accuracy(training.predict(model, data), data["labels"])  # the one predict, the one accuracy
    assert value * 9 == pytest.approx(round(value * 9))  # an exact share of the 9 examples


def test_transformers_models_share_the_same_outputs_fields():
    """Sanity: the reference really returns what we compare (guards the tests above against a vacuous pass)."""
    config = tiny_config(output_attentions=True)
    out = reference_model("BertModel", config, "eager")(**random_batch(config))
    assert out.attentions is not None and isinstance(transformers.__version__, str)
