"""The sentence-level task generators and the training helpers: seeded, balanced, honest splits,
tensors of the right shapes and dtypes for each head."""

import pytest
import torch

from course_lib import BertForMultipleChoice, BertForSequenceClassification
from course_lib.evaluation import accuracy
from course_lib.models.pretrained import load_tokenizer
from course_lib.task_data import classification as data
from course_lib.training import batches, predict, saved_tensor_bytes, train
from helpers import tiny_config


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer()


def test_generators_are_seeded_and_splits_differ():
    assert data.sentiment(20, seed=1).texts == data.sentiment(20, seed=1).texts
    assert data.sentiment(20, seed=1).texts != data.sentiment(20, seed=2).texts
    assert data.continuations(10).contexts == data.continuations(10).contexts
    # a larger training set does not change the test set
    assert data.similarity(5, split="test").texts == data.similarity(5, split="test").texts


def test_sentiment_is_balanced_and_test_words_are_unseen():
    train_set, test_set = data.sentiment(101), data.sentiment(100, split="test")
    assert abs(sum(train_set.labels) - 50) <= 1
    train_words = set(" ".join(train_set.texts).replace(".", " ").replace("!", " ").split())
    held_out = data.SENTIMENT_WORDS["positive"][-4:] + data.SENTIMENT_WORDS["negative"][-4:]
    assert not train_words & set(held_out)
    for text, label in zip(test_set.texts, test_set.labels):
        words = data.SENTIMENT_WORDS["positive" if label == 1 else "negative"][-4:]
        assert any(w in text.split() or w + "." in text or w + "!" in text for w in words), text


def test_similarity_scores_count_shared_slots():
    ex = data.similarity(50)
    assert set(ex.labels) <= {0.0, 1.25, 2.5, 3.75, 5.0}
    for (a, b), score in zip(ex.texts, ex.labels):
        if score == 5.0:
            assert a == b


def test_topic_tags_are_multi_hot():
    ex = data.topic_tags(50)
    assert all(1 <= sum(row) <= 3 and len(row) == len(data.TOPICS) for row in ex.labels)


def test_continuations_right_ending_is_at_the_label():
    ex = data.continuations(40, num_choices=5)
    pairs = {c.split(" ", 1)[1]: e for c, e in data._CONTINUATIONS}
    for context, endings, label in zip(ex.contexts, ex.endings, ex.labels):
        assert len(endings) == 5 and len(set(endings)) == 5
        assert endings[label] == pairs[context.split(" ", 1)[1]]
    assert set(ex.labels) == set(range(5))  # the right answer moves around
    test_contexts = {c.split(" ", 1)[1] for c in data.continuations(40, split="test").contexts}
    assert not test_contexts & {c.split(" ", 1)[1] for c in ex.contexts}


def test_continuations_held_out_split_has_many_unseen_contexts():
    stem = lambda c: c.split(" ", 1)[1]  # noqa: E731 - the context without its random first name
    train = {stem(c) for c in data.continuations(2000, split="train").contexts}
    test = data.continuations(2000, split="test")
    assert len(train) == len(data._CONTINUATIONS) - data._TEST_PAIRS >= 60
    assert len({stem(c) for c in test.contexts}) == data._TEST_PAIRS >= 40
    assert not train & {stem(c) for c in test.contexts}
    train_endings = {e for row in data.continuations(2000, split="train").endings for e in row}
    assert not train_endings & {e for row in test.endings for e in row}
    assert len({c for c, _ in data._CONTINUATIONS}) == len({e for _, e in data._CONTINUATIONS}) == len(data._CONTINUATIONS)


def test_encode_dtypes_and_shapes(tokenizer):
    enc = data.encode(data.sentiment(6), tokenizer, max_length=16)
    assert enc["input_ids"].shape == (6, 16) and enc["labels"].dtype == torch.long
    assert (enc["input_ids"][:, 0] == tokenizer.cls_token_id).all()
    pair = data.encode(data.similarity(4), tokenizer, max_length=32)
    assert pair["labels"].dtype == torch.float32 and pair["token_type_ids"].max() == 1
    tags = data.encode(data.topic_tags(4), tokenizer, max_length=32)
    assert tags["labels"].shape == (4, 5) and tags["labels"].dtype == torch.float32


def test_encode_choices_shapes(tokenizer):
    enc = data.encode_choices(data.continuations(3), tokenizer, max_length=24)
    assert enc["input_ids"].shape == (3, 4, 24) and enc["labels"].shape == (3,)
    assert enc["token_type_ids"][0, 0].max() == 1  # the ending is segment B


def test_encoded_data_drives_each_head(tokenizer):
    config = tiny_config(vocab_size=tokenizer.vocab_size, max_position_embeddings=32, num_labels=2)
    out = BertForSequenceClassification(config)(**data.encode(data.sentiment(4), tokenizer, max_length=16))
    assert out.loss.ndim == 0
    config = tiny_config(vocab_size=tokenizer.vocab_size, max_position_embeddings=32)
    out = BertForMultipleChoice(config)(**data.encode_choices(data.continuations(2), tokenizer, max_length=24))
    assert out.logits.shape == (2, 4)


def test_bad_arguments():
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        data.sentiment(0)
    with pytest.raises(ValueError, match="split must be one of"):
        data.sentiment(3, split="dev")
    with pytest.raises(ValueError, match=r"num_choices must be an integer in \[2, 40\], got 41: the test split"):
        data.continuations(3, split="test", num_choices=41)


# --- training helpers --------------------------------------------------------------------------


def toy_data(config, n=24):
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, config.vocab_size, (n, 6), generator=g)
    labels = (ids[:, 1] % 2).long()  # learnable from token 1
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": labels}


def test_train_lowers_the_loss_and_predict_is_batched():
    config = tiny_config(num_labels=2, hidden_dropout_prob=0.0)
    model = BertForSequenceClassification(config)
    d = toy_data(config)
    history = train(model, d, steps=30, batch_size=8, lr=3e-3)
    assert len(history) == 30 and sum(history[-5:]) < sum(history[:5])
    logits = predict(model, d, batch_size=5)
    assert logits.shape == (24, 2) and not model.training
    assert 0.0 <= accuracy(logits, d["labels"]) <= 1.0


def test_batches_cover_every_example_once():
    d = {"x": torch.arange(10), "labels": torch.arange(10)}
    seen = torch.cat([b["x"] for b in batches(d, 3, shuffle=True, generator=torch.Generator().manual_seed(0))])
    assert sorted(seen.tolist()) == list(range(10))
    with pytest.raises(ValueError, match="same first dimension"):
        next(batches({"x": torch.zeros(3), "y": torch.zeros(4)}, 2))


def test_train_needs_labels():
    config = tiny_config(num_labels=2)
    with pytest.raises(ValueError, match=r"train needs data\['labels'\]"):
        train(BertForSequenceClassification(config), {"input_ids": torch.ones(2, 3, dtype=torch.long)}, steps=1)


def test_saved_bytes_grow_linearly_with_choices():
    config = tiny_config()
    model = BertForMultipleChoice(config)
    sizes = []
    for c in (2, 3, 4):
        ids = torch.randint(1, config.vocab_size, (2, c, 8))
        sizes.append(saved_tensor_bytes(model, {"input_ids": ids, "labels": torch.zeros(2, dtype=torch.long)}))
    assert sizes[2] - sizes[1] == sizes[1] - sizes[0] > 0  # exactly linear: same bytes per extra choice
    ids = torch.randint(1, config.vocab_size, (2, 3, 8))
    assert saved_tensor_bytes(model, {"input_ids": ids}) == saved_tensor_bytes(model, {"input_ids": ids})
