"""Notebook 10_lr_schedules_and_warmup: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q10_1
# points: 2
from course_lib.exercises.ch10 import check_constant_with_warmup


def my_constant_with_warmup(step, num_warmup_steps):
    """The multiplier f(step): a linear rise over num_warmup_steps, then 1."""
    if step < num_warmup_steps:
        # 0, 1/W, 2/W, ...: step 0 gives 0 (the first update does nothing) and step W gives the peak.
        # Inside this branch W >= 1, so there is no division by zero when W = 0.
        return step / num_warmup_steps
    return 1.0  # constant at the peak lr afterwards


check_constant_with_warmup(my_constant_with_warmup)
# END QUESTION


# BEGIN QUESTION
# name: q10_2
# points: 2
from course_lib.exercises.ch10 import check_linear_with_warmup


def my_linear_with_warmup(step, num_warmup_steps, num_training_steps):
    """The multiplier f(step): linear warmup to 1, then linear decay to 0 at num_training_steps."""
    if step < num_warmup_steps:
        return step / num_warmup_steps  # the ramp of exercise 10.1
    # The decay phase lasts T - W steps: 1 at step W, 0 at step T (max(1, ...) guards T == W).
    remaining = (num_training_steps - step) / max(1, num_training_steps - num_warmup_steps)
    return max(0.0, remaining)  # never negative after T: a negative lr would climb the loss


check_linear_with_warmup(my_linear_with_warmup)
# END QUESTION


# BEGIN QUESTION
# name: q10_3
# points: 2
import math

from course_lib.exercises.ch10 import check_cosine_with_warmup


def my_cosine_with_warmup(step, num_warmup_steps, num_training_steps, num_cycles):
    """The multiplier f(step): linear warmup, then 0.5 * (1 + cos(2 pi num_cycles progress))."""
    if step < num_warmup_steps:
        return step / num_warmup_steps
    # Progress through the decay phase: 0 at the end of the warmup, 1 at num_training_steps.
    progress = (step - num_warmup_steps) / max(1, num_training_steps - num_warmup_steps)
    # cos runs from 1 to -1 over half a turn; 0.5 * (1 + cos) maps that onto 1 .. 0.
    return 0.5 * (1.0 + math.cos(2.0 * math.pi * num_cycles * progress))


check_cosine_with_warmup(my_cosine_with_warmup)
# END QUESTION


# BEGIN QUESTION
# name: q10_4
# points: 2
from course_lib.exercises.ch10 import check_polynomial_decay


def my_polynomial_decay(step, num_warmup_steps, num_training_steps, lr_init, lr_end, power):
    """The multiplier f(step): linear warmup, then polynomial decay from lr_init to lr_end (divided by lr_init)."""
    if step < num_warmup_steps:
        return step / num_warmup_steps
    if step > num_training_steps:
        return lr_end / lr_init  # stay at lr_end: (1 - p) would go negative past the end
    progress = (step - num_warmup_steps) / (num_training_steps - num_warmup_steps)
    # A POLYNOMIAL in the remaining fraction (power 1 = a straight line), not a constant factor per step.
    lr = (lr_init - lr_end) * (1 - progress) ** power + lr_end
    return lr / lr_init  # LambdaLR multiplies the peak lr by what we return


check_polynomial_decay(my_polynomial_decay)
# END QUESTION
