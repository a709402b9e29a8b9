"""A minimal, readable fine-tuning loop, and the measurements the fine-tuning notebooks make.

Deliberately small: no mixed precision, no gradient accumulation, no callbacks. Everything that
happens in a step is on the screen in :func:`train`, so a learner can read it in one go:

    batch -> model(**batch) -> out.loss -> backward -> clip -> optimizer.step -> scheduler.step -> zero_grad

That step is one function, :func:`training_step` (exercise 11.1 asks for it), shared by :func:`train`
and by the fine-tuning command (:mod:`course_lib.training.finetune`); :func:`predict` and :func:`accuracy` are the
one evaluation path of both.

The data is a dict of equally long tensors (what ``course_lib.task_data.*.encode`` returns);
the first dimension indexes examples (questions, for multiple choice).

    history = train(model, train_data, steps=60, batch_size=16, lr=5e-5)
    logits = predict(model, test_data)
    accuracy(logits, test_data["labels"])

The notebooks use ``torch.optim.AdamW`` here, its fused kernel where torch has one for the parameters (one
pass over each tensor: the same update, several times faster on CPU for a 22.7 M-weight encoder); the course
writes its own AdamW in notebook 09, and notebook 11 compares the two.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Mapping

import torch

from ..losses import IGNORE_INDEX

__all__ = ["batches", "training_step", "train", "predict", "accuracy", "saved_tensor_bytes"]


def _check_positive_int(name: str, value, smallest: int = 1) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < smallest:
        raise ValueError(f"{name} must be an integer >= {smallest}, got {value!r}")


def _check_max_grad_norm(max_grad_norm) -> None:
    # clip_grad_norm_ scales every gradient by max_norm / norm: a negative max_norm flips the
    # gradients (the step climbs the loss), 0 wipes them. None is how to switch clipping off.
    if max_grad_norm is None:
        return
    if not isinstance(max_grad_norm, numbers.Real) or isinstance(max_grad_norm, bool) or not max_grad_norm > 0:
        raise ValueError(
            f"max_grad_norm must be a positive number (or None for no clipping), got {max_grad_norm!r}: "
            "a negative norm would flip the gradients and the step would climb the loss"
        )


def _check_model(model) -> None:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def _num_examples(data: dict) -> int:
    if not isinstance(data, Mapping):
        raise TypeError(
            f"data must be a dict of tensors (input_ids, attention_mask, labels, ...), got {type(data).__name__}"
        )
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


def batches(data: dict, batch_size: int, shuffle: bool = False, generator: torch.Generator | None = None,
            drop_last: bool = False) -> Iterator[dict]:
    """Yield ``batch_size`` examples at a time from a dict of tensors, in order or shuffled."""
    if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
    n = _num_examples(data)
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        if drop_last and len(index) < batch_size:
            return
        yield {k: v[index] for k, v in data.items()}


def training_step(model: torch.nn.Module, batch: dict, optimizer: torch.optim.Optimizer, scheduler=None,
                  max_grad_norm: float | None = None) -> float:
    """One optimizer step of fine-tuning; returns the batch loss as a float.

    forward (with labels, so the model computes its own loss) -> backward -> clip the global gradient
    norm to ``max_grad_norm`` (None: no clipping) -> ``optimizer.step()`` -> ``scheduler.step()`` (if
    any: once per optimizer step) -> ``optimizer.zero_grad()``, so the next backward starts from zero
    instead of adding to these gradients.
    """
    loss = model(**batch).loss
    if loss is None:
        raise ValueError("the model returned no loss: the batch needs labels (or start/end positions for QA)")
    loss.backward()
    if max_grad_norm is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    if scheduler is not None:
        scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def default_optimizer(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """``torch.optim.AdamW`` with its fused kernel where torch has one for these parameters (torch >= 2.4 on
    CPU; float32/16 on CPU or CUDA), else the plain one: the same update either way."""
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, ValueError, TypeError):  # no fused kernel for this torch, device or dtype
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


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

    ``optimizer`` defaults to ``torch.optim.AdamW(model.parameters(), lr, weight_decay)`` (``fused=True``
    where torch supports it for these parameters: :func:`default_optimizer`), the usual BERT fine-tuning
    choice (Devlin et al. used 2e-5..5e-5). Gradients are clipped to a global norm of ``max_grad_norm``
    as transformers' Trainer does by default: one unlucky batch cannot throw the freshly initialised head
    far away. ``scheduler`` (optional) is stepped after every optimizer step. The data order depends only on ``seed``.
    """
    _check_model(model)
    _check_positive_int("steps", steps)
    _check_positive_int("batch_size", batch_size)
    _check_max_grad_norm(max_grad_norm)
    n = _num_examples(data)
    if "labels" not in data:
        raise ValueError("train needs data['labels']: without labels the model returns no loss")
    if batch_size > n:
        # Only full batches are used (drop_last): with none, the loop would never take a step.
        raise ValueError(
            f"batch_size {batch_size} is larger than the data set ({n} examples): not one full batch; "
            f"use batch_size <= {n}"
        )
    if optimizer is None:
        if not isinstance(lr, numbers.Real) or isinstance(lr, bool) or not lr > 0:
            raise ValueError(f"lr must be a positive number, got {lr!r}")
        optimizer = default_optimizer(model, lr, weight_decay)
    elif not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    generator = torch.Generator().manual_seed(seed)
    model.train()  # dropout on: it is part of fine-tuning
    history: list[float] = []
    while len(history) < steps:  # as many passes (epochs) over the data as the steps need
        for batch in batches(data, batch_size, shuffle=True, generator=generator, drop_last=True):
            history.append(training_step(model, batch, optimizer, scheduler, max_grad_norm))
            if len(history) == steps:
                break
    model.eval()
    return history


@torch.no_grad()
def predict(model: torch.nn.Module, data: dict, batch_size: int = 64, output: str = "logits",
            device: torch.device | str | None = None) -> torch.Tensor:
    """The model's ``output`` (logits by default) for every example, in eval mode (dropout off),
    without building a graph. Labels in ``data`` are not passed to the model. With ``device``, each
    batch is moved there and the result comes back on the CPU."""
    _check_model(model)
    if _num_examples(data) == 0:
        raise ValueError("data has 0 examples: nothing to predict")
    was_training = model.training
    model.eval()
    inputs = {k: v for k, v in data.items() if k != "labels"}
    parts = []
    for batch in batches(inputs, batch_size):
        if device is not None:
            batch = {k: v.to(device) for k, v in batch.items()}
        out = model(**batch)
        value = getattr(out, output, None)
        if not isinstance(value, torch.Tensor):
            raise ValueError(f"the model's output has no tensor field {output!r}")
        parts.append(value.cpu() if device is not None else value)
    model.train(was_training)
    return torch.cat(parts)


def _hits(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """True/False per scored position (label not -100): is the highest logit the label?"""
    for name, value in (("logits", logits), ("labels", labels)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if logits.dim() == 0 or logits.shape[0] != (labels.shape[0] if labels.dim() else -1):
        raise ValueError(
            f"{logits.shape[0] if logits.dim() else 0} predictions but "
            f"{labels.shape[0] if labels.dim() else 0} labels"
        )
    if logits.dim() != labels.dim() + 1 or tuple(logits.shape[:-1]) != tuple(labels.shape):
        raise ValueError(
            f"logits {tuple(logits.shape)} must have one more dimension than labels {tuple(labels.shape)} "
            "(the scores of every class, last): [batch, num_classes] with labels [batch], or "
            "[batch, seq_len, num_classes] with labels [batch, seq_len]"
        )
    if labels.is_floating_point():
        raise ValueError(f"labels must be integer class ids, got dtype {labels.dtype}")
    keep = labels != IGNORE_INDEX
    if not bool(keep.any()):
        raise ValueError("every label is -100 (ignored): there is nothing to score")
    return logits.argmax(-1)[keep] == labels[keep]


def accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Share of scored positions whose highest logit is the labelled class (or choice); positions
    labelled -100 (padding, sub-word pieces) are left out, as the losses leave them out."""
    return _hits(logits, labels).float().mean().item()


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
