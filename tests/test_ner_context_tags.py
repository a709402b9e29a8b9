import pytest

from course_lib.task_data.ner import NERExample, context_tags, entity_metrics, lookup_tags, make_ner_fold


def _example(words, tags):
    return NERExample(words=words, tags=tags)


def test_unknown_word_takes_the_type_of_its_context():
    train = [_example(["Anna", "visited", "Lyon", "."], ["B-PER", "O", "B-LOC", "O"]),
             _example(["Piotr", "visited", "Porto", "."], ["B-PER", "O", "B-LOC", "O"])]
    tags = context_tags(train, [["Maria", "visited", "Tampere", "."]])
    assert tags == [["B-PER", "O", "B-LOC", "O"]]
    assert lookup_tags(train, [["Maria", "visited", "Tampere", "."]]) == [["O", "O", "O", "O"]]


def test_two_word_name_continues_with_i_tag():
    train = [_example(["Anna", "Kowalczyk", "works", "here", "."], ["B-PER", "I-PER", "O", "O", "O"])]
    assert context_tags(train, [["Chidi", "Okonkwo", "works", "here", "."]]) == [["B-PER", "I-PER", "O", "O", "O"]]


def test_unseen_context_backs_off_to_o():
    train = [_example(["Anna", "left", "."], ["B-PER", "O", "O"])]
    assert context_tags(train, [["zzz", "qqq", "yyy", "www"]])[0][1:3] == ["O", "O"]


def test_beats_lookup_on_unseen_generated_names():
    train = make_ner_fold(120, fold=0, seed=0)
    held = make_ner_fold(50, fold=0, seed=100, split="test", names="unseen")
    gold = [e.tags for e in held]
    assert entity_metrics(gold, context_tags(train, [e.words for e in held]))["f1"] > 0.5
    assert entity_metrics(gold, lookup_tags(train, [e.words for e in held]))["f1"] == 0.0


def test_bad_input():
    with pytest.raises(TypeError, match="list of sentences"):
        context_tags([], "a sentence")
    with pytest.raises(TypeError, match="NERExample"):
        context_tags([("Anna", "B-PER")], [["Anna"]])
