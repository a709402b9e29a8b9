"""Exercise checkers of notebook 06: right answers pass, typical wrong answers get their hint, and
nothing, the wrong type, the wrong shape or a crash gets a helpful message (never a traceback)."""

import pytest
import torch
import torch.nn.functional as F

from course_lib.exercises import ch06
from course_lib.exercises.ch06 import check_flatten_choices, check_multiple_choice_loss
from course_lib.models.multiple_choice import flatten_choices
from helpers import by_checker, crashes, same_message_twice, try_again

CHECKERS = [check_flatten_choices, check_multiple_choice_loss]


# ---- right answers --------------------------------------------------------------------------


def good_flatten(tensor):
    return tensor.reshape(-1, *tensor.shape[2:])


def good_flatten_by_flatten(tensor):
    return tensor.flatten(0, 1)


def good_loss(scores, labels, num_choices):
    return F.cross_entropy(scores.view(-1, num_choices), labels)


def good_loss_by_hand(scores, labels, num_choices):
    log_probs = scores.reshape(-1, num_choices).log_softmax(-1)
    keep = labels != -100
    return -log_probs[keep, labels[keep]].mean()


@pytest.mark.parametrize("checker, fn", [(check_flatten_choices, good_flatten),
                                         (check_flatten_choices, good_flatten_by_flatten),
                                         (check_flatten_choices, flatten_choices),
                                         (check_multiple_choice_loss, good_loss),
                                         (check_multiple_choice_loss, good_loss_by_hand),
                                         (check_multiple_choice_loss, ch06.reference_multiple_choice_loss)],
                         ids=lambda x: getattr(x, "__name__", None))
def test_right_answer_passes(checker, fn, capsys):
    verdict = checker(fn)
    assert verdict, verdict.message
    assert capsys.readouterr().out.startswith(f"[PASS] Exercise {verdict.exercise}:")


def test_loss_reference_is_the_models_loss():
    from transformers import BertConfig

    from course_lib import BertForMultipleChoice

    config = BertConfig(vocab_size=60, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16)
    torch.manual_seed(0)
    model = BertForMultipleChoice(config).eval()
    ids = torch.randint(5, 60, (3, 4, 6))
    labels = torch.tensor([2, -100, 0])
    out = model(input_ids=ids, labels=labels)
    with torch.no_grad():
        scores = model.classifier(model.bert(input_ids=flatten_choices(ids)).pooler_output)
    torch.testing.assert_close(ch06.reference_multiple_choice_loss(scores, labels, 4), out.loss)


# ---- typical mistakes get their specific hint --------------------------------------------------


def flatten_transposed(tensor):
    return tensor.transpose(0, 1).reshape(-1, *tensor.shape[2:])


def flatten_everything(tensor):
    return tensor.flatten()


def flatten_concatenated(tensor):
    return tensor.reshape(tensor.shape[0], -1)


def flatten_3d_only(tensor):
    return tensor.reshape(-1, tensor.shape[-1])


def flatten_with_view(tensor):
    return tensor.view(-1, *tensor.shape[2:])


def loss_transposed(scores, labels, num_choices):
    logits = scores.view(num_choices, -1).T
    return F.cross_entropy(logits, labels)


def loss_softmax_over_questions(scores, labels, num_choices):
    log_probs = scores.view(-1, num_choices).log_softmax(dim=0)
    keep = labels != -100
    return -log_probs[keep, labels[keep]].mean()


def loss_skipped_as_zero(scores, labels, num_choices):
    labels = labels.clone()
    labels[labels == -100] = 0
    return F.cross_entropy(scores.view(-1, num_choices), labels)


def loss_divided_by_all(scores, labels, num_choices):
    log_probs = scores.view(-1, num_choices).log_softmax(-1)
    keep = labels != -100
    return -log_probs[keep, labels[keep]].sum() / len(labels)


def loss_per_question(scores, labels, num_choices):
    return F.cross_entropy(scores.view(-1, num_choices), labels, reduction="none")


def loss_sigmoid_per_choice(scores, labels, num_choices):
    logits = scores.view(-1, num_choices)
    keep = labels != -100
    return F.binary_cross_entropy_with_logits(logits[keep], F.one_hot(labels[keep], num_choices).float())


def loss_ignores_minus_100_by_crashing(scores, labels, num_choices):
    log_probs = scores.view(-1, num_choices).log_softmax(-1)
    return -log_probs[torch.arange(len(labels)), labels].mean()


@pytest.mark.parametrize("checker, wrong, phrase", by_checker({
    check_flatten_choices: [
        (flatten_transposed, "(row c * B + b)"),
        (flatten_everything, "you flattened every axis into one"),
        (flatten_concatenated, "glued the choices of a question into one long sequence"),
        (flatten_3d_only, "keep EVERY axis after the second"),
        (flatten_with_view, "Use .reshape(...) instead"),
    ],
    check_multiple_choice_loss: [
        (loss_transposed, "assumes the order c * B + b"),
        (loss_softmax_over_questions, "softmax runs down a column"),
        (loss_skipped_as_zero, "counted as if choice 0 were right"),
        (loss_divided_by_all, "you divided by all B questions"),
        (loss_per_question, "you returned one loss per question"),
        (loss_sigmoid_per_choice, "its own yes/no"),
        (loss_ignores_minus_100_by_crashing, "index -100 is out of bounds"),
    ],
}), ids=lambda x: getattr(x, "__name__", None))
def test_typical_mistake_gets_its_hint(checker, wrong, phrase):
    try_again(checker, wrong, phrase)


def test_a_crash_on_skipped_questions_names_the_input():
    verdict = check_multiple_choice_loss(loss_ignores_minus_100_by_crashing, print_verdict=False)
    assert "raised IndexError" in verdict.message and "two labelled -100" in verdict.message, verdict.message


# ---- nothing, templates, wrong types and shapes, crashes ---------------------------------------


# Multi-line definitions on purpose: the template detector reads the source after the `def` line.
def flatten_drops_last_token(tensor):
    flat = tensor.reshape(-1, *tensor.shape[2:])
    return flat[:, :-1]


def loss_keeps_dim(scores, labels, num_choices):
    loss = F.cross_entropy(scores.view(-1, num_choices), labels)
    return loss.reshape(1, 1)


@pytest.mark.parametrize("checker, wrong, got, expected", [
    (check_flatten_choices, flatten_drops_last_token, "(12, 5)", "(12, 6)"),
    (check_multiple_choice_loss, loss_keeps_dim, "(1, 1)", "()"),
])
def test_wrong_shape_names_both_shapes(checker, wrong, got, expected):
    try_again(checker, wrong, f"shape {got}", f"shape {expected}")


def returns_logits_and_loss(*args):
    pair = (torch.zeros(2, 2), torch.tensor(0.0))
    return pair


@pytest.mark.parametrize("checker", CHECKERS)
def test_wrong_type_is_named(checker):
    try_again(checker, returns_logits_and_loss, "returned a tuple")


@pytest.mark.parametrize("checker, wrong", [(check_flatten_choices, flatten_transposed),
                                            (check_multiple_choice_loss, loss_ignores_minus_100_by_crashing),
                                            (check_multiple_choice_loss, crashes)])
def test_messages_are_deterministic(checker, wrong):
    same_message_twice(checker, wrong)


