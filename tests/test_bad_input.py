"""Bad input, round two (issue 13): nothing hangs, no silent wrong number, every error names its cause.

One test per case. Each asserts the exception type and that the message names the argument (and,
where there is one, the fix: ``.long()``, ``.float()``, ``torch.tensor``, ``model(**encoding)``).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import torch
from transformers import BertConfig

import course_lib
from course_lib import losses
from course_lib.evaluation import accuracy
from course_lib.notebook.parity import ParityReport, parity_report
from course_lib.task_data import corpus
from course_lib.training import finetune, predict, train, training_step
from course_lib.training.masking import mask_tokens
from course_lib.training.optim import AdamL2, AdamW, LegacyTransformersAdamW, param_groups
from course_lib.training.schedules import get_scheduler
from helpers import within


def small(**overrides) -> BertConfig:
    settings = dict(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=20,
                    max_position_embeddings=16)
    settings.update(overrides)
    return BertConfig(**settings)


@pytest.fixture(scope="module")
def ids():
    return torch.randint(1, 50, (2, 5), generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def encoder():
    torch.manual_seed(0)
    return course_lib.BertModel(small()).eval()


@pytest.fixture(scope="module")
def classifier():
    torch.manual_seed(0)
    return course_lib.BertForSequenceClassification(small(num_labels=3))


# --- 1. nothing hangs ------------------------------------------------------------------------------




def test_train_with_batch_larger_than_the_data_raises_instead_of_looping(classifier, ids):
    data = {"input_ids": ids, "labels": torch.tensor([0, 1])}
    with within(20), pytest.raises(ValueError, match=r"batch_size 4 is larger than the data set \(2 examples\)"):
        train(classifier, data, steps=2, batch_size=4)


def test_nsp_pairs_from_one_animal_raise_instead_of_looping():
    documents = [["the cat eats mice .", "the cat is black ."]] * 3
    with within(20), pytest.raises(ValueError, match=r"every document is about the same animal \(cat\)"):
        corpus.make_nsp_pairs(documents)


def test_nsp_pairs_still_work_with_two_animals():
    documents = [["the cat eats mice .", "the cat is black ."], ["the dog says woof .", "the dog is brown ."]]
    pairs = corpus.make_nsp_pairs(documents, seed=0)
    assert len(pairs) == 2 and {label for _, _, label in pairs} <= {0, 1}


def test_finetune_with_batch_larger_than_the_data_ends_in_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_ENCODER", raising=False)
    with pytest.raises(SystemExit, match="--train-size 10 is too small"):
        finetune.main(["--tiny", "--steps", "2", "--batch-size", "1000", "--train-size", "10", "--test-size", "4",
                       "--out", str(tmp_path)])


# --- 2. no silent wrong number ---------------------------------------------------------------------


@pytest.mark.parametrize("norm", [-1.0, 0.0, 0])
def test_train_rejects_max_grad_norm_that_is_not_positive(classifier, ids, norm):
    data = {"input_ids": ids, "labels": torch.tensor([0, 1])}
    with pytest.raises(ValueError, match="max_grad_norm must be a positive number"):
        train(classifier, data, steps=1, batch_size=2, max_grad_norm=norm)


@pytest.mark.parametrize("norm", ["-1", "0"])
def test_finetune_rejects_max_grad_norm_that_is_not_positive(tmp_path, norm):
    with pytest.raises(SystemExit, match="--max-grad-norm must be a positive number"):
        finetune.main(["--tiny", "--max-grad-norm", norm, "--out", str(tmp_path)])


def test_lm_head_model_without_is_decoder_warns_naming_the_flag():
    with pytest.warns(UserWarning, match=r"BertLMHeadModel built without config.is_decoder=True"):
        course_lib.BertLMHeadModel(small())


def test_masked_lm_with_is_decoder_warns_naming_the_flag():
    with pytest.warns(UserWarning, match=r"BertForMaskedLM built with config.is_decoder=True"):
        course_lib.BertForMaskedLM(small(is_decoder=True))


def test_the_usual_builds_do_not_warn(recwarn):
    course_lib.BertLMHeadModel(small(is_decoder=True))
    course_lib.BertForMaskedLM(small())
    assert not [w for w in recwarn if "is_decoder" in str(w.message)]


@pytest.mark.parametrize("mask", [
    torch.tensor([[0.0, 0.0, 0.0, -10000.0, -10000.0]] * 2),  # an additive mask
    torch.tensor([[0.0, 0.0, float("-inf"), 0.0, 0.0]] * 2),
    torch.full((2, 5), 2),  # an integer "mask" with a 2 in it
    torch.full((2, 5), 0.5),
])
def test_attention_mask_that_is_not_zero_one_is_rejected(encoder, ids, mask):
    with pytest.raises(ValueError, match="attention_mask must hold 1 for tokens to attend to and 0 for padding"):
        encoder(input_ids=ids, attention_mask=mask)


@pytest.mark.parametrize("dtype", [torch.float32, torch.long, torch.int32, torch.bool])
def test_zero_one_masks_of_every_dtype_give_the_same_output(encoder, ids, dtype):
    keep = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    reference = encoder(input_ids=ids, attention_mask=keep).last_hidden_state
    torch.testing.assert_close(encoder(input_ids=ids, attention_mask=keep.to(dtype)).last_hidden_state, reference)


def test_accuracy_skips_minus_100():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 0.0]])
    labels = torch.tensor([0, 1, 1, -100])  # 2 of the 3 scored labels are right
    assert accuracy(logits, labels) == pytest.approx(2 / 3)


def test_accuracy_of_token_logits_skips_minus_100():
    logits = torch.zeros(1, 3, 2)
    logits[0, :, 1] = 1.0  # predicts class 1 everywhere
    assert accuracy(logits, torch.tensor([[1, -100, 0]])) == pytest.approx(0.5)


def test_accuracy_with_one_dimensional_logits_raises():
    with pytest.raises(ValueError, match=r"logits \(4,\) must have one more dimension than labels \(4,\)"):
        accuracy(torch.randn(4), torch.tensor([0, 1, 0, 1]))


def test_accuracy_with_every_label_ignored_raises():
    with pytest.raises(ValueError, match="every label is -100"):
        accuracy(torch.randn(2, 2), torch.tensor([-100, -100]))


def test_accuracy_keeps_its_batch_size_message():
    with pytest.raises(ValueError, match="3 predictions but 2 labels"):
        accuracy(torch.randn(3, 2), torch.tensor([0, 1]))


def test_single_label_classification_with_one_label_is_rejected():
    config = small(num_labels=2)
    config.num_labels = 1  # BertConfig 5.x refuses this in the constructor; 4.57 does not
    config.problem_type = "single_label_classification"
    with pytest.raises(ValueError, match="needs num_labels >= 2"):
        course_lib.BertForSequenceClassification(config)
    with pytest.raises(ValueError, match="needs num_labels >= 2"):
        losses.single_label_loss(torch.randn(2, 1), torch.tensor([0, 0]))


@pytest.mark.parametrize("cls_name", ["BertForSequenceClassification", "BertForTokenClassification"])
def test_zero_labels_are_rejected(cls_name):
    with pytest.raises(ValueError, match="num_labels must be an integer >= 1, got 0"):
        getattr(course_lib, cls_name)(small(num_labels=0))


def test_adamw_with_a_repeated_parameter_is_rejected():
    p = torch.nn.Parameter(torch.randn(3))
    for optimizer_cls in (AdamW, AdamL2, LegacyTransformersAdamW):
        with pytest.raises(ValueError, match="lists the same parameter twice"):
            optimizer_cls([p, p])
    with pytest.raises(ValueError, match="parameter group 1 lists the same parameter twice"):
        AdamW([{"params": [torch.nn.Parameter(torch.ones(1))]}, {"params": [p, p]}])


def test_adamw_of_a_tied_model_is_fine():
    model = course_lib.BertForMaskedLM(small())  # the decoder weight is the word embedding
    AdamW(model.parameters())
    AdamW(param_groups(model, 0.01))


def test_finetune_one_step_does_not_train_at_lr_zero(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_ENCODER", raising=False)
    out = tmp_path / "run"
    finetune.main(["--tiny", "--steps", "1", "--train-size", "16", "--test-size", "4", "--batch-size", "8",
                   "--lr", "5e-5", "--out", str(out)])
    import json

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["warmup_steps"] == 0 and metrics["learning_rates"] == [5e-05]


def test_finetune_one_step_that_is_all_warmup_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="the only step would run at learning rate 0"):
        finetune.main(["--tiny", "--steps", "1", "--warmup-steps", "1", "--out", str(tmp_path)])


def test_finetune_tiny_with_encoder_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="--tiny builds a small random BERT and would ignore --encoder"):
        finetune.main(["--tiny", "--encoder", "bert-base-uncased", "--out", str(tmp_path)])


def test_from_pretrained_rejects_a_misspelt_keyword():
    with pytest.raises(ValueError, match=r"unknown keyword 'num_labelz' \(did you mean 'num_labels'\?\)"):
        course_lib.BertForSequenceClassification.from_pretrained(num_labelz=3)


def test_from_pretrained_rejects_config_and_overrides_together():
    with pytest.raises(ValueError, match="give either config=... or config overrides"):
        course_lib.BertModel.from_pretrained(config=small(), num_labels=3)


# --- 3. every error names its cause ----------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.uint8, torch.bool, torch.float32, torch.int16])
def test_input_ids_of_a_wrong_dtype_say_long(encoder, ids, dtype):
    with pytest.raises(ValueError, match=rf"input_ids must hold integer token ids.*got dtype {dtype}.*\.long\(\)"):
        encoder(input_ids=ids.to(dtype))


def test_int32_input_ids_work_like_int64(encoder, ids):
    torch.testing.assert_close(encoder(input_ids=ids.int()).last_hidden_state, encoder(input_ids=ids).last_hidden_state)


@pytest.mark.parametrize("name", ["token_type_ids", "position_ids"])
def test_float_token_types_and_positions_say_long(encoder, ids, name):
    value = torch.zeros(2, 5) if name == "token_type_ids" else torch.arange(5.0)
    with pytest.raises(ValueError, match=rf"{name} must hold integer indices.*\.long\(\)"):
        encoder(input_ids=ids, **{name: value})


def test_negative_position_ids_are_rejected(encoder, ids):
    with pytest.raises(ValueError, match=r"position_ids must lie in \[0, max_position_embeddings=16\)"):
        encoder(input_ids=ids, position_ids=-torch.arange(5))


@pytest.mark.parametrize("make", [lambda t: t.tolist(), lambda t: t.numpy()], ids=["list", "numpy"])
def test_input_ids_that_are_not_a_tensor_say_torch_tensor(encoder, ids, make):
    with pytest.raises(TypeError, match=r"input_ids must be a torch.Tensor, got (list|ndarray); convert it with torch"):
        encoder(input_ids=make(ids))


def test_a_tokenizer_output_passed_as_input_ids_says_unpack_it(encoder):
    from transformers import BatchEncoding

    encoding = BatchEncoding({"input_ids": torch.tensor([[1, 2, 3]]), "attention_mask": torch.ones(1, 3)})
    with pytest.raises(TypeError, match=r"input_ids got a BatchEncoding .* model\(\*\*encoding\)"):
        encoder(encoding)


def test_sequence_length_zero_is_rejected(encoder):
    with pytest.raises(ValueError, match="sequence length 0"):
        encoder(input_ids=torch.zeros(2, 0, dtype=torch.long))


def test_zero_choices_are_rejected():
    model = course_lib.BertForMultipleChoice(small())
    with pytest.raises(ValueError, match="0 choices per question"):
        model(input_ids=torch.zeros(2, 0, 5, dtype=torch.long))


@pytest.mark.parametrize("field,value,message", [
    ("num_attention_heads", 0, r"config.num_attention_heads must be an integer >= 1, got 0"),
    ("vocab_size", 0, r"config.vocab_size must be an integer >= 1, got 0"),
    ("hidden_dropout_prob", 2.0, r"config.hidden_dropout_prob must be a probability in \[0, 1\], got 2.0"),
    ("layer_norm_eps", 0.0, r"config.layer_norm_eps must be a positive number"),
    ("hidden_size", None, r"config.hidden_size must be an integer >= 1, got None"),
    ("intermediate_size", "20", r"config.intermediate_size must be an integer >= 1, got '20'"),
])
def test_bad_config_fields_are_named(field, value, message):
    config = small()
    object.__setattr__(config, field, value)  # around 5.x's own type validation: 4.57 has none
    with pytest.raises(ValueError, match=message):
        course_lib.BertModel(config)


def test_inputs_embeds_of_another_dtype_say_convert(encoder):
    with pytest.raises(ValueError, match=r"inputs_embeds has dtype torch.float64 .* inputs_embeds.to\(torch.float32\)"):
        encoder(inputs_embeds=torch.randn(2, 5, 16, dtype=torch.float64))


def test_int32_class_ids_still_work_for_sequence_classification(classifier, ids):
    loss32 = classifier.eval()(input_ids=ids, labels=torch.tensor([0, 2], dtype=torch.int32)).loss
    loss64 = classifier(input_ids=ids, labels=torch.tensor([0, 2])).loss
    torch.testing.assert_close(loss32, loss64)


def test_float_class_ids_say_long():
    model = course_lib.BertForSequenceClassification(small(num_labels=3, problem_type="single_label_classification"))
    with pytest.raises(ValueError, match=r"single-label classification labels must be integer class ids, not probabilities, .* labels.long\(\)"):
        model(input_ids=torch.ones(2, 4, dtype=torch.long), labels=torch.tensor([0.0, 1.0]))


def test_int64_multi_hot_labels_say_float():
    model = course_lib.BertForSequenceClassification(small(num_labels=3, problem_type="multi_label_classification"))
    with pytest.raises(ValueError, match=r"needs float multi-hot labels.*labels.float\(\)"):
        model(input_ids=torch.ones(2, 4, dtype=torch.long), labels=torch.ones(2, 3, dtype=torch.long))


@pytest.mark.parametrize("cls_name,kwargs,message", [
    ("BertForTokenClassification", {"labels": torch.zeros(2, 5, dtype=torch.int32)}, r"token labels .*labels.long\(\)"),
    ("BertForMaskedLM", {"labels": torch.zeros(2, 5, dtype=torch.int32)}, r"MLM labels .*labels.long\(\)"),
    ("BertForNextSentencePrediction", {"labels": torch.tensor([0.0, 1.0])}, r"next_sentence_label.*\.long\(\)"),
    ("BertForQuestionAnswering", {"start_positions": torch.tensor([0, 1], dtype=torch.int32),
                                  "end_positions": torch.tensor([0, 1], dtype=torch.int32)},
     r"start_positions .*start_positions.long\(\)"),
])
def test_labels_of_a_wrong_dtype_say_long(cls_name, kwargs, message, ids):
    config = small(num_labels=3 if cls_name == "BertForTokenClassification" else 2)
    with pytest.raises(ValueError, match=message):
        getattr(course_lib, cls_name)(config)(input_ids=ids, **kwargs)


@pytest.mark.parametrize("call", [
    lambda m, ids: m(input_ids=ids, labels=[0, 1]),
])
def test_labels_that_are_not_a_tensor_say_torch_tensor(classifier, ids, call):
    with pytest.raises(TypeError, match=r"labels must be a torch.Tensor, got list"):
        call(classifier, ids)


@pytest.mark.parametrize("fn,args,message", [
    (losses.masked_lm_loss, (torch.randn(2, 5, 9), torch.zeros(2, 5)), r"labels must be integer token ids, not probabilities"),
    (losses.next_sentence_loss, (torch.randn(2, 2), torch.tensor([0, 1], dtype=torch.int32)), r"\.long\(\)"),
    (losses.span_position_loss, (torch.randn(2, 5), [1, 2]), r"positions must be a torch.Tensor"),
    (losses.question_answering_loss, (torch.randn(2, 5), torch.randn(2, 5), [1, 2], [1, 2]), r"must be a torch.Tensor"),
    (losses.token_classification_loss, (torch.randn(2, 5, 3), [[0] * 5] * 2), r"token labels must be a torch.Tensor"),
    (losses.infer_problem_type, (0, torch.tensor([1])), r"num_labels must be an integer >= 1, got 0"),
    (losses.multiple_choice_loss, (torch.randn(4, 1), torch.tensor([0]), 0), r"num_choices must be an integer >= 1"),
])
def test_loss_functions_name_their_bad_arguments(fn, args, message):
    with pytest.raises((ValueError, TypeError), match=message):
        fn(*args)


def test_sequence_classification_loss_returns_a_tensor():
    loss = losses.sequence_classification_loss(torch.randn(4, 3), torch.tensor([0, 1, 2, 1]))
    assert isinstance(loss, torch.Tensor) and loss.dim() == 0


def test_optimizers_given_the_model_say_parameters():
    model = course_lib.BertModel(small())
    for optimizer_cls in (AdamW, AdamL2, LegacyTransformersAdamW):
        with pytest.raises(TypeError, match=r"got the model itself \(BertModel\); pass its parameters"):
            optimizer_cls(model)


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": None}, "Invalid learning rate None"),
    ({"lr": "1e-3"}, "Invalid learning rate '1e-3'"),
    ({"betas": None}, "Invalid betas None"),
    ({"eps": "x"}, "Invalid eps 'x'"),
    ({"weight_decay": None}, "Invalid weight_decay None"),
])
def test_optimizer_hyperparameters_that_are_not_numbers_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AdamW([torch.nn.Parameter(torch.ones(2))], **kwargs)


def test_param_groups_given_parameters_say_model():
    model = course_lib.BertModel(small())
    with pytest.raises(TypeError, match=r"param_groups needs the model itself .* not model.parameters\(\)"):
        param_groups(model.parameters(), 0.01)


@pytest.mark.parametrize("name,pass_optimizer,kwargs,error,message", [
    ("linear", False, {}, TypeError, "needs a torch.optim.Optimizer"),
    (None, True, {}, ValueError, "the schedule name must be a string"),
    ("linear", True, {"num_warmup_steps": "1", "num_training_steps": 10}, ValueError,
     "`num_warmup_steps` must be a number of steps, got '1'"),
    ("cosine", True, {"num_warmup_steps": 1, "num_training_steps": 10,
                      "scheduler_specific_kwargs": {"num_cycles": "x"}}, ValueError, "`num_cycles` .* must be a number"),
    ("linear", True, {"num_warmup_steps": 1, "num_training_steps": 10, "scheduler_specific_kwargs": [1]}, TypeError,
     "scheduler_specific_kwargs must be a dict"),
])
def test_schedule_arguments_are_named(name, pass_optimizer, kwargs, error, message):
    optimizer = AdamW([torch.nn.Parameter(torch.ones(2))]) if pass_optimizer else "the model"
    with pytest.raises(error, match=message):
        get_scheduler(name, optimizer, **kwargs)


def test_parity_report_arguments_are_named(encoder, ids):
    with pytest.raises(TypeError, match=r"`inputs` must be a dict of keyword arguments"):
        parity_report(encoder, encoder, ids)
    with pytest.raises(TypeError, match=r"`theirs` must be a model"):
        parity_report(encoder, "theirs", {"input_ids": ids})
    with pytest.raises(TypeError, match=r"logits: compare tensors or numbers"):
        ParityReport().add("logits", None, object())


def test_mask_tokens_arguments_are_named(ids):
    class Tok:
        mask_token, mask_token_id, all_special_ids = "[MASK]", 4, [0, 4]

        def __len__(self):
            return 50

    with pytest.raises(TypeError, match="input_ids must be a torch.Tensor, got list"):
        mask_tokens(ids.tolist(), Tok())
    with pytest.raises(ValueError, match=r"mlm_probability must be a probability in \[0, 1\], got '0.15'"):
        mask_tokens(ids, Tok(), mlm_probability="0.15")
    with pytest.raises(ValueError, match=r"input_ids must hold integer token ids \(torch.long\), got dtype torch.uint8"):
        mask_tokens(ids.to(torch.uint8), Tok())


def test_corpus_generators_name_bad_sizes():
    with pytest.raises(ValueError, match="n_docs must be an integer >= 1, got 0"):
        corpus.generate_documents(0)
    with pytest.raises(ValueError, match=r"sentences_per_doc must be \(min, max\)"):
        corpus.generate_documents(3, (5, 2))
    with pytest.raises(ValueError, match="needs a non-empty list of documents"):
        corpus.make_nsp_pairs([])
    with pytest.raises(ValueError, match="at least one"):
        corpus.encode_pairs([], tokenizer=None)


@pytest.mark.parametrize("source,message", [
    ("/nonexistent/checkpoint", r"no such checkpoint folder: '/nonexistent/checkpoint' does not exist"),
    ("./runs/missing", r"no such checkpoint folder"),
    ("bert-base-uncased", r"is not a folder here, and the model hub is switched off"),
])
def test_a_folder_that_does_not_exist_is_named(source, message, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match=message):
        course_lib.BertModel.from_pretrained(source)


def test_a_source_that_is_not_a_path_is_named():
    with pytest.raises(TypeError, match="must be a folder path or a hub name"):
        course_lib.BertModel.from_pretrained(3)


def test_train_arguments_are_named(classifier, ids):
    data = {"input_ids": ids, "labels": torch.tensor([0, 1])}
    with pytest.raises(ValueError, match="steps must be an integer >= 1, got '2'"):
        train(classifier, data, steps="2", batch_size=2)
    with pytest.raises(TypeError, match="data must be a dict of tensors"):
        train(classifier, [1, 2], steps=2)
    with pytest.raises(TypeError, match="data\\['labels'\\] must be a torch.Tensor, got list"):
        train(classifier, {"input_ids": ids, "labels": [0, 1]}, steps=1, batch_size=2)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got generator"):
        train(classifier.parameters(), data, steps=2)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        train(classifier, data, steps=1, batch_size=2, optimizer=classifier)
    with pytest.raises(ValueError, match="lr must be a positive number, got 0"):
        train(classifier, data, steps=1, batch_size=2, lr=0)


def test_training_step_without_labels_says_so(classifier, ids):
    optimizer = AdamW(classifier.parameters())
    with pytest.raises(ValueError, match="the model returned no loss: the batch needs labels"):
        training_step(classifier, {"input_ids": ids}, optimizer)


def test_predict_names_an_empty_data_set_and_a_missing_output(classifier, ids):
    with pytest.raises(ValueError, match="data has 0 examples"):
        predict(classifier, {"input_ids": ids[:0]})
    with pytest.raises(ValueError, match="no tensor field 'logitz'"):
        predict(classifier, {"input_ids": ids}, output="logitz")


def test_finetune_errors_end_in_one_line(tmp_path, monkeypatch):
    # main() records a non-folder --encoder in $COURSE_ENCODER for the process: keep it out of later tests
    monkeypatch.setenv("COURSE_ENCODER", "")
    with pytest.raises(SystemExit) as info:
        finetune.main(["--encoder", str(tmp_path / "missing"), "--out", str(tmp_path)])
    message = str(info.value)
    assert message.startswith("python -m course_lib.training.finetune: error: no such checkpoint folder") and "\n" not in message


def test_numpy_positions_in_the_qa_model_say_torch_tensor(ids):
    model = course_lib.BertForQuestionAnswering(small())
    with pytest.raises(TypeError, match="start_positions must be a torch.Tensor, got ndarray"):
        model(input_ids=ids, start_positions=np.array([0, 1]), end_positions=np.array([0, 1]))


@pytest.mark.parametrize("cls_name,label_kwargs", [
    ("BertForSequenceClassification", {}),
    ("BertForTokenClassification", {"labels": torch.zeros(1, 3, dtype=torch.long)}),
    ("BertForMaskedLM", {"labels": torch.zeros(1, 3, dtype=torch.long)}),
    ("BertForPreTraining", {}),
    ("BertForNextSentencePrediction", {}),
    ("BertForQuestionAnswering", {"start_positions": torch.tensor([0]), "end_positions": torch.tensor([1])}),
    ("BertForMultipleChoice", {}),
])
def test_every_model_given_a_tokenizer_output_says_unpack_it(cls_name, label_kwargs):
    from transformers import BatchEncoding

    model = getattr(course_lib, cls_name)(small(num_labels=2))
    encoding = BatchEncoding({"input_ids": torch.ones(1, 3, dtype=torch.long)})
    with pytest.raises(TypeError, match=r"input_ids got a BatchEncoding .* model\(\*\*encoding\)"):
        model(encoding, **label_kwargs)


# --- round three (issue 22): careless input named, valid transformers usage honoured ----------------------------

MODEL_LABELS = {
    "BertModel": {},
    "BertForPreTraining": {"labels": torch.tensor([[1, -100, 3, -100, 5]] * 2), "next_sentence_label": torch.tensor([0, 1])},
    "BertForMaskedLM": {"labels": torch.tensor([[1, -100, 3, -100, 5]] * 2)},
    "BertLMHeadModel": {"labels": torch.tensor([[1, 2, 3, 4, 5]] * 2)},
    "BertForNextSentencePrediction": {"labels": torch.tensor([0, 1])},
    "BertForSequenceClassification": {"labels": torch.tensor([0, 1])},
    "BertForMultipleChoice": {"labels": torch.tensor([0, 1])},
    "BertForTokenClassification": {"labels": torch.tensor([[0, 1, -100, 1, 0]] * 2)},
    "BertForQuestionAnswering": {"start_positions": torch.tensor([1, 2]), "end_positions": torch.tensor([2, 3])},
}


def _inputs(cls_name: str, ids: torch.Tensor) -> dict:
    return {"input_ids": ids[:, None, :].expand(2, 2, 5)} if cls_name == "BertForMultipleChoice" else {"input_ids": ids}


@pytest.mark.parametrize("cls_name", sorted(MODEL_LABELS))
def test_return_dict_false_gives_a_tuple_as_in_transformers(cls_name, ids):
    """`loss, logits = model(..., labels=y, return_dict=False)`: the set fields, in order (to_tuple())."""
    torch.manual_seed(0)
    model = getattr(course_lib, cls_name)(small(num_labels=2, is_decoder=cls_name == "BertLMHeadModel")).eval()
    kwargs = {**_inputs(cls_name, ids), **MODEL_LABELS[cls_name]}
    out = model(**kwargs)
    as_tuple = model(**kwargs, return_dict=False)
    assert isinstance(as_tuple, tuple) and len(as_tuple) == len(out.keys())
    for got, name in zip(as_tuple, out.keys()):
        torch.testing.assert_close(got, out[name])
    model.config.return_dict = False  # the config's switch, as transformers reads it
    try:
        assert isinstance(model(**kwargs), tuple) and not isinstance(model(**kwargs, return_dict=True), tuple)
    finally:
        model.config.return_dict = True


@pytest.mark.parametrize("config", [None, "bert-base-uncased", {"vocab_size": 50}])
def test_a_model_built_from_something_that_is_not_a_config_says_what_a_config_is(config):
    with pytest.raises(TypeError, match=r"built from a configuration object .*BertConfig.*from_pretrained"):
        course_lib.BertForSequenceClassification(config)


@pytest.mark.parametrize("cls_name", sorted(set(MODEL_LABELS) - {"BertModel"}))
def test_an_empty_batch_with_labels_is_named_like_transformers_refuses_it(cls_name, ids):
    model = getattr(course_lib, cls_name)(small(num_labels=2, is_decoder=cls_name == "BertLMHeadModel"))
    kwargs = {k: v[:0] for k, v in {**_inputs(cls_name, ids), **MODEL_LABELS[cls_name]}.items()}
    with pytest.raises(ValueError, match="the batch is empty"):
        model(**kwargs)


def test_an_all_zero_attention_mask_row_is_refused(encoder, ids):
    """An additive mask of an unpadded batch is all 0: read as a keep-mask it hides every token."""
    with pytest.raises(ValueError, match=r"attention_mask row 0 is all 0: that sequence has no token to attend to"):
        encoder(ids, attention_mask=torch.zeros_like(ids))
    with pytest.raises(ValueError, match=r"row 1 is all 0"):
        encoder(ids, attention_mask=torch.tensor([[True] * 5, [False] * 5]))


def test_float_class_ids_and_integer_multi_hot_labels_say_which_conversion(classifier, ids):
    model = course_lib.BertForSequenceClassification(small(num_labels=2))
    with pytest.raises(ValueError, match=r"read as multi-hot .* for class ids \(single-label\) convert with labels\.long\(\)"):
        model(ids, labels=torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"look multi-hot: for multi-label classification convert with labels\.float\(\)"):
        model(ids, labels=torch.tensor([[0, 1], [1, 1]]))


@pytest.mark.parametrize("call, message", [
    (lambda: losses.masked_lm_loss(torch.randint(0, 9, (2, 5)), torch.randn(2, 5, 9)), r"check the order"),
    (lambda: losses.masked_lm_loss(torch.randn(2, 5, 9), torch.zeros(2, 4, dtype=torch.long)), r"one label per token"),
    (lambda: losses.masked_lm_loss(torch.randn(2, 9), torch.zeros(2, 5, dtype=torch.long)),
     r"\[batch, seq_len, vocab_size\]"),
    (lambda: losses.masked_lm_loss(torch.randn(2, 5, 9), torch.full((2, 5), 9)), r"labels must lie in \[0, 9\) for 9 vocabulary entries"),
    (lambda: losses.next_sentence_loss(torch.randn(2, 3), torch.tensor([0, 1])), r"\[batch, 2\]"),
    (lambda: losses.next_sentence_loss(torch.randn(2, 2), torch.tensor([0, 1, 1])), r"one label per sequence"),
    (lambda: losses.next_sentence_loss(torch.randn(2, 2), torch.tensor([0, 2])), r"must be 0 .* or 1"),
    (lambda: losses.sequence_classification_loss(torch.randn(4), torch.tensor([0, 1, 1, 0])),
     r"\[batch, num_labels\] .*unsqueeze"),
    (lambda: losses.pretraining_loss(torch.randint(0, 9, (2, 5)), torch.tensor([0, 1]), torch.randn(2, 5, 9),
                                     torch.randn(2, 2)), r"pretraining_loss\(prediction_logits, seq_relationship_logits"),
    (lambda: losses.pretraining_loss(torch.randn(2, 5, 9), torch.tensor([0, 1]), torch.randint(0, 9, (2, 5)),
                                     torch.randn(2, 2)), r"check the order"),
    (lambda: losses.causal_lm_loss(torch.randint(0, 9, (2, 5)), torch.randn(2, 5, 9)), r"check the order"),
])
def test_loss_functions_called_directly_name_a_wrong_shape_or_order(call, message):
    with within(10), pytest.raises(ValueError, match=message):
        call()


def test_schedule_divisions_by_zero_are_named():
    from course_lib.training import schedules

    with pytest.raises(ValueError, match="inverse_sqrt: timescale must be a positive number of steps, got 0"):
        schedules.inverse_sqrt(3, num_warmup_steps=0, timescale=0)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    with pytest.raises(ValueError, match=r"num_warmup_steps \(10\) must be smaller than num_training_steps \(10\)"):
        get_scheduler("polynomial", optimizer, 10, 10)
    with pytest.raises(ValueError, match="inverse_sqrt: timescale"):
        get_scheduler("inverse_sqrt", optimizer, 0, scheduler_specific_kwargs={"timescale": 0})


@pytest.mark.parametrize("cls", [AdamW, AdamL2])
def test_optimizers_accept_named_parameters_as_torch_does(cls):
    """torch >= 2.6 takes model.named_parameters() (and keeps the names in the group); so do ours."""
    torch.manual_seed(0)
    a, b = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    named, plain = cls(a.named_parameters(), lr=0.1), cls(b.parameters(), lr=0.1)
    assert named.param_groups[0]["param_names"] == ["weight", "bias"]
    x = torch.randn(4, 3)
    for model, optimizer in ((a, named), (b, plain)):
        model(x).pow(2).sum().backward()
        optimizer.step()
    torch.testing.assert_close(a.weight, b.weight)


def test_optimizers_name_an_empty_list_and_a_group_without_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        AdamW([])
    with pytest.raises(ValueError, match="parameter group 0 has no 'params' key"):
        AdamW([{"lr": 0.1}])


def test_evaluation_accuracy_does_not_broadcast_and_skips_minus_100_like_training_accuracy():
    from course_lib import evaluation

    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [0.0, 2.0], [2.0, 0.0]])
    with pytest.raises(ValueError, match=r"labels must be class ids of shape \[N\], got shape \(4, 1\)"):
        evaluation.accuracy(logits.argmax(-1), torch.tensor([[0], [1], [1], [0]]))
    labels = torch.tensor([0, 1, -100, -100])
    assert evaluation.accuracy(logits, labels) == accuracy(logits, labels) == 1.0
    with pytest.raises(ValueError, match="every label is -100"):
        evaluation.accuracy(logits, torch.full((4,), -100))


def test_squad_metrics_takes_a_bare_string_as_the_one_gold_answer():
    from course_lib.models.question_answering import squad_metrics

    assert squad_metrics(["Lyon", "Porto"], ["Lyon", "Porto"]) == {"exact_match": 100.0, "f1": 100.0}
    assert squad_metrics(["Lyon", "Porto"], ["Lyon", ["Braga", "porto"]])["exact_match"] == 100.0
    with pytest.raises(TypeError, match="each prediction must be a string"):
        squad_metrics([["Lyon"]], [["Lyon"]])
    with pytest.raises(TypeError, match="predictions must be a list"):
        squad_metrics("Lyon", ["Lyon"])


def test_task_data_refuses_a_bool_count_and_string_labels():
    from course_lib.models.token_classification import tokenize_and_align_labels
    from course_lib.task_data import classification, ner, qa

    for make in (classification.sentiment, classification.similarity, ner.make_ner_data, qa.make_qa_data):
        with pytest.raises(ValueError, match=r"n must be an integer >= [01], got True: the number of"):
            make(True)
    tokenizer = corpus.corpus_tokenizer()
    examples = classification.sentiment(4)
    with pytest.raises(ValueError, match=r"got the string 'pos': map the names to ids"):
        classification.encode(classification.Examples(examples.texts, ["pos", "neg"] * 2), tokenizer)
    with pytest.raises(ValueError, match=r"max_length must be an integer >= 3"):
        classification.encode(examples, tokenizer, max_length=0)
    sentences = ner.make_ner_data(2)
    with pytest.raises(ValueError, match=r"pass ex.tag_ids, not ex.tags"):
        tokenize_and_align_labels(tokenizer, [s.words for s in sentences], [s.tags for s in sentences])


def test_load_movie_reviews_expands_the_home_folder(tmp_path, monkeypatch):
    from course_lib.task_data import load_movie_reviews

    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=f"not in {tmp_path / 'data'}"):
        load_movie_reviews("~/data")


def test_lab_port_option_wins_over_a_bad_port_variable(monkeypatch, capsys):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("lab", Path(__file__).resolve().parent.parent / "tools" / "lab.py")
    lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(lab)
    monkeypatch.setenv("PORT", "80")
    with pytest.raises(SystemExit) as done:
        lab.main(["--port", "8932", "--help"])
    assert done.value.code == 0 and "--port" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        lab.main([])
    assert done.value.code == 2 and "PORT must be a number from 1024 to 65535, not 80" in capsys.readouterr().err


def test_finetune_max_length_too_short_for_the_special_tokens_is_one_line(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        finetune.main(["--tiny", "--max-length", "1", "--out", str(tmp_path / "out")])
    message = str(exit_info.value)
    assert message.startswith("python -m course_lib.training.finetune: error: max_length must be an integer >= 3")
    assert "\n" not in message


def test_finetune_damaged_checkpoint_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_ENCODER", "")
    from course_lib.models.pretrained import packaged_encoder_dir

    damaged = tmp_path / "encoder"
    shutil.copytree(packaged_encoder_dir(), damaged)
    (damaged / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(SystemExit) as exit_info:
        finetune.main(["--encoder", str(damaged), "--steps", "1", "--train-size", "64", "--test-size", "32",
                       "--out", str(tmp_path / "out")])
    message = str(exit_info.value)
    assert "model.safetensors is not a readable checkpoint" in message and "\n" not in message
