"""Property-based tests of course_lib's public API (hypothesis draws the inputs).

The contract, for random inputs rather than hand-picked ones:

- valid input gives what transformers gives (same weights), and never NaN from finite input;
- invalid input raises ValueError or TypeError whose message names the argument, within a time limit;
- schedules match transformers' ``get_scheduler`` step by step.

Kept small (few examples, tiny models built once) so the whole file runs in seconds.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

hypothesis = pytest.importorskip("hypothesis")  # in .venv (pinned); .venv-hf4 may not have it
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import course_lib  # noqa: E402
from course_lib import losses  # noqa: E402
from course_lib.training.optim import AdamW  # noqa: E402
from course_lib.training.schedules import get_scheduler  # noqa: E402
from helpers import reference_model, tiny_config, within  # noqa: E402

FAST = settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow],
                database=None)




CONFIG = tiny_config("tiny-gelu")
_PAIRS: dict = {}


def pair(cls_name: str, **overrides):
    """(ours, theirs) with the same weights, built once per class."""
    key = (cls_name, tuple(sorted(overrides.items())))
    if key not in _PAIRS:
        config = tiny_config("tiny-gelu", **overrides)
        torch.manual_seed(0)
        theirs = reference_model(cls_name, config, "eager")
        ours = getattr(course_lib, cls_name)(config)
        ours.load_state_dict(theirs.state_dict(), strict=True)
        _PAIRS[key] = (ours.eval(), theirs)
    return _PAIRS[key]


@st.composite
def batches(draw, max_batch=3, max_len=10):
    """A valid batch: ids, a right-padded 0/1 mask (every row keeps >= 1 token), token types."""
    batch = draw(st.integers(1, max_batch))
    seq_len = draw(st.integers(1, max_len))
    seed = draw(st.integers(0, 2**16))
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, CONFIG.vocab_size, (batch, seq_len), generator=g)
    lengths = torch.randint(1, seq_len + 1, (batch,), generator=g)
    mask = (torch.arange(seq_len)[None, :] < lengths[:, None]).long()
    types = torch.randint(0, CONFIG.type_vocab_size, (batch, seq_len), generator=g)
    mask_dtype = draw(st.sampled_from([torch.long, torch.float32, torch.bool]))
    return {"input_ids": ids, "attention_mask": mask.to(mask_dtype), "token_type_ids": types}


# --- valid input: same numbers as transformers, finite ------------------------------------------


@FAST
@given(batches())
def test_encoder_matches_transformers_on_random_valid_batches(batch):
    ours, theirs = pair("BertModel")
    theirs_batch = {**batch, "attention_mask": batch["attention_mask"].long()}
    with torch.no_grad():
        ours_out, theirs_out = ours(**batch), theirs(**theirs_batch)
    assert torch.isfinite(ours_out.last_hidden_state).all()
    torch.testing.assert_close(ours_out.last_hidden_state, theirs_out.last_hidden_state, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours_out.pooler_output, theirs_out.pooler_output, atol=1e-5, rtol=1e-5)


@FAST
@given(batches(), st.sampled_from(["regression", "single_label_classification", "multi_label_classification"]),
       st.integers(0, 2**16))
def test_sequence_classification_loss_matches_transformers(batch, problem_type, seed):
    num_labels = 1 if problem_type == "regression" else 3
    ours, theirs = pair("BertForSequenceClassification", num_labels=num_labels, problem_type=problem_type)
    g = torch.Generator().manual_seed(seed)
    n = batch["input_ids"].shape[0]
    if problem_type == "regression":
        labels = torch.randn(n, generator=g)
    elif problem_type == "single_label_classification":
        labels = torch.randint(0, num_labels, (n,), generator=g)
    else:
        labels = torch.randint(0, 2, (n, num_labels), generator=g).float()
    batch = {**batch, "attention_mask": batch["attention_mask"].long()}
    with torch.no_grad():
        ours_loss, theirs_loss = ours(**batch, labels=labels).loss, theirs(**batch, labels=labels).loss
    assert torch.isfinite(ours_loss)
    torch.testing.assert_close(ours_loss, theirs_loss, atol=1e-5, rtol=1e-5)


@FAST
@given(st.integers(1, 4), st.integers(1, 9), st.integers(2, 7), st.floats(0.0, 0.9), st.integers(0, 2**16),
       st.floats(1e-3, 1e3))
def test_token_and_mlm_losses_are_finite_and_ignore_minus_100(batch, seq_len, classes, drop, seed, scale):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(batch, seq_len, classes, generator=g) * scale  # also very confident logits
    labels = torch.randint(0, classes, (batch, seq_len), generator=g)
    ignored = torch.rand(batch, seq_len, generator=g) < drop
    ignored[0, 0] = False  # at least one scored position: otherwise the mean is 0/0 by definition
    labels = labels.masked_fill(ignored, losses.IGNORE_INDEX)
    token = losses.token_classification_loss(logits, labels)
    mlm = losses.masked_lm_loss(logits, labels)
    kept = ~ignored
    by_hand = torch.nn.functional.cross_entropy(logits[kept], labels[kept])
    assert torch.isfinite(token) and torch.isfinite(mlm)
    torch.testing.assert_close(token, by_hand)
    torch.testing.assert_close(mlm, by_hand)


@FAST
@given(st.integers(1, 4), st.integers(1, 5), st.integers(0, 2**16))
def test_multiple_choice_model_matches_transformers(batch, choices, seed):
    ours, theirs = pair("BertForMultipleChoice")
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, CONFIG.vocab_size, (batch, choices, 6), generator=g)
    labels = torch.randint(0, choices, (batch,), generator=g)
    with torch.no_grad():
        ours_out, theirs_out = ours(input_ids=ids, labels=labels), theirs(input_ids=ids, labels=labels)
    assert ours_out.logits.shape == (batch, choices) and torch.isfinite(ours_out.loss)
    torch.testing.assert_close(ours_out.logits, theirs_out.logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours_out.loss, theirs_out.loss, atol=1e-5, rtol=1e-5)


@FAST
@given(st.integers(1, 4), st.integers(2, 10), st.integers(0, 2**16))
def test_qa_loss_matches_transformers_with_out_of_range_positions(batch, seq_len, seed):
    ours, theirs = pair("BertForQuestionAnswering")
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, CONFIG.vocab_size, (batch, seq_len), generator=g)
    starts = torch.randint(-2, seq_len + 3, (batch,), generator=g)
    ends = torch.randint(-2, seq_len + 3, (batch,), generator=g)
    starts[0], ends[0] = 0, seq_len - 1  # one answer inside the input: the mean is defined
    with torch.no_grad():
        ours_loss = ours(input_ids=ids, start_positions=starts, end_positions=ends).loss
        theirs_loss = theirs(input_ids=ids, start_positions=starts, end_positions=ends).loss
    assert torch.isfinite(ours_loss)
    torch.testing.assert_close(ours_loss, theirs_loss, atol=1e-5, rtol=1e-5)


@FAST
@given(st.floats(1e-5, 1e-1), st.floats(0.0, 0.5), st.floats(1e-4, 1e4), st.integers(0, 2**16))
def test_adamw_matches_torch_and_stays_finite(lr, weight_decay, grad_scale, seed):
    g = torch.Generator().manual_seed(seed)
    start = torch.randn(5, generator=g)
    ours_p, torch_p = torch.nn.Parameter(start.clone()), torch.nn.Parameter(start.clone())
    ours_opt = AdamW([ours_p], lr=lr, weight_decay=weight_decay)
    torch_opt = torch.optim.AdamW([torch_p], lr=lr, weight_decay=weight_decay)
    for _ in range(3):
        grad = torch.randn(5, generator=g) * grad_scale
        ours_p.grad, torch_p.grad = grad.clone(), grad.clone()
        ours_opt.step()
        torch_opt.step()
    assert torch.isfinite(ours_p).all()
    torch.testing.assert_close(ours_p.detach(), torch_p.detach(), atol=1e-6, rtol=1e-5)


SCHEDULE_NAMES = ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
                  "inverse_sqrt"]


@FAST
@given(st.sampled_from(SCHEDULE_NAMES), st.integers(0, 10), st.integers(1, 30))
def test_schedules_match_transformers_step_by_step(name, warmup, total):
    import transformers

    warmup = min(warmup, total)
    if name == "polynomial" and warmup == total:  # transformers divides by zero there; ours names the problem
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
        with pytest.raises(ValueError, match="must be smaller than num_training_steps"):
            get_scheduler(name, optimizer, num_warmup_steps=warmup, num_training_steps=total)
        return
    multipliers = []
    for make in (get_scheduler, transformers.get_scheduler):
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
        scheduler = make(name, optimizer, num_warmup_steps=warmup, num_training_steps=total)
        lrs = []
        for _ in range(total + 3):
            lrs.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        multipliers.append(lrs)
    assert multipliers[0] == pytest.approx(multipliers[1], abs=1e-12)
    assert all(0.0 <= lr <= 0.1 + 1e-12 for lr in multipliers[0])


# --- invalid input: a named ValueError / TypeError, quickly ---------------------------------------

CORRUPTIONS = {
    # name: (function of a valid batch -> kwargs, the argument the message must name)
    "uint8 ids": (lambda b: {**b, "input_ids": b["input_ids"].to(torch.uint8)}, "input_ids"),
    "bool ids": (lambda b: {**b, "input_ids": b["input_ids"].bool()}, "input_ids"),
    "float ids": (lambda b: {**b, "input_ids": b["input_ids"].float()}, "input_ids"),
    "list ids": (lambda b: {**b, "input_ids": b["input_ids"].tolist()}, "input_ids"),
    "numpy ids": (lambda b: {**b, "input_ids": np.asarray(b["input_ids"])}, "input_ids"),
    "ids out of vocabulary": (lambda b: {**b, "input_ids": b["input_ids"] + CONFIG.vocab_size}, "input_ids"),
    "float token types": (lambda b: {**b, "token_type_ids": b["token_type_ids"].float()}, "token_type_ids"),
    "token type 5": (lambda b: {**b, "token_type_ids": b["token_type_ids"] + 5}, "token_type_ids"),
    "float positions": (lambda b: {**b, "position_ids": torch.arange(b["input_ids"].shape[1]).float()},
                        "position_ids"),
    "additive mask": (lambda b: {**b, "attention_mask": (1.0 - b["attention_mask"].float()) * -10000.0 - 1.0},
                      "attention_mask"),
    "mask of 2s": (lambda b: {**b, "attention_mask": b["attention_mask"].long() * 2}, "attention_mask"),
    "transposed mask": (lambda b: {**b, "attention_mask": torch.ones(b["input_ids"].shape[1], 2 * b["input_ids"].shape[0] + 1)},
                        "attention_mask"),
    "1-D ids": (lambda b: {**b, "input_ids": b["input_ids"].flatten()}, "input_ids"),
    "length 0": (lambda b: {"input_ids": b["input_ids"][:, :0]}, "sequence length 0"),
    "too long": (lambda b: {"input_ids": torch.ones(1, CONFIG.max_position_embeddings + 1, dtype=torch.long)},
                 "max_position_embeddings"),
}


@FAST
@given(batches(), st.sampled_from(sorted(CORRUPTIONS)),
       st.sampled_from(["BertModel", "BertForSequenceClassification", "BertForTokenClassification", "BertForMaskedLM"]))
def test_invalid_model_input_raises_a_named_error_quickly(batch, corruption, cls_name):
    ours, _ = pair(cls_name)
    make, name = CORRUPTIONS[corruption]
    with within(10), pytest.raises((ValueError, TypeError)) as info:
        ours(**make({**batch, "attention_mask": batch["attention_mask"].long()}))
    assert name in str(info.value), f"{corruption}: the message does not name {name!r}: {info.value}"


LABEL_CORRUPTIONS = {
    "BertForSequenceClassification": [
        (lambda n, t: torch.randint(0, 2, (n,)).tolist(), "labels"),
        (lambda n, t: torch.full((n,), 7), "labels must lie in [0, "),
        (lambda n, t: torch.zeros(n, dtype=torch.int16), "labels of dtype torch.int16"),
    ],
    "BertForTokenClassification": [
        (lambda n, t: torch.zeros(n, t, dtype=torch.int32), "labels.long()"),
        (lambda n, t: torch.zeros(t + 1, n, dtype=torch.long), "token labels have shape"),
        (lambda n, t: torch.full((n, t), 100), "token labels must lie in [0, "),
    ],
    "BertForMaskedLM": [
        (lambda n, t: torch.zeros(n, t), "MLM labels must be integer token ids"),
        (lambda n, t: torch.full((n, t), CONFIG.vocab_size), "MLM labels must lie in [0, "),
    ],
}


@FAST
@given(batches(), st.sampled_from(sorted(LABEL_CORRUPTIONS)), st.integers(0, 2))
def test_invalid_labels_raise_a_named_error_quickly(batch, cls_name, which):
    ours, _ = pair(cls_name)
    options = LABEL_CORRUPTIONS[cls_name]
    make, expected = options[which % len(options)]
    n, t = batch["input_ids"].shape
    with within(10), pytest.raises((ValueError, TypeError)) as info:
        ours(**batch, labels=make(n, t))
    assert expected in str(info.value), f"{cls_name}: expected {expected!r} in: {info.value}"


@FAST
@given(st.one_of(st.none(), st.sampled_from(["", "x", "1e-3"]), st.floats(-1.0, -1e-9), st.just(float("nan"))),
       st.sampled_from(["lr", "eps", "weight_decay"]))
def test_bad_optimizer_hyperparameters_are_named(value, name):
    with within(10), pytest.raises(ValueError, match=f"Invalid {'learning rate' if name == 'lr' else name}"):
        AdamW([torch.nn.Parameter(torch.ones(2))], **{name: value})


@FAST
@given(st.sampled_from(SCHEDULE_NAMES[:4]),
       st.one_of(st.none(), st.sampled_from(["", "10", "x"]), st.integers(-5, -1)))
def test_bad_schedule_step_counts_are_named(name, value):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    with within(10), pytest.raises(ValueError, match="num_training_steps"):
        get_scheduler(name, optimizer, num_warmup_steps=1, num_training_steps=value)


# --- round three (issue 22) -----------------------------------------------------------------------


@FAST
@given(st.integers(1, 12), st.integers(2, 5), st.integers(0, 2**16))
def test_accuracy_of_logits_and_of_ids_agree_skip_minus_100_and_never_broadcast(n, classes, seed):
    from course_lib import evaluation

    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, classes, generator=g)
    labels = torch.randint(0, classes, (n,), generator=g)
    labels[torch.rand(n, generator=g) < 0.3] = -100
    labels[0] = int(logits[0].argmax())  # at least one scored example
    kept = labels != -100
    expected = (logits.argmax(-1)[kept] == labels[kept]).float().mean().item()
    assert evaluation.accuracy(logits, labels) == evaluation.accuracy(logits.argmax(-1), labels) == expected
    with within(10), pytest.raises(ValueError, match="shape"):
        evaluation.accuracy(logits.argmax(-1), labels[:, None])


@FAST
@given(st.sampled_from(["BertModel", "BertForSequenceClassification", "BertForTokenClassification",
                        "BertForMaskedLM", "BertForQuestionAnswering"]), batches())
def test_return_dict_false_matches_the_transformers_tuple(cls_name, batch):
    ours, theirs = pair(cls_name)
    theirs_batch = {**batch, "attention_mask": batch["attention_mask"].long()}
    with torch.no_grad():
        mine, reference = ours(**batch, return_dict=False), theirs(**theirs_batch, return_dict=False)
    assert isinstance(mine, tuple) and len(mine) == len(reference)
    for a, b in zip(mine, reference):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


@FAST
@given(batches(), st.integers(0, 2))
def test_an_all_zero_mask_row_is_named_wherever_it_is(batch, row):
    ours, _ = pair("BertForSequenceClassification")
    mask = batch["attention_mask"].clone()
    row = row % mask.shape[0]
    mask[row] = 0
    with within(10), pytest.raises(ValueError, match=f"attention_mask row {row} is all 0"):
        ours(**{**batch, "attention_mask": mask})


@FAST
@given(st.lists(st.sampled_from(["Lyon", "the Porto", "Porto", "a lyon", ""]), min_size=1, max_size=6),
       st.integers(0, 2**16))
def test_squad_metrics_reads_a_bare_string_gold_as_one_answer(golds, seed):
    from course_lib.models.question_answering import squad_metrics

    predictions = [golds[(i + seed) % len(golds)] for i in range(len(golds))]
    assert squad_metrics(predictions, golds) == squad_metrics(predictions, [[g] for g in golds])
