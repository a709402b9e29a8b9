"""course_lib._checks, the argument checks every layer shares, and the two checks built on them: the
class-label check of the losses and the input check every model's forward starts with."""

import math

import numpy as np
import pytest
import torch
from transformers import BertConfig

import course_lib
from course_lib import losses
from course_lib._checks import (
    check_integer,
    check_positive,
    check_probability,
    check_real,
    check_tensor,
    is_integer,
    is_real,
)

NAN = float("nan")


# --- numbers --------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", [True, False])
def test_a_bool_is_not_a_count_nor_a_number(flag):
    # True is an int in Python (isinstance(True, int) holds): a flag passed as a count must not count as 1
    assert not is_integer(flag) and not is_real(flag)
    with pytest.raises(ValueError, match=rf"steps must be an integer >= 0, got {flag}"):
        check_integer("steps", flag, 0)
    with pytest.raises(ValueError, match=rf"lr must be a positive number, got {flag}"):
        check_positive("lr", flag)


@pytest.mark.parametrize("check, args", [
    (check_real, (0.0,)), (check_real, (None, 1.0)), (check_real, (0.0, 1.0)),
    (check_positive, ()), (check_probability, ()),
])
def test_nan_fails_every_bound(check, args):
    # a NaN passes `x < lo or x > hi`; the checks are written so that it fails
    with pytest.raises(ValueError, match=r"x must be .*got nan"):
        check("x", NAN, *args)


def test_numpy_scalars_are_numbers_and_come_back_as_python_numbers():
    assert check_integer("n", np.int64(3), 1) == 3 and type(check_integer("n", np.int64(3), 1)) is int
    assert check_real("atol", np.float32(0.5), 0) == 0.5 and type(check_real("atol", np.float32(0.5), 0)) is float
    assert check_probability("p", 1) == 1.0 and check_positive("lr", 2e-5) == 2e-5


@pytest.mark.parametrize("call, message", [
    (lambda: check_integer("batch_size", 0, 1), r"^batch_size must be an integer >= 1, got 0$"),
    (lambda: check_integer("fold", 4, 0, 3), r"^fold must be an integer in \[0, 3\], got 4$"),
    (lambda: check_integer("n", "3"), r"^n must be an integer, got '3'$"),
    (lambda: check_integer("n", 2.0, 1), r"^n must be an integer >= 1, got 2.0$"),
    (lambda: check_real("atol", -1, 0), r"^atol must be a number >= 0, got -1$"),
    (lambda: check_real("x", 2, None, 1), r"^x must be a number <= 1, got 2$"),
    (lambda: check_positive("max_grad_norm", 0), r"^max_grad_norm must be a positive number, got 0$"),
    (lambda: check_probability("mlm_probability", "0.15"), r"^mlm_probability must be a probability in \[0, 1\], got '0.15'$"),
    (lambda: check_integer("max_length", 2, 3, why="[CLS], a token, [SEP]"),
     r"^max_length must be an integer >= 3, got 2: \[CLS\], a token, \[SEP\]$"),
])
def test_messages_name_the_argument_the_rule_and_the_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_good_values_pass_and_are_returned():
    assert check_integer("n", 0, 0) == 0 and check_real("x", -math.inf) == -math.inf
    assert check_probability("p", 0.0) == 0.0 and check_probability("p", 1.0) == 1.0


# --- tensors --------------------------------------------------------------------------------------


def test_check_tensor_says_what_to_pass_instead():
    with pytest.raises(TypeError, match=r"input_ids must be a torch.Tensor, got list; convert it with torch.tensor"):
        check_tensor("input_ids", [[1, 2]])
    with pytest.raises(TypeError, match=r"got ndarray; convert it with torch.as_tensor"):
        check_tensor("input_ids", np.ones((1, 2)))
    with pytest.raises(TypeError, match=r"input_ids got a dict \(a tokenizer's output\?\).*model\(\*\*encoding\)"):
        check_tensor("input_ids", {"input_ids": torch.ones(1, 2)})
    with pytest.raises(ValueError, match=r"token_type_ids must hold integer indices \(torch.long\), got dtype torch.float32"):
        check_tensor("token_type_ids", torch.zeros(1, 2), "ids")
    with pytest.raises(ValueError, match=r"inputs_embeds must be a floating-point tensor, got dtype torch.int64"):
        check_tensor("inputs_embeds", torch.zeros(1, 2, dtype=torch.long), "float")
    check_tensor("attention_mask", None)  # an optional input left out
    with pytest.raises(TypeError, match=r"labels must be a torch.Tensor, got None"):
        check_tensor("labels", None, required=True)


# --- class labels (course_lib.losses) -----------------------------------------------------------------


def test_class_labels_skip_the_ignore_index_and_name_the_values_out_of_range():
    losses.check_class_labels(torch.tensor([0, 2, -100]), 3)
    with pytest.raises(ValueError, match=r"^labels must lie in \[0, 3\) for 3 classes \(or be -100 to skip an example\); "
                                         r"got \[-1, 3\]$"):
        losses.check_class_labels(torch.tensor([0, 3, -1]), 3)
    with pytest.raises(ValueError, match=r"got \[100\] \(the ignore index is -100, not 100\)"):
        losses.check_class_labels(torch.tensor([100, 1]), 5)
    with pytest.raises(ValueError, match=r"got \[10, 11, 12, 13, 14, \.\.\.\]"):
        losses.check_class_labels(torch.arange(10, 20), 5)


def test_class_labels_dtype():
    with pytest.raises(ValueError, match=r"token labels must be integer class ids of dtype torch.long, got torch.int32; "
                                         r"convert with labels.long\(\)"):
        losses.check_class_labels(torch.tensor([0, 1], dtype=torch.int32), 2, "token labels")
    losses.check_class_labels(torch.tensor([0, 1], dtype=torch.int32), 2, int32=True)  # the caller converts
    with pytest.raises(ValueError, match=r"labels must be integer class ids, not probabilities, of dtype"):
        losses.check_class_labels(torch.tensor([[0.2, 0.8]]), 2)
    with pytest.raises(TypeError, match=r"labels must be a torch.Tensor, got list"):
        losses.check_class_labels([0, 1], 2)


# --- model inputs (course_lib.models.backbone.check_inputs) -------------------------------------------

TASK_MODELS = ["BertModel", "BertForPreTraining", "BertForMaskedLM", "BertForNextSentencePrediction",
               "BertForSequenceClassification", "BertForTokenClassification", "BertForQuestionAnswering"]


@pytest.fixture(scope="module")
def config():
    return BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16,
                      max_position_embeddings=16)


@pytest.mark.parametrize("name", TASK_MODELS + ["BertForMultipleChoice"])
def test_every_model_checks_its_inputs_the_same_way(config, name):
    model = getattr(course_lib, name)(config)
    with pytest.raises(ValueError, match=rf"^{name} needs input_ids or inputs_embeds; neither was given$"):
        model()
    ids = torch.ones(2, 3, 4, dtype=torch.long) if name == "BertForMultipleChoice" else torch.ones(2, 4, dtype=torch.long)
    with pytest.raises(TypeError, match=r"input_ids must be a torch.Tensor, got list"):
        model(input_ids=ids.tolist())
    with pytest.raises(ValueError, match=r"attention_mask has shape \(2, 5\) but the input has shape"):
        model(input_ids=ids, attention_mask=torch.ones(2, 5))
    with pytest.raises(ValueError, match=r"give either input_ids or inputs_embeds, not both"):
        model(input_ids=ids, inputs_embeds=torch.zeros(*ids.shape, 8))


@pytest.mark.parametrize("name", TASK_MODELS)
def test_every_model_names_a_sequence_of_length_zero(config, name):
    model = getattr(course_lib, name)(config)
    with pytest.raises(ValueError, match=r"sequence length 0"):
        model(input_ids=torch.ones(2, 0, dtype=torch.long))
