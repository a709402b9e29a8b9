"""A minimal, readable fine-tuning loop, and the one way to get a model's predictions.

Deliberately small: no mixed precision, no gradient accumulation, no callbacks. Everything that
happens in a step is on the screen in :func:`train`, so a learner can read it in one go:

    batch -> model(**batch) -> out.loss -> backward -> clip -> optimizer.step -> scheduler.step -> zero_grad

That step is one function, :func:`training_step` (exercise 11.1 asks for it), shared by :func:`train`
and by the fine-tuning command (:mod:`course_lib.training.finetune`). :func:`predict` is the one
prediction path of the chapters, the capstone and the command; :func:`course_lib.evaluation.accuracy`
scores what it returns. Both take their batches from :mod:`course_lib.training.data`.

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

from collections.abc import Iterator, Mapping

import torch

from .._checks import check_integer, check_positive
from .data import batches, is_right_padded, num_examples, padded_batches

__all__ = ["training_step", "train", "predict", "saved_tensor_bytes"]

# What predict puts where a per-token output (token logits, hidden states) has no position because its batch
# was cut shorter: transformers' Trainer pads the predictions of batches of different lengths with -100 too.
PADDED_OUTPUT = -100.0


def _check_model(model) -> None:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def _check_max_grad_norm(max_grad_norm) -> None:
    # clip_grad_norm_ scales every gradient by max_norm / norm: a negative max_norm flips the
    # gradients (the step climbs the loss), 0 wipes them. None is how to switch clipping off.
    if max_grad_norm is not None:
        check_positive("max_grad_norm", max_grad_norm, why="a negative norm would flip the gradients and the step "
                       "would climb the loss, 0 would wipe them; pass None for no clipping")


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
    check_integer("steps", steps, 1)
    check_integer("batch_size", batch_size, 1)
    _check_max_grad_norm(max_grad_norm)
    n = num_examples(data)
    if "labels" not in data:
        raise ValueError("train needs data['labels']: without labels the model returns no loss")
    if batch_size > n:
        # Only full batches are used (drop_last): with none, the loop would never take a step.
        raise ValueError(
            f"batch_size {batch_size} is larger than the data set ({n} examples): not one full batch; "
            f"use batch_size <= {n}"
        )
    if optimizer is None:
        check_positive("lr", lr)
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
def predict(model: torch.nn.Module, data: Mapping, batch_size: int = 128, output: str = "logits",
            device: torch.device | str | None = None) -> torch.Tensor:
    """The model's ``output`` (logits by default) for every example of ``data``, in the order of ``data``.

    In eval mode (dropout off; the model's mode is restored afterwards), without building a graph; the
    labels in ``data`` are not passed to the model. With ``device``, each batch is moved there and the
    result comes back on the CPU.

    With a right-padded ``attention_mask [N, T]`` (what ``task_data...encode`` returns) the examples go
    longest first, in batches cut to their longest sentence (:func:`course_lib.training.data.padded_batches`):
    the model computes on real tokens instead of padding, and the rows are put back in the order of
    ``data``. The numbers are those of one pass over the full, padded tensors, up to float rounding.
    Other data (no mask, multiple choice ``[N, C, T]``, cached vectors) goes in order, uncut.

    A per-token output (token logits ``[N, T, C]``, hidden states) comes back as wide as the longest
    example; positions that a shorter batch did not have hold -100, as in transformers' Trainer.
    """
    _check_model(model)
    check_integer("batch_size", batch_size, 1)
    inputs = _model_inputs(data)
    was_training = model.training
    model.eval()
    try:
        parts, rows = [], []
        for index, batch in _prediction_batches(inputs, batch_size):
            if device is not None:
                batch = {k: v.to(device) for k, v in batch.items()}
            value = getattr(model(**batch), output, None)
            if not isinstance(value, torch.Tensor):
                raise ValueError(f"the model's output has no tensor field {output!r} (e.g. 'logits')")
            parts.append(value.cpu() if device is not None else value)
            rows.append(index)
    finally:
        model.train(was_training)
    return _in_data_order(parts, rows)


def _model_inputs(data: Mapping) -> dict:
    """``data`` without its labels, checked: at least one model input and one example."""
    n = num_examples(data)
    inputs = {k: v for k, v in data.items() if k != "labels"}
    if not inputs:
        raise ValueError("data has no model inputs: expected a dict with input_ids (and attention_mask)")
    if n == 0:
        raise ValueError("data has 0 examples: nothing to predict")
    return inputs


def _prediction_batches(inputs: dict, batch_size: int) -> Iterator[tuple[torch.Tensor, dict]]:
    """(positions in ``inputs``, batch) pairs: longest first and cut where the padding allows, else in order."""
    mask = inputs.get("attention_mask")
    if mask is not None and mask.dim() == 2 and is_right_padded(mask):
        for batch in padded_batches(inputs, batch_size):
            yield batch.pop("index"), batch
        return
    # No right-padded [N, T] mask: no column is padding in every row for sure, so the plain batches, in order.
    start = 0
    for batch in batches(inputs, batch_size):
        size = len(next(iter(batch.values())))
        yield torch.arange(start, start + size), batch
        start += size


def _in_data_order(parts: list[torch.Tensor], rows: list[torch.Tensor]) -> torch.Tensor:
    """The batches' outputs, each row put back where its example sits in the data."""
    first = parts[0]
    n = sum(len(index) for index in rows)
    if all(part.shape[1:] == first.shape[1:] for part in parts):
        result = first.new_empty((n, *first.shape[1:]))
        for index, part in zip(rows, parts):
            result[index] = part
        return result
    # Per-token outputs of batches cut to different lengths: as wide as the widest, the rest PADDED_OUTPUT.
    if any(part.dim() < 2 or part.shape[2:] != first.shape[2:] for part in parts):
        raise ValueError(f"the batches' outputs have shapes that do not fit together: "
                         f"{sorted({tuple(part.shape[1:]) for part in parts})}")
    result = first.new_full((n, max(part.shape[1] for part in parts), *first.shape[2:]), PADDED_OUTPUT)
    for index, part in zip(rows, parts):
        result[index, : part.shape[1]] = part
    return result


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
