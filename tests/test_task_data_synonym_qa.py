"""make_synonym_qa_data (notebook 08's training task): spans, disjoint synonym pairs, no lexical shortcut."""

import re

import pytest

from course_lib.task_data.qa import JOB_SYNONYMS, make_synonym_qa_data


@pytest.mark.parametrize("answer", ["job", "name"])
@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_answers_are_spans_and_question_words_are_not_in_the_context(split, answer):
    pairs = {word: pair for pair in JOB_SYNONYMS[split] for word in pair}
    for example in make_synonym_qa_data(100, seed=3, split=split, answer=answer):
        text, start = example["answers"]["text"][0], example["answers"]["answer_start"][0]
        assert example["context"][start:start + len(text)] == text
        asked_word = re.findall(r"\w+", example["question"])[-1]
        assert asked_word in example["pair"] and asked_word not in re.findall(r"\w+", example["context"])
        if answer == "job":
            assert text in example["pair"] and text != asked_word and pairs[text] == example["pair"]
        else:
            assert text == example["names"][example["asked"]]


def test_splits_use_disjoint_words_and_examples_are_reproducible():
    words = {split: {w for pair in pairs for w in pair} for split, pairs in JOB_SYNONYMS.items()}
    assert not words["train"] & words["test"] and not words["train"] & words["validation"]
    assert not words["validation"] & words["test"]
    assert make_synonym_qa_data(20, seed=5) == make_synonym_qa_data(20, seed=5)
    assert make_synonym_qa_data(20, seed=5) != make_synonym_qa_data(20, seed=6)


def test_answer_positions_are_balanced_enough_for_a_fixed_position_to_fail():
    examples = make_synonym_qa_data(600, seed=0, split="test", people=3)
    shares = [sum(e["asked"] == k for e in examples) / len(examples) for k in range(3)]
    assert max(shares) < 0.4


@pytest.mark.parametrize("kwargs, message", [
    ({"n": -1}, "n must be"), ({"n": 2.0}, "n must be"), ({"n": 3, "split": "dev"}, "split must be"),
    ({"n": 3, "people": 5}, "people must be"), ({"n": 3, "people": True}, "people must be"),
    ({"n": 3, "answer": "person"}, "answer must be"),
])
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_synonym_qa_data(**kwargs)
