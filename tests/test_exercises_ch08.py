"""Exercises of notebook 08: the checkers pass the worked solutions and the course's own functions, stay
"not yet" on the templates, name the mistake for each known wrong answer (written here the way a learner
would write it), and answer nothing, the wrong type or a crash with a message, never a traceback."""

import pytest
import torch
import torch.nn.functional as F

from course_lib.exercises.ch08 import (
    _best_span,
    _qa_cases,
    _span_cases,
    check_best_span,
    check_qa_loss,
)
from course_lib.losses import question_answering_loss
from course_lib.models.question_answering import decode_span
from helpers import try_again

# --- the chapter, its solutions and the references ------------------------------------------------


def test_the_course_functions_pass_their_own_exercises():
    assert check_qa_loss(question_answering_loss, print_verdict=False)

    def via_decode_span(start_logits, end_logits, context_mask, max_answer_length, allow_no_answer):
        t = start_logits.shape[0]
        p = decode_span(start_logits, end_logits, [(i, i + 1) for i in range(t)], "x" * t, context_mask,
                        max_answer_length=max_answer_length, allow_no_answer=allow_no_answer)
        return p.start_token, p.end_token

    assert check_best_span(via_decode_span, print_verdict=False)


def test_the_loss_cases_cover_what_the_statement_promises():
    cases = _qa_cases()
    starts = torch.cat([c.args[2] for c in cases])
    ends = torch.cat([c.args[3] for c in cases])
    assert (starts < 0).any() and (ends < 0).any(), "negative positions"
    assert any(((c.args[2] == c.args[0].shape[1]) | (c.args[3] == c.args[0].shape[1])).any() for c in cases), \
        "a position exactly at seq_len"
    assert any(((c.args[2] < c.args[0].shape[1]) & (c.args[3] > c.args[0].shape[1])).any() for c in cases), \
        "a start inside with its end cut off"
    for c in cases:  # every batch keeps something to count, so the reference is never NaN
        assert torch.isfinite(question_answering_loss(*c.args))


def test_the_span_cases_have_one_best_span_and_no_ties():
    for case in _span_cases():
        start, end, mask, max_len, allow = case.args
        scores = sorted((float(start[i] + end[j]), (i, j)) for i in range(len(start)) for j in range(len(start))
                        if mask[i] and mask[j] and i <= j < i + max_len)
        assert scores[-1][0] - scores[-2][0] > 0.05, case.label
        assert abs(float(start[0] + end[0]) - scores[-1][0]) > 0.05, case.label
        assert _best_span(*case.args) in {scores[-1][1], (0, 0)}


# --- 8.1 the span loss ---------------------------------------------------------------------------


def qa_right(start_logits, end_logits, start_positions, end_positions):
    t = start_logits.shape[1]
    s, e = start_positions.clamp(0, t), end_positions.clamp(0, t)
    return (F.cross_entropy(start_logits, s, ignore_index=t) + F.cross_entropy(end_logits, e, ignore_index=t)) / 2


def qa_minus_100(start_logits, end_logits, start_positions, end_positions):
    """Out of range -> -100, the cross-entropy's default ignore_index: the same loss."""
    t = start_logits.shape[1]
    s, e = start_positions.clamp(min=0), end_positions.clamp(min=0)
    s[s >= t] = -100
    e[e >= t] = -100
    return (F.cross_entropy(start_logits, s) + F.cross_entropy(end_logits, e)) / 2


def qa_by_hand(start_logits, end_logits, start_positions, end_positions):
    t = start_logits.shape[1]

    def term(logits, positions):
        positions = positions.clamp(0, t)
        keep = positions < t
        return -logits[keep].log_softmax(-1).gather(1, positions[keep][:, None]).mean()

    return (term(start_logits, start_positions) + term(end_logits, end_positions)) / 2


@pytest.mark.parametrize("right", [qa_right, qa_minus_100, qa_by_hand, question_answering_loss])
def test_qa_loss_right_answers_pass(right):
    assert check_qa_loss(right, print_verdict=False)


def qa_terms(positions=lambda p, t: p.clamp(0, t), reduction="mean", combine=lambda s, e: (s + e) / 2):
    def wrong(start_logits, end_logits, start_positions, end_positions):
        t = start_logits.shape[1]
        s = F.cross_entropy(start_logits, positions(start_positions, t), ignore_index=t, reduction=reduction)
        e = F.cross_entropy(end_logits, positions(end_positions, t), ignore_index=t, reduction=reduction)
        return combine(s, e)
    return wrong


def qa_drop_whole_example(start_logits, end_logits, start_positions, end_positions):
    t = start_logits.shape[1]
    s, e = start_positions.clamp(0, t), end_positions.clamp(0, t)
    keep = (s < t) & (e < t)
    return (F.cross_entropy(start_logits[keep], s[keep]) + F.cross_entropy(end_logits[keep], e[keep])) / 2


def qa_over_batch(start_logits, end_logits, start_positions, end_positions):
    t = start_logits.shape[1]
    s, e = start_positions.clamp(0, t), end_positions.clamp(0, t)
    per_s = F.cross_entropy(start_logits, s, ignore_index=t, reduction="none")  # 0 where ignored
    per_e = F.cross_entropy(end_logits, e, ignore_index=t, reduction="none")
    return (per_s.mean() + per_e.mean()) / 2


def qa_one_mean(start_logits, end_logits, start_positions, end_positions):
    t = start_logits.shape[1]
    logits = torch.cat([start_logits, end_logits])
    return F.cross_entropy(logits, torch.cat([start_positions, end_positions]).clamp(0, t), ignore_index=t)


def qa_negative_dropped(start_logits, end_logits, start_positions, end_positions):
    t = start_logits.shape[1]
    s, e = start_positions.clone(), end_positions.clone()
    s[(s < 0) | (s >= t)] = -100
    e[(e < 0) | (e >= t)] = -100
    return (F.cross_entropy(start_logits, s) + F.cross_entropy(end_logits, e)) / 2


@pytest.mark.parametrize("wrong, hint", [
    (qa_terms(combine=lambda s, e: s + e), "you added the two losses"),
    (qa_terms(reduction="sum"), "each of your two terms is a *sum*"),
    (qa_terms(reduction="sum", combine=lambda s, e: s + e), "you summed everything"),
    (qa_terms(positions=lambda p, t: p.clamp(0, t - 1)), "to the LAST token (seq_len - 1)"),
    (qa_negative_dropped, "you dropped the negative positions"),
    (qa_over_batch, "counted in your mean's denominator"),
    (qa_drop_whole_example, "you dropped a whole example"),
    (qa_one_mean, "you took one mean over the start and the end terms together"),
    (lambda s, e, sp, ep: qa_right(s.softmax(-1), e.softmax(-1), sp, ep), "ran twice"),
])
def test_qa_loss_names_the_mistake(wrong, hint):
    try_again(check_qa_loss, wrong, hint)


def ce_pair(s, e, sp, ep, **kwargs):
    return (F.cross_entropy(s, sp, **kwargs) + F.cross_entropy(e, ep, **kwargs)) / 2


@pytest.mark.parametrize("wrong, hint", [
    (lambda s, e, sp, ep: ce_pair(s, e, sp, ep), "Position 14 is beyond the input (seq_len = 10)"),
    (lambda s, e, sp, ep: ce_pair(s, e, sp, ep, ignore_index=s.shape[1]), "Position 14 is beyond the input"),
    (lambda s, e, sp, ep: ce_pair(s, e, sp.clamp(0, s.shape[1]), ep.clamp(0, s.shape[1])),
     "You clamped to seq_len = 10, but the cross-entropy still treats 10 as a class"),
    (lambda s, e, sp, ep: ce_pair(s, e, sp.clamp(max=s.shape[1]), ep.clamp(max=s.shape[1]), ignore_index=s.shape[1]),
     "A negative position (-1) reached the cross-entropy"),
])
def test_qa_loss_out_of_bounds_errors_get_the_clamping_hint(wrong, hint):
    verdict = try_again(check_qa_loss, wrong, hint)
    assert "raised IndexError" in verdict.message


def test_qa_loss_must_be_a_tensor():
    verdict = check_qa_loss(lambda *args: question_answering_loss(*args).item(), print_verdict=False)
    assert verdict.status == "try again" and "tensor" in verdict.message


# --- 8.2 the best span ---------------------------------------------------------------------------------


def span_search(start, end, mask, max_len, allow, *, ordered=True, limit=0, in_context=True, null="allowed"):
    """The right search, or one with a rule broken (limit: extra tokens allowed, None: no limit)."""
    best, best_score = None, float("-inf")
    for i in range(len(start)):
        for j in range(len(start)):
            if (ordered and j < i) or (limit is not None and j - i + 1 > max_len + limit):
                continue
            if in_context and not (mask[i] and mask[j]):
                continue
            if float(start[i] + end[j]) > best_score:
                best, best_score = (i, j), float(start[i] + end[j])
    null_wins = float(start[0] + end[0]) > best_score
    if (null == "allowed" and allow and null_wins) or (null == "always" and null_wins):
        return (0, 0)
    return best


def span_vectorised(start, end, mask, max_len, allow):
    scores = start[:, None] + end[None, :]
    i = torch.arange(len(start))
    ok = (i[None, :] >= i[:, None]) & (i[None, :] < i[:, None] + max_len) & mask[:, None] & mask[None, :]
    best = scores.masked_fill(~ok, float("-inf")).argmax()
    s, e = divmod(int(best), len(start))
    if allow and start[0] + end[0] > scores[s, e]:
        return 0, 0
    return torch.tensor(s), torch.tensor(e)  # 0-d tensors are accepted as positions


@pytest.mark.parametrize("right", [
    span_search,
    span_vectorised,
    lambda *args: list(span_search(*args)),
    lambda *args: torch.tensor(span_search(*args)),
])
def test_best_span_right_answers_pass(right):
    assert check_best_span(right, print_verdict=False)


def separate_argmaxes(start, end, mask, max_len, allow):
    return int(start.masked_fill(~mask, -1e9).argmax()), int(end.masked_fill(~mask, -1e9).argmax())


def greedy_start_then_end(start, end, mask, max_len, allow):
    i = int(start.masked_fill(~mask, -1e9).argmax())
    j = max((j for j in range(i, min(i + max_len, len(end))) if mask[j]), key=lambda j: float(end[j]))
    return i, j


@pytest.mark.parametrize("wrong, hint", [
    (lambda *a: span_search(*a, ordered=False), "your span ends before it starts"),
    (separate_argmaxes, "your span ends before it starts"),
    (lambda *a: span_search(*a, limit=None), "your span has 7 tokens, more than max_answer_length = 3"),
    (lambda *a: span_search(*a, limit=1), "off by one, your span has 4 tokens and max_answer_length is 3"),
    (lambda *a: span_search(*a, in_context=False), "token 2 is not in the context"),
    (lambda *a: span_search(*a, null="never"), "the [CLS] score start[0] + end[0] = 10.0"),
    (lambda *a: span_search(*a, null="always"), "with allow_no_answer=False the answer must be a span of the context"),
    (lambda s, e, m, L, allow: (0, 0) if allow else span_search(s, e, m, L, allow),
     "is below the best span's 7.5"),
    (greedy_start_then_end, "an allowed span, but it scores"),
])
def test_best_span_names_the_mistake(wrong, hint):
    try_again(check_best_span, wrong, hint)


@pytest.mark.parametrize("returns, phrase", [
    (lambda *a: [float(x) for x in span_search(*a)], "a pair that is not two integers"),
    (lambda *a: span_search(*a)[0], "returned an int"),
    (lambda *a: None, "returned None (did you forget `return`?)"),
])
def test_best_span_wrong_form(returns, phrase):
    try_again(check_best_span, returns, phrase)


def test_best_span_with_too_few_arguments_says_how_it_is_called():
    try_again(check_best_span, lambda start, end, mask, max_len: (0, 0), "five arguments, in this order")


# --- nothing, templates, wrong types, exceptions -------------------------------------------------------


