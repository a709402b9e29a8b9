"""Exercise checkers of notebook 05: right answers pass, typical wrong answers get their hint, and
nothing, the wrong type, the wrong shape or a crash gets a helpful message (never a traceback)."""

import pytest
import torch
import torch.nn.functional as F
import transformers
from transformers import BertConfig

from course_lib.exercises import ch05
from course_lib.exercises.ch05 import (
    check_multi_label_loss,
    check_problem_type,
    check_regression_loss,
)
from course_lib.losses import multi_label_loss, regression_loss
from helpers import by_checker, same_message_twice, try_again

# ---- right answers --------------------------------------------------------------------------


def good_problem_type(num_labels, labels):
    if num_labels == 1:
        return "regression"
    if labels.dtype in (torch.long, torch.int32):
        return "single_label_classification"
    return "multi_label_classification"


def good_regression(logits, labels):
    return ((logits.squeeze(-1) - labels) ** 2).mean()


def good_regression_mse(logits, labels):
    return F.mse_loss(logits.squeeze(-1), labels)


def good_multi_label(logits, labels):
    return -(labels * F.logsigmoid(logits) + (1 - labels) * F.logsigmoid(-logits)).mean()


@pytest.mark.parametrize("checker, fn", [(check_problem_type, good_problem_type),
                                         (check_regression_loss, good_regression),
                                         (check_regression_loss, good_regression_mse),
                                         (check_regression_loss, regression_loss),
                                         (check_multi_label_loss, good_multi_label),
                                         (check_multi_label_loss, F.binary_cross_entropy_with_logits),
                                         (check_multi_label_loss, multi_label_loss)],
                         ids=lambda x: getattr(x, "__name__", None))
def test_right_answer_passes(checker, fn, capsys):
    verdict = checker(fn)
    assert verdict, verdict.message
    assert capsys.readouterr().out.startswith(f"[PASS] Exercise {verdict.exercise}:")


# ---- the reference is what transformers decides ------------------------------------------------


@pytest.mark.parametrize("num_labels, labels", [(1, torch.tensor([1, 2])), (2, torch.tensor([0, 1])),
                                                (2, torch.tensor([0, 1], dtype=torch.int32)),
                                                (2, torch.tensor([0, 1], dtype=torch.int16)),
                                                (2, torch.tensor([[0.0, 1.0], [1.0, 1.0]]))])
def test_problem_type_reference_is_what_transformers_stores(num_labels, labels):
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, num_labels=num_labels)
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config).eval()
    try:
        model(input_ids=torch.randint(5, 50, (2, 4)), labels=labels)
    except Exception:
        pass  # int16 fails inside BCE, after the type was stored
    assert ch05.reference_problem_type(num_labels, labels) == model.config.problem_type


# ---- typical mistakes get their specific hint --------------------------------------------------


def type_dtype_first(num_labels, labels):
    if labels.dtype == torch.long or labels.dtype == torch.int:
        return "single_label_classification"
    if num_labels == 1:
        return "regression"
    return "multi_label_classification"


def type_only_long(num_labels, labels):
    if num_labels == 1:
        return "regression"
    return "single_label_classification" if labels.dtype == torch.int64 else "multi_label_classification"


def type_any_integer(num_labels, labels):
    if num_labels == 1:
        return "regression"
    if labels.dtype.is_floating_point:
        return "multi_label_classification"
    return "single_label_classification"


def type_by_shape(num_labels, labels):
    if num_labels == 1:
        return "regression"
    return "multi_label_classification" if labels.ndim == 2 else "single_label_classification"


def type_forgot_return(num_labels, labels):
    answer = "regression" if num_labels == 1 else "single_label_classification"
    answer.upper()


def type_misspelt(num_labels, labels):
    answer = "regression" if num_labels == 1 else "single_label"
    return answer


def type_as_index(num_labels, labels):
    answer = 0 if num_labels == 1 else 1
    return answer


def regression_unsqueezed(logits, labels):
    return F.mse_loss(logits, labels)


def regression_table(logits, labels):
    return (logits - labels) ** 2


def regression_sum(logits, labels):
    return ((logits.squeeze(-1) - labels) ** 2).sum()


def regression_per_example(logits, labels):
    return F.mse_loss(logits.squeeze(-1), labels, reduction="none")


def regression_rmse(logits, labels):
    return torch.sqrt(F.mse_loss(logits.squeeze(-1), labels))


def regression_l1(logits, labels):
    return F.l1_loss(logits.squeeze(-1), labels)


def multi_softmax(logits, labels):
    p = logits.softmax(dim=-1)
    return -(labels * p.log() + (1 - labels) * (1 - p).log()).mean()


def multi_cross_entropy(logits, labels):
    return F.cross_entropy(logits, labels)  # soft targets: a softmax over the labels


def multi_mean_over_examples(logits, labels):
    return F.binary_cross_entropy_with_logits(logits, labels, reduction="none").sum(dim=1).mean()


def multi_sum(logits, labels):
    return F.binary_cross_entropy_with_logits(logits, labels, reduction="sum")


def multi_positives_only(logits, labels):
    return -(labels * F.logsigmoid(logits)).mean()


def multi_naive(logits, labels):
    p = torch.sigmoid(logits)
    return -(labels * torch.log(p) + (1 - labels) * torch.log(1 - p)).mean()


def multi_sigmoid_then_bce(logits, labels):
    return F.binary_cross_entropy(torch.sigmoid(logits), labels)


@pytest.mark.parametrize("checker, wrong, phrase", by_checker({
    check_problem_type: [
        (type_dtype_first, "num_labels FIRST"),
        (type_only_long, "int32 labels count as class ids too"),
        (type_any_integer, "int16, uint8 and bool included"),
        (type_by_shape, "DTYPE, not their shape"),
        (type_forgot_return, "did you forget `return`"),
        (type_misspelt, "'single_label' is not a problem type"),
        (type_as_index, "returned an int; return one of the strings"),
    ],
    check_regression_loss: [
        (regression_unsqueezed, "broadcasts [B, 1] vs [B] to [B, B]"),
        (regression_table, "broadcasts [B, 1] vs [B] to [B, B]"),
        (regression_sum, "you summed the squared errors"),
        (regression_per_example, "one squared error per example"),
        (regression_rmse, "square root (RMSE)"),
        (regression_l1, "absolute errors (L1)"),
    ],
    check_multi_label_loss: [
        (multi_softmax, "a softmax where each label needs its own sigmoid"),
        (multi_cross_entropy, "single-label cross-entropy against the multi-hot"),
        (multi_mean_over_examples, "averaged over the examples only"),
        (multi_sum, "you summed over every cell"),
        (multi_positives_only, "only the y log p term"),
        (multi_naive, "`F.logsigmoid(x)` for log p"),
        (multi_sigmoid_then_bce, "`F.logsigmoid(x)` for log p"),
    ],
}), ids=lambda x: getattr(x, "__name__", None))
@pytest.mark.filterwarnings("ignore:Using a target size")  # the unsqueezed MSE warns, as in the notebook
def test_typical_mistake_gets_its_hint(checker, wrong, phrase):
    try_again(checker, wrong, phrase)


def type_swapped_branches(num_labels, labels):
    if num_labels == 1:
        return "regression"
    if labels.is_floating_point():
        return "single_label_classification"
    return "multi_label_classification"


def test_problem_type_otherwise_names_the_case():
    try_again(check_problem_type, type_swapped_branches,
              "for 3 labels, int64 class ids you answer 'multi_label_classification'")


# ---- nothing, templates, wrong types and shapes, crashes ---------------------------------------


# Multi-line definitions on purpose: the template detector reads the source after the `def` line.
def regression_keeps_dim(logits, labels):
    loss = ((logits.squeeze(-1) - labels) ** 2).mean()
    return loss.reshape(1)


def multi_label_per_label(logits, labels):
    per_cell = F.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    return per_cell.mean(dim=0)


@pytest.mark.parametrize("checker, wrong, got, expected", [
    (check_regression_loss, regression_keeps_dim, "(1,)", "()"),
    (check_multi_label_loss, multi_label_per_label, "(5,)", "()"),
])
def test_wrong_shape_names_both_shapes(checker, wrong, got, expected):
    try_again(checker, wrong, f"shape {got}", f"shape {expected}")


def returns_a_float(*args):
    value = 0.5
    return value


@pytest.mark.parametrize("checker, phrase", [(check_problem_type, "returned a float; return one of the strings"),
                                             (check_regression_loss, "returned a float"),
                                             (check_multi_label_loss, "returned a float")])
def test_wrong_type_is_named(checker, phrase):
    try_again(checker, returns_a_float, phrase)


def crashes(*args):
    return args[1] @ torch.zeros(2, 2, 2, 2, 2)


@pytest.mark.parametrize("checker, wrong", [(check_problem_type, type_swapped_branches),
                                            (check_regression_loss, regression_keeps_dim),
                                            (check_multi_label_loss, crashes)])
def test_messages_are_deterministic(checker, wrong):
    same_message_twice(checker, wrong)


