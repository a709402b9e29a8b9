"""Checkers for the exercises of notebook 03 (MLM masking and the pre-training variants).

- 3.1 :func:`check_mlm_replacement`: the 80/10/10 replacement, given the selection and the draws
  that ``course_lib.training.masking.mask_tokens`` makes;
- 3.2 :func:`check_shift_labels`: the causal-LM label shift (drop the first label, pad with -100);
- 3.3 :func:`check_causal_mask`: the boolean "may attend" matrix of ``BertLMHeadModel``.

Each checker runs the learner's function on fresh, seeded inputs (other seeds than the notebook's)
and compares it with the course_lib reference; known mistakes get a specific hint.
"""

from __future__ import annotations

import copy

import torch

from ..losses.pretraining import IGNORE_INDEX, shift_labels_for_causal_lm
from ..models.backbone import make_additive_mask
from . import Case, Check, Diagnosis, Verdict, chapter_say, checker, run_check
from .inputs import case_generator

__all__ = ["check_mlm_replacement", "check_shift_labels", "check_causal_mask", "reference_mlm_replacement",
           "reference_causal_mask"]

#: What this chapter's checks say beyond their hints (other languages: course_lib/exercises/messages_*.json).
MESSAGES = {
    "changed input": "your result is right, but your function changed `input_ids` in place. Work on a copy "
                     "(`inputs = input_ids.clone()`), as `mask_tokens` does: the caller still needs the original "
                     "ids, for the labels.",
}
_say = chapter_say(__name__, MESSAGES)


# --------------------------------------------------------------------------------------------
# 3.1 The 80/10/10 replacement
# --------------------------------------------------------------------------------------------


def reference_mlm_replacement(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    """What the model sees: [MASK] where selected and mask_draw, the random id where selected,
    not masked and random_draw, the original id everywhere else (steps 2-4 of ``mask_tokens``)."""
    to_mask = selected & mask_draw
    to_random = selected & ~mask_draw & random_draw
    inputs = input_ids.clone()
    inputs[to_mask] = mask_token_id
    inputs[to_random] = random_ids[to_random]
    return inputs


def _replacement(input_ids, to_mask, to_random, random_ids, mask_token_id):
    inputs = input_ids.clone()
    inputs[to_random] = random_ids[to_random]
    inputs[to_mask] = mask_token_id
    return inputs


def _random_overwrites_mask(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    inputs = input_ids.clone()
    inputs[selected & mask_draw] = mask_token_id
    to_random = selected & random_draw
    inputs[to_random] = random_ids[to_random]
    return inputs


def _ignores_selection(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    return _replacement(input_ids, mask_draw, ~mask_draw & random_draw, random_ids, mask_token_id)


def _random_draw_inverted(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    return _replacement(input_ids, selected & mask_draw, selected & ~mask_draw & ~random_draw, random_ids,
                        mask_token_id)


def _mask_everything_selected(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    return _replacement(input_ids, selected, torch.zeros_like(selected), random_ids, mask_token_id)


def _draws(shape, vocab_size, special, seed, mlm_probability=0.15):
    """The draws of ``mask_tokens``, in its order, from a seeded generator."""
    g = case_generator(seed)
    probability = torch.full(shape, mlm_probability).masked_fill(special, 0.0)
    selected = torch.bernoulli(probability, generator=g).bool()
    mask_draw = torch.bernoulli(torch.full(shape, 0.8), generator=g).bool()
    random_draw = torch.bernoulli(torch.full(shape, 0.5), generator=g).bool()
    random_ids = torch.randint(vocab_size, shape, generator=g)
    return selected, mask_draw, random_draw, random_ids


def _replacement_cases() -> list[Case]:
    cases = []
    # (batch, length, padded tail lengths, vocab, mask id, selection rate, seed, label)
    specs = [(4, 12, [0, 3, 0, 5], 50, 4, 0.5, 301, "a padded batch"),
             (1, 9, [0], 30, 3, 0.6, 302, "batch size 1"),
             (3, 16, [0, 12, 2], 1000, 103, 0.15, 303, "the default 15 % selection, long padding")]
    for batch, length, pads, vocab, mask_id, rate, seed, label in specs:
        g = case_generator(seed + 1000)
        ids = torch.randint(5, vocab, (batch, length), generator=g)
        ids[:, 0], special = 1, torch.zeros(batch, length, dtype=torch.bool)  # 1 = [CLS], 0 = [PAD]
        for row, pad in enumerate(pads):
            ids[row, length - pad - 1] = 2  # [SEP]
            ids[row, length - pad:] = 0
        special = (ids == 0) | (ids == 1) | (ids == 2)
        selected, mask_draw, random_draw, random_ids = _draws(ids.shape, vocab, special, seed, rate)
        cases.append(Case(args=(ids, selected, mask_draw, random_draw, random_ids, mask_id), label=label))
    return cases


@checker("3.1", "my_mlm_replacement")
def check_mlm_replacement(fn, name: str) -> Verdict:
    """Exercise 3.1: ``fn(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id)``
    returns the ids the model sees after the 80/10/10 replacement."""
    cases = _replacement_cases()
    section = " (notebook section 1 and the statement of exercise 3.1)"
    diagnoses = [
        Diagnosis(_random_overwrites_mask,
                  "some [MASK] tokens were then replaced by random tokens. The random replacement applies only to "
                  "selected tokens that were NOT masked (`selected & ~mask_draw & random_draw`): that is how "
                  "half of the remaining 20 % gives 10 % overall" + section + "."),
        Diagnosis(_ignores_selection,
                  "tokens that were not selected changed too. Only selected positions may change (combine every "
                  "draw with `selected`); the others, including [CLS], [SEP] and padding, must stay as they were"
                  + section + "."),
        Diagnosis(_random_draw_inverted,
                  "you used `random_draw` the other way round: a selected, unmasked token becomes the random id "
                  "where `random_draw` is True and stays unchanged where it is False" + section + "."),
        Diagnosis(_mask_everything_selected,
                  "every selected token became [MASK]. Only those with `mask_draw` True do (80 %); 10 % get a "
                  "random id and 10 % stay unchanged, so the model cannot ignore real tokens" + section + "."),
    ]
    verdict = run_check(fn, Check("3.1", cases, reference_mlm_replacement, name=name,
                                  what="masked input tensor", diagnoses=diagnoses))
    if verdict:
        # run_check gives the learner's function copies of the inputs; call it once more to see
        # whether it writes into `input_ids` (the result would still be right).
        args = copy.deepcopy(cases[0].args)
        try:
            fn(*args)
            changed = not torch.equal(args[0], cases[0].args[0])
        except Exception:
            changed = False
        if changed:
            verdict = Verdict("3.1", "try again", _say("changed input"), reason="changed input")
    return verdict


# --------------------------------------------------------------------------------------------
# 3.2 The causal-LM label shift
# --------------------------------------------------------------------------------------------


def _shift_right(labels):
    return torch.cat([torch.full_like(labels[:, :1], IGNORE_INDEX), labels[:, :-1]], dim=1)


def _pad_with_zero(labels):
    return torch.cat([labels[:, 1:], torch.zeros_like(labels[:, :1])], dim=1)


def _rolled(labels):
    return torch.roll(labels, shifts=-1, dims=1)


def _shift_cases() -> list[Case]:
    g = case_generator(311)
    first = torch.randint(1000, 2000, (3, 7), generator=g)
    first[1, 5:] = IGNORE_INDEX  # padding: never a target
    first[2, 3:] = IGNORE_INDEX
    one = torch.randint(1000, 2000, (1, 10), generator=g)
    single = torch.randint(1000, 2000, (2, 1), generator=g)
    return [Case(args=(first,), label="a padded batch"), Case(args=(one,), label="batch size 1"),
            Case(args=(single,), label="sequences of length 1")]


@checker("3.2", "my_shift_labels")
def check_shift_labels(fn, name: str) -> Verdict:
    """Exercise 3.2: ``fn(labels)`` returns the labels shifted for the causal-LM loss, same shape."""
    section = " (notebook section 4)"
    diagnoses = [
        Diagnosis(_shift_right,
                  "you shifted to the right. Position t is scored on the NEXT token, so the label at t is the "
                  "label at t + 1: drop the FIRST label and add -100 at the END" + section + "."),
        Diagnosis(_pad_with_zero,
                  "the last position has no next token, so its label must be -100 (ignored). 0 is a real class "
                  "(the id of [PAD]) and the loss would train the model to predict it" + section + "."),
        Diagnosis(_rolled,
                  "`torch.roll` wraps the first token around to the last position, so the last position is asked "
                  "to predict the start of the sequence. Drop the first label and append -100 instead"
                  + section + "."),
    ]
    return run_check(fn, Check("3.2", _shift_cases(), shift_labels_for_causal_lm, name=name,
                               what="shifted label tensor", diagnoses=diagnoses))


# --------------------------------------------------------------------------------------------
# 3.3 The causal attention mask
# --------------------------------------------------------------------------------------------


def reference_causal_mask(attention_mask):
    """``[batch, T, T]`` booleans: query q may attend to key k when k <= q and k is not padding
    (``course_lib.models.backbone.make_additive_mask(..., causal=True)`` without the head axis)."""
    batch, length = attention_mask.shape
    additive = make_additive_mask(attention_mask, batch, length, torch.float32, attention_mask.device, causal=True)
    return additive[:, 0] == 0


def _future(attention_mask):
    length = attention_mask.shape[1]
    return torch.ones(length, length, dtype=torch.bool).triu() & attention_mask.bool()[:, None, :]


def _no_padding(attention_mask):
    length = attention_mask.shape[1]
    return torch.ones(length, length, dtype=torch.bool).tril().expand(attention_mask.shape[0], -1, -1)


def _padding_rows(attention_mask):
    length = attention_mask.shape[1]
    return torch.ones(length, length, dtype=torch.bool).tril() & attention_mask.bool()[:, :, None]


def _no_diagonal(attention_mask):
    length = attention_mask.shape[1]
    return torch.ones(length, length, dtype=torch.bool).tril(-1) & attention_mask.bool()[:, None, :]


def _mask_cases() -> list[Case]:
    g = case_generator(331)
    lengths = torch.randint(3, 9, (4,), generator=g)
    lengths[0] = 9
    padded = (torch.arange(9)[None, :] < lengths[:, None]).long()
    left = torch.tensor([[0, 0, 1, 1, 1, 1]])  # left padding: the mask still blocks the padding keys
    return [Case(args=(padded,), label="a right-padded batch"), Case(args=(torch.ones(1, 5, dtype=torch.long),),
            label="batch size 1, no padding"), Case(args=(left,), label="left padding"),
            Case(args=(torch.ones(2, 1, dtype=torch.long),), label="sequences of length 1")]


@checker("3.3", "my_causal_mask")
def check_causal_mask(fn, name: str) -> Verdict:
    """Exercise 3.3: ``fn(attention_mask)`` returns the ``[batch, T, T]`` boolean matrix of allowed
    (query, key) pairs."""
    section = " (notebook section 4, the yes/no picture)"
    diagnoses = [
        Diagnosis(_future,
                  "your mask lets each position see the FUTURE (the upper triangle). Query q may attend to keys "
                  "k <= q: the lower triangle, `tril`, rows = queries, columns = keys" + section + "."),
        Diagnosis(_no_padding,
                  "padding keys are not blocked. Combine the triangle with the attention mask along the KEY axis: "
                  "`attention_mask[:, None, :]`, so no query can attend to a padding column" + section + "."),
        Diagnosis(_padding_rows,
                  "you blocked padding ROWS (queries) instead of padding COLUMNS (keys). What must not be read is "
                  "the padding keys: broadcast the attention mask as `attention_mask[:, None, :]`" + section + "."),
        Diagnosis(_no_diagonal,
                  "a position may attend to itself: keep the diagonal (`tril()`, not `tril(-1)`). Only keys AFTER "
                  "the query are blocked" + section + "."),
    ]
    return run_check(fn, Check("3.3", _mask_cases(), reference_causal_mask, name=name,
                               what="causal mask", diagnoses=diagnoses))
