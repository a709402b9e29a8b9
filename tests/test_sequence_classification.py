"""course_lib.BertForSequenceClassification against transformers: keys, logits, the three
problem types' losses, gradients; the loss functions by hand; bad labels."""

import copy

import pytest
import torch
import torch.nn.functional as F

from course_lib import BertForSequenceClassification
from course_lib.losses import (
    MULTI_LABEL,
    REGRESSION,
    SINGLE_LABEL,
    infer_problem_type,
    multi_label_loss,
    regression_loss,
    sequence_classification_loss,
    single_label_loss,
)
from helpers import (
    ATTN_IMPLEMENTATIONS,
    assert_loss_and_grads_close,
    ours_from,
    random_batch,
    reference_model,
    tiny_config,
)

BATCH = 4


def labels_for(kind: str, num_labels: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    if kind == "regression":
        return torch.rand(BATCH, generator=g) * 5  # a score per example, like STS-B's 0..5
    if kind == "single":
        labels = torch.randint(0, num_labels, (BATCH,), generator=g)
        labels[1] = -100  # an ignored example: must contribute nothing, as in transformers
        return labels
    if kind == "single-int32":
        return torch.randint(0, num_labels, (BATCH,), generator=g).int()
    if kind == "multi":
        return (torch.rand(BATCH, num_labels, generator=g) > 0.5).float()
    raise AssertionError(kind)


CASES = {  # name -> (num_labels, label kind, explicit problem_type)
    "regression": (1, "regression", None),
    "single-label": (3, "single", None),
    "single-label-int32": (3, "single-int32", None),
    "multi-label": (4, "multi", None),
    "regression-3-outputs": (3, "multi", "regression"),  # explicit type, float [B, 3] targets
    "single-label-explicit": (2, "single", "single_label_classification"),
}


def build_pair(num_labels, problem_type=None, attn="eager", config_name="tiny-gelu", **overrides):
    config = tiny_config(config_name, num_labels=num_labels, problem_type=problem_type, **overrides)
    theirs = reference_model("BertForSequenceClassification", config, attn)
    # A copy of the config: transformers writes the inferred problem_type into its config during
    # forward, and we want ours to infer it independently.
    ours = ours_from(theirs, BertForSequenceClassification, config=copy.deepcopy(config))
    return ours, theirs, config


def test_state_dict_keys_and_shapes_identical_and_strict_both_ways():
    ours, theirs, _ = build_pair(num_labels=3)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.state_dict()["classifier.weight"].shape == (3, 32)
    fresh = BertForSequenceClassification(ours.config)
    theirs.load_state_dict(fresh.state_dict(), strict=True)  # ours -> theirs
    for name, tensor in fresh.state_dict().items():
        assert torch.equal(tensor, theirs.state_dict()[name]), name


@pytest.mark.parametrize("attn", ATTN_IMPLEMENTATIONS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_logits_loss_and_gradients_match(case, attn):
    num_labels, kind, problem_type = CASES[case]
    ours, theirs, config = build_pair(num_labels, problem_type, attn)
    batch = random_batch(config, batch=BATCH, seq_len=9, seed=3)  # right padding of varied length
    labels = labels_for(kind, num_labels)

    ours_out = ours(**batch, labels=labels)
    # transformers picks cross-entropy for int32 labels, but torch's cross_entropy accepts only
    # int64 (or uint8) targets; ours converts, so we compare against theirs given int64.
    theirs_out = theirs(**batch, labels=labels.long() if labels.dtype == torch.int32 else labels)
    torch.testing.assert_close(ours_out.logits, theirs_out.logits, atol=1e-5, rtol=1e-5)
    assert_loss_and_grads_close(ours, theirs, ours_out, theirs_out)
    expected = problem_type or {"regression": REGRESSION, "single": SINGLE_LABEL,
                                "single-int32": SINGLE_LABEL, "multi": MULTI_LABEL}[kind]
    assert theirs.config.problem_type == expected  # transformers recorded the type it chose ...
    assert ours.config.problem_type == problem_type  # ... ours left its config alone


@pytest.mark.parametrize("config_name", ["narrow-relu", "deep-gelu_new"])
def test_other_shapes_match(config_name):
    ours, theirs, config = build_pair(2, config_name=config_name, attn="sdpa")
    batch = random_batch(config, batch=BATCH, seq_len=8, seed=1)
    labels = torch.tensor([0, 1, 1, 0])
    ours_out, theirs_out = ours(**batch, labels=labels), theirs(**batch, labels=labels)
    torch.testing.assert_close(ours_out.loss, theirs_out.loss, atol=1e-6, rtol=1e-5)


def test_transformers_rejects_the_int32_labels_it_sends_to_cross_entropy():
    """A fact the notebook states: int32 class ids pass transformers' dtype test for single-label
    classification, then fail inside torch's cross_entropy. Ours accepts them."""
    ours, theirs, config = build_pair(3)
    batch = random_batch(config, batch=BATCH)
    labels = torch.tensor([0, 1, 2, 1], dtype=torch.int32)
    with pytest.raises(RuntimeError, match="expected target dtype to be Long"):
        theirs(**batch, labels=labels)
    assert torch.isfinite(ours(**batch, labels=labels).loss)


def test_without_labels_no_loss_and_hidden_states_pass_through():
    ours, theirs, config = build_pair(2)
    batch = random_batch(config, batch=2)
    out = ours(**batch, output_hidden_states=True, output_attentions=True)
    assert out.loss is None and out.logits.shape == (2, 2)
    assert len(out.hidden_states) == config.num_hidden_layers + 1
    assert len(out.attentions) == config.num_hidden_layers


def test_regression_batch_of_one_squeezes_like_transformers():
    """logits [1, 1] and labels [1]: squeeze() makes both scalars; no broadcasting surprise."""
    ours, theirs, config = build_pair(1)
    batch = random_batch(config, batch=1, padded=False)
    labels = torch.tensor([2.5])
    torch.testing.assert_close(ours(**batch, labels=labels).loss, theirs(**batch, labels=labels).loss)


def test_losses_by_hand():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 3, generator=g)
    # single-label: -log softmax at the true class, averaged over the non-ignored examples
    labels = torch.tensor([2, 0, -100, 1, 2])
    keep = labels != -100
    by_hand = -(logits[keep].log_softmax(-1).gather(1, labels[keep, None])).mean()
    torch.testing.assert_close(single_label_loss(logits, labels), by_hand)
    # multi-label: mean over every (example, label) cell of -[y log s + (1-y) log(1-s)]
    multi_hot = (torch.rand(5, 3, generator=g) > 0.5).float()
    s = logits.sigmoid()
    by_hand = -(multi_hot * s.log() + (1 - multi_hot) * (1 - s).log()).mean()
    torch.testing.assert_close(multi_label_loss(logits, multi_hot), by_hand)
    # regression: mean of squared differences, with [B, 1] logits against [B] targets
    scores = torch.rand(5, generator=g)
    torch.testing.assert_close(regression_loss(logits[:, :1], scores), ((logits[:, 0] - scores) ** 2).mean())


def test_unsqueezed_regression_would_broadcast():
    """Why the squeeze matters: MSE of [B, 1] against [B] silently broadcasts to [B, B]."""
    logits, targets = torch.tensor([[1.0], [2.0]]), torch.tensor([1.0, 2.0])
    assert regression_loss(logits, targets).item() == 0.0
    with pytest.warns(UserWarning):  # torch warns, then computes the wrong (all-pairs) number
        assert F.mse_loss(logits, targets).item() == 0.5


def test_problem_type_inference_table():
    assert infer_problem_type(1, torch.tensor([0.5])) == REGRESSION
    assert infer_problem_type(1, torch.tensor([1])) == REGRESSION  # num_labels decides first
    assert infer_problem_type(3, torch.tensor([1])) == SINGLE_LABEL
    assert infer_problem_type(3, torch.tensor([1], dtype=torch.int32)) == SINGLE_LABEL
    assert infer_problem_type(3, torch.tensor([[0.0, 1.0, 1.0]])) == MULTI_LABEL


def test_config_is_not_mutated_and_type_is_inferred_per_call():
    """transformers keeps the first inferred type; ours infers on each call (documented difference)."""
    ours, theirs, config = build_pair(3)
    batch = random_batch(config, batch=BATCH)
    ours(**batch, labels=labels_for("single", 3))
    theirs(**batch, labels=labels_for("single", 3))
    multi_hot = labels_for("multi", 3)
    expected = F.binary_cross_entropy_with_logits(ours(**batch).logits, multi_hot)
    torch.testing.assert_close(ours(**batch, labels=multi_hot).loss, expected)
    assert theirs.config.problem_type == SINGLE_LABEL  # theirs would now treat the multi-hot as CE targets


def test_classifier_dropout_is_honoured():
    ours, _, _ = build_pair(2, hidden_dropout_prob=0.1)
    assert ours.dropout.p == 0.1  # falls back to hidden_dropout_prob
    ours, theirs, _ = build_pair(2, hidden_dropout_prob=0.1, classifier_dropout=0.3)
    assert ours.dropout.p == theirs.dropout.p == 0.3


def test_classifier_dropout_acts_only_in_training():
    ours, _, config = build_pair(2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, classifier_dropout=0.5)
    batch = random_batch(config, batch=BATCH)
    ours.train()
    assert not torch.allclose(ours(**batch).logits, ours(**batch).logits)  # only the head's dropout is on
    ours.eval()
    torch.testing.assert_close(ours(**batch).logits, ours(**batch).logits)


def test_break_on_purpose_is_caught():
    """A head that reads the raw [CLS] vector instead of pooler_output gives different logits."""
    ours, theirs, config = build_pair(2)
    batch = random_batch(config, batch=BATCH)
    wrong = ours.classifier(ours.bert(**batch).last_hidden_state[:, 0])
    assert not torch.allclose(wrong, theirs(**batch).logits, atol=1e-3)


# --- bad input: one test per error -----------------------------------------------------------


@pytest.fixture(scope="module")
def model_and_batch():
    config = tiny_config(num_labels=3)
    return BertForSequenceClassification(config).eval(), random_batch(config, batch=BATCH)


# One case per error: the labels given, and the message that must name the problem.
@pytest.mark.parametrize("labels, message", [
    pytest.param(torch.tensor([0, 1, 2, 1], dtype=torch.int16), r"labels of dtype torch.int16 fit no problem type",
                 id="int16_labels_are_rejected_with_a_clear_message"),
    pytest.param(torch.ones(BATCH, 3, dtype=torch.bool), r"labels of dtype torch.bool fit no problem type",
                 id="bool_labels_are_rejected"),
    pytest.param(torch.tensor([0, 1, 3, -100]), r"labels must lie in \[0, 3\) for 3 classes.*got \[3\]",
                 id="class_id_out_of_range"),
    pytest.param(torch.tensor([0, 1, 2]), r"one class id per example: 4 examples but labels have shape \(3,\)",
                 id="single_label_wrong_count"),
    pytest.param(torch.zeros(BATCH, 2), r"multi-label classification needs labels of shape \(4, 3\)",
                 id="multi_label_wrong_shape"),
])
def test_bad_labels_are_named(model_and_batch, labels, message):
    model, batch = model_and_batch
    with pytest.raises(ValueError, match=message):
        model(**batch, labels=labels)


def test_regression_with_integer_labels():
    config = tiny_config(num_labels=1)
    model = BertForSequenceClassification(config).eval()
    with pytest.raises(ValueError, match=r"regression needs float labels.*torch.int64"):
        model(**random_batch(config, batch=BATCH), labels=torch.tensor([1, 2, 3, 4]))


def test_regression_wrong_count():
    with pytest.raises(ValueError, match=r"one target per example: 4 examples"):
        regression_loss(torch.zeros(4, 1), torch.zeros(4, 2))


def test_single_label_float_labels_with_explicit_type():
    with pytest.raises(ValueError, match=r"single-label classification labels must be integer class ids"):
        sequence_classification_loss(torch.zeros(4, 3), torch.zeros(4), SINGLE_LABEL)


def test_multi_label_integer_labels_with_explicit_type():
    with pytest.raises(ValueError, match=r"multi-label classification needs float multi-hot labels"):
        sequence_classification_loss(torch.zeros(4, 3), torch.zeros(4, 3, dtype=torch.long), MULTI_LABEL)


def test_unknown_problem_type_in_config():
    """transformers silently returns loss=None for a misspelt type set after construction."""
    config = tiny_config(num_labels=3)
    model = BertForSequenceClassification(config).eval()
    model.config.problem_type = "multilabel"
    with pytest.raises(ValueError, match=r"unknown problem_type 'multilabel'"):
        model(**random_batch(config, batch=BATCH), labels=torch.zeros(BATCH, 3))
