"""data.comparisons: the multiple-choice task of notebook 06, section 6."""

import pytest

from course_lib.task_data import classification as data


def test_right_ending_is_the_converse_at_the_label():
    q = data.comparisons(50, seed=3)
    for context, endings, label in zip(q.contexts, q.endings, q.labels):
        a, _, word, _, b = context.rstrip(".").split()
        other = next(y if x == word else x for x, y in data.COMPARATIVES if word in (x, y))
        assert endings[label] == f"{b} is {other} than {a}."
        assert len(set(endings)) == 4 and endings.count(endings[label]) == 1


def test_reproducible_and_positions_spread():
    assert data.comparisons(30, seed=1).endings == data.comparisons(30, seed=1).endings
    assert set(data.comparisons(200).labels) == {0, 1, 2, 3}


def test_held_out_words_never_in_training():
    train_words = {e.split()[2] for row in data.comparisons(500).endings for e in row}
    test_words = {e.split()[2] for row in data.comparisons(200, split="test").endings for e in row}
    held_out = {w for pair in data.COMPARATIVES[-4:] for w in pair}
    assert test_words == held_out and not train_words & held_out


@pytest.mark.parametrize("kwargs, message", [(dict(n=0), "n must be an integer >= 1"), (dict(n=3, split="dev"), "split"),
                                             (dict(n=3, num_choices=6), "num_choices")])
def test_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.comparisons(**kwargs)
