"""Held-out evaluation: the one prediction path (course_lib.training.predict) and course_lib.evaluation's
metrics (the one accuracy), baselines, bootstrap intervals and paired comparisons."""

import pytest
import torch
from transformers import BertConfig

from course_lib import BertForMultipleChoice, BertForSequenceClassification, BertForTokenClassification
from course_lib.evaluation import (
    Baseline,
    accuracy,
    bootstrap_interval,
    majority_baseline,
    mean_baseline,
    mean_squared_error,
    pearson_r,
)
from course_lib.training import predict


def _tiny_model(num_labels=2, cls=BertForSequenceClassification):
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=32, num_labels=num_labels)
    torch.manual_seed(0)
    return cls(config)


def _padded_batch(n=10, max_length=12, seed=0):
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, 8, (n,), generator=generator)  # all shorter than max_length: padding to trim
    input_ids = torch.randint(1, 50, (n, max_length), generator=generator)
    attention_mask = (torch.arange(max_length)[None, :] < lengths[:, None]).long()
    input_ids = input_ids * attention_mask
    return {"input_ids": input_ids, "attention_mask": attention_mask,
            "token_type_ids": torch.zeros_like(input_ids), "labels": torch.zeros(n, dtype=torch.long)}


# --- predict (course_lib.training.predict) ---------------------------------------------------

def test_predict_matches_one_full_forward_pass():
    model, data = _tiny_model(), _padded_batch()
    model.eval()
    with torch.no_grad():
        full = model(**{k: v for k, v in data.items() if k != "labels"}).logits
    ours = predict(model, data, batch_size=3)  # batches trimmed to their own longest sequence
    torch.testing.assert_close(ours, full, atol=1e-6, rtol=1e-5)
    assert not ours.requires_grad


def test_predict_restores_training_mode_and_skips_labels():
    model, data = _tiny_model(), _padded_batch()
    model.train()
    out = predict(model, data)  # labels would give a loss; predict must not pass them
    assert model.training and out.shape == (10, 2)
    model.eval()
    predict(model, data)
    assert not model.training


def test_predict_without_attention_mask_and_other_outputs():
    model, data = _tiny_model(), _padded_batch()
    ids_only = {"input_ids": data["input_ids"]}
    assert predict(model, ids_only, batch_size=4).shape == (10, 2)
    with pytest.raises(ValueError, match="no tensor field 'start_logits'"):
        predict(model, data, output="start_logits")


@pytest.mark.parametrize("bad, message", [
    ({"labels": torch.zeros(3)}, "no model inputs"),
    ({"input_ids": torch.zeros(3, 4, dtype=torch.long), "attention_mask": torch.ones(2, 4)}, "same first dimension"),
])
def test_predict_bad_data(bad, message):
    with pytest.raises(ValueError, match=message):
        predict(_tiny_model(), bad)


def test_predict_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        predict(_tiny_model(), _padded_batch(), batch_size=0)


def _one_at_a_time(model, data):
    """Each example alone, cut to its own length: no batch, no padding, no order to get wrong."""
    rows = []
    with torch.no_grad():
        for i in range(len(data["input_ids"])):
            length = int(data["attention_mask"][i].sum())
            rows.append(model(**{k: v[i : i + 1, :length] for k, v in data.items() if k != "labels"}).logits)
    return torch.cat(rows)


def test_predict_returns_the_original_order_with_mixed_lengths():
    model, data = _tiny_model().eval(), _padded_batch(n=13, seed=3)
    lengths = data["attention_mask"].sum(1)
    assert not torch.equal(torch.sort(lengths, descending=True, stable=True).indices, torch.arange(13)), \
        "the test needs data whose length order differs from its order"
    ours = predict(model, data, batch_size=4)  # sorted longest first, cut per batch, then put back
    torch.testing.assert_close(ours, _one_at_a_time(model, data), atol=1e-6, rtol=1e-5)


def test_predict_on_the_device_returns_to_the_cpu():
    model, data = _tiny_model(), _padded_batch()
    ours = predict(model, data, batch_size=3, device="cpu")
    assert ours.device.type == "cpu"
    torch.testing.assert_close(ours, predict(model, data, batch_size=3))


def test_predict_left_padding_and_multiple_choice_go_in_order_uncut():
    model, data = _tiny_model().eval(), _padded_batch()
    left = {k: v.flip(1) if k != "labels" else v for k, v in data.items()}  # padding first, as some tokenizers do
    with torch.no_grad():
        full = model(**{k: v for k, v in left.items() if k != "labels"}).logits
    torch.testing.assert_close(predict(model, left, batch_size=3), full, atol=1e-6, rtol=1e-5)
    choice_model = _tiny_model(cls=BertForMultipleChoice).eval()
    questions = {k: v.view(5, 2, -1) for k, v in data.items() if k != "labels"}  # [N, C, T]
    with torch.no_grad():
        full = choice_model(**questions).logits
    torch.testing.assert_close(predict(choice_model, questions, batch_size=2), full, atol=1e-6, rtol=1e-5)


def test_predict_pads_per_token_outputs_like_the_trainer():
    model, data = _tiny_model(num_labels=3, cls=BertForTokenClassification).eval(), _padded_batch(n=9, seed=1)
    data["attention_mask"][4, :9] = 1  # the longest example (9 tokens): the output is 9 positions wide,
    data["input_ids"][4, :9] = torch.arange(1, 10)  # and the batches of shorter examples are padded up to it
    ours = predict(model, data, batch_size=2)
    lengths = data["attention_mask"].sum(1)
    assert ours.shape == (9, int(lengths.max()), 3)
    with torch.no_grad():
        full = model(**{k: v for k, v in data.items() if k != "labels"}).logits
    real = data["attention_mask"][:, : ours.shape[1]].bool()
    torch.testing.assert_close(ours[real], full[:, : ours.shape[1]][real], atol=1e-6, rtol=1e-5)
    shortest = int(lengths.argmin())  # its batch was cut shorter than the longest example
    assert (ours[shortest, int(lengths.max()) - 1] == -100).all()


# --- accuracy --------------------------------------------------------------------------------

def test_the_one_accuracy_skips_minus_100():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 0.0]])
    labels = torch.tensor([0, 1, 1, -100])  # 2 of the 3 scored labels are right; the 4th is not counted
    assert accuracy(logits, labels) == pytest.approx(2 / 3)
    assert accuracy(logits.argmax(-1), labels) == pytest.approx(2 / 3)  # class ids: the same rule
    tokens = torch.zeros(1, 3, 2)
    tokens[0, :, 1] = 1.0  # token logits [B, T, C]: class 1 everywhere
    assert accuracy(tokens, torch.tensor([[1, -100, 0]])) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="every label is -100"):
        accuracy(logits, torch.full((4,), -100))


def test_accuracy_from_logits_and_from_ids():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.5], [0.1, 0.2]])
    labels = torch.tensor([0, 1, 1, 1])
    assert accuracy(logits, labels) == pytest.approx(0.75)
    assert accuracy(torch.tensor([0, 1, 0, 1]), labels) == pytest.approx(0.75)
    assert accuracy([1, 1, 1, 1], [1, 1, 0, 0]) == pytest.approx(0.5)  # plain lists work too


@pytest.mark.parametrize("predictions, labels, message", [
    (torch.zeros(3, 2), torch.zeros(4, dtype=torch.long), "3 predictions but 4 labels"),
    (torch.zeros(2, 2, 2), torch.zeros(2, dtype=torch.long), "logits \\[N, C\\] or class ids \\[N\\]"),
    (torch.tensor([0.3, 0.7]), torch.tensor([0, 1]), "must be class ids"),
    (torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), "predictions is empty"),
    (torch.zeros(4, 2), torch.zeros(4, 1, dtype=torch.long), "labels must be class ids of shape \\[N\\]"),
    (torch.zeros(4, 2), torch.tensor([0.0, 1.0, 1.0, 0.0]), "labels must be integer class ids"),
])
def test_accuracy_bad_input(predictions, labels, message):
    with pytest.raises(ValueError, match=message):
        accuracy(predictions, labels)


# --- regression metrics ----------------------------------------------------------------------

def test_mse_and_pearson_known_values():
    targets = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert mean_squared_error(targets + 1, targets) == pytest.approx(1.0)
    assert pearson_r(2 * targets + 3, targets) == pytest.approx(1.0)      # scale and offset do not matter
    assert pearson_r(-targets, targets) == pytest.approx(-1.0)
    assert pearson_r(torch.tensor([[1.0], [3.0], [2.0], [4.0]]), targets) == pytest.approx(0.8)  # [N, 1] squeezed


def test_pearson_matches_numpy():
    np = pytest.importorskip("numpy")
    generator = torch.Generator().manual_seed(1)
    x, y = torch.randn(50, generator=generator), torch.randn(50, generator=generator)
    assert pearson_r(x, y + x) == pytest.approx(float(np.corrcoef(x.numpy(), (y + x).numpy())[0, 1]), abs=1e-6)


@pytest.mark.parametrize("predictions, targets, message", [
    (torch.ones(4), torch.arange(4.0), "predictions are constant"),
    (torch.arange(4.0), torch.ones(4), "targets are constant"),
    (torch.ones(1), torch.ones(1), "at least 2 examples"),
    (torch.zeros(4, 2), torch.zeros(4), "must both be \\[N\\]"),
    (torch.zeros(3), torch.zeros(4), "must both be \\[N\\]"),
])
def test_pearson_bad_input(predictions, targets, message):
    with pytest.raises(ValueError, match=message):
        pearson_r(predictions, targets)


def test_mse_bad_shape():
    with pytest.raises(ValueError, match="must both be \\[N\\]"):
        mean_squared_error(torch.zeros(4), torch.zeros(5))


# --- baselines -------------------------------------------------------------------------------

def test_majority_baseline_uses_training_labels():
    baseline = majority_baseline([1, 1, 0], [0, 0, 0, 1])
    assert isinstance(baseline, Baseline)
    assert baseline.prediction == 1 and baseline.score == pytest.approx(0.25)  # the majority of train, not eval
    assert "majority class (always 1): accuracy 0.2500" == str(baseline)
    assert majority_baseline([0, 1], [0, 1]).prediction == 0  # ties: the smallest id


def test_majority_baseline_bad_input():
    with pytest.raises(ValueError, match="negative id"):
        majority_baseline([0, -100, 1, 1], [0])
    with pytest.raises(ValueError, match="class ids of shape \\[N\\]"):
        majority_baseline(torch.zeros(2, 2), [0])


def test_mean_baseline_mse_is_variance_around_training_mean():
    baseline = mean_baseline([0.0, 2.0], [1.0, 3.0, -1.0])
    assert baseline.prediction == pytest.approx(1.0)
    assert baseline.score == pytest.approx((0 + 4 + 4) / 3)
    assert baseline.metric == "mse"
    with pytest.raises(ValueError, match="scores of shape \\[N\\]"):
        mean_baseline(torch.zeros(2, 1), [1.0])


# --- bootstrap -------------------------------------------------------------------------------

def test_bootstrap_interval_brackets_the_score_and_is_reproducible():
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (400,), generator=generator)
    predictions = torch.where(torch.rand(400, generator=generator) < 0.8, labels, 1 - labels)
    low, high = bootstrap_interval(accuracy, predictions, labels, resamples=300)
    score = accuracy(predictions, labels)
    assert low < score < high
    assert 0.03 < high - low < 0.12  # about 4 standard errors of a proportion near 0.8 with n=400
    assert (low, high) == bootstrap_interval(accuracy, predictions, labels, resamples=300)


def test_bootstrap_interval_is_paired():
    labels = torch.arange(100) % 2
    # Two identical models: every resample gives a difference of exactly 0.
    low, high = bootstrap_interval(lambda a, b, y: accuracy(a, y) - accuracy(b, y), labels, labels.clone(), labels,
                                   resamples=50)
    assert low == high == 0.0


@pytest.mark.parametrize("kwargs, tensors, message", [
    ({}, (), "at least one tensor"),
    ({"resamples": 1}, (torch.zeros(3),), "resamples must be at least 2"),
    ({"level": 1.0}, (torch.zeros(3),), "level must be between 0 and 1"),
    ({}, (torch.zeros(3), torch.zeros(4)), "same first dimension"),
])
def test_bootstrap_bad_input(kwargs, tensors, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_interval(lambda *t: 0.0, *tensors, **kwargs)


# --- best constant, bag of words, paired comparisons, seed spread ------------------------------------------

def test_best_constant_is_chosen_on_the_evaluated_set():
    from course_lib.evaluation import best_constant, majority_baseline
    train, evaluated = torch.tensor([0, 0, 0, 1]), torch.tensor([1, 1, 0, -100])
    assert majority_baseline(train, evaluated[:3]).score == pytest.approx(1 / 3)
    best = best_constant(evaluated)
    assert best.prediction == 1 and best.score == pytest.approx(2 / 3)
    scores = torch.tensor([1.0, 2.0, 3.0])
    assert best_constant(scores, metric="mse").score == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="integer class ids"):
        best_constant(scores)
    with pytest.raises(ValueError, match="every label is -100"):
        best_constant(torch.tensor([-100, -100]))


def test_paired_comparison_sees_what_overlapping_intervals_hide():
    from course_lib.evaluation import bootstrap_interval, compare_accuracy, mcnemar
    g = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 2, (300,), generator=g)
    hits_b = torch.rand(300, generator=g) < 0.7
    hits_a = hits_b.clone()
    flip = (~hits_b).nonzero().squeeze(1)[:15]            # A = B plus 15 more right answers
    hits_a[flip] = True
    ids_a, ids_b = torch.where(hits_a, labels, 1 - labels), torch.where(hits_b, labels, 1 - labels)
    acc = lambda ids, y: (ids == y).float().mean().item()  # noqa: E731
    low_a, _ = bootstrap_interval(acc, ids_a, labels)
    _, high_b = bootstrap_interval(acc, ids_b, labels)
    assert low_a < high_b                                  # unpaired intervals overlap ...
    comparison = compare_accuracy(ids_a, ids_b, labels)
    assert comparison.difference == pytest.approx(15 / 300)
    assert comparison.clear and comparison.low > 0         # ... the paired one does not
    assert comparison.p_value == pytest.approx(mcnemar(hits_a, hits_b)) and comparison.p_value < 1e-3
    assert mcnemar(hits_a, hits_a) == 1.0


def test_mcnemar_matches_the_binomial_test():
    from course_lib.evaluation import mcnemar
    a = torch.tensor([1, 1, 1, 1, 1, 1, 0, 1], dtype=torch.bool)   # 6 only-A, 1 only-B, 1 both
    b = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1], dtype=torch.bool)
    # two-sided exact binomial, n = 7, k = 1: 2 * (1 + 7) / 128
    assert mcnemar(a, b) == pytest.approx(16 / 128)


def test_seed_spread():
    from course_lib.evaluation import seed_spread
    spread = seed_spread([0.80, 0.82, 0.84])
    assert spread.mean == pytest.approx(0.82) and spread.std == pytest.approx(0.02)
    assert str(spread) == "0.820 ± 0.020 (seeds: 0.800, 0.820, 0.840)"
    with pytest.raises(ValueError, match="at least 2 runs"):
        seed_spread([0.8])


def test_bag_of_words_learns_words():
    pytest.importorskip("sklearn")  # not in the small transformers-4.57 environment
    from course_lib.evaluation import bag_of_words_baseline
    train = ["a good film", "good acting", "a bad film", "bad acting"] * 5
    labels = torch.tensor([1, 1, 0, 0] * 5)
    probs = bag_of_words_baseline(train, labels, ["good", "bad"], C=10.0)
    assert probs.shape == (2, 2) and probs.argmax(-1).tolist() == [1, 0]
    with pytest.raises(TypeError, match="list of strings"):
        bag_of_words_baseline("good film", labels, ["good"])
