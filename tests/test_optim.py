"""course_lib.training.optim against torch.optim: AdamW and Adam(weight_decay) in float64, step by step.

Pattern: two identical copies of a small model, same batches, ours vs torch's optimiser, compare
every parameter after every step. float64 so the only differences are rounding (~1e-16).
"""

import copy

import pytest
import torch
from torch import nn

from course_lib.training.optim import AdamL2, AdamW, LegacyTransformersAdamW, param_groups

TOL = 1e-10
STEPS = 150


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # Tiny tensors: a second thread only adds synchronisation cost, and on a busy 2-core machine
    # that cost dominates (20 s instead of 0.4 s per run). Restored afterwards for other modules.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.LayerNorm(16), nn.Tanh(), nn.Linear(16, 3)).double()


def _groups(model, lrs=(3e-3, 1e-2, 5e-4), wds=(0.1, 0.0, 0.5)):
    """Three groups with different lr and weight decay (the LayerNorm group has its own values)."""
    first, norm, _, last = model
    return [
        {"params": list(first.parameters()), "lr": lrs[0], "weight_decay": wds[0]},
        {"params": list(norm.parameters()), "lr": lrs[1], "weight_decay": wds[1]},
        {"params": list(last.parameters()), "lr": lrs[2], "weight_decay": wds[2]},
    ]


def _run_pair(make_ours, make_theirs, steps=STEPS):
    """Train two copies side by side; return the largest parameter difference seen at any step."""
    ours_model = _model()
    theirs_model = copy.deepcopy(ours_model)
    ours_opt, theirs_opt = make_ours(ours_model), make_theirs(theirs_model)
    g = torch.Generator().manual_seed(1)
    worst = 0.0
    for _ in range(steps):
        x = torch.randn(8, 6, generator=g, dtype=torch.float64)
        y = torch.randint(0, 3, (8,), generator=g)
        for model, opt in ((ours_model, ours_opt), (theirs_model, theirs_opt)):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        for p, q in zip(ours_model.parameters(), theirs_model.parameters()):
            worst = max(worst, (p - q).abs().max().item())
    return worst


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adamw_matches_torch_adamw_with_several_groups(amsgrad):
    worst = _run_pair(
        lambda m: AdamW(_groups(m), lr=1e-3, betas=(0.8, 0.95), eps=1e-7, amsgrad=amsgrad),
        lambda m: torch.optim.AdamW(_groups(m), lr=1e-3, betas=(0.8, 0.95), eps=1e-7, amsgrad=amsgrad),
    )
    assert worst <= TOL, worst


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_l2_matches_torch_adam_weight_decay_with_several_groups(amsgrad):
    worst = _run_pair(
        lambda m: AdamL2(_groups(m), lr=1e-3, betas=(0.85, 0.99), amsgrad=amsgrad),
        lambda m: torch.optim.Adam(_groups(m), lr=1e-3, betas=(0.85, 0.99), amsgrad=amsgrad),
    )
    assert worst <= TOL, worst


def test_defaults_match_torch():
    # AdamW decays by default (0.01), Adam does not (0): the defaults are part of the contract.
    worst_w = _run_pair(lambda m: AdamW(m.parameters()), lambda m: torch.optim.AdamW(m.parameters()), steps=30)
    worst_l2 = _run_pair(lambda m: AdamL2(m.parameters()), lambda m: torch.optim.Adam(m.parameters()), steps=30)
    assert worst_w <= TOL and worst_l2 <= TOL, (worst_w, worst_l2)


def test_maximize_matches_torch():
    worst = _run_pair(lambda m: AdamW(m.parameters(), maximize=True, weight_decay=0.1),
                      lambda m: torch.optim.AdamW(m.parameters(), maximize=True, weight_decay=0.1), steps=20)
    assert worst <= TOL, worst


def test_adamw_and_adam_l2_differ_with_decay_and_agree_without():
    with_decay = _run_pair(lambda m: AdamW(m.parameters(), weight_decay=0.1),
                           lambda m: AdamL2(m.parameters(), weight_decay=0.1), steps=30)
    without = _run_pair(lambda m: AdamW(m.parameters(), weight_decay=0.0),
                        lambda m: AdamL2(m.parameters(), weight_decay=0.0), steps=30)
    assert without == 0.0
    assert with_decay > 1e-4


def test_adamw_decays_before_the_adam_step():
    # One weight, one step, gradient g: torch's order is p*(1-lr*wd) first, then the Adam step,
    # which at step 1 has size lr * g/|g| (bias-corrected m_hat/sqrt(v_hat) = sign(g), eps=0).
    p = nn.Parameter(torch.tensor([2.0], dtype=torch.float64))
    opt = AdamW([p], lr=0.1, weight_decay=0.5, eps=0.0)
    p.grad = torch.tensor([3.0], dtype=torch.float64)
    opt.step()
    assert p.item() == pytest.approx(2.0 * (1 - 0.1 * 0.5) - 0.1, abs=1e-15)


def test_legacy_adamw_decays_after_the_update():
    p = nn.Parameter(torch.tensor([2.0], dtype=torch.float64))
    opt = LegacyTransformersAdamW([p], lr=0.1, weight_decay=0.5, eps=0.0)
    p.grad = torch.tensor([3.0], dtype=torch.float64)
    opt.step()
    assert p.item() == pytest.approx((2.0 - 0.1) * (1 - 0.1 * 0.5), abs=1e-15)


def test_legacy_adamw_equals_torch_without_decay_and_eps():
    # With wd = 0 and eps = 0 the only differences (decay order, eps placement) vanish:
    # m*sqrt(bc2)/bc1 / sqrt(v) is the same number as (m/bc1) / (sqrt(v)/sqrt(bc2)).
    worst = _run_pair(lambda m: LegacyTransformersAdamW(m.parameters(), lr=1e-3, eps=0.0, weight_decay=0.0),
                      lambda m: torch.optim.AdamW(m.parameters(), lr=1e-3, eps=0.0, weight_decay=0.0), steps=50)
    assert worst <= TOL, worst


def test_legacy_adamw_drifts_from_torch_with_its_defaults():
    worst = _run_pair(lambda m: LegacyTransformersAdamW(m.parameters(), lr=1e-3, weight_decay=0.01),
                      lambda m: torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.01), steps=50)
    assert 1e-9 < worst < 1e-3, worst


# ---- bad hyper-parameters: one test per case ---------------------------------------------------

@pytest.mark.parametrize("cls", [AdamW, AdamL2])
def test_negative_lr_is_rejected(cls):
    with pytest.raises(ValueError, match=r"Invalid learning rate -0\.1 .*lr must be a number >= 0"):
        cls(_model().parameters(), lr=-0.1)


@pytest.mark.parametrize("cls", [AdamW, AdamL2])
def test_beta1_of_one_is_rejected(cls):
    with pytest.raises(ValueError, match=r"Invalid beta1 1\.0 .*betas must lie in \[0, 1\)"):
        cls(_model().parameters(), betas=(1.0, 0.999))


@pytest.mark.parametrize("cls", [AdamW, AdamL2])
def test_negative_beta2_is_rejected(cls):
    with pytest.raises(ValueError, match=r"Invalid beta2 -0\.5 .*betas must lie in \[0, 1\)"):
        cls(_model().parameters(), betas=(0.9, -0.5))


@pytest.mark.parametrize("cls", [AdamW, AdamL2])
def test_negative_eps_is_rejected(cls):
    with pytest.raises(ValueError, match=r"Invalid eps -1e-08 .*eps must be >= 0"):
        cls(_model().parameters(), eps=-1e-8)


@pytest.mark.parametrize("cls", [AdamW, AdamL2])
def test_negative_weight_decay_is_rejected(cls):
    with pytest.raises(ValueError, match=r"Invalid weight_decay -0\.01 .*weight_decay must be >= 0"):
        cls(_model().parameters(), weight_decay=-0.01)


def test_bad_value_in_one_parameter_group_names_the_group():
    m = _model()
    with pytest.raises(ValueError, match=r"Invalid learning rate -1 in parameter group 1"):
        AdamW([{"params": m[0].parameters()}, {"params": m[3].parameters(), "lr": -1}])


def test_param_groups_rejects_negative_weight_decay():
    with pytest.raises(ValueError, match=r"Invalid weight_decay -1: weight_decay must be >= 0"):
        param_groups(_model(), weight_decay=-1)


def test_param_groups_rejects_a_single_string_for_no_decay():
    with pytest.raises(ValueError, match=r"no_decay must be a sequence of name fragments"):
        param_groups(_model(), weight_decay=0.01, no_decay="bias")


def test_param_groups_rejects_a_fully_frozen_model():
    m = _model().requires_grad_(False)
    with pytest.raises(ValueError, match=r"no trainable parameters"):
        param_groups(m, weight_decay=0.01)


def test_compare_optimizer_steps_fused_adamw_makes_our_update():
    from course_lib.training.optim import compare_optimizer_steps

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.LayerNorm(64), torch.nn.Linear(64, 3))
    before = [p.detach().clone() for p in model.parameters()]
    results = compare_optimizer_steps(model, {
        "ours": lambda m: AdamW(param_groups(m, 0.01), lr=1e-3),
        "torch fused": lambda m: torch.optim.AdamW(param_groups(m, 0.01), lr=1e-3, fused=True),
        "Adam + L2 (a different update)": lambda m: torch.optim.Adam(m.parameters(), lr=1e-3, weight_decay=0.01),
        "SGD (a different update)": lambda m: torch.optim.SGD(m.parameters(), lr=1e-3),
    }, steps=4)
    assert results["ours"]["max_abs_diff"] == 0.0
    assert results["torch fused"]["max_abs_diff"] < 1e-7
    # the comparison can fail: other updates end far away (Adam+L2 differs from AdamW by ~lr*wd*|p| per step)
    assert results["Adam + L2 (a different update)"]["max_abs_diff"] > 1e-6
    assert results["SGD (a different update)"]["max_abs_diff"] > 1e-4
    assert all(r["seconds_per_step"] >= 0 for r in results.values())
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters())), "the model itself must not change"


@pytest.mark.parametrize("steps", [0, -1, 1.5, True])
def test_compare_optimizer_steps_rejects_bad_steps(steps):
    from course_lib.training.optim import compare_optimizer_steps

    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        compare_optimizer_steps(torch.nn.Linear(2, 2), {"sgd": lambda m: torch.optim.SGD(m.parameters(), lr=0.1)}, steps=steps)
