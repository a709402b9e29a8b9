"""Learning-rate schedules: every step-only schedule of ``transformers``, one small function each.

Each function returns the *multiplier* for a step, the number ``LambdaLR`` multiplies the peak
learning rate by: the lr of a parameter group at step t is ``group_initial_lr * f(t)``.
``get_scheduler`` wraps them exactly as ``transformers.get_scheduler`` does, with the same names
and arguments, so the two are interchangeable (tests check every step, both library versions).

Step convention (same as transformers): the scheduler is created at step 0 and ``scheduler.step()``
is called once after every ``optimizer.step()``. So the *first* optimiser step uses f(0), which is
0 for every schedule with a linear warmup: the first update does nothing.

Warmup (a linear ramp from 0 to the peak) was used in the original Transformer (Vaswani et al.
2017) and in BERT (Devlin et al. 2019: 10,000 warmup steps of 1,000,000 in pre-training, then
linear decay). Not covered: ``reduce_lr_on_plateau`` and 5.x's ``greedy``, which depend on a
measured metric, not on the step alone.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable
from functools import partial

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from .._checks import is_real

__all__ = [
    "constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial",
    "inverse_sqrt", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay",
    "get_scheduler", "SCHEDULES", "NOT_STEP_ONLY",
]


def _warmup(step: int, num_warmup_steps: int) -> float:
    """Linear ramp 0, 1/W, 2/W, ... (W = num_warmup_steps); max(1, W) avoids 0/0 when W = 0."""
    return float(step) / float(max(1, num_warmup_steps))


def constant(step: int) -> float:
    """lr(t) = peak."""
    return 1.0


def constant_with_warmup(step: int, *, num_warmup_steps: int) -> float:
    """Linear rise over the warmup, then constant at the peak."""
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    return 1.0


def linear(step: int, *, num_warmup_steps: int, num_training_steps: int) -> float:
    """Linear rise to the peak, then linear decay to 0 at num_training_steps (and 0 after).
    This is ``get_linear_schedule_with_warmup``, the BERT fine-tuning recipe."""
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    remaining = float(num_training_steps - step) / float(max(1, num_training_steps - num_warmup_steps))
    return max(0.0, remaining)


def cosine(step: int, *, num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5) -> float:
    """Linear warmup, then 0.5 * (1 + cos(2 pi * num_cycles * progress)); num_cycles = 0.5 is one
    half-cosine from the peak down to 0. Clipped at 0 (after the end the cosine would come back up)."""
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)))


def cosine_with_restarts(step: int, *, num_warmup_steps: int, num_training_steps: int, num_cycles: int = 1) -> float:
    """Linear warmup, then num_cycles half-cosines from the peak to 0, each restarting ("hard
    restart") at the peak; 0 from num_training_steps on."""
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    if progress >= 1.0:
        return 0.0
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * ((float(num_cycles) * progress) % 1.0))))


def polynomial(step: int, *, num_warmup_steps: int, num_training_steps: int, lr_init: float,
               lr_end: float = 1e-7, power: float = 1.0) -> float:
    """Linear warmup, then POLYNOMIAL (not exponential) decay from the peak lr_init to lr_end:
    lr = (lr_init - lr_end) * (1 - progress)^power + lr_end; power = 1 is a straight line.
    lr_end is an absolute lr, so the multiplier needs lr_init (transformers takes it from
    ``optimizer.defaults["lr"]``, even for groups with their own lr)."""
    if not num_warmup_steps < num_training_steps:
        # transformers divides by num_training_steps - num_warmup_steps and fails with ZeroDivisionError
        raise ValueError(
            f"polynomial: num_warmup_steps ({num_warmup_steps}) must be smaller than num_training_steps "
            f"({num_training_steps}): the decay needs at least one step (use a shorter warmup, or constant_with_warmup)"
        )
    if not lr_init > lr_end:
        raise ValueError(f"polynomial: lr_end ({lr_end}) must be smaller than the initial lr lr_init ({lr_init})")
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    if step > num_training_steps:
        return lr_end / lr_init
    decay_steps = num_training_steps - num_warmup_steps
    pct_remaining = 1 - (step - num_warmup_steps) / decay_steps
    return ((lr_init - lr_end) * pct_remaining**power + lr_end) / lr_init


def inverse_sqrt(step: int, *, num_warmup_steps: int, timescale: int | None = None) -> float:
    """Linear warmup, then 1 / sqrt((step + timescale - W) / timescale): equal to 1 at the end of
    warmup, then falling like 1/sqrt(step), never reaching 0 (no total step count needed).
    timescale defaults to num_warmup_steps (or 10,000 when there is no warmup)."""
    if timescale is None:
        timescale = num_warmup_steps or 10_000
    if not (is_real(timescale) and timescale > 0):
        # transformers fails with ZeroDivisionError (0) or a math domain error (negative)
        raise ValueError(
            f"inverse_sqrt: timescale must be a positive number of steps, got {timescale!r} (leave it out: it then "
            "defaults to num_warmup_steps, or 10,000 without a warmup)"
        )
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    shift = timescale - num_warmup_steps
    return 1.0 / math.sqrt((step + shift) / timescale)


def cosine_with_min_lr(step: int, *, num_warmup_steps: int, num_training_steps: int, min_lr_rate: float,
                       num_cycles: float = 0.5) -> float:
    """Like ``cosine`` but the cosine runs from 1 down to min_lr_rate instead of 0."""
    if step < num_warmup_steps:
        return _warmup(step, num_warmup_steps)
    progress = float(step - num_warmup_steps) / float(max(1, num_training_steps - num_warmup_steps))
    factor = 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress))
    return max(0, factor * (1 - min_lr_rate) + min_lr_rate)


def cosine_warmup_with_min_lr(step: int, *, num_warmup_steps: int, num_training_steps: int, min_lr_rate: float,
                              num_cycles: float = 0.5, warmup_lr_rate: float | None = None) -> float:
    """Like ``cosine_with_min_lr``, but shifted by one step so no step has lr 0: the warmup is
    (t+1)/W (or runs from warmup_lr_rate to 1), and the cosine's progress is (t - W + 1) / (T - W)."""
    t, w, total = float(step), float(num_warmup_steps), float(num_training_steps)
    if t < w:
        if warmup_lr_rate is None:
            return (t + 1.0) / max(1.0, w)
        warmup_lr_rate = float(warmup_lr_rate)
        return warmup_lr_rate + (1.0 - warmup_lr_rate) * t / max(1, w - 1)
    progress = (t - w + 1.0) / max(1.0, total - w)
    factor = 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress))
    return max(0, factor * (1 - min_lr_rate) + min_lr_rate)


_WSD_SHAPES = ("linear", "cosine", "1-sqrt")


def warmup_stable_decay(step: int, *, num_warmup_steps: int, num_stable_steps: int, num_decay_steps: int,
                        warmup_type: str = "linear", decay_type: str = "cosine", min_lr_ratio: float = 0.0,
                        num_cycles: float = 0.5) -> float:
    """Three phases: warmup from min_lr_ratio to 1 (linear, cosine or 1-sqrt shape), a stable
    plateau at 1, a decay back to min_lr_ratio (same three shapes); min_lr_ratio afterwards."""
    for name, shape in (("warmup_type", warmup_type), ("decay_type", decay_type)):
        if shape not in _WSD_SHAPES:
            raise ValueError(f"warmup_stable_decay: {name} must be one of {', '.join(_WSD_SHAPES)}, got {shape!r}")
    if step < num_warmup_steps:
        progress = _warmup(step, num_warmup_steps)
        factor = {"linear": progress,
                  "cosine": 0.5 * (1.0 - math.cos(math.pi * progress)),
                  "1-sqrt": 1.0 - math.sqrt(1.0 - progress)}[warmup_type]
        return max(0.0, factor * (1.0 - min_lr_ratio) + min_lr_ratio)
    if step < num_warmup_steps + num_stable_steps:
        return 1.0
    if step < num_warmup_steps + num_stable_steps + num_decay_steps:
        progress = float(step - num_warmup_steps - num_stable_steps) / float(max(1, num_decay_steps))
        factor = {"linear": 1.0 - progress,
                  "cosine": 0.5 * (1.0 + math.cos(math.pi * float(num_cycles) * 2.0 * progress)),
                  "1-sqrt": 1.0 - math.sqrt(progress)}[decay_type]
        return max(0.0, factor * (1.0 - min_lr_ratio) + min_lr_ratio)
    return min_lr_ratio


# name -> function, in the order transformers' SchedulerType lists them
SCHEDULES = {
    "linear": linear,
    "cosine": cosine,
    "cosine_with_restarts": cosine_with_restarts,
    "polynomial": polynomial,
    "constant": constant,
    "constant_with_warmup": constant_with_warmup,
    "inverse_sqrt": inverse_sqrt,
    "cosine_with_min_lr": cosine_with_min_lr,
    "cosine_warmup_with_min_lr": cosine_warmup_with_min_lr,
    "warmup_stable_decay": warmup_stable_decay,
}
# transformers names that need a measured metric, not just the step
NOT_STEP_ONLY = ("reduce_lr_on_plateau", "greedy")

# the arguments get_scheduler fills in itself (never from scheduler_specific_kwargs)
_FILLED_IN = {"step", "num_warmup_steps", "num_training_steps", "lr_init", "num_stable_steps"}


def _allowed_kwargs(name: str) -> list[str]:
    params = inspect.signature(SCHEDULES[name]).parameters
    allowed = [p for p in params if p not in _FILLED_IN]
    if name == "polynomial":
        allowed = [p for p in allowed if p != "lr_init"]
    if name in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        allowed.append("min_lr")  # absolute alternative to min_lr_rate
    if name == "warmup_stable_decay":
        allowed.append("num_stable_steps")
    return allowed


def get_scheduler(name, optimizer: Optimizer, num_warmup_steps: int | None = None,
                  num_training_steps: int | None = None, scheduler_specific_kwargs: dict | None = None) -> LambdaLR:
    """``transformers.get_scheduler`` for the step-only schedules, built from the functions above.

    Same names and arguments; returns a ``torch.optim.lr_scheduler.LambdaLR``. Differences on
    purpose: a name we do not cover, a missing argument or an unknown key in
    ``scheduler_specific_kwargs`` raises a ``ValueError`` that says what is wrong (transformers
    raises a ``TypeError`` for some of these and silently ignores others). Like transformers,
    ``constant`` ignores ``num_warmup_steps``: use ``constant_with_warmup`` to get a warmup.
    """
    name = _check_types(name, optimizer, scheduler_specific_kwargs)
    _look_up(name)
    kwargs = _check_specific_kwargs(name, scheduler_specific_kwargs)
    multiplier = _bind(name, optimizer, num_warmup_steps, num_training_steps, kwargs)
    return LambdaLR(optimizer, multiplier)


# get_scheduler, step by step ----------------------------------------------------------------


def _check_types(name, optimizer, scheduler_specific_kwargs) -> str:
    """Step 1: the schedule's name as a string (a ``transformers.SchedulerType`` member is accepted too),
    a torch optimizer, a dict (or None) of schedule-specific arguments."""
    name = getattr(name, "value", name)
    if not isinstance(name, str):
        raise ValueError(f"the schedule name must be a string such as 'linear', got {name!r}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"get_scheduler needs a torch.optim.Optimizer as its second argument, got {type(optimizer).__name__}"
        )
    if scheduler_specific_kwargs is not None and not isinstance(scheduler_specific_kwargs, dict):
        raise TypeError(f"scheduler_specific_kwargs must be a dict, got {type(scheduler_specific_kwargs).__name__}")
    return name


def _look_up(name: str) -> None:
    """Step 2: a schedule this module covers, or a message that says why not and what exists."""
    if name in NOT_STEP_ONLY:
        raise ValueError(
            f"schedule {name!r} depends on a measured metric, not on the step alone; use "
            f"transformers.get_scheduler or torch.optim.lr_scheduler.ReduceLROnPlateau for it. "
            f"Step-only schedules: {', '.join(SCHEDULES)}"
        )
    if name not in SCHEDULES:
        raise ValueError(f"unknown schedule {name!r}; valid names are: {', '.join(SCHEDULES)}")


def _check_specific_kwargs(name: str, scheduler_specific_kwargs: dict | None) -> dict:
    """Step 3: every key one the schedule takes, every value a number (but the two shape names of
    warmup_stable_decay). Returns a copy, which the next step may change."""
    kwargs = dict(scheduler_specific_kwargs or {})
    allowed = _allowed_kwargs(name)
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise ValueError(
            f"schedule {name!r} does not take {', '.join(map(repr, unknown))} in scheduler_specific_kwargs; "
            f"it accepts: {', '.join(allowed) if allowed else 'nothing'}"
        )
    for key, value in kwargs.items():
        if key not in ("warmup_type", "decay_type") and value is not None and not is_real(value):
            raise ValueError(f"schedule {name!r}: `{key}` in scheduler_specific_kwargs must be a number, got {value!r}")
    return kwargs


def _require(name: str, argument: str, value) -> None:
    # transformers' wording for a missing argument
    if value is None:
        raise ValueError(f"schedule {name!r} requires `{argument}`; please provide that argument")
    if not is_real(value):
        raise ValueError(f"schedule {name!r}: `{argument}` must be a number of steps, got {value!r}")
    if not value >= 0:
        raise ValueError(f"schedule {name!r}: `{argument}` must be >= 0, got {value}")


def _bind(name: str, optimizer: Optimizer, num_warmup_steps, num_training_steps, kwargs: dict) -> Callable[[int], float]:
    """Step 4: the schedule's function with every argument but the step filled in, which is what
    ``LambdaLR`` calls once per step. Each schedule requires only the step counts it uses."""
    if name == "constant":
        return constant  # ignores num_warmup_steps, as in transformers
    _require(name, "num_warmup_steps", num_warmup_steps)
    if name == "constant_with_warmup":
        return partial(constant_with_warmup, num_warmup_steps=num_warmup_steps)
    if name == "inverse_sqrt":
        # transformers 5.x forwards `timescale` from scheduler_specific_kwargs; 4.57 ignored it.
        return partial(inverse_sqrt, num_warmup_steps=num_warmup_steps, **kwargs)
    if name == "warmup_stable_decay":
        return _bind_warmup_stable_decay(num_warmup_steps, num_training_steps, kwargs)
    _require(name, "num_training_steps", num_training_steps)
    common = dict(num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps)
    if name == "polynomial":
        return partial(polynomial, lr_init=_polynomial_lr_init(optimizer, kwargs), **common, **kwargs)
    if name in ("cosine_with_min_lr", "cosine_warmup_with_min_lr"):
        kwargs["min_lr_rate"] = _min_lr_rate(name, optimizer, kwargs)
    return partial(SCHEDULES[name], **common, **kwargs)


def _bind_warmup_stable_decay(num_warmup_steps, num_training_steps, kwargs: dict) -> Callable[[int], float]:
    """The stable phase's length: ``num_stable_steps`` when given, else what the total leaves after the
    warmup and the decay."""
    if "num_decay_steps" not in kwargs:
        raise ValueError("schedule 'warmup_stable_decay' requires `num_decay_steps` in scheduler_specific_kwargs")
    num_stable_steps = kwargs.pop("num_stable_steps", None)
    if num_stable_steps is None and num_training_steps is None:
        raise ValueError("schedule 'warmup_stable_decay' requires `num_training_steps` "
                         "(or `num_stable_steps` in scheduler_specific_kwargs)")
    if num_stable_steps is not None and num_training_steps is not None:
        # transformers' warning, word for word; stacklevel 4 points at get_scheduler's caller
        warnings.warn("Both num_training_steps and num_stable_steps are specified. num_stable_steps will be used.",
                      stacklevel=4)
    for shape_arg in ("warmup_type", "decay_type"):
        if kwargs.get(shape_arg, "linear") not in _WSD_SHAPES:
            raise ValueError(f"schedule 'warmup_stable_decay': `{shape_arg}` must be one of "
                             f"{', '.join(_WSD_SHAPES)}, got {kwargs[shape_arg]!r}")
    if num_stable_steps is None:
        num_stable_steps = num_training_steps - num_warmup_steps - kwargs["num_decay_steps"]
    return partial(warmup_stable_decay, num_warmup_steps=num_warmup_steps, num_stable_steps=num_stable_steps, **kwargs)


def _polynomial_lr_init(optimizer: Optimizer, kwargs: dict) -> float:
    """The peak lr the polynomial decay starts from: the optimizer's default lr, as in transformers
    (lr_end is an absolute lr, so the multiplier needs it)."""
    lr_init = optimizer.defaults["lr"]
    lr_end = kwargs.get("lr_end", 1e-7)
    if not lr_init > lr_end:
        raise ValueError(f"schedule 'polynomial': lr_end ({lr_end}) must be smaller than the initial lr ({lr_init})")
    return lr_init


def _min_lr_rate(name: str, optimizer: Optimizer, kwargs: dict) -> float:
    """The floor as a share of the peak: ``min_lr_rate``, or ``min_lr`` (absolute) over the optimizer's lr.
    Removes both keys from ``kwargs``."""
    min_lr, min_lr_rate = kwargs.pop("min_lr", None), kwargs.pop("min_lr_rate", None)
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError(f"schedule {name!r}: set only one of `min_lr` or `min_lr_rate`, not both")
    if min_lr is None and min_lr_rate is None:
        raise ValueError(f"schedule {name!r} requires `min_lr` or `min_lr_rate` in scheduler_specific_kwargs")
    return min_lr_rate if min_lr is None else min_lr / optimizer.defaults["lr"]
