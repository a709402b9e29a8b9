"""Exercises of notebook 07: the checkers pass the worked solutions and the course's own functions, stay
"not yet" on the templates, name the mistake for each known wrong answer (written here the way a learner
would write it), and answer nothing, the wrong type or a crash with a message, never a traceback."""

import pytest
import torch
import torch.nn.functional as F

from course_lib.exercises.ch07 import (
    _ALIGN_SENTENCES,
    _align_cases,
    _loss_cases,
    _span_cases,
    check_align_labels,
    check_entity_spans,
    check_token_loss,
)
from course_lib.losses import token_classification_loss
from course_lib.models.pretrained import load_tokenizer
from course_lib.models.token_classification import align_labels_with_tokens
from course_lib.task_data.ner import LABEL2ID, entity_spans
from helpers import try_again

# --- the chapter, its solutions and the references ------------------------------------------------


def test_the_course_functions_pass_their_own_exercises():
    assert check_align_labels(align_labels_with_tokens, print_verdict=False)
    assert check_token_loss(lambda logits, labels, mask: token_classification_loss(logits, labels), print_verdict=False)
    assert check_entity_spans(entity_spans, print_verdict=False)


def test_the_word_ids_are_the_course_tokenizers():
    tokenizer = load_tokenizer()
    for words, _, tokens, word_ids, _ in _ALIGN_SENTENCES:
        encoding = tokenizer(words, is_split_into_words=True, max_length=16, padding="max_length", truncation=True)
        assert encoding.tokens() == tokens and encoding.word_ids() == word_ids


def test_the_cases_cover_what_the_statements_promise():
    word_ids = [case.args[1] for case in _align_cases()]
    assert any(max(ids.count(w) for w in set(ids) - {None}) >= 4 for ids in word_ids), "a name of four pieces or more"
    assert sum(ids[-1] is None and ids[-2] is None for ids in word_ids) >= 2, "padding"
    assert sum(len(set(ids) - {None}) < len(case.args[0]) for case, ids in zip(_align_cases(), word_ids)) == 2
    loss_cases = _loss_cases()
    logits, labels, mask = loss_cases[-1].args
    assert (labels[mask == 0] == LABEL2ID["O"]).all() and (mask == 0).any(), "the last batch has sloppy padding"
    for case in loss_cases[:-1]:
        logits, labels, mask = case.args
        assert (labels[mask == 0] == -100).all()
        assert ((labels == -100) & (mask == 1)).any(), "-100 inside the attention mask: [CLS], [SEP], later pieces"
    tags = [case.args[0] for case in _span_cases()]
    assert any(t[-1] != "O" for t in tags) and any(t[0].startswith("I-") for t in tags)


# --- 7.1 sub-word label alignment -----------------------------------------------------------------


def align_loop(word_labels, word_ids):
    out, previous = [], None
    for word_id in word_ids:
        out.append(-100 if word_id is None or word_id == previous else word_labels[word_id])
        previous = word_id
    return out


def align_with_seen_set(word_labels, word_ids):
    seen, out = set(), []
    for word_id in word_ids:
        if word_id is None or word_id in seen:
            out.append(-100)
        else:
            seen.add(word_id)
            out.append(word_labels[word_id])
    return out


@pytest.mark.parametrize("right", [
    align_loop,
    align_with_seen_set,
    lambda word_labels, word_ids: torch.tensor(align_loop(word_labels, word_ids)),
    lambda word_labels, word_ids: tuple(align_loop(word_labels, word_ids)),
])
def test_alignment_right_answers_pass(right):
    assert check_align_labels(right, print_verdict=False)


def align_every_piece(word_labels, word_ids):
    return [-100 if w is None else word_labels[w] for w in word_ids]


def align_specials_as_o(word_labels, word_ids):
    out, previous = [], None
    for w in word_ids:
        out.append(0 if w is None else (-100 if w == previous else word_labels[w]))
        previous = w
    return out


def align_last_piece(word_labels, word_ids):
    out = []
    for i, w in enumerate(word_ids):
        is_last = i + 1 == len(word_ids) or word_ids[i + 1] != w
        out.append(word_labels[w] if w is not None and is_last else -100)
    return out


def align_shifted_back(word_labels, word_ids):
    out, previous = [], None
    for w in word_ids:
        out.append(-100 if w is None or w == previous else word_labels[w - 1])
        previous = w
    return out


def align_pieces_as_inside(word_labels, word_ids):
    inside = {1: 2, 3: 4, 5: 6}  # B-X -> I-X
    out, previous = [], None
    for w in word_ids:
        if w is None:
            out.append(-100)
        else:
            out.append(word_labels[w] if w != previous else inside.get(word_labels[w], word_labels[w]))
        previous = w
    return out


def align_ignored_as(value):
    return lambda word_labels, word_ids: [value if x == -100 else x for x in align_loop(word_labels, word_ids)]


@pytest.mark.parametrize("wrong, hint", [
    (align_every_piece, "you labelled every sub-token"),
    (align_specials_as_o, "you labelled the special tokens"),
    (align_last_piece, "you labelled the LAST piece"),
    (align_shifted_back, "off by one: every word's label landed on the next word"),
    (align_pieces_as_inside, "the I- tag of their word"),
    (align_ignored_as(0), "0 is a real tag"),
    (align_ignored_as(-1), "not -1"),
])
def test_alignment_names_the_mistake(wrong, hint):
    try_again(check_align_labels, wrong, hint)


def align_by_token_position(word_labels, word_ids):
    out, previous = [], None
    for i, w in enumerate(word_ids):
        out.append(-100 if w is None or w == previous else word_labels[i])
        previous = w
    return out


def align_forward_shift(word_labels, word_ids):
    out, previous = [], None
    for w in word_ids:
        out.append(-100 if w is None or w == previous else word_labels[w + 1])
        previous = w
    return out


@pytest.mark.parametrize("wrong", [align_by_token_position, align_forward_shift])
def test_alignment_index_errors_get_the_word_id_hint(wrong):
    verdict = try_again(check_align_labels, wrong, "raised IndexError")
    assert "word_labels[word_ids[i]]" in verdict.message


def test_alignment_forgetting_none_gets_a_hint():
    def no_none_branch(word_labels, word_ids):
        out, previous = [], None
        for w in word_ids:
            out.append(-100 if w == previous else word_labels[w])
            previous = w
        return out

    try_again(check_align_labels, no_none_branch, "give them -100 first")


def test_alignment_mistakes_together_name_the_first_token():
    def two_mistakes(word_labels, word_ids):  # specials labelled 0 and every piece labelled
        return [0 if w is None else word_labels[w] for w in word_ids]

    verdict = try_again(check_align_labels, two_mistakes, "token 0 ('[CLS]', word id None) gets 0")
    assert "-100" in verdict.message


def test_alignment_later_piece_labelled_names_the_token():
    def late_piece_wrong(word_labels, word_ids):  # labels only the surname's second piece wrongly
        out = align_loop(word_labels, word_ids)
        out[3] = 7
        return out

    try_again(check_align_labels, late_piece_wrong, "token 3 ('##wal', word id 1) gets 7: it is a later piece")


@pytest.mark.parametrize("returns, phrase", [
    (lambda wl, wi: [w for w in align_loop(wl, wi) if w != -100], "your list has 5 labels for 16 tokens"),
    (lambda wl, wi: [None if x == -100 else x for x in align_loop(wl, wi)], "put None in the list"),
    (lambda wl, wi: torch.tensor(align_loop(wl, wi), dtype=torch.float32), "not a flat list of integer label ids"),
    (lambda wl, wi: None, "returned None (did you forget `return`?)"),
    (lambda wl, wi: {"labels": align_loop(wl, wi)}, "returned a dict"),
])
def test_alignment_wrong_form(returns, phrase):
    try_again(check_align_labels, returns, phrase)


# --- 7.2 the token-classification loss -------------------------------------------------------------


def loss_by_hand(logits, labels, attention_mask):
    keep = labels != -100
    log_probs = logits.log_softmax(-1)[keep]
    return -log_probs.gather(1, labels[keep][:, None]).mean()


@pytest.mark.parametrize("right", [
    lambda logits, labels, mask: F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1)),
    lambda logits, labels, mask: F.cross_entropy(logits.transpose(1, 2), labels),
    loss_by_hand,
])
def test_token_loss_right_answers_pass(right):
    assert check_token_loss(right, print_verdict=False)


def per_token(logits, labels):
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none")  # 0 at -100


def loss_old_masking(logits, labels, mask):
    labels = labels.clone()
    labels[mask == 0] = -100
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten())


def loss_mask_select(logits, labels, mask):
    keep = mask.bool()
    return F.cross_entropy(logits[keep], labels[keep])


def loss_clamped_in_place(logits, labels, mask):
    labels[labels == -100] = 0  # in place: the checker hands over copies
    return F.cross_entropy(logits.flatten(0, 1), labels.flatten())


@pytest.mark.parametrize("wrong, hint", [
    (lambda logits, labels, mask: per_token(logits, labels).mean(), "you divided by all B x T positions"),
    (lambda logits, labels, mask: (per_token(logits, labels) * mask).sum() / mask.sum(),
     "you masked with attention_mask instead of -100"),
    (lambda logits, labels, mask: (F.cross_entropy(logits.transpose(1, 2), labels.clamp(min=0), reduction="none")
                                   * mask).sum() / mask.sum(),
     "you masked with attention_mask instead of -100, and scored the -100 positions as tag 0"),
    (loss_old_masking, "that is the transformers 4.4.2 loss"),
    (loss_mask_select, "that is the transformers 4.4.2 loss"),
    (loss_clamped_in_place, "as if their label were tag 0"),
    (lambda logits, labels, mask: per_token(logits, labels).sum(), "*sum*"),
    (lambda logits, labels, mask: (per_token(logits, labels).sum(1) / (labels != -100).sum(1)).mean(),
     "averaged each sentence first"),
    (lambda logits, labels, mask: F.cross_entropy(logits.softmax(-1).transpose(1, 2), labels), "ran twice"),
    (lambda logits, labels, mask: F.nll_loss(logits.transpose(1, 2), labels), "log-probabilities"),
])
def test_token_loss_names_the_mistake(wrong, hint):
    try_again(check_token_loss, wrong, hint)


def test_the_sloppy_batch_is_where_the_old_masking_shows():
    logits, labels, mask = _loss_cases()[-1].args
    assert not torch.allclose(loss_old_masking(logits, labels, mask), token_classification_loss(logits, labels))
    for case in _loss_cases()[:-1]:
        logits, labels, mask = case.args
        torch.testing.assert_close(loss_old_masking(logits, labels, mask), token_classification_loss(logits, labels))


@pytest.mark.parametrize("wrong", [
    lambda logits, labels, mask: F.cross_entropy(logits, labels),
    lambda logits, labels, mask: F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels),
])
def test_token_loss_shape_mistakes_get_the_flatten_hint(wrong):
    try_again(check_token_loss, wrong, "flatten both")


def test_token_loss_must_be_a_tensor():
    verdict = check_token_loss(lambda logits, labels, mask: token_classification_loss(logits, labels).item(),
                               print_verdict=False)
    assert verdict.status == "try again" and "tensor" in verdict.message


# --- 7.3 entity spans --------------------------------------------------------------------------------


def spans_with_state(tags):
    spans, current = [], None
    for i, tag in enumerate(tags):
        kind = tag[2:] if tag != "O" else None
        if current and (tag == "O" or tag.startswith("B-") or kind != current[0]):
            spans.append(tuple(current))
            current = None
        if tag != "O" and current is None:
            current = [kind, i, i]
        elif current:
            current[2] = i
    if current:
        spans.append(tuple(current))
    return spans


@pytest.mark.parametrize("right", [
    entity_spans,
    spans_with_state,
    lambda tags: [list(span) for span in entity_spans(tags)],
    lambda tags: list(reversed(entity_spans(tags))),
])
def test_entity_spans_right_answers_pass(right):
    assert check_entity_spans(right, print_verdict=False)


def spans_variant(i_opens=True, type_splits=True, b_splits=True, close_at_end=True, exclusive_end=False, prefix=False):
    def wrong(tags):
        spans, current = [], None
        for i, tag in enumerate(list(tags) + (["O"] if close_at_end else [])):
            kind = tag[2:] if tag != "O" else None
            ends = tag == "O" or (tag.startswith("B-") and (b_splits or current is None or kind != current[0])) \
                or (current is not None and kind != current[0] and type_splits)
            if current and ends:
                spans.append((current[0], current[1], i - 1 + exclusive_end) + ((current[2],) if prefix else ()))
                current = None
            if current is None and (tag.startswith("B-") or (tag.startswith("I-") and i_opens)):
                current = [kind, i, tag]
        return [(span[3], span[1], span[2]) if prefix else span for span in spans]
    return wrong


@pytest.mark.parametrize("wrong, hint", [
    (spans_variant(i_opens=False), "you drop an I- tag that has no B- before it"),
    (spans_variant(type_splits=False), "an I- of another type continues your open entity"),
    (spans_variant(b_splits=False), "a B- right after an entity of the same type extends it"),
    (spans_variant(close_at_end=False), "you lose an entity that ends with the sentence"),
    (spans_variant(exclusive_end=True), "off by one at the end"),
    (spans_variant(prefix=True), "your types keep their prefix"),
    (lambda tags: [("B-" + kind, first, last) for kind, first, last in spans_with_state(tags)],
     "your types keep their prefix"),
    (lambda tags: [(kind, first, last) for kind, first, last in spans_variant(prefix=True, i_opens=False)(tags)],
     "your types keep their prefix"),
])
def test_entity_spans_names_the_mistake(wrong, hint):
    try_again(check_entity_spans, wrong, hint)


def test_entity_spans_two_mistakes_show_the_first_sentence_that_differs():
    verdict = try_again(check_entity_spans, spans_variant(i_opens=False, close_at_end=False), "on input 2")
    assert "you found [('ORG', 1, 1)]; the entities are [('ORG', 1, 1), ('PER', 3, 5)]" in verdict.message


@pytest.mark.parametrize("returns, phrase", [
    (lambda tags: {"PER": [(0, 1)]}, "returned a dict"),
    (lambda tags: [("PER", 0)], "not all (type, first, last) triples"),
    (lambda tags: None, "returned None (did you forget `return`?)"),
])
def test_entity_spans_wrong_form(returns, phrase):
    try_again(check_entity_spans, returns, phrase)


# --- nothing, templates, wrong types, exceptions -------------------------------------------------------


