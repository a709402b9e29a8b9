"""Exercise checkers of notebook 03: right answers pass, typical wrong answers get their hint, and
nothing, the wrong type, the wrong shape or a crash gets a helpful message (never a traceback)."""

import pytest
import torch

from course_lib.exercises import ch03
from course_lib.exercises.ch03 import (
    check_causal_mask,
    check_mlm_replacement,
    check_shift_labels,
)
from course_lib.losses import shift_labels_for_causal_lm
from course_lib.models.backbone import make_additive_mask
from course_lib.training.masking import mask_tokens
from helpers import by_checker, crashes, returns_a_list, same_message_twice, try_again

CHECKERS = [check_mlm_replacement, check_shift_labels, check_causal_mask]


# ---- right answers --------------------------------------------------------------------------


def good_replacement(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    inputs = input_ids.clone()
    inputs = torch.where(selected & mask_draw, torch.full_like(inputs, mask_token_id), inputs)
    return torch.where(selected & ~mask_draw & random_draw, random_ids, inputs)


def good_shift(labels):
    return torch.cat([labels[:, 1:], torch.full_like(labels[:, :1], -100)], dim=1)


def good_mask(attention_mask):
    length = attention_mask.shape[1]
    return torch.ones(length, length, dtype=torch.bool).tril() & attention_mask.bool()[:, None, :]


@pytest.mark.parametrize("checker, fn", [(check_mlm_replacement, good_replacement),
                                         (check_mlm_replacement, ch03.reference_mlm_replacement),
                                         (check_shift_labels, good_shift),
                                         (check_shift_labels, shift_labels_for_causal_lm),
                                         (check_causal_mask, good_mask)])
def test_right_answer_passes(checker, fn, capsys):
    verdict = checker(fn)
    assert verdict, verdict.message
    assert capsys.readouterr().out.startswith(f"[PASS] Exercise {verdict.exercise}:")


def good_mask_as_integers(attention_mask):
    allowed = good_mask(attention_mask)
    return allowed.long()


def test_causal_mask_also_accepts_0_1_integers():
    assert check_causal_mask(good_mask_as_integers, print_verdict=False)


# ---- the references are the course's implementations -----------------------------------------


class FakeTokenizer:
    """What mask_tokens reads from a tokenizer: special ids, the mask token, the vocabulary size."""

    mask_token, mask_token_id, all_special_ids = "[MASK]", 4, [0, 1, 2, 3, 4]

    def __len__(self):
        return 60


def test_replacement_reference_reproduces_mask_tokens_draw_for_draw():
    g = torch.Generator().manual_seed(7)
    ids = torch.randint(5, 60, (6, 20), generator=g)
    ids[:, 0], ids[:, -1], ids[2, 12:] = 1, 2, 0
    inputs, labels = mask_tokens(ids, FakeTokenizer(), mlm_probability=0.4, generator=torch.Generator().manual_seed(3))
    selected, mask_draw, random_draw, random_ids = ch03._draws(ids.shape, 60, ids < 5, 3, 0.4)
    assert torch.equal(labels != -100, selected)
    assert torch.equal(ch03.reference_mlm_replacement(ids, selected, mask_draw, random_draw, random_ids, 4), inputs)


def test_causal_mask_reference_is_the_models_mask():
    keep = torch.tensor([[1, 1, 1, 0], [1, 1, 1, 1]])
    additive = make_additive_mask(keep, 2, 4, torch.float32, torch.device("cpu"), causal=True)
    expected = torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 0]], dtype=torch.bool)
    assert torch.equal(ch03.reference_causal_mask(keep)[0], expected)
    assert torch.equal(ch03.reference_causal_mask(keep), additive[:, 0] == 0)


# ---- typical mistakes get their specific hint --------------------------------------------------


def replacement_random_overwrites(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    inputs = input_ids.clone()
    inputs[selected & mask_draw] = mask_token_id
    inputs[selected & random_draw] = random_ids[selected & random_draw]
    return inputs


def replacement_no_selection(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    inputs = input_ids.clone()
    inputs[mask_draw] = mask_token_id
    inputs[~mask_draw & random_draw] = random_ids[~mask_draw & random_draw]
    return inputs


def replacement_inverted_random(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    inputs = input_ids.clone()
    inputs[selected & mask_draw] = mask_token_id
    keep_random = selected & ~mask_draw & ~random_draw
    inputs[keep_random] = random_ids[keep_random]
    return inputs


def replacement_all_masked(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    return input_ids.masked_fill(selected, mask_token_id)


def replacement_in_place(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    input_ids[selected & mask_draw] = mask_token_id
    input_ids[selected & ~mask_draw & random_draw] = random_ids[selected & ~mask_draw & random_draw]
    return input_ids


def shift_right(labels):
    return torch.cat([torch.full_like(labels[:, :1], -100), labels[:, :-1]], dim=1)


def shift_pad_zero(labels):
    return torch.nn.functional.pad(labels[:, 1:], (0, 1))


def shift_roll(labels):
    return labels.roll(-1, dims=-1)


def mask_future(attention_mask):
    return torch.ones(attention_mask.shape[1], attention_mask.shape[1], dtype=torch.bool).triu() & attention_mask.bool()[:, None, :]


def mask_no_padding(attention_mask):
    length = attention_mask.shape[1]
    return torch.tril(torch.ones(attention_mask.shape[0], length, length)).bool()


def mask_padding_rows(attention_mask):
    length = attention_mask.shape[1]
    return torch.ones(length, length).tril().bool() & attention_mask.bool().unsqueeze(-1)


def mask_no_diagonal(attention_mask):
    length = attention_mask.shape[1]
    return torch.ones(length, length).tril(diagonal=-1).bool() & attention_mask.bool()[:, None, :]


@pytest.mark.parametrize("checker, wrong, phrase", by_checker({
    check_mlm_replacement: [
        (replacement_random_overwrites, "selected tokens that were NOT masked"),
        (replacement_no_selection, "tokens that were not selected changed"),
        (replacement_inverted_random, "`random_draw` the other way round"),
        (replacement_all_masked, "every selected token became [MASK]"),
        (replacement_in_place, "changed `input_ids` in place"),
    ],
    check_shift_labels: [
        (shift_right, "you shifted to the right"),
        (shift_pad_zero, "its label must be -100"),
        (shift_roll, "`torch.roll` wraps"),
    ],
    check_causal_mask: [
        (mask_future, "see the FUTURE"),
        (mask_no_padding, "padding keys are not blocked"),
        (mask_padding_rows, "padding ROWS (queries)"),
        (mask_no_diagonal, "may attend to itself"),
    ],
}), ids=lambda x: getattr(x, "__name__", None))
def test_typical_mistake_gets_its_hint(checker, wrong, phrase):
    try_again(checker, wrong, phrase)


# ---- nothing, templates, wrong types and shapes, crashes ---------------------------------------


# Multi-line definitions on purpose: the template detector reads the source after the `def` line.
def replacement_first_column_dropped(input_ids, *rest):
    inputs = input_ids.clone()
    return inputs[:, 1:]


def shift_without_padding(labels):
    shifted = labels[:, 1:]
    return shifted


def mask_with_head_axis(attention_mask):
    allowed = good_mask(attention_mask)
    return allowed[:, None]


@pytest.mark.parametrize("checker, wrong, got, expected", [
    (check_mlm_replacement, replacement_first_column_dropped, "(4, 11)", "(4, 12)"),
    (check_shift_labels, shift_without_padding, "(3, 6)", "(3, 7)"),
    (check_causal_mask, mask_with_head_axis, "(4, 1, 9, 9)", "(4, 9, 9)"),
])
def test_wrong_shape_names_both_shapes(checker, wrong, got, expected):
    try_again(checker, wrong, got, expected)


@pytest.mark.parametrize("checker", CHECKERS)
def test_wrong_type_is_named(checker):
    try_again(checker, returns_a_list, "returned a list")


@pytest.mark.parametrize("checker, wrong", [(check_mlm_replacement, replacement_in_place),
                                            (check_shift_labels, shift_without_padding),
                                            (check_causal_mask, crashes)])
def test_messages_are_deterministic(checker, wrong):
    same_message_twice(checker, wrong)


