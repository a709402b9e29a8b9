"""Batches of a data set: the one place that cuts a dict of tensors into batches, for training and prediction.

- :func:`batches`: ``batch_size`` examples at a time, in order or shuffled (the loop of :func:`course_lib.training.train`);
- :func:`bucketed_batches`, :class:`BucketBatchSampler`: shuffled batches of similar lengths, each cut to its
  longest sentence (the capstone and the fine-tuning command);
- :func:`padded_batches`: every example once, longest first, each batch cut to its longest sentence and carrying
  the examples' positions (what :func:`course_lib.training.predict` runs on);
- :class:`DictDataset`: the same data for a ``torch.utils.data.DataLoader`` or ``transformers.Trainer``.

Dynamic padding and length buckets spend the compute on real tokens, not on padding.

A transformer layer costs time for every position of the ``[batch, seq_len]`` tensor it is given,
padding included: the attention mask only hides padded positions from the other tokens, it does not
skip their arithmetic. Two cheap fixes, both exact (the logits of the real tokens do not change,
up to float rounding):

1. **Dynamic padding** (:func:`trim_padding`): tokenize once to a generous ``max_length``, then cut
   every batch down to the length of *its* longest sentence. ``transformers`` does the same with
   ``DataCollatorWithPadding`` (pad each batch, not the data set).
2. **Length bucketing** (:func:`bucketed_batches`, :class:`BucketBatchSampler`): a batch is as long
   as its longest sentence, so put sentences of similar length together. We keep training random
   the way ``transformers``' ``LengthGroupedSampler`` does (``group_by_length=True``): shuffle all
   examples, cut the shuffled list into *buckets* of ``bucket_batches`` batches, sort each bucket by
   length, cut it into batches, and shuffle the order of all batches. Every pass draws new buckets,
   so which sentences share a batch, and the order of the batches, change from epoch to epoch;
   only the lengths within one batch are alike. (Sorting the whole data set once would make the
   batches identical every epoch and feed them from short to long: the model would see the short
   sentences first, every time.)

    for batch in bucketed_batches(train, 32, generator=torch.Generator().manual_seed(0)):
        ...                                      # one pass (epoch); call again for the next one
    count_padding(bucketed_batches(train, 32))   # PaddingCount(real=..., padded=...)

The data are the dicts of right-padded tensors that ``course_lib.task_data.*.encode`` returns
(``input_ids``, ``attention_mask``, maybe ``token_type_ids``, ``labels``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import torch

from .._checks import check_integer

__all__ = [
    "SEQUENCE_KEYS",
    "num_examples",
    "batches",
    "lengths_of",
    "is_right_padded",
    "trim_padding",
    "bucketed_index_batches",
    "bucketed_batches",
    "padded_batches",
    "BucketBatchSampler",
    "PaddingCount",
    "count_padding",
    "DictDataset",
]

# Keys whose second dimension is the sequence; everything else (labels, scores) is per example.
# inputs_embeds [N, T, H]: the cached states of course_lib.training.frozen, cut with their attention mask.
SEQUENCE_KEYS = ("input_ids", "attention_mask", "token_type_ids", "position_ids", "inputs_embeds")


def num_examples(data: Mapping) -> int:
    """The number of examples in ``data``, a dict of tensors whose first dimension indexes the examples
    (what ``course_lib.task_data.*.encode`` returns); a clear error for anything else."""
    if not isinstance(data, Mapping):
        hint = "; for one tensor of ids: {'input_ids': ids}" if isinstance(data, torch.Tensor) else ""
        raise TypeError(f"data must be a dict of tensors (input_ids, attention_mask, labels, ...), "
                        f"got {type(data).__name__}{hint}")
    for key, value in data.items():
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"data[{key!r}] must be a torch.Tensor, got {type(value).__name__}")
        if value.dim() == 0:
            raise ValueError(f"data[{key!r}] is a 0-d tensor: its first dimension must index the examples")
    sizes = {k: len(v) for k, v in data.items()}
    if not sizes:
        raise ValueError("data is empty: expected a dict of tensors such as input_ids, attention_mask, labels")
    if len(set(sizes.values())) != 1:
        raise ValueError(f"every tensor in data must have the same first dimension, got {sizes}")
    return next(iter(sizes.values()))


def batches(data: Mapping, batch_size: int, shuffle: bool = False, generator: torch.Generator | None = None,
            drop_last: bool = False) -> Iterator[dict]:
    """Yield ``batch_size`` examples at a time from a dict of tensors, in order or shuffled (one pass).
    ``drop_last`` leaves out a last batch smaller than ``batch_size``. Nothing is cut: see
    :func:`bucketed_batches` and :func:`padded_batches` for batches cut to their longest sentence."""
    check_integer("batch_size", batch_size, 1)
    n = num_examples(data)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        if drop_last and len(index) < batch_size:
            return
        yield {k: v[index] for k, v in data.items()}


def lengths_of(data: Mapping) -> torch.Tensor:
    """Real tokens per example (``[CLS]`` and ``[SEP]`` included): the row sums of the attention mask."""
    num_examples(data)
    if "attention_mask" not in data:
        raise ValueError("expected a dict of tensors with an 'attention_mask' (what task_data...encode returns)")
    mask = data["attention_mask"]
    if mask.dim() != 2:
        raise ValueError(f"attention_mask must be [examples, seq_len], got shape {tuple(mask.shape)}")
    return mask.sum(1)


def is_right_padded(attention_mask: torch.Tensor) -> bool:
    """True when every row of ``attention_mask [N, T]`` is real tokens first, then padding (BERT's tokenizers
    pad on the right): only then does cutting columns off the end cut padding alone."""
    lengths = attention_mask.sum(1)
    positions = torch.arange(attention_mask.shape[1], device=attention_mask.device)
    return torch.equal(attention_mask.bool(), positions[None, :] < lengths[:, None])


def trim_padding(batch: Mapping) -> dict:
    """Cut a right-padded batch to the length of its longest sentence (dynamic padding).

    Only trailing columns that are padding in *every* row are removed, so nothing real is lost;
    a column that some row still needs stays. Raises ValueError if the padding is not on the right
    (a real token after a padded one), because then cutting columns would cut real tokens."""
    mask = batch["attention_mask"]
    if mask.dim() != 2:
        raise ValueError(f"attention_mask must be [batch, seq_len], got shape {tuple(mask.shape)}")
    if not is_right_padded(mask):
        raise ValueError("trim_padding needs right padding (real tokens first, then padding); "
                         "this attention_mask has a real token after a padded one")
    lengths = mask.sum(1)
    longest = int(lengths.max()) if len(lengths) else 0
    return {k: (v[:, :longest] if k in SEQUENCE_KEYS and v.dim() >= 2 else v) for k, v in batch.items()}


def bucketed_index_batches(lengths, batch_size: int, *, generator: torch.Generator | None = None,
                           bucket_batches: int = 50, drop_last: bool = False) -> list[list[int]]:
    """One pass (epoch) of index batches grouped by length, in random order.

    Shuffle all indices; cut them into buckets of ``bucket_batches * batch_size``; sort each bucket by
    length, longest first; cut it into batches; shuffle the order of all the batches. With
    ``bucket_batches=1`` this is plain shuffled batching (nothing to sort across); the larger it is,
    the less padding, and the less random the batch composition. ``drop_last`` drops every batch
    smaller than ``batch_size`` (the last one of each bucket), so every step sees the same number
    of examples.
    """
    lengths = torch.as_tensor(lengths)
    check_integer("batch_size", batch_size, 1)
    check_integer("bucket_batches", bucket_batches, 1)
    if lengths.dim() != 1:
        raise ValueError(f"lengths must be 1-D (one length per example), got shape {tuple(lengths.shape)}")
    order = torch.randperm(len(lengths), generator=generator)
    bucket = batch_size * bucket_batches
    out: list[list[int]] = []
    for start in range(0, len(order), bucket):
        members = order[start : start + bucket]
        # stable sort: ties keep their shuffled order, so equal lengths still mix at random
        members = members[torch.sort(lengths[members], descending=True, stable=True).indices]
        for first in range(0, len(members), batch_size):
            chunk = members[first : first + batch_size]
            if drop_last and len(chunk) < batch_size:
                continue
            out.append(chunk.tolist())
    shuffle = torch.randperm(len(out), generator=generator)
    return [out[i] for i in shuffle.tolist()]


def bucketed_batches(data: Mapping, batch_size: int, *, generator: torch.Generator | None = None,
                     bucket_batches: int = 50, drop_last: bool = False) -> Iterator[dict]:
    """One pass over ``data`` in length-bucketed batches (:func:`bucketed_index_batches`), each cut to
    its longest sentence (:func:`trim_padding`)."""
    for index in bucketed_index_batches(lengths_of(data), batch_size, generator=generator,
                                        bucket_batches=bucket_batches, drop_last=drop_last):
        index = torch.tensor(index)
        yield trim_padding({k: v[index] for k, v in data.items()})


def padded_batches(data: Mapping, batch_size: int, *, sort: bool = True) -> Iterator[dict]:
    """Batches for evaluation, every example exactly once, each cut to its longest sentence. With
    ``sort`` the examples go longest first (ties in their order in ``data``), so batches are nearly free
    of padding. Every batch carries an extra ``"index"`` tensor, the examples' positions in ``data``, so
    that predictions can be put back in order (:func:`course_lib.training.predict` does)."""
    check_integer("batch_size", batch_size, 1)
    lengths = lengths_of(data)
    order = torch.sort(lengths, descending=True, stable=True).indices if sort else torch.arange(len(lengths))
    n = len(lengths)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        batch = trim_padding({k: v[index] for k, v in data.items()})
        batch["index"] = index
        yield batch


class BucketBatchSampler(torch.utils.data.Sampler):
    """:func:`bucketed_index_batches` as a ``batch_sampler`` for ``torch.utils.data.DataLoader``: a new
    seeded pass every epoch (``seed + epoch``), the same passes on every run.

        loader = DataLoader(dataset, batch_sampler=BucketBatchSampler(lengths, 32, seed=0),
                            collate_fn=lambda items: trim_padding(default_collate(items)))
    """

    def __init__(self, lengths, batch_size: int, *, seed: int = 0, bucket_batches: int = 50,
                 drop_last: bool = False):
        self.lengths = torch.as_tensor(lengths)
        self.batch_size, self.seed, self.bucket_batches, self.drop_last = batch_size, seed, bucket_batches, drop_last
        self.epoch = 0
        self._pass(0)  # validates the arguments now, not at the first iteration

    def _pass(self, epoch: int) -> list[list[int]]:
        generator = torch.Generator().manual_seed(self.seed + epoch)
        return bucketed_index_batches(self.lengths, self.batch_size, generator=generator,
                                      bucket_batches=self.bucket_batches, drop_last=self.drop_last)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        batches = self._pass(self.epoch)
        self.epoch += 1  # the next pass draws new buckets even if nobody calls set_epoch
        return iter(batches)

    def __len__(self) -> int:
        return len(self._pass(self.epoch))


@dataclass(frozen=True)
class PaddingCount:
    """Token positions a pass computes on: ``real`` ones and ``padded`` ones."""

    real: int
    padded: int

    @property
    def total(self) -> int:
        return self.real + self.padded

    @property
    def padding_share(self) -> float:
        return self.padded / self.total if self.total else 0.0


def count_padding(batches) -> PaddingCount:
    """Real and padded positions over an iterable of batches (dicts with an ``attention_mask``)."""
    real = total = 0
    if isinstance(batches, dict):
        raise TypeError("count_padding takes an iterable of batches (e.g. padded_batches(data, 32)), not one dict: "
                        "wrap a single batch in a list, [batch]")
    for batch in batches:
        mask = batch["attention_mask"]
        real += int(mask.sum())
        total += mask.numel()
    return PaddingCount(real, total - real)


class DictDataset(torch.utils.data.Dataset):
    """A dict of equally long tensors (what ``task_data...encode`` returns) as a map-style dataset:
    item i is ``{name: tensor[i]}``. The default collate function stacks items back into a batch dict,
    so a ``DataLoader`` (or ``transformers.Trainer``) over it yields exactly the model's keyword arguments."""

    def __init__(self, data: Mapping):
        self.length = num_examples(data)
        self.data = data

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict:
        return {k: v[index] for k, v in self.data.items()}
