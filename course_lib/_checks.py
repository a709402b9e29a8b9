"""Argument checks: one place for the course's "bad input gets a clear error" rule.

Every model, loss, optimiser, schedule and data helper checks its arguments with these functions, so
the same mistake gets the same message everywhere. Each message names the argument, says what was
expected and shows what came instead: ``batch_size must be an integer >= 1, got 0``.

Two Python facts shape the checks:

- ``True`` is an ``int`` (``isinstance(True, int)`` holds), so a flag passed where a count belongs would
  count as 1: every numeric check refuses ``bool`` first.
- ``float("nan")`` fails every comparison, so bounds are written as ``not lo <= x <= hi`` (which a NaN
  fails), never as ``x < lo or x > hi`` (which a NaN passes).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import torch


def is_integer(value) -> bool:
    """An integer (Python or numpy), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value) -> bool:
    """A real number (int, float, numpy scalar), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _bounds(smallest, largest) -> str:
    if smallest is not None and largest is not None:
        return f" in [{smallest}, {largest}]"
    if smallest is not None:
        return f" >= {smallest}"
    if largest is not None:
        return f" <= {largest}"
    return ""


def _refuse(name: str, expected: str, value, why: str) -> ValueError:
    # One message shape for every check: what the argument must be, what came, then (optionally) why.
    return ValueError(f"{name} must be {expected}, got {value!r}" + (f": {why}" if why else ""))


def _within(value, smallest, largest) -> bool:
    # Written so that NaN fails: every comparison with NaN is False.
    return (smallest is None or value >= smallest) and (largest is None or value <= largest)


def check_integer(name: str, value, smallest: int | None = None, largest: int | None = None, *, why: str = "") -> int:
    """``value`` is an integer within the bounds given; returns it as a Python ``int``.

    ``why`` (optional) is appended to the message: ``max_length must be an integer >= 3, got 2: [CLS], ...``.
    """
    if not is_integer(value) or not _within(value, smallest, largest):
        raise _refuse(name, f"an integer{_bounds(smallest, largest)}", value, why)
    return int(value)


def check_real(name: str, value, smallest: float | None = None, largest: float | None = None, *, why: str = "") -> float:
    """``value`` is a real number within the bounds given (NaN fails); returns it as a ``float``."""
    if not is_real(value) or not _within(value, smallest, largest):
        raise _refuse(name, f"a number{_bounds(smallest, largest)}", value, why)
    return float(value)


def check_positive(name: str, value, *, why: str = "") -> float:
    """``value`` is a real number > 0 (a learning rate, a norm, a time scale); NaN fails."""
    if not is_real(value) or not value > 0:
        raise _refuse(name, "a positive number", value, why)
    return float(value)


def check_probability(name: str, value, *, why: str = "") -> float:
    """``value`` is a probability in [0, 1] (a dropout rate, a masking share); NaN fails."""
    if not is_real(value) or not 0.0 <= value <= 1.0:
        raise _refuse(name, "a probability in [0, 1]", value, why)
    return float(value)


def check_tensor(name: str, value, kind: str = "any", *, required: bool = False) -> None:
    """Name the problem when ``value`` (an input called ``name``) is not a usable tensor.

    ``kind``: ``"ids"`` (integer indices: int64, or int32 which embeddings accept too), ``"float"``,
    or ``"any"``. ``None`` passes (an optional input left out) unless ``required``. A list, a numpy
    array or a tokenizer's output object raises a ``TypeError`` that says what to pass instead.
    """
    if value is None and required:
        raise TypeError(f"{name} must be a torch.Tensor, got None")
    if value is None or isinstance(value, torch.Tensor):
        if value is not None and kind == "ids" and value.dtype not in (torch.long, torch.int):
            what = "token ids" if name == "input_ids" else "indices"
            raise ValueError(
                f"{name} must hold integer {what} (torch.long), got dtype {value.dtype}; convert with {name}.long()"
            )
        if value is not None and kind == "float" and not value.is_floating_point():
            raise ValueError(f"{name} must be a floating-point tensor, got dtype {value.dtype}; convert with .float()")
        return
    if isinstance(value, Mapping):
        raise TypeError(
            f"{name} got a {type(value).__name__} (a tokenizer's output?), not a tensor: unpack it with "
            f"model(**encoding), or pass encoding['{name}']"
        )
    hint = "torch.tensor(...)" if not hasattr(value, "__array__") else "torch.as_tensor(...)"
    raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}; convert it with {hint}")


def as_nonempty_tensor(name: str, values) -> torch.Tensor:
    """``values`` (a tensor, or anything ``torch.as_tensor`` takes: a list, a numpy array) as a detached
    tensor; an empty one is refused (a metric of no examples is undefined, not 0)."""
    tensor = values if isinstance(values, torch.Tensor) else torch.as_tensor(values)
    if tensor.numel() == 0:
        raise ValueError(f"{name} is empty")
    return tensor.detach()
