"""The MLM head's activation is a module: print(model) shows dense, activation, LayerNorm, as in transformers,
and the state-dict keys do not change (the wrapper has no parameters)."""

import pytest
import torch
import transformers

import course_lib
from course_lib.models.heads import Activation, activation_module
from tests.helpers import tiny_config


def test_printed_transform_shows_the_activation_in_transformers_order():
    config = tiny_config()
    ours = course_lib.BertForPreTraining(config).cls.predictions.transform
    theirs = transformers.BertForPreTraining(config).cls.predictions.transform
    assert [name for name, _ in ours.named_children()] == [name for name, _ in theirs.named_children()]
    assert f"(transform_act_fn): Activation({config.hidden_act})" in repr(ours)


def test_wrapper_adds_no_state_dict_keys():
    config = tiny_config()
    ours, theirs = course_lib.BertForPreTraining(config), transformers.BertForPreTraining(config)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(Activation(torch.tanh, "tanh").state_dict()) == []


def test_wrapper_computes_the_function():
    x = torch.linspace(-3, 3, 13)
    torch.testing.assert_close(activation_module("gelu")(x), torch.nn.functional.gelu(x), rtol=0, atol=0)
    assert isinstance(activation_module("prelu"), torch.nn.PReLU)  # learned parameters: the module itself


def test_bad_activation_is_refused():
    with pytest.raises(TypeError, match="Activation needs a callable"):
        Activation("gelu", "gelu")
    with pytest.raises(ValueError, match="unknown activation"):
        activation_module("no_such_activation")
