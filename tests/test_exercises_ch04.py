"""Exercise checkers of notebook 04: right answers pass, typical wrong answers get their hint, and
nothing, the wrong type, the wrong shape or a crash gets a helpful message (never a traceback).

Learner functions here are written over several lines on purpose: the template detector reads the
source after the `def` line.
"""

import pytest
import torch
import torch.nn.functional as F
from transformers import BertConfig

import course_lib
from course_lib.exercises import ch04
from course_lib.exercises.ch04 import (
    check_pretraining_parameter_count,
    check_resize_rows,
    check_tied_gradient,
)
from course_lib.models.tying import count_parameters, resize_token_embeddings
from helpers import by_checker, crashes, returns_a_list, same_message_twice, try_again

# ---- right answers --------------------------------------------------------------------------


def good_count(config):
    H, I, V = config.hidden_size, config.intermediate_size, config.vocab_size
    embeddings = (V + config.max_position_embeddings + config.type_vocab_size) * H + 2 * H
    layer = 4 * (H * H + H) + 2 * H + H * I + I + I * H + H + 2 * H
    heads = (H * H + H) + (H * H + H + 2 * H) + V + (2 * H + 2)  # pooler, MLM transform, MLM bias, NSP
    return embeddings + config.num_hidden_layers * layer + heads


def good_count_on_meta(config):
    with torch.device("meta"):
        model = course_lib.BertForPreTraining(config)
    return count_parameters(model)["distinct"]


def good_gradient(E, bias, ids, labels):
    E = E.clone().requires_grad_(True)
    logits = E[ids] @ E.T + bias
    loss = F.cross_entropy(logits.reshape(-1, E.shape[0]), labels.reshape(-1), ignore_index=-100)
    loss.backward()
    return E.grad


def good_gradient_by_hand(E, bias, ids, labels):
    h = E[ids].reshape(-1, E.shape[1])
    flat = labels.reshape(-1)
    scored = flat != -100
    d_logits = torch.softmax(h @ E.T + bias, dim=-1)
    d_logits[scored, flat[scored]] -= 1
    d_logits = d_logits * scored[:, None] / scored.sum()
    grad = d_logits.T @ h                                     # as output layer: every row
    return grad.index_add(0, ids.reshape(-1), d_logits @ E)   # as input embedding: the rows used, summed


def good_resize(old, new_num_tokens, fill):
    keep = min(new_num_tokens, old.shape[0])
    out = old.new_zeros((new_num_tokens,) + tuple(old.shape[1:]))
    out[:keep] = old[:keep]
    if fill == "mean":
        out[keep:] = old.mean(dim=0)
    return out


@pytest.mark.parametrize("checker, fn", [(check_pretraining_parameter_count, good_count),
                                         (check_pretraining_parameter_count, good_count_on_meta),
                                         (check_tied_gradient, good_gradient),
                                         (check_tied_gradient, good_gradient_by_hand),
                                         (check_resize_rows, good_resize)])
def test_right_answer_passes(checker, fn, capsys):
    verdict = checker(fn)
    assert verdict, verdict.message
    assert capsys.readouterr().out == str(verdict) + "\n" and str(verdict).startswith("[PASS] Exercise 4.")


# ---- the references are the course's implementations -----------------------------------------


def test_parameter_count_reference_is_bert_base_and_matches_the_formula():
    assert ch04.reference_parameter_count(BertConfig()) == 110_106_428
    for case in ch04._count_cases():
        assert ch04.reference_parameter_count(*case.args) == ch04._formula(*case.args) == good_count(*case.args)


def test_tied_gradient_reference_is_the_sum_of_both_roles():
    E, bias, ids, labels = ch04._gradient_cases()[0].args
    both = ch04.reference_tied_gradient(E, bias, ids, labels)
    parts = ch04._output_role_only(E, bias, ids, labels) + ch04._input_role_only(E, bias, ids, labels)
    torch.testing.assert_close(both, parts)


def test_resize_reference_is_what_resize_token_embeddings_does():
    config = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16)
    model = course_lib.BertForMaskedLM(config)
    old_rows = model.bert.embeddings.word_embeddings.weight.detach().clone()
    old_bias = model.cls.predictions.bias.detach().clone()
    resize_token_embeddings(model, 45)
    torch.testing.assert_close(model.bert.embeddings.word_embeddings.weight.detach(),
                               ch04.reference_resize_rows(old_rows, 45, "mean"))
    torch.testing.assert_close(model.cls.predictions.bias.detach(), ch04.reference_resize_rows(old_bias, 45, "zero"))


# ---- typical mistakes get their specific hint --------------------------------------------------


def count_with_decoder(config):
    n = good_count(config)
    return n + config.vocab_size * config.hidden_size


def count_decoder_as_linear(config):
    n = good_count(config)
    return n + config.vocab_size * config.hidden_size + config.vocab_size


def count_bias_twice(config):
    n = good_count(config)
    return n + config.vocab_size


def count_without_pooler(config):
    n = good_count(config)
    return n - config.hidden_size * config.hidden_size - config.hidden_size


def count_without_layer_norms(config):
    n = good_count(config)
    return n - 2 * config.hidden_size * (2 * config.num_hidden_layers + 2)


def count_off_by_nsp(config):
    n = good_count(config)
    return n - (2 * config.hidden_size + 2)


def gradient_output_only(E, bias, ids, labels):
    E = E.clone().requires_grad_(True)
    logits = E.detach()[ids] @ E.T + bias
    return torch.autograd.grad(F.cross_entropy(logits.flatten(0, 1), labels.flatten()), E)[0]


def gradient_input_only(E, bias, ids, labels):
    E = E.clone().requires_grad_(True)
    logits = E[ids] @ E.detach().T + bias
    return torch.autograd.grad(F.cross_entropy(logits.flatten(0, 1), labels.flatten()), E)[0]


def gradient_of_summed_loss(E, bias, ids, labels):
    E = E.clone().requires_grad_(True)
    logits = E[ids] @ E.T + bias
    return torch.autograd.grad(F.cross_entropy(logits.flatten(0, 1), labels.flatten(), reduction="sum"), E)[0]


def gradient_without_bias(E, bias, ids, labels):
    E = E.clone().requires_grad_(True)
    logits = E[ids] @ E.T
    return torch.autograd.grad(F.cross_entropy(logits.flatten(0, 1), labels.flatten()), E)[0]


def resize_with_zero_rows(old, new_num_tokens, fill):
    out = good_resize(old, new_num_tokens, "zero")
    return out


def resize_bias_with_mean(old, new_num_tokens, fill):
    out = good_resize(old, new_num_tokens, "mean")
    return out


def resize_with_scalar_mean(old, new_num_tokens, fill):
    out = good_resize(old, new_num_tokens, "zero")
    if fill == "mean":
        out[old.shape[0]:] = old.mean()
    return out


def resize_keeping_last_rows(old, new_num_tokens, fill):
    if new_num_tokens < old.shape[0]:
        return old[old.shape[0] - new_num_tokens:]
    return good_resize(old, new_num_tokens, fill)


@pytest.mark.parametrize("checker, wrong, phrase", by_checker({
    check_pretraining_parameter_count: [
        (count_with_decoder, "you counted the decoder matrix"),
        (count_decoder_as_linear, "separate Linear layer"),
        (count_bias_twice, "one Parameter under two names"),
        (count_without_pooler, "the pooler"),
        (count_without_layer_norms, "short by the LayerNorms"),
        (count_off_by_nsp, "you count 110,104,890; the model has 110,106,428"),
    ],
    check_tied_gradient: [
        (gradient_output_only, "only the output-layer part"),
        (gradient_input_only, "only the input-embedding part"),
        (gradient_of_summed_loss, "MEAN cross-entropy"),
        (gradient_without_bias, "without the output bias"),
    ],
    check_resize_rows: [
        (resize_with_zero_rows, "new embedding rows are 0"),
        (resize_bias_with_mean, "new bias entries are the mean"),
        (resize_with_scalar_mean, "the mean of ALL entries"),
        (resize_keeping_last_rows, "keep the FIRST"),
    ],
}), ids=lambda x: getattr(x, "__name__", None))
def test_typical_mistake_gets_its_hint(checker, wrong, phrase):
    try_again(checker, wrong, phrase)


# ---- nothing, templates, wrong types and shapes, crashes ---------------------------------------


def gradient_transposed(E, bias, ids, labels):
    grad = good_gradient(E, bias, ids, labels)
    return grad.T


def resize_forgets_to_grow(old, new_num_tokens, fill):
    out = old.clone()
    return out


@pytest.mark.parametrize("checker, wrong, got, expected", [
    (check_tied_gradient, gradient_transposed, "(8, 20)", "(20, 8)"),
    (check_resize_rows, resize_forgets_to_grow, "(30, 6)", "(34, 6)"),
])
def test_wrong_shape_names_both_shapes(checker, wrong, got, expected):
    try_again(checker, wrong, got, expected)


def forgets_return(*args):
    result = 110_106_428
    result += 0


def count_as_vector(config):
    n = good_count(config)
    return torch.tensor([n, n])


@pytest.mark.parametrize("checker, wrong, phrase", by_checker({
    check_pretraining_parameter_count: [
        (returns_a_list, "returned a list; return the count as one whole number"),
        (forgets_return, "returned None (did you forget `return`?)"),
        (count_as_vector, "returned a tensor of shape (2,)"),
    ],
    check_tied_gradient: [
        (returns_a_list, "returned a list"),
    ],
    check_resize_rows: [
        (forgets_return, "returned None (did you forget `return`?)"),
    ],
}))
def test_wrong_type_is_named(checker, wrong, phrase):
    try_again(checker, wrong, phrase)


def count_as_scalar_tensor(config):
    n = good_count(config)
    return torch.tensor(n)


def test_count_may_be_a_one_element_tensor():
    assert check_pretraining_parameter_count(count_as_scalar_tensor, print_verdict=False)


def test_exception_in_count_names_the_exception():
    verdict = check_pretraining_parameter_count(crashes, print_verdict=False)
    assert "raised TypeError" in verdict.message, verdict.message


@pytest.mark.parametrize("checker, wrong", [(check_pretraining_parameter_count, count_off_by_nsp),
                                            (check_tied_gradient, gradient_input_only),
                                            (check_resize_rows, crashes)])
def test_messages_are_deterministic(checker, wrong):
    same_message_twice(checker, wrong)


