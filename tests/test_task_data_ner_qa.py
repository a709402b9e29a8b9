"""The NER and QA task generators, and the entity-level metric."""

import pytest

from course_lib.task_data.ner import LABELS, entity_metrics, entity_spans, make_ner_data
from course_lib.task_data.qa import make_qa_data


def test_ner_is_seeded_and_well_formed():
    a, b = make_ner_data(50, seed=3), make_ner_data(50, seed=3)
    assert [(x.words, x.tags) for x in a] == [(x.words, x.tags) for x in b]
    assert [x.words for x in make_ner_data(50, seed=4)] != [x.words for x in a]
    for example in a:
        assert len(example.words) == len(example.tags)
        assert set(example.tags) <= set(LABELS)
        for kind, start, _end in entity_spans(example.tags):
            assert example.tags[start] == f"B-{kind}"


def test_ner_test_split_contains_names_unseen_in_training():
    seen = {w for x in make_ner_data(2000, seed=0, split="train") for w in x.words}
    test_words = {w for x in make_ner_data(300, seed=1, split="test") for w in x.words}
    assert "Haraldsen" in test_words - seen


def _entity_words(examples):
    return {w.lower() for x in examples for w, t in zip(x.words, x.tags) if t != "O"}


def test_ner_unseen_test_names_never_occur_in_training():
    # lower case: the uncased tokenizer cannot tell "Le" from "le"
    train_words = {w.lower() for x in make_ner_data(3000, seed=0, split="train") for w in x.words}
    unseen = make_ner_data(500, seed=1, split="test")  # names="unseen" is the default
    assert unseen and not _entity_words(unseen) & train_words
    assert [x.words for x in unseen] == [x.words for x in make_ner_data(500, seed=1, split="test", names="unseen")]
    seen = make_ner_data(500, seed=1, split="test", names="seen")
    assert _entity_words(seen) <= train_words
    mixed = _entity_words(make_ner_data(500, seed=1, split="test", names="all"))
    assert mixed & train_words and mixed - train_words


def test_ner_held_out_sets_have_enough_entities():
    for names in ("unseen", "seen"):
        assert sum(len(entity_spans(x.tags)) for x in make_ner_data(200, seed=1, split="test", names=names)) >= 200


def test_ner_bad_name_pool_raises():
    with pytest.raises(ValueError, match="names must be one of"):
        make_ner_data(3, split="test", names="new")


def test_ner_words_split_into_several_wordpieces():
    from course_lib.models.pretrained import load_tokenizer

    tokenizer = load_tokenizer()
    examples = make_ner_data(20, seed=0)
    multi = sum(len(tokenizer.tokenize(w)) > 1 for x in examples for w in x.words)
    assert multi >= 10


def test_entity_spans_follow_seqeval_default_mode():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC", "I-ORG", "B-ORG"]
    assert entity_spans(tags) == [("PER", 0, 1), ("LOC", 3, 4), ("LOC", 5, 5), ("ORG", 6, 6), ("ORG", 7, 7)]
    assert entity_spans([1, 2, 0]) == [("PER", 0, 1)]  # tag ids work too


def test_entity_metrics_by_hand():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "B-PER"]]
    m = entity_metrics(gold, pred)
    # gold: PER(0-1), LOC(3), ORG(0); predicted: PER(0-0) wrong boundary, LOC right, ORG right, PER extra
    assert m["precision"] == pytest.approx(2 / 4) and m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 * (1 / 2) * (2 / 3) / (1 / 2 + 2 / 3))
    assert m["per_type"]["LOC"]["f1"] == 1.0 and m["per_type"]["PER"]["recall"] == 0.0


def test_qa_answers_are_spans_of_the_context():
    for example in make_qa_data(200, seed=0) + make_qa_data(100, seed=1, split="test"):
        text, start = example["answers"]["text"][0], example["answers"]["answer_start"][0]
        assert example["context"][start:start + len(text)] == text
        assert example["question"].endswith("?")


def test_qa_is_seeded():
    assert make_qa_data(20, seed=5) == make_qa_data(20, seed=5)
    assert make_qa_data(20, seed=5) != make_qa_data(20, seed=6)


def test_qa_unanswerable_questions_have_empty_answers():
    examples = make_qa_data(200, seed=0, unanswerable_fraction=0.5)
    empty = [e for e in examples if not e["answers"]["text"]]
    assert 60 < len(empty) < 140
    for e in empty:
        asked = e["question"].rstrip("?").replace("'s", " ").split()
        assert not any(name in e["context"] for name in asked if name[0].isupper() and name not in ("Where", "When", "What", "Who", "In"))


def test_bad_split_raises():
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        make_ner_data(3, split="dev")


def test_bad_unanswerable_fraction_raises():
    with pytest.raises(ValueError, match=r"unanswerable_fraction must be a probability in \[0, 1\]"):
        make_qa_data(3, unanswerable_fraction=1.5)


def test_bad_tag_raises():
    with pytest.raises(ValueError, match="is not BIO"):
        entity_spans(["B-PER", "PER"])


def test_metric_length_mismatch_raises():
    with pytest.raises(ValueError, match="sentence 0: 2 gold tags but 1 predicted tags"):
        entity_metrics([["O", "O"]], [["O"]])


def test_qa_with_facts_adds_keys_and_changes_nothing_else():
    plain = make_qa_data(100, seed=2, split="test", unanswerable_fraction=0.2)
    rich = make_qa_data(100, seed=2, split="test", unanswerable_fraction=0.2, with_facts=True)
    for a, b in zip(plain, rich):
        assert {k: b[k] for k in a} == a
        names = [f["name"] for f in b["facts"]]
        assert len(b["facts"]) == 2 and all(name in b["context"] for name in names)
        if b["answers"]["text"]:
            assert b["facts"][b["asked"]][b["field"]] == b["answers"]["text"][0]
            assert names[b["asked"]] in b["question"]
        else:
            assert b["asked"] is None
    assert {e["asked"] for e in rich} == {0, 1, None}
