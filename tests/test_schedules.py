"""course_lib.training.schedules against transformers.get_scheduler: the lr of every group at every step.

Runs on transformers 4.57 and 5.x. The one difference between them that matters here is noted
where it is handled (inverse_sqrt's `timescale`).
"""

import warnings

import pytest
import torch
import transformers
from torch import nn

from course_lib.training import schedules
from course_lib.training.schedules import SCHEDULES, get_scheduler

TRANSFORMERS_MAJOR = int(transformers.__version__.split(".")[0])

# (name, num_warmup_steps, num_training_steps, scheduler_specific_kwargs)
CASES = [
    ("linear", 0, 10, {}), ("linear", 3, 10, {}), ("linear", 7, 50, {}), ("linear", 10, 10, {}),
    ("cosine", 0, 20, {}), ("cosine", 5, 40, {"num_cycles": 0.25}), ("cosine", 4, 30, {"num_cycles": 1.5}),
    ("cosine_with_restarts", 0, 20, {}), ("cosine_with_restarts", 5, 45, {"num_cycles": 3}),
    ("polynomial", 0, 20, {}), ("polynomial", 5, 30, {"power": 2.0, "lr_end": 1e-4}),
    ("polynomial", 3, 25, {"power": 0.5, "lr_end": 0.0}),
    ("constant", None, None, {}), ("constant", 10, 30, {}),  # transformers ignores the warmup here
    ("constant_with_warmup", 0, None, {}), ("constant_with_warmup", 6, 30, {}),
    ("inverse_sqrt", 0, None, {}), ("inverse_sqrt", 4, None, {}), ("inverse_sqrt", 10, 40, {}),
    ("cosine_with_min_lr", 0, 20, {"min_lr_rate": 0.1}), ("cosine_with_min_lr", 5, 30, {"min_lr": 1e-5}),
    ("cosine_with_min_lr", 3, 30, {"min_lr_rate": 0.2, "num_cycles": 1.0}),
    ("cosine_warmup_with_min_lr", 0, 20, {"min_lr_rate": 0.1}),
    ("cosine_warmup_with_min_lr", 5, 30, {"min_lr_rate": 0.05}),
    ("cosine_warmup_with_min_lr", 6, 30, {"min_lr": 2e-5, "warmup_lr_rate": 0.2}),
    ("warmup_stable_decay", 4, 30, {"num_decay_steps": 10}),
    ("warmup_stable_decay", 5, 40, {"num_decay_steps": 8, "warmup_type": "cosine", "decay_type": "linear",
                                    "min_lr_ratio": 0.1}),
    ("warmup_stable_decay", 6, None, {"num_decay_steps": 9, "num_stable_steps": 12, "warmup_type": "1-sqrt",
                                      "decay_type": "1-sqrt", "min_lr_ratio": 0.05}),
    ("warmup_stable_decay", 0, 25, {"num_decay_steps": 10, "decay_type": "cosine", "num_cycles": 0.25}),
]


def _optimizer():
    # Two groups with different peak lr: the schedule multiplies each group's own initial lr
    # (except polynomial's lr_end, which is taken relative to optimizer.defaults["lr"]).
    a, b = nn.Parameter(torch.zeros(2)), nn.Parameter(torch.zeros(3))
    return torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 3e-4}], lr=1e-3)


def _lrs(scheduler, steps):
    out = []
    for _ in range(steps):
        out.append([g["lr"] for g in scheduler.optimizer.param_groups])
        scheduler.optimizer.step()
        scheduler.step()
    return out


def _case_id(case):
    name, w, t, kw = case
    return f"{name}-w{w}-t{t}-" + "-".join(f"{k}={v}" for k, v in kw.items())


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_every_step_matches_transformers(case):
    name, warmup, total, kwargs = case
    steps = (total or 30) + 10  # past the end too: what happens after num_training_steps matters
    ours = _lrs(get_scheduler(name, _optimizer(), warmup, total, dict(kwargs)), steps)
    theirs = _lrs(transformers.get_scheduler(name, _optimizer(), warmup, total, dict(kwargs)), steps)
    torch.testing.assert_close(torch.tensor(ours, dtype=torch.float64), torch.tensor(theirs, dtype=torch.float64),
                               rtol=0, atol=1e-15)


@pytest.mark.parametrize("timescale", [3, 20])
def test_inverse_sqrt_timescale(timescale):
    # 4.57's get_scheduler dropped scheduler_specific_kwargs for inverse_sqrt (so timescale could
    # not be set by name); 5.x forwards them. Ours forwards them, like 5.x. On 4.57 we compare with
    # the direct constructor, which has always taken timescale.
    ours = _lrs(get_scheduler("inverse_sqrt", _optimizer(), 5, None, {"timescale": timescale}), 40)
    if TRANSFORMERS_MAJOR >= 5:
        ref = transformers.get_scheduler("inverse_sqrt", _optimizer(), 5, None, {"timescale": timescale})
    else:
        ref = transformers.get_inverse_sqrt_schedule(_optimizer(), num_warmup_steps=5, timescale=timescale)
    assert ours == _lrs(ref, 40)


def test_every_step_only_transformers_name_is_covered():
    names = {t.value for t in transformers.SchedulerType}
    step_only = names - set(schedules.NOT_STEP_ONLY)
    assert step_only == set(SCHEDULES), step_only ^ set(SCHEDULES)


def test_function_values_are_the_multipliers():
    # The small functions ARE what the scheduler multiplies by.
    sched = get_scheduler("linear", _optimizer(), 4, 12)
    lrs = _lrs(sched, 15)
    for t, (lr0, lr1) in enumerate(lrs):
        f = schedules.linear(t, num_warmup_steps=4, num_training_steps=12)
        assert lr0 == pytest.approx(1e-3 * f, abs=1e-18) and lr1 == pytest.approx(3e-4 * f, abs=1e-18)


def test_facts_the_course_states():
    # constant_with_warmup: linear rise, then flat.
    assert [schedules.constant_with_warmup(t, num_warmup_steps=4) for t in range(7)] == [0, .25, .5, .75, 1, 1, 1]
    # polynomial with power=1 IS linear decay (to lr_end), not exponential.
    for t in range(3, 21):
        lin = schedules.linear(t, num_warmup_steps=3, num_training_steps=20)
        poly = schedules.polynomial(t, num_warmup_steps=3, num_training_steps=20, lr_init=1.0, lr_end=0.0)
        assert poly == pytest.approx(lin, abs=1e-15)
    # the very first optimizer step of a warmup schedule uses lr = 0
    assert schedules.linear(0, num_warmup_steps=10, num_training_steps=100) == 0.0


# ---- bad input: one test per case --------------------------------------------------------------

def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match=r"unknown schedule 'cosine_annealing'; valid names are: linear, cosine, "
                                         r"cosine_with_restarts, polynomial, constant, constant_with_warmup"):
        get_scheduler("cosine_annealing", _optimizer(), 0, 10)


def test_metric_driven_schedule_is_refused_with_a_pointer():
    with pytest.raises(ValueError, match=r"'reduce_lr_on_plateau' depends on a measured metric"):
        get_scheduler("reduce_lr_on_plateau", _optimizer())


def test_missing_warmup_is_named():
    with pytest.raises(ValueError, match=r"schedule 'linear' requires `num_warmup_steps`"):
        get_scheduler("linear", _optimizer(), num_training_steps=10)


def test_missing_total_steps_is_named():
    with pytest.raises(ValueError, match=r"schedule 'cosine' requires `num_training_steps`"):
        get_scheduler("cosine", _optimizer(), num_warmup_steps=2)


def test_negative_warmup_is_rejected():
    with pytest.raises(ValueError, match=r"`num_warmup_steps` must be >= 0, got -1"):
        get_scheduler("linear", _optimizer(), -1, 10)


def test_unknown_specific_kwarg_is_named():
    with pytest.raises(ValueError, match=r"schedule 'cosine' does not take 'power' .* it accepts: num_cycles"):
        get_scheduler("cosine", _optimizer(), 0, 10, {"power": 2.0})


def test_min_lr_schedules_require_a_minimum():
    with pytest.raises(ValueError, match=r"'cosine_with_min_lr' requires `min_lr` or `min_lr_rate`"):
        get_scheduler("cosine_with_min_lr", _optimizer(), 0, 10)


def test_min_lr_and_min_lr_rate_together_are_rejected():
    with pytest.raises(ValueError, match=r"set only one of `min_lr` or `min_lr_rate`"):
        get_scheduler("cosine_warmup_with_min_lr", _optimizer(), 0, 10, {"min_lr": 1e-5, "min_lr_rate": 0.1})


def test_polynomial_lr_end_above_peak_is_rejected():
    with pytest.raises(ValueError, match=r"lr_end \(0.01\) must be smaller than the initial lr \(0.001\)"):
        get_scheduler("polynomial", _optimizer(), 0, 10, {"lr_end": 1e-2})


def test_wsd_requires_decay_steps():
    with pytest.raises(ValueError, match=r"'warmup_stable_decay' requires `num_decay_steps`"):
        get_scheduler("warmup_stable_decay", _optimizer(), 2, 10)


def test_wsd_requires_total_or_stable_steps():
    with pytest.raises(ValueError, match=r"'warmup_stable_decay' requires `num_training_steps`"):
        get_scheduler("warmup_stable_decay", _optimizer(), 2, None, {"num_decay_steps": 3})


def test_wsd_unknown_shape_is_rejected():
    with pytest.raises(ValueError, match=r"`decay_type` must be one of linear, cosine, 1-sqrt, got 'exp'"):
        get_scheduler("warmup_stable_decay", _optimizer(), 2, 10, {"num_decay_steps": 3, "decay_type": "exp"})


def test_wsd_with_both_totals_warns_and_uses_stable_steps():
    with pytest.warns(UserWarning, match="num_stable_steps will be used"):
        sched = get_scheduler("warmup_stable_decay", _optimizer(), 2, 100, {"num_decay_steps": 3, "num_stable_steps": 4})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = transformers.get_scheduler("warmup_stable_decay", _optimizer(), 2, 100,
                                         {"num_decay_steps": 3, "num_stable_steps": 4})
    assert _lrs(sched, 15) == _lrs(ref, 15)
