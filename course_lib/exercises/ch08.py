"""Checkers for the exercises of notebook 08 (question answering: pointing at the answer).

    Exercise 8.1  my_qa_loss(start_logits, end_logits, start_positions, end_positions)
                      -> (start_loss + end_loss) / 2, positions clamped to [0, seq_len] and seq_len ignored
    Exercise 8.2  my_best_span(start_logits, end_logits, context_mask, max_answer_length, allow_no_answer)
                      -> (start, end) of the best allowed span, or (0, 0) for "no answer"

The references are ``course_lib.losses.question_answering_loss`` and
``course_lib.models.question_answering.decode_span``. The inputs are fixed here, not the notebook's: 8.1
has batches with positions inside the input, beyond it (some exactly at seq_len), and negative;
8.2 has hand-made score vectors, each built around one trap (the best start after the best end, a
long span, a tempting start in the question, a strong [CLS] with and without "no answer").

A 8.2 answer is a pair of token positions, so instead of matching known wrong answers the checker
looks at the first pair that differs and says what is wrong with it: the end before the start,
longer than max_answer_length, outside the context, [CLS] when "no answer" is not allowed, ...
"""

from __future__ import annotations

import re

import torch
import torch.nn.functional as F

from ..losses.token_and_span import question_answering_loss
from ..models.question_answering import decode_span
from . import Case, Check, Diagnosis, Verdict, as_integer, chapter_say, checker, describe, exact_answer_hooks, run_check
from .inputs import case_generator

__all__ = ["check_qa_loss", "check_best_span"]

#: What this chapter's checks say beyond their hints (other languages: course_lib/exercises/messages_*.json).
MESSAGES = {
    # 8.1: the exceptions unclamped positions cause
    "raised, with a hint": "`{name}` raised {error_type}: {error} (on input {number}, {label}). {hint}",
    "negative position": "A negative position ({target}) reached the cross-entropy: negative positions are clamped "
                         "to 0, the [CLS] token (SQuAD v2's \"no answer\"), so they still count. Clamp every "
                         "position into [0, seq_len] (positions.clamp(0, seq_len)) and tell the cross-entropy to "
                         "ignore the index seq_len (ignore_index=seq_len), section 4.",
    "seq_len is a class": "You clamped to seq_len = {seq_len}, but the cross-entropy still treats {seq_len} as a "
                          "class, and there are only {seq_len} (0 .. {last}): pass ignore_index=seq_len so that "
                          "the clamped positions add nothing to the loss (section 4).",
    "beyond the input": "Position {target} is beyond the input (seq_len = {seq_len}), not a valid class: the answer "
                        "was cut off by truncation. Do not let it reach the cross-entropy as it is: clamp every "
                        "position into [0, seq_len] (positions.clamp(0, seq_len)) and tell the cross-entropy to "
                        "ignore the index seq_len (ignore_index=seq_len), section 4.",
    # 8.2: what is wrong with the first pair that differs
    "where": "on input {number} ({label}) you answered {got}, the reference {right}",
    "no answer not allowed": "{where}. (0, 0) is [CLS], \"no answer\": with allow_no_answer=False the answer must "
                             "be a span of the context (context_mask, tokens {first}..{last}), however high [CLS] "
                             "scores. Compare with [CLS] only when allow_no_answer is True (section 5).",
    "no answer too low": "{where}. The [CLS] score start[0] + end[0] = {null:.2f} is below the best span's "
                         "{best:.2f}: answer \"no answer\" only when [CLS] beats the best allowed span.",
    "no answer missed": "{where}. That is the best span ({best:.2f}), but allow_no_answer is True and the [CLS] "
                        "score start[0] + end[0] = {null:.2f} beats it: return (0, 0), \"no answer\" (section 5).",
    "end before start": "{where}: your span ends before it starts. Taking the argmax of the start scores and of the "
                        "end scores separately can do that; score PAIRS instead, start_logits[i] + end_logits[j], "
                        "and keep only pairs with i <= j (section 5).",
    "one token too long": "{where}: off by one, your span has {length} tokens and max_answer_length is {max_len}. "
                          "Allowed pairs have i <= j < i + max_answer_length, so at most {max_len} tokens "
                          "(section 5).",
    "too long": "{where}: your span has {length} tokens, more than max_answer_length = {max_len}. Keep only pairs "
                "with j < i + max_answer_length (section 5).",
    "outside the context": "{where}: token {token} is not in the context (context_mask is True on tokens "
                           "{first}..{last}). An answer is a span of the context: both its start and its end must "
                           "be context tokens, not the question, [CLS], [SEP] or padding (section 5).",
    "no answer beats the span": "{where}. allow_no_answer is True and the [CLS] score start[0] + end[0] = {null:.2f} "
                                "beats the best span ({best:.2f}): return (0, 0), \"no answer\".",
    "not the best pair": "{where}: an allowed span, but it scores start[{i}] + end[{j}] = {score:.2f}, and {right} "
                         "scores {best:.2f}. Maximise the SUM over all allowed pairs at once; the best start first "
                         "and then the best end after it can miss the best pair (section 5).",
    "not two integers": "returned a pair that is not two integers: token positions are ints, e.g. (9, 11); convert "
                        "with int(...) (a tensor from argmax is fine as int(tensor))",
    "not a pair": "returned {got}; it should return the pair of token positions (start, end), two ints such as "
                  "(9, 11)",
    "five arguments": "The checker calls my_best_span(start_logits, end_logits, context_mask, max_answer_length, "
                      "allow_no_answer): five arguments, in this order.",
}
_say = chapter_say(__name__, MESSAGES)


# --------------------------------------------------------------------------------------------
# 8.1 The span loss
# --------------------------------------------------------------------------------------------


def _qa_loss(start_logits, end_logits, start_positions, end_positions):
    return question_answering_loss(start_logits, end_logits, start_positions, end_positions)


def _qa_cases() -> list[Case]:
    g = case_generator(808)

    def logits(b, t):
        return 2.0 * torch.randn(b, t, generator=g), 2.0 * torch.randn(b, t, generator=g)

    return [
        Case((*logits(4, 12), torch.tensor([3, 7, 1, 10]), torch.tensor([5, 7, 4, 11])),
             label="B=4, seq_len=12, every position inside the input"),
        Case((*logits(5, 10), torch.tensor([3, 14, 7, 2, 5]), torch.tensor([4, 16, 13, 2, 8])),
             label="B=5, seq_len=10, start_positions [3, 14, 7, 2, 5], end_positions [4, 16, 13, 2, 8]: "
                   "some beyond the input"),
        Case((*logits(6, 9), torch.tensor([-1, 2, 9, 4, -3, 0]), torch.tensor([-1, 5, 9, 20, 6, 0])),
             label="B=6, seq_len=9, start_positions [-1, 2, 9, 4, -3, 0], end_positions [-1, 5, 9, 20, 6, 0]: "
                   "negative ones, and some at or beyond seq_len"),
    ]


def _two_terms(start_logits, end_logits, start_positions, end_positions, positions, loss):
    """``loss(logits, prepared positions, seq_len)`` for start and end, from ``positions(p, seq_len)``."""
    t = start_logits.shape[1]
    return (loss(start_logits, positions(start_positions, t), t), loss(end_logits, positions(end_positions, t), t))


def _ce(logits, positions, t):
    return F.cross_entropy(logits, positions, ignore_index=t)


def _clamped(p, t):
    return p.clamp(0, t)


def _variant(positions=_clamped, loss=_ce, combine=lambda s, e: (s + e) / 2):
    def wrong(start_logits, end_logits, start_positions, end_positions):
        s, e = _two_terms(start_logits, end_logits, start_positions, end_positions, positions, loss)
        return combine(s, e)
    return wrong


def _mean_over_batch(logits, positions, t):
    """Terms of the dropped positions counted as 0 in the mean: divided by the batch size."""
    return F.cross_entropy(logits, positions, ignore_index=t, reduction="sum") / logits.shape[0]


def _drop_whole_example(start_logits, end_logits, start_positions, end_positions):
    t = start_logits.shape[1]
    s, e = start_positions.clamp(0, t), end_positions.clamp(0, t)
    keep = (s < t) & (e < t)
    return (F.cross_entropy(start_logits[keep], s[keep]) + F.cross_entropy(end_logits[keep], e[keep])) / 2


def _one_mean_over_both(start_logits, end_logits, start_positions, end_positions):
    t = start_logits.shape[1]
    return F.cross_entropy(torch.cat([start_logits, end_logits]),
                           torch.cat([start_positions, end_positions]).clamp(0, t), ignore_index=t)


def _qa_error_hint(error, case) -> str | None:
    """A hint for the exceptions that unclamped positions cause in F.cross_entropy."""
    found = re.search(r"Target (-?\d+) is out of bounds", str(error))
    if not found:
        return None
    target, seq_len = int(found.group(1)), case.args[0].shape[1]
    if target < 0:
        return _say("negative position", target=target)
    if target == seq_len:
        return _say("seq_len is a class", seq_len=seq_len, last=seq_len - 1)
    return _say("beyond the input", target=target, seq_len=seq_len)


@checker("8.1", "my_qa_loss")
def check_qa_loss(fn, name: str) -> Verdict:
    """Exercise 8.1: ``fn(start_logits, end_logits, start_positions, end_positions)`` with logits
    ``[B, seq_len]`` and positions ``[B]`` returns ``(start_loss + end_loss) / 2``, each a cross-entropy
    over the positions, after clamping the positions into [0, seq_len] and ignoring the index seq_len."""
    def on_error(error, case, number):  # unclamped positions: say which rule they break
        hint = _qa_error_hint(error, case)
        if hint is None:
            return None
        return _say("raised, with a hint", name=name, error_type=type(error).__name__, error=error, number=number,
                    label=case.label, hint=hint)

    diagnoses = [
        Diagnosis(_variant(combine=lambda s, e: s + e),
                  "you added the two losses: the loss is their average, (start_loss + end_loss) / 2, so it keeps the "
                  "scale of one classification (section 3)."),
        Diagnosis(_variant(loss=lambda logits, p, t: F.cross_entropy(logits, p, ignore_index=t, reduction="sum")),
                  "each of your two terms is a *sum* over the examples; each is a *mean* over the examples that "
                  "count (reduction=\"mean\", the default)."),
        Diagnosis(_variant(loss=lambda logits, p, t: F.cross_entropy(logits, p, ignore_index=t, reduction="sum"),
                           combine=lambda s, e: s + e),
                  "you summed everything: each term is a *mean* over the examples that count, and the loss is the "
                  "average of the two, (start_loss + end_loss) / 2 (section 3)."),
        Diagnosis(_variant(positions=lambda p, t: p.clamp(0, t - 1)),
                  "you clamped the positions beyond the input to the LAST token (seq_len - 1), so the model is "
                  "trained to point at a real token that is not the answer. Clamp to seq_len instead, one past the "
                  "last token, and pass ignore_index=seq_len: those examples then add nothing (section 4)."),
        Diagnosis(_variant(positions=lambda p, t: torch.where(p < 0, torch.full_like(p, t), p.clamp(max=t))),
                  "you dropped the negative positions together with the ones beyond the input. A negative position "
                  "is clamped to 0, the [CLS] token: it still counts, as SQuAD v2's \"no answer\" (section 4)."),
        Diagnosis(_variant(loss=_mean_over_batch),
                  "the examples whose position is beyond the input are counted in your mean's denominator: you "
                  "divided by the batch size. With ignore_index they are left out of the mean entirely "
                  "(reduction=\"mean\" divides by the number of positions that count, section 4)."),
        Diagnosis(_drop_whole_example,
                  "you dropped a whole example when only one of its positions is beyond the input. Start and end "
                  "are two separate classifications: the start term keeps an example whose start is inside, even "
                  "if its end was cut off (clamp and ignore each position on its own)."),
        Diagnosis(_one_mean_over_both,
                  "you took one mean over the start and the end terms together. The loss is the average of two "
                  "means, (start_loss + end_loss) / 2: when a different number of starts and ends count, the two "
                  "are not the same."),
        Diagnosis(_variant(loss=lambda logits, p, t: F.cross_entropy(logits.softmax(-1), p, ignore_index=t)),
                  "cross-entropy takes raw logits and applies log-softmax itself: you applied a softmax first, so it "
                  "ran twice. Pass the logits unchanged."),
    ]
    return run_check(fn, Check("8.1", _qa_cases(), _qa_loss, name=name, what="QA loss", diagnoses=diagnoses,
                               on_error=on_error))


# --------------------------------------------------------------------------------------------
# 8.2 Decoding the best span
# --------------------------------------------------------------------------------------------

# The layout of the hand-made examples: [CLS] = 0, the question on tokens 1..5, [SEP] = 6, the
# context on tokens 7..13, [SEP] = 14, padding = 15.
_T, _CONTEXT = 16, range(7, 14)


def _span_case(seed, boosts, max_answer_length, allow_no_answer, label):
    g = case_generator(seed)
    start, end = 0.4 * torch.randn(_T, generator=g), 0.4 * torch.randn(_T, generator=g)
    for which, position, value in boosts:
        (start if which == "start" else end)[position] = value
    mask = torch.zeros(_T, dtype=torch.bool)
    mask[list(_CONTEXT)] = True
    return Case((start, end, mask, max_answer_length, allow_no_answer),
                label=f"{label}; max_answer_length={max_answer_length}, allow_no_answer={allow_no_answer}")


def _random_case():
    g = case_generator(820)
    t = 20
    mask = torch.zeros(t, dtype=torch.bool)
    mask[9:18] = True  # a longer question: the context is tokens 9..17
    return Case((2.0 * torch.randn(t, generator=g), 2.0 * torch.randn(t, generator=g), mask, 4, False),
                label="random scores, seq_len=20, context on tokens 9..17; max_answer_length=4, allow_no_answer=False")


def _span_cases() -> list[Case]:
    return [
        _span_case(811, [("start", 11, 5.0), ("end", 9, 5.0), ("start", 8, 3.5), ("end", 12, 3.0)], 5, False,
                   "the best start (token 11) comes after the best end (token 9)"),
        _span_case(812, [("start", 7, 6.0), ("end", 13, 6.0), ("start", 9, 4.0), ("end", 11, 4.5), ("end", 12, 5.0)],
                   3, False, "a high-scoring span of 7 tokens"),
        _span_case(813, [("start", 2, 7.0), ("end", 3, 6.0), ("start", 10, 4.0), ("end", 10, 4.0)], 5, False,
                   "a tempting span in the question (tokens 2..3)"),
        _span_case(814, [("start", 0, 5.0), ("end", 0, 5.0), ("start", 8, 4.0), ("end", 9, 4.0)], 5, True,
                   "[CLS] scores 10, the best span 8"),
        _span_case(815, [("start", 0, 3.5), ("end", 0, 3.0), ("start", 12, 4.0), ("end", 13, 3.5), ("end", 8, 5.0)],
                   5, True, "[CLS] scores 6.5, the best span 7.5"),
        _span_case(816, [("start", 0, 8.0), ("end", 0, 8.0), ("start", 9, 2.0), ("end", 11, 2.5)], 5, False,
                   "[CLS] scores highest, but \"no answer\" is not allowed"),
        _random_case(),
    ]


def _best_span(start_logits, end_logits, context_mask, max_answer_length, allow_no_answer):
    t = start_logits.shape[0]
    prediction = decode_span(start_logits, end_logits, [(i, i + 1) for i in range(t)], "x" * t, context_mask,
                             max_answer_length=max_answer_length, allow_no_answer=allow_no_answer)
    return prediction.start_token, prediction.end_token


def _pair(result):
    """The learner's answer as a (start, end) tuple of ints, or None if it is not a pair of integers."""
    if isinstance(result, torch.Tensor):
        if result.shape != (2,) or result.is_floating_point() or result.is_complex():
            return None
        return tuple(int(x) for x in result.tolist())
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return None
    pair = tuple(as_integer(x) for x in result)
    return None if None in pair else pair


def _span_problem(number, case, got, right) -> str:
    start_logits, end_logits, mask, max_len, allow = case.args
    i, j = got
    where = _say("where", number=number, label=case.label, got=got, right=right)
    null = float(start_logits[0] + end_logits[0])
    best = _best_span(start_logits, end_logits, mask, max_len, False)
    best_score = float(start_logits[best[0]] + end_logits[best[1]])
    context = [k for k, inside in enumerate(mask.tolist()) if inside]
    first, last = context[0], context[-1]
    if got == (0, 0):
        if not allow:
            return _say("no answer not allowed", where=where, first=first, last=last)
        return _say("no answer too low", where=where, null=null, best=best_score)
    if right == (0, 0) and got == best:
        return _say("no answer missed", where=where, best=best_score, null=null)
    if j < i:
        return _say("end before start", where=where)
    length = j - i + 1
    if length > max_len:
        if length == max_len + 1:
            return _say("one token too long", where=where, length=length, max_len=max_len)
        return _say("too long", where=where, length=length, max_len=max_len)
    outside = [k for k in (i, j) if not 0 <= k < len(mask) or not bool(mask[k])]
    if outside:
        return _say("outside the context", where=where, token=outside[0], first=first, last=last)
    if right == (0, 0):
        return _say("no answer beats the span", where=where, null=null, best=best_score)
    mine = float(start_logits[i] + end_logits[j])
    return _say("not the best pair", where=where, i=i, j=j, score=mine, right=right, best=best_score)


@checker("8.2", "my_best_span")
def check_best_span(fn, name: str) -> Verdict:
    """Exercise 8.2: ``fn(start_logits, end_logits, context_mask, max_answer_length, allow_no_answer)`` for ONE
    example (1-D tensors of length seq_len) returns the (start, end) token positions of the span with the highest
    start_logits[start] + end_logits[end] among the context spans with start <= end < start + max_answer_length;
    with allow_no_answer, (0, 0) when the [CLS] score start_logits[0] + end_logits[0] is higher still."""

    def form_problem(got, case):
        # (a 0-d tensor has no len(): it is no pair, and must not turn into a traceback here)
        if isinstance(got, (tuple, list, torch.Tensor)) and getattr(got, "ndim", 1) > 0 and len(got) == 2:
            return _say("not two integers")
        return _say("not a pair", got=describe(got))

    def span_error(error, case):
        if isinstance(error, TypeError) and "positional argument" in str(error):
            return _say("five arguments")
        return None

    return run_check(fn, Check("8.2", _span_cases(), _best_span, name=name, what="best span", on_differs=_span_problem,
                               **exact_answer_hooks(name, _pair, form_problem, span_error)))
