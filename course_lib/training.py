"""A minimal, readable fine-tuning loop, and the measurements the fine-tuning notebooks make.

Deliberately small: no mixed precision, no gradient accumulation, no callbacks. Everything that
happens in a step is on the screen in :func:`train`, so a learner can read it in one go:

    batch -> model(**batch) -> out.loss -> backward -> clip -> optimizer.step -> zero_grad

The data is a dict of equally long tensors (what ``course_lib.task_data.*.encode`` returns);
the first dimension indexes examples (questions, for multiple choice).

    history = train(model, train_data, steps=60, batch_size=16, lr=5e-5)
    logits = predict(model, test_data)
    accuracy(logits, test_data["labels"])

The notebooks use ``torch.optim.AdamW`` here; the course writes its own AdamW in notebook 09.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

__all__ = ["batches", "train", "predict", "accuracy", "saved_tensor_bytes"]


def _num_examples(data: dict) -> int:
    sizes = {k: len(v) for k, v in data.items()}
    if not sizes:
        raise ValueError("data is empty: expected a dict of tensors such as input_ids, attention_mask, labels")
    if len(set(sizes.values())) != 1:
        raise ValueError(f"every tensor in data must have the same first dimension, got {sizes}")
    return next(iter(sizes.values()))


def batches(data: dict, batch_size: int, shuffle: bool = False, generator: torch.Generator | None = None,
            drop_last: bool = False) -> Iterator[dict]:
    """Yield ``batch_size`` examples at a time from a dict of tensors, in order or shuffled."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    n = _num_examples(data)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        if drop_last and len(index) < batch_size:
            return
        yield {k: v[index] for k, v in data.items()}


def train(
    model: torch.nn.Module,
    data: dict,
    *,
    steps: int,
    batch_size: int = 16,
    lr: float = 5e-5,
    weight_decay: float = 0.01,
    max_grad_norm: float | None = 1.0,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler=None,
    seed: int = 0,
) -> list[float]:
    """Fine-tune ``model`` for ``steps`` optimizer steps on shuffled mini-batches; return the loss
    of every step (a plain list, to plot).

    ``optimizer`` defaults to ``torch.optim.AdamW(model.parameters(), lr, weight_decay)``, the
    usual BERT fine-tuning choice (Devlin et al. used 2e-5..5e-5). Gradients are clipped to a
    global norm of ``max_grad_norm`` as transformers' Trainer does by default: one unlucky batch
    cannot throw the freshly initialised head far away. ``scheduler`` (optional) is stepped
    after every optimizer step. The data order depends only on ``seed``.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if "labels" not in data:
        raise ValueError("train needs data['labels']: without labels the model returns no loss")
    if optimizer is None:
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    model.train()  # dropout on: it is part of fine-tuning
    history: list[float] = []
    while len(history) < steps:  # as many passes (epochs) over the data as the steps need
        for batch in batches(data, batch_size, shuffle=True, generator=generator, drop_last=True):
            loss = model(**batch).loss
            loss.backward()
            if max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            history.append(loss.item())
            if len(history) == steps:
                break
    model.eval()
    return history


@torch.no_grad()
def predict(model: torch.nn.Module, data: dict, batch_size: int = 64, output: str = "logits") -> torch.Tensor:
    """The model's ``output`` (logits by default) for every example, in eval mode (dropout off),
    without building a graph. Labels in ``data`` are not passed to the model."""
    was_training = model.training
    model.eval()
    inputs = {k: v for k, v in data.items() if k != "labels"}
    parts = [getattr(model(**batch), output) for batch in batches(inputs, batch_size)]
    model.train(was_training)
    return torch.cat(parts)


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of examples whose highest logit is the labelled class (or choice)."""
    if logits.shape[0] != labels.shape[0]:
        raise ValueError(f"{logits.shape[0]} predictions but {labels.shape[0]} labels")
    return (logits.argmax(-1) == labels).float().mean().item()


def saved_tensor_bytes(model: torch.nn.Module, inputs: dict, count_parameters: bool = False) -> int:
    """Bytes of the tensors autograd keeps for the backward pass of ``model(**inputs).loss``
    (or of the sum of the logits when there are no labels): the activation memory of training.

    ``torch.autograd.graph.saved_tensors_hooks`` calls our ``pack`` hook on every tensor an
    operation saves for backward. A tensor saved by several operations (or a view of it) shares one
    storage, so we count each storage once. Parameters are saved too (a linear layer keeps its
    weight), but they exist anyway, whatever the batch; they are left out unless
    ``count_parameters``. The count depends only on shapes and dtypes, not on values or on timing,
    so it is exactly reproducible.
    """
    parameter_storages = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(tensor: torch.Tensor):
        storage = tensor.untyped_storage()
        key = storage.data_ptr()
        if count_parameters or key not in parameter_storages:
            seen[key] = storage.nbytes()
        return tensor

    def unpack(tensor: torch.Tensor) -> torch.Tensor:
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        out = model(**inputs)
        scalar = out.loss if getattr(out, "loss", None) is not None else out.logits.sum()
    del scalar, out  # the graph (and the saved tensors) go with them
    return sum(seen.values())
