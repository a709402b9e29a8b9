"""Checkers for the exercises of notebook 07 (token classification: one label per token).

    Exercise 7.1  my_align_labels(word_labels, word_ids)        -> one label per token, -100 where nothing is scored
    Exercise 7.2  my_token_loss(logits, labels, attention_mask)  -> mean cross-entropy over the labels not -100
    Exercise 7.3  my_entity_spans(tags)                          -> the entities of a BIO sentence, (type, first, last)

The references are ``course_lib.models.token_classification.align_labels_with_tokens``,
``course_lib.losses.token_classification_loss`` and ``course_lib.task_data.ner.entity_spans``. The
inputs are fixed here and are not the notebook's: the ``word_ids`` are what the course tokenizer
gives for other sentences (names of four and five pieces, a truncated sentence, padding).

7.1 and 7.3 return lists, so a wrong answer is compared with the known mistakes on *every* input
(a list of small integers can match a wrong rule by chance on one input); when none matches, the
hint names the first token or sentence that differs and what is wrong there.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..losses.token_and_span import (
    IGNORE_INDEX,
    token_classification_loss,
    token_classification_loss_with_attention_mask,
)
from ..models.token_classification import align_labels_with_tokens
from ..task_data.ner import LABELS, entity_spans
from . import Case, Check, Diagnosis, Verdict, as_integer, chapter_say, checker, describe, exact_answer_hooks, run_check
from .inputs import case_generator

__all__ = ["check_align_labels", "check_token_loss", "check_entity_spans"]

#: What this chapter's checks say beyond their hints (other languages: course_lib/exercises/messages_*.json).
MESSAGES = {
    # 7.1: the answer's form, the first wrong label, an exception
    "None in the labels": "put None in the list where a token gets no label: labels must be ints, and the ignored "
                          "positions get -100, the index the cross-entropy skips",
    "not integer labels": "returned something that is not a flat list of integer label ids: return one int per "
                          "token, e.g. [-100, 1, 2, -100, ...] ({length} of them here)",
    "not a label list": "returned {got}; it should return a list of {length} ints, one label per token",
    "wrong length": "on input {number} ({label}) your list has {count} labels for {tokens} tokens. Return one label "
                    "per token, len(word_ids) of them: the special tokens and the padding get -100, they are not "
                    "left out (section 2).",
    "token": "on input {number} ({label}), token {index} ({token!r}, word id {word})",
    "special token labelled": "{where} gets {got}: a token whose word id is None ([CLS], [SEP] or padding) belongs "
                              "to no word and gets -100, so the loss ignores it (section 2).",
    "later piece labelled": "{where} gets {got}: it is a later piece of word {word}, and only a word's FIRST piece "
                            "keeps the word's label; the later pieces get -100, so each word counts once (section 2).",
    "first piece ignored": "{where} gets -100, but it is the first piece of word {word}: it keeps that word's label, "
                           "word_labels[{word}] = {expected} (section 2).",
    "first piece wrong": "{where} gets {got}, but it is the first piece of word {word}, whose label is "
                         "word_labels[{word}] = {expected}. Index word_labels with the token's word id (section 2).",
    "labels differ": "on input {number} ({label}) your labels differ from the reference.",
    "index error": "There are {labels} word labels and {tokens} tokens: index word_labels with the token's word id, "
                   "word_labels[word_ids[i]], never with the token position i or word id + 1 (off by one).",
    "None word id": "Tokens whose word id is None ([CLS], [SEP], padding) have no word: give them -100 first.",
    # 7.2: a shape mistake
    "loss shape error": "`{name}` raised {error_type}: {error} (on input {number}, {label}). F.cross_entropy wants "
                        "logits [N, num_labels] and labels [N]: flatten both, logits.reshape(-1, num_labels) and "
                        "labels.reshape(-1) (or put the tags in dimension 1, logits.transpose(1, 2)).",
    # 7.3: the answer's form, the spans that differ
    "not triples": "a {kind} whose items are not all (type, first, last) triples",
    "not spans": "returned {got}; it should return a list of (type, first_word, last_word) tuples such as "
                 "[(\"PER\", 0, 1), (\"LOC\", 3, 3)], the type without its B-/I- prefix, the words as int positions",
    "prefixed types": "on input {number}, the tags {tags}, you found {got}: your types keep their prefix. The type "
                      "of an entity is the part after the dash, \"PER\", \"LOC\" or \"ORG\"; B- and I- only say "
                      "where it starts.",
    "spans differ": "on input {number}, the tags {tags}, you found {got}; the entities are {expected}. The rules "
                    "(section 6): B-X opens an entity of type X; I-X continues an open entity of type X; an I-X that "
                    "follows O or an entity of another type opens a new one; an entity ends at O, at any B-, where "
                    "the type changes, and at the end of the sentence.",
}
_say = chapter_say(__name__, MESSAGES)


# --------------------------------------------------------------------------------------------
# 7.1 Sub-word label alignment
# --------------------------------------------------------------------------------------------

# (tokens, word_ids) as the course tokenizer (uncased WordPiece, max_length=16) gives them. The
# tokens are only for the hints; the learner's function gets word_labels and word_ids.
_ALIGN_SENTENCES = [
    (["Anna", "Kowalczyk", "visited", "Szczecin", "."],
     ["B-PER", "I-PER", "O", "B-LOC", "O"],
     ["[CLS]", "anna", "ko", "##wal", "##cz", "##yk", "visited", "s", "##zcz", "##ecin", ".", "[SEP]",
      "[PAD]", "[PAD]", "[PAD]", "[PAD]"],
     [None, 0, 1, 1, 1, 1, 2, 3, 3, 3, 4, None, None, None, None, None], "4 padding tokens"),
    (["Brzezinski", "left", "Zyntrix", "Labs", "."],
     ["B-PER", "O", "B-ORG", "I-ORG", "O"],
     ["[CLS]", "br", "##ze", "##zin", "##ski", "left", "z", "##yn", "##trix", "labs", ".", "[SEP]",
      "[PAD]", "[PAD]", "[PAD]", "[PAD]"],
     [None, 0, 0, 0, 0, 1, 2, 2, 2, 3, 4, None, None, None, None, None], "4 padding tokens"),
    (["shares", "of", "Pellucid", "Pharma", "fell", "after", "Grunewald", "resigned", "."],
     ["O", "O", "B-ORG", "I-ORG", "O", "O", "B-PER", "O", "O"],
     ["[CLS]", "shares", "of", "pe", "##ll", "##uc", "##id", "ph", "##arm", "##a", "fell", "after", "gr",
      "##une", "##wald", "[SEP]"],
     [None, 0, 1, 2, 2, 2, 2, 3, 3, 3, 4, 5, 6, 6, 6, None], "truncated: the last 2 words did not fit"),
    (["Ouagadougou", "thanked", "Chidi", "Oyelaran", "for", "the", "visit", "."],
     ["B-LOC", "O", "B-PER", "I-PER", "O", "O", "O", "O"],
     ["[CLS]", "ou", "##aga", "##dou", "##go", "##u", "thanked", "chi", "##di", "o", "##ye", "##lar", "##an",
      "for", "the", "[SEP]"],
     [None, 0, 0, 0, 0, 0, 1, 2, 2, 3, 3, 3, 3, 4, 5, None], "truncated: the last 2 words did not fit"),
]
_LABEL_ID = {label: i for i, label in enumerate(LABELS)}


def _align_cases() -> list[Case]:
    cases = []
    for words, tags, tokens, word_ids, note in _ALIGN_SENTENCES:
        label = f"{' '.join(words)!r}, {len(words)} words, {len(word_ids)} tokens, {note}"
        case = Case(([_LABEL_ID[t] for t in tags], list(word_ids)), label=label)
        case.tokens = tokens
        cases.append(case)
    return cases


def _align(word_labels, word_ids):
    return align_labels_with_tokens(word_labels, word_ids)


def _align_all_pieces(word_labels, word_ids):
    return align_labels_with_tokens(word_labels, word_ids, label_all_tokens=True)


def _align_specials_as_o(word_labels, word_ids):
    return [0 if w is None else a for w, a in zip(word_ids, _align(word_labels, word_ids))]


def _align_last_piece(word_labels, word_ids):
    aligned = []
    for i, w in enumerate(word_ids):
        last = i + 1 == len(word_ids) or word_ids[i + 1] != w
        aligned.append(int(word_labels[w]) if w is not None and last else IGNORE_INDEX)
    return aligned


def _align_shifted(shift):
    def wrong(word_labels, word_ids):
        aligned, previous = [], None
        for w in word_ids:
            # Python's own indexing, as the learner's code would do it: word_labels[-1] is the last word.
            aligned.append(int(word_labels[w + shift]) if w is not None and w != previous else IGNORE_INDEX)
            previous = w
        return aligned
    return wrong


def _align_pieces_as_inside(word_labels, word_ids):
    """Later pieces get the I- tag of the word's type (B-PER -> I-PER), as some scripts do."""
    aligned, previous = [], None
    for w in word_ids:
        if w is None:
            aligned.append(IGNORE_INDEX)
        elif w != previous:
            aligned.append(int(word_labels[w]))
        else:
            tag = LABELS[int(word_labels[w])]
            aligned.append(_LABEL_ID["I-" + tag[2:]] if tag.startswith("B-") else int(word_labels[w]))
        previous = w
    return aligned


def _align_ignore_value(value):
    return lambda word_labels, word_ids: [value if a == IGNORE_INDEX else a for a in _align(word_labels, word_ids)]


def _int_list(result):
    """The learner's answer as a list of Python ints, or None if it is not a flat sequence of integers."""
    if isinstance(result, torch.Tensor):
        if result.dim() != 1 or result.is_floating_point() or result.is_complex():
            return None
        return [int(x) for x in result.tolist()]
    if isinstance(result, (list, tuple)):
        out = [as_integer(x) for x in result]
        return None if None in out else out
    return None


_SECTION2 = "(section 2)"


def _align_form_problem(got, case):
    """Why the answer is not a list of integer labels (exact_answer_hooks quotes it)."""
    length = len(case.args[1])
    if isinstance(got, (list, tuple)) and any(x is None for x in got):
        return _say("None in the labels")
    if isinstance(got, (list, tuple, torch.Tensor)) and _int_list(got) is None:
        return _say("not integer labels", length=length)
    return _say("not a label list", got=describe(got), length=length)


def _first_wrong_label(number, case, got, right):
    """No known mistake matched: name the first token whose label is wrong, and the rule it breaks."""
    word_labels, word_ids = case.args
    tokens = case.tokens
    if len(got) != len(right):
        return _say("wrong length", number=number, label=case.label, count=len(got), tokens=len(word_ids))
    for i, (mine, want) in enumerate(zip(got, right)):
        if mine == want:
            continue
        w = word_ids[i]
        where = _say("token", number=number, label=case.label, index=i, token=tokens[i], word=w)
        if w is None:
            return _say("special token labelled", where=where, got=mine)
        first_piece = i == 0 or word_ids[i - 1] != w
        if not first_piece:
            return _say("later piece labelled", where=where, got=mine, word=w)
        if mine == IGNORE_INDEX:
            return _say("first piece ignored", where=where, word=w, expected=want)
        return _say("first piece wrong", where=where, got=mine, word=w, expected=want)
    return _say("labels differ", number=number, label=case.label)


def _align_error_hint(error, case):
    """A hint for the exceptions a wrong index into word_labels causes."""
    if isinstance(error, IndexError):
        return _say("index error", labels=len(case.args[0]), tokens=len(case.args[1]))
    if isinstance(error, TypeError) and "None" in str(error):
        return _say("None word id")
    return None


_ALIGN_DIAGNOSES = [
    Diagnosis(_align_all_pieces,
              "you labelled every sub-token: all pieces of a word carry its label (that is "
              "label_all_tokens=True). The rule of the BERT paper: only the FIRST piece keeps the label, the "
              "later pieces get -100, so a four-piece surname counts once in the loss, like a one-piece word "
              + _SECTION2 + "."),
    Diagnosis(_align_pieces_as_inside,
              "you gave the later pieces the I- tag of their word (B-PER -> I-PER). Some scripts do that, but "
              "the rule here is the BERT paper's: only the first piece is labelled, the later pieces get -100 "
              + _SECTION2 + "."),
    Diagnosis(_align_specials_as_o,
              "you labelled the special tokens: [CLS], [SEP] and padding (word id None) got 0, the \"O\" tag. "
              "They belong to no word, so they get -100 and the loss ignores them; otherwise the model is "
              "trained to call [SEP] and padding \"O\" " + _SECTION2 + "."),
    Diagnosis(_align_last_piece,
              "you labelled the LAST piece of each word instead of the first. The first piece keeps the "
              "label: it is the piece the model sees first, and the one word_predictions reads back at "
              "evaluation " + _SECTION2 + "."),
    Diagnosis(_align_shifted(-1),
              "off by one: every word's label landed on the next word (you used word_labels[word_id - 1]). "
              "word_ids already count from 0 and skip [CLS] (its word id is None): use word_labels[word_id]."),
    Diagnosis(_align_ignore_value(0),
              "the ignored positions got 0, but 0 is a real tag (\"O\"). They must get -100, the index the "
              "cross-entropy ignores (ignore_index=-100)."),
    Diagnosis(_align_ignore_value(-1),
              "the ignored positions got -1. The cross-entropy ignores -100 (ignore_index=-100), not -1: use "
              "-100."),
]


@checker("7.1", "my_align_labels")
def check_align_labels(fn, name: str) -> Verdict:
    """Exercise 7.1: ``fn(word_labels, word_ids)`` returns one label per token: the word's label on the
    first piece of each word, -100 on the other pieces and on every token whose word id is None."""
    return run_check(fn, Check(
        "7.1", _align_cases(), _align, name=name, what="list of token labels", on_differs=_first_wrong_label,
        **exact_answer_hooks(name, _int_list, _align_form_problem, _align_error_hint), diagnoses=_ALIGN_DIAGNOSES,
    ))


# --------------------------------------------------------------------------------------------
# 7.2 The token-classification loss
# --------------------------------------------------------------------------------------------


def _token_loss(logits, labels, attention_mask):
    return token_classification_loss(logits, labels)


def _per_token(logits, labels):
    """Cross-entropy at every position, 0 where the label is -100: [B, T]."""
    return F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=IGNORE_INDEX, reduction="none")


def _loss_cases() -> list[Case]:
    g = case_generator(707)
    cases = []
    for number, (b, sentences) in enumerate([(2, (0, 1)), (3, (2, 3, 1)), (2, (3, 0))]):
        labels, masks = [], []
        for index in sentences:
            words, tags, tokens, word_ids, _ = _ALIGN_SENTENCES[index]
            labels.append(_align([_LABEL_ID[t] for t in tags], word_ids))
            masks.append([0 if t == "[PAD]" else 1 for t in tokens])
        labels, mask = torch.tensor(labels), torch.tensor(masks)
        logits = torch.randn(b, labels.shape[1], len(LABELS), generator=g) * (1.0 + number)
        label = f"B={b}, T={labels.shape[1]}, {len(LABELS)} tags"
        if number == 2:
            labels[mask == 0] = _LABEL_ID["O"]  # sloppy labels: padding labelled "O" instead of -100
            label += ", padding labelled 0 (\"O\") instead of -100, as in section 4"
        cases.append(Case((logits, labels, mask), label=label))
    return cases


_TOKEN_LOSS_DIAGNOSES = [
    Diagnosis(lambda logits, labels, mask: _per_token(logits, labels).mean(),
              "your mean counts positions that carry no loss: you divided by all B x T positions, padding, "
              "[CLS], [SEP] and the later pieces included. Divide by the number of labels that are not -100 "
              "(`F.cross_entropy(..., ignore_index=-100)` does exactly that, section 3)."),
    Diagnosis(lambda logits, labels, mask: (_per_token(logits, labels) * mask).sum() / mask.sum(),
              "you masked with attention_mask instead of -100: your mean is over every real token, so [CLS], "
              "[SEP] and the later pieces of long words, which carry -100, still count in the denominator. The "
              "labels decide what counts: average over the labels that are not -100 (section 3)."),
    Diagnosis(lambda logits, labels, mask: (F.cross_entropy(logits.transpose(1, 2), labels.clamp(min=0),
                                                            reduction="none") * mask).sum() / mask.sum(),
              "you masked with attention_mask instead of -100, and scored the -100 positions as tag 0 (\"O\"): "
              "[CLS], [SEP] and the later pieces are trained as \"O\". Keep the -100 labels and let "
              "`ignore_index=-100` skip them; attention_mask is not needed (section 4)."),
    Diagnosis(lambda logits, labels, mask: token_classification_loss_with_attention_mask(logits, labels, mask),
              "that is the transformers 4.4.2 loss: you dropped the padded positions with attention_mask. Current "
              "transformers (and course_lib) trust the labels alone: on this batch the padding is labelled 0 "
              "(\"O\"), so those positions are trained and count in the mean, exactly as `theirs_sloppy` in "
              "section 4. Compute the loss from the labels, with ignore_index=-100, and leave attention_mask "
              "out."),
    Diagnosis(lambda logits, labels, mask: F.cross_entropy(logits.flatten(0, 1), labels.clamp(min=0).flatten()),
              "your loss scores the -100 positions as if their label were tag 0 (\"O\"). They must be left out "
              "entirely: keep the -100 labels and let `ignore_index=-100` skip them."),
    Diagnosis(lambda logits, labels, mask: _per_token(logits, labels).sum(),
              "that is the *sum* over the counted tokens; the loss is their *mean* (divide by how many labels "
              "are not -100)."),
    Diagnosis(lambda logits, labels, mask: (_per_token(logits, labels).sum(1)
                                            / (labels != IGNORE_INDEX).sum(1)).mean(),
              "you averaged each sentence first and then the sentences. The loss is one mean over all counted "
              "tokens of the batch, so a sentence with 7 labelled words weighs more than one with 5."),
    Diagnosis(lambda logits, labels, mask: F.cross_entropy(logits.softmax(-1).flatten(0, 1), labels.flatten()),
              "cross-entropy takes raw logits and applies log-softmax itself: you applied a softmax first, so it "
              "ran twice. Pass the logits unchanged."),
    Diagnosis(lambda logits, labels, mask: F.nll_loss(logits.flatten(0, 1), labels.flatten()),
              "`F.nll_loss` expects log-probabilities: apply `log_softmax(-1)` to the logits first, or use "
              "`F.cross_entropy`, which does both."),
]


@checker("7.2", "my_token_loss")
def check_token_loss(fn, name: str) -> Verdict:
    """Exercise 7.2: ``fn(logits, labels, attention_mask)`` with logits ``[B, T, num_labels]`` and labels,
    attention_mask ``[B, T]`` returns the loss of current transformers: the mean cross-entropy over the
    tokens whose label is not -100 (the labels alone decide; attention_mask is not needed)."""
    def on_error(error, case, number):  # a shape mistake gets a hint; anything else gets run_check's message
        if "target" in str(error) and ("size" in str(error) or "batch_size" in str(error)):
            return _say("loss shape error", name=name, error_type=type(error).__name__, error=error, number=number,
                        label=case.label)
        return None

    return run_check(fn, Check("7.2", _loss_cases(), _token_loss, name=name, what="token-classification loss",
                               diagnoses=_TOKEN_LOSS_DIAGNOSES, on_error=on_error))


# --------------------------------------------------------------------------------------------
# 7.3 Entity spans from BIO tags
# --------------------------------------------------------------------------------------------

_SPAN_SENTENCES = [
    (["B-PER", "I-PER", "O", "B-LOC", "O"], "two entities"),
    (["O", "B-ORG", "O", "B-PER", "I-PER", "I-PER"], "an entity that ends with the sentence"),
    (["B-PER", "B-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG"], "B- right after an entity"),
    (["O", "I-LOC", "I-LOC", "O", "B-PER", "O"], "I- without a B- (a model's mistake)"),
    (["I-ORG", "O", "B-PER", "I-LOC", "O", "B-LOC"], "I- at the start, and I- of another type"),
    (["O", "O", "O"], "no entity"),
    (["B-LOC"], "one word"),
]


def _span_cases() -> list[Case]:
    return [Case((list(tags),), label=f"{tags}: {note}") for tags, note in _SPAN_SENTENCES]


def _spans_reference(tags):
    return entity_spans(tags)


def _parse(tag):
    return ("O", None) if tag == "O" else (tag[0], tag[2:])


def _spans_by_rule(tags, *, i_opens=True, type_change_splits=True, b_splits=True, close_at_end=True,
                   end_offset=0, full_type=False):
    """entity_spans with one rule switched off: each switch is one known mistake."""
    spans, current, start, tag_of_current = [], None, 0, None
    for i, tag in enumerate(list(tags) + (["O"] if close_at_end else [])):
        prefix, kind = _parse(tag)
        closes = prefix == "O" or (prefix == "B" and (b_splits or kind != current)) \
            or (prefix == "I" and kind != current and type_change_splits)
        if current is not None and closes:
            spans.append((tag_of_current if full_type else current, start, i - 1 + end_offset))
            current = None
        if current is None and (prefix == "B" or (prefix == "I" and i_opens)):
            current, start, tag_of_current = kind, i, tag
    return spans


def _spans_list(result):
    """A list of (type, first, last) tuples, sorted by position, or None if ``result`` has another form."""
    if not isinstance(result, (list, tuple, set)):
        return None
    spans = []
    for span in result:
        if not isinstance(span, (list, tuple)) or len(span) != 3:
            return None
        kind, first, last = span
        if isinstance(first, torch.Tensor) and first.numel() == 1:
            first = first.item()
        if isinstance(last, torch.Tensor) and last.numel() == 1:
            last = last.item()
        if not isinstance(kind, str) or isinstance(first, bool) or isinstance(last, bool) \
                or not isinstance(first, int) or not isinstance(last, int):
            return None
        spans.append((kind, int(first), int(last)))
    return sorted(spans, key=lambda s: (s[1], s[2], s[0]))


def _spans_form_problem(got, case):
    """Why the answer is not a list of (type, first, last) triples (exact_answer_hooks quotes it)."""
    if isinstance(got, (list, tuple, set)):
        what_it_is = _say("not triples", kind=type(got).__name__)
    else:
        what_it_is = describe(got)
    return _say("not spans", got=what_it_is)


def _spans_difference(number, case, got, right):
    """No known mistake matched: show the spans found and the right ones, and the rules."""
    tags = case.args[0]
    if any(kind[:2] in ("B-", "I-") for kind, _, _ in got):
        return _say("prefixed types", number=number, tags=tags, got=got)
    return _say("spans differ", number=number, tags=tags, got=got, expected=right)


_SPAN_DIAGNOSES = [
    Diagnosis(lambda tags: _spans_by_rule(tags, full_type=True),
              "your types keep their prefix (\"B-PER\"): the type of an entity is the part after the dash, "
              "\"PER\", \"LOC\" or \"ORG\"."),
    Diagnosis(lambda tags: _spans_by_rule(tags, close_at_end=False),
              "you lose an entity that ends with the sentence: an entity is only written out when an O or a "
              "B- follows it, and after the last word nothing follows. Close the open entity after the loop "
              "(or loop over tags + [\"O\"])."),
    Diagnosis(lambda tags: _spans_by_rule(tags, i_opens=False),
              "you drop an I- tag that has no B- before it (\"O I-LOC I-LOC\"). A model can predict that, "
              "and seqeval's default mode, like entity_spans, reads it as the start of a new entity: an I-X "
              "after O, or after an entity of another type, opens an entity of type X."),
    Diagnosis(lambda tags: _spans_by_rule(tags, type_change_splits=False),
              "an I- of another type continues your open entity (\"B-PER I-LOC\" became one PER). A change of "
              "type ends the entity, and the I-LOC opens a new LOC entity."),
    Diagnosis(lambda tags: _spans_by_rule(tags, b_splits=False),
              "a B- right after an entity of the same type extends it (\"B-PER B-PER I-PER\" became one "
              "PER). Every B- opens a NEW entity: here two people, (PER, 0, 0) and (PER, 1, 2)."),
    Diagnosis(lambda tags: _spans_by_rule(tags, end_offset=1),
              "off by one at the end: your last_word is one past the entity (Python's slice end). The tuple "
              "holds the last word itself: a one-word entity at word 3 is (type, 3, 3)."),
]


@checker("7.3", "my_entity_spans")
def check_entity_spans(fn, name: str) -> Verdict:
    """Exercise 7.3: ``fn(tags)`` with one BIO tag string per word returns the entities as
    ``(type, first_word, last_word)`` tuples (last_word included), the rules of ``seqeval``'s default mode."""
    return run_check(fn, Check(
        "7.3", _span_cases(), _spans_reference, name=name, what="list of entity spans", on_differs=_spans_difference,
        **exact_answer_hooks(name, _spans_list, _spans_form_problem), diagnoses=_SPAN_DIAGNOSES,
    ))
