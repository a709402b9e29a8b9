"""make_ner_fold (leave-names-out folds), lookup_tags (the training-words baseline) and entity_counts_by_name
(counts per name, for a bootstrap over names)."""

import hashlib

import pytest

from course_lib.task_data.ner import (
    NERExample,
    entity_counts_by_name,
    entity_metrics,
    entity_spans,
    lookup_tags,
    make_ner_data,
    make_ner_fold,
)


def _entity_words(examples):
    return {w.lower() for e in examples for w, t in zip(e.words, e.tags) if t != "O"}


def test_make_ner_data_draws_the_sentences_it_always_drew():
    # make_ner_data is make_ner_fold(fold=3): the fingerprint pins the sentences the notebooks and checkers
    # were built on (computed from make_ner_data before it was rewritten to delegate), so a change in the draws fails here
    digest = hashlib.sha256()
    for kwargs in ({"split": "train"}, {"split": "test"}, {"split": "test", "names": "seen"},
                   {"split": "test", "names": "all"}):
        for e in make_ner_data(50, seed=3, **kwargs):
            digest.update((" ".join(e.words) + "|" + " ".join(e.tags) + "\n").encode())
    assert digest.hexdigest()[:16] == "dadb2c58cb9f2044"


@pytest.mark.parametrize("fold", range(4))
def test_each_fold_holds_out_its_quarter(fold):
    train = make_ner_fold(400, fold, seed=0)
    unseen = make_ner_fold(200, fold, seed=1, split="test")
    train_words = {w.lower() for e in train for w in e.words}
    assert _entity_words(unseen) and not _entity_words(unseen) & train_words
    assert _entity_words(make_ner_fold(200, fold, seed=1, split="test", names="seen")) <= train_words


def test_the_four_folds_hold_out_every_place_once():
    held = [_entity_words(make_ner_fold(300, f, seed=5, split="test")) for f in range(4)]
    assert all(not held[i] & held[j] for i in range(4) for j in range(i + 1, 4))
    assert "szczecin" in held[0] and "mombasa" in held[3]


def test_bad_fold_and_arguments_are_named():
    with pytest.raises(ValueError, match=r"fold must be an integer in \[0, 3\], got 4"):
        make_ner_fold(5, 4)
    with pytest.raises(ValueError, match=r"fold must be an integer in \[0, 3\], got True"):
        make_ner_fold(5, True)
    with pytest.raises(ValueError, match="split must be"):
        make_ner_fold(5, 0, split="dev")
    with pytest.raises(ValueError, match="names must be one of"):
        make_ner_fold(5, 0, names="some")
    with pytest.raises(ValueError, match="n must be an integer >= 0, got -1: the number of sentences"):
        make_ner_fold(-1, 0)


def test_lookup_knows_the_training_names_and_nothing_else():
    train = [NERExample(["Anna", "Kowalczyk", "visited", "Le", "Havre", "."], ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"]),
             NERExample(["Kowalczyk", "met", "Anna", "."], ["B-PER", "O", "B-PER", "O"])]
    tags = lookup_tags(train, [["kowalczyk", "visited", "le", "havre"], ["Anna", "Kowalczyk", "met", "Zofia"]])
    assert tags == [["B-PER", "O", "B-LOC", "I-LOC"], ["B-PER", "I-PER", "O", "O"]]
    fold_train = make_ner_fold(480, 1, seed=1)
    seen = make_ner_fold(100, 1, seed=2, split="test", names="seen")
    unseen = make_ner_fold(100, 1, seed=2, split="test")
    assert entity_metrics([e.tags for e in seen], lookup_tags(fold_train, [e.words for e in seen]))["f1"] > 0.99
    assert entity_metrics([e.tags for e in unseen], lookup_tags(fold_train, [e.words for e in unseen]))["f1"] == 0.0


def test_lookup_bad_input():
    with pytest.raises(TypeError, match="list of sentences"):
        lookup_tags([], ["Anna", "visited"])
    with pytest.raises(TypeError, match="NERExample"):
        lookup_tags([("Anna",)], [["Anna"]])


def test_counts_by_name_sum_to_entity_metrics():
    examples = make_ner_fold(60, 0, seed=3, split="test")
    predicted = [list(e.tags) for e in examples]
    predicted[0][0] = "O"                                        # a missed (or cut) entity
    i = next(i for i, e in enumerate(examples) if i > 0 and "B-LOC" in e.tags)
    predicted[i] = ["B-ORG" if t == "B-LOC" else t for t in predicted[i]]  # a wrong type
    predicted[-1][-1] = "B-PER"                                  # a spurious entity on "."
    groups = entity_counts_by_name([e.words for e in examples], [e.tags for e in examples], predicted)
    correct, gold, pred = (sum(row[i] for row in groups.values()) for i in range(3))
    assert 2 * correct / (gold + pred) == pytest.approx(entity_metrics([e.tags for e in examples], predicted)["f1"])
    assert groups["."][2] >= 1 and groups["."][1] == 0  # the spurious entity is its own group
    _, first, last = next(span for span in entity_spans(examples[i].tags) if span[0] == "LOC")
    place = " ".join(examples[i].words[first : last + 1]).lower()
    assert groups[place][2] >= 1  # the wrongly typed prediction goes to the name it overlaps


def test_counts_bad_input():
    with pytest.raises(ValueError, match="sentences, .* gold and .* predicted"):
        entity_counts_by_name([["a"]], [], [])
    with pytest.raises(ValueError, match="sentence 0: 2 words, 1 gold"):
        entity_counts_by_name([["a", "b"]], [["O"]], [["O", "O"]])
