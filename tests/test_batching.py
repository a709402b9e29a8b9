"""course_lib.training.data, the one batching path: plain batches, dynamic padding cuts only padding,
bucketing keeps every example exactly once, stays random across epochs, and really reduces padding; the
logits do not change; the DataLoader view of the same data; bad input."""

import pytest
import torch
from torch.utils.data import DataLoader

from course_lib import BertForSequenceClassification
from course_lib.training.data import (
    BucketBatchSampler,
    DictDataset,
    batches,
    bucketed_batches,
    bucketed_index_batches,
    count_padding,
    is_right_padded,
    lengths_of,
    num_examples,
    padded_batches,
    trim_padding,
)
from helpers import tiny_config


def right_padded(lengths, width=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.as_tensor(lengths)
    width = width or int(lengths.max()) + 3
    mask = (torch.arange(width)[None, :] < lengths[:, None]).long()
    ids = torch.randint(5, 90, (len(lengths), width), generator=g) * mask
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": torch.zeros_like(ids),
            "labels": torch.arange(len(lengths))}


def test_trim_padding_keeps_every_real_token():
    data = right_padded([3, 7, 5], width=12)
    trimmed = trim_padding(data)
    assert trimmed["input_ids"].shape == (3, 7)
    assert torch.equal(trimmed["attention_mask"].sum(1), data["attention_mask"].sum(1))
    assert torch.equal(trimmed["input_ids"], data["input_ids"][:, :7])
    assert torch.equal(trimmed["labels"], data["labels"])  # per-example tensors untouched


def test_is_right_padded():
    mask = right_padded([3, 1, 4])["attention_mask"]
    assert is_right_padded(mask) and is_right_padded(mask[:0])
    assert not is_right_padded(mask.flip(1))
    hole = mask.clone()
    hole[2, 1] = 0  # a padded position between real tokens
    assert not is_right_padded(hole)


def test_trim_padding_refuses_left_padding():
    data = right_padded([3, 4])
    data["attention_mask"] = data["attention_mask"].flip(1)
    with pytest.raises(ValueError, match="right padding"):
        trim_padding(data)


def test_trimmed_batch_gives_the_same_logits():
    config = tiny_config()
    torch.manual_seed(0)
    model = BertForSequenceClassification(config).eval()
    data = right_padded([4, 9, 6], width=20)
    data["input_ids"] = data["input_ids"].clamp(max=config.vocab_size - 1)
    inputs = {k: v for k, v in data.items() if k != "labels"}
    with torch.no_grad():
        full = model(**inputs).logits
        short = model(**trim_padding(inputs)).logits
    torch.testing.assert_close(short, full, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("drop_last", [False, True])
def test_bucketed_batches_cover_every_example_once(drop_last):
    lengths = torch.randint(3, 40, (203,), generator=torch.Generator().manual_seed(1))
    batches = bucketed_index_batches(lengths, 16, generator=torch.Generator().manual_seed(0),
                                     bucket_batches=4, drop_last=drop_last)
    seen = [i for b in batches for i in b]
    assert len(seen) == len(set(seen))
    if drop_last:
        assert all(len(b) == 16 for b in batches)
        assert len(seen) >= 203 - 4 * 16  # at most one short batch per bucket dropped
    else:
        assert sorted(seen) == list(range(203))


def test_bucketing_cuts_padding_and_stays_random():
    lengths = torch.randint(5, 60, (800,), generator=torch.Generator().manual_seed(2))
    data = right_padded(lengths, width=64)
    plain = count_padding(bucketed_batches(data, 32, generator=torch.Generator().manual_seed(0), bucket_batches=1))
    bucketed = count_padding(bucketed_batches(data, 32, generator=torch.Generator().manual_seed(0)))
    assert plain.real == bucketed.real == int(lengths.sum())
    assert bucketed.padding_share < plain.padding_share / 3, (plain, bucketed)
    # two epochs (two generator states) give different batches, and the batch order is not short-to-long
    g = torch.Generator().manual_seed(0)
    first = bucketed_index_batches(lengths, 32, generator=g)
    second = bucketed_index_batches(lengths, 32, generator=g)
    assert first != second
    longest = [int(lengths[b].max()) for b in first]
    assert longest != sorted(longest) and longest != sorted(longest, reverse=True)


def test_bucket_batch_sampler_with_a_data_loader():
    from torch.utils.data._utils.collate import default_collate

    data = right_padded(torch.randint(3, 30, (100,), generator=torch.Generator().manual_seed(3)), width=32)
    sampler = BucketBatchSampler(lengths_of(data), 10, seed=0, bucket_batches=5)
    loader = DataLoader(DictDataset(data), batch_sampler=sampler,
                        collate_fn=lambda items: trim_padding(default_collate(items)))
    epoch1 = [b["labels"].tolist() for b in loader]
    epoch2 = [b["labels"].tolist() for b in loader]
    assert sorted(i for b in epoch1 for i in b) == list(range(100))
    assert epoch1 != epoch2, "each epoch must draw new buckets"
    assert epoch1 == [b["labels"].tolist() for b in DataLoader(
        DictDataset(data), batch_sampler=BucketBatchSampler(lengths_of(data), 10, seed=0, bucket_batches=5),
        collate_fn=lambda items: trim_padding(default_collate(items)))], "same seed, same batches"


def test_padded_batches_sorted_and_indexed():
    data = right_padded([3, 9, 5, 2, 7])
    batches = list(padded_batches(data, 2))
    assert [b["index"].tolist() for b in batches] == [[1, 4], [2, 0], [3]]
    assert [b["input_ids"].shape[1] for b in batches] == [9, 5, 2]


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "batch_size must be an integer >= 1, got 0"),
    (dict(batch_size=4, bucket_batches=0), "bucket_batches must be an integer >= 1, got 0"),
    (dict(batch_size=True), "batch_size must be an integer >= 1, got True"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bucketed_index_batches(torch.tensor([3, 4, 5]), **kwargs)


def test_bad_data():
    with pytest.raises(ValueError, match="attention_mask"):
        lengths_of({"input_ids": torch.zeros(2, 3)})
    with pytest.raises(ValueError, match="same first dimension"):
        lengths_of({"input_ids": torch.zeros(2, 3), "attention_mask": torch.ones(3, 3)})
    with pytest.raises(ValueError, match="1-D"):
        bucketed_index_batches(torch.ones(2, 3), 2)


def test_plain_batches_in_order_shuffled_and_without_the_short_last_one():
    data = {"x": torch.arange(10), "labels": torch.arange(10) % 2}
    assert [b["x"].tolist() for b in batches(data, 4)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [len(b["x"]) for b in batches(data, 4, drop_last=True)] == [4, 4]
    shuffled = [b["x"] for b in batches(data, 4, shuffle=True, generator=torch.Generator().manual_seed(0))]
    assert sorted(torch.cat(shuffled).tolist()) == list(range(10)) and torch.cat(shuffled).tolist() != list(range(10))
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        next(batches(data, 0))


@pytest.mark.parametrize("data, error, message", [
    ([1, 2], TypeError, "data must be a dict of tensors"),
    (torch.zeros(2, 3), TypeError, "for one tensor of ids"),
    ({}, ValueError, "data is empty"),
    ({"input_ids": [[1, 2]]}, TypeError, r"data\['input_ids'\] must be a torch.Tensor, got list"),
    ({"labels": torch.tensor(1)}, ValueError, "0-d tensor"),
])
def test_num_examples_names_bad_data(data, error, message):
    with pytest.raises(error, match=message):
        num_examples(data)


def test_dict_dataset_batches_like_the_model_wants():
    data = {"input_ids": torch.arange(12).view(4, 3), "labels": torch.tensor([0, 1, 0, 1])}
    loader = DataLoader(DictDataset(data), batch_size=2)
    first = next(iter(loader))
    assert set(first) == {"input_ids", "labels"} and len(DictDataset(data)) == 4
    torch.testing.assert_close(first["input_ids"], data["input_ids"][:2])
    with pytest.raises(ValueError, match="same first dimension"):
        DictDataset({"input_ids": torch.zeros(3, 2), "labels": torch.zeros(2)})
