"""Notebook 07_token_classification: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q7_1
# points: 4
from course_lib.exercises.ch07 import check_align_labels


def my_align_labels(word_labels, word_ids):
    """One label per token: the word's label on the first piece of each word, -100 everywhere else."""
    labels = []
    previous = None  # the word id of the token before
    for word_id in word_ids:
        if word_id is None:
            labels.append(-100)  # [CLS], [SEP], padding: no word, no loss
        elif word_id != previous:
            labels.append(word_labels[word_id])  # the first piece of a word keeps the word's label
        else:
            labels.append(-100)  # a later piece of the same word: the word already counts once
        previous = word_id
    return labels


check_align_labels(my_align_labels)
# END QUESTION


# BEGIN QUESTION
# name: q7_2
# points: 2
import torch.nn.functional as F

from course_lib.exercises.ch07 import check_token_loss


def my_token_loss(logits, labels, attention_mask):
    """The mean cross-entropy over the tokens whose label is not -100, as current transformers computes it."""
    num_labels = logits.shape[-1]
    # One row per token: [B * T, num_labels] scored against [B * T]. ignore_index=-100 drops the -100
    # positions from the sum AND from the count, so the mean is over the labelled tokens only.
    # attention_mask is not used: the labels alone decide what counts (the 4.4.2 loss masked padding
    # with it, section 4), so padding labelled 0 ("O") is trained, exactly as in transformers now.
    return F.cross_entropy(logits.reshape(-1, num_labels), labels.reshape(-1), ignore_index=-100)


check_token_loss(my_token_loss)
# END QUESTION


# BEGIN QUESTION
# name: q7_3
# points: 2
from course_lib.exercises.ch07 import check_entity_spans


def my_entity_spans(tags):
    """The entities of one sentence of BIO tags, as (type, first_word, last_word) tuples."""
    spans = []
    current, start = None, 0  # the type of the open entity (None: nothing open) and its first word
    for i, tag in enumerate(list(tags) + ["O"]):  # the extra "O" closes an entity that ends the sentence
        prefix, kind = ("O", None) if tag == "O" else tag.split("-", 1)
        if current is not None and (prefix in ("B", "O") or kind != current):
            spans.append((current, start, i - 1))  # O, any B- or a change of type ends the open entity
            current = None
        if prefix == "B" or (prefix == "I" and current is None):
            current, start = kind, i  # B-X opens an entity; so does an I-X with no X entity open
    return spans


check_entity_spans(my_entity_spans)
# END QUESTION
