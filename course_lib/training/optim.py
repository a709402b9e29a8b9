"""Adam with L2 regularisation vs AdamW (decoupled weight decay), written out step by step.

Reference: Ilya Loshchilov and Frank Hutter, "Decoupled Weight Decay Regularization", ICLR 2019
(arXiv:1711.05101; the 2017 preprint was titled "Fixing Weight Decay Regularization in Adam").

Both optimisers keep the same two running averages of the gradient g (Kingma & Ba, "Adam", 2015):

    m <- beta1 * m + (1 - beta1) * g          first moment (the direction)
    v <- beta2 * v + (1 - beta2) * g * g      second moment (the per-weight scale)
    p <- p - lr * m_hat / (sqrt(v_hat) + eps) m_hat, v_hat: m and v divided by (1 - beta^t)

They differ only in *where the weight decay enters*:

- ``AdamL2`` (``torch.optim.Adam(weight_decay=wd)``) adds ``wd * p`` to the gradient first. The
  decay then flows through m and v and ends up divided by ``sqrt(v_hat)``: a weight whose gradient
  is large or noisy is barely decayed, a weight with tiny gradients is decayed hard.
- ``AdamW`` (``torch.optim.AdamW``) shrinks the weight directly, ``p <- p * (1 - lr * wd)``, and
  keeps the gradient clean. Every weight is pulled towards zero at the same relative rate.

With plain SGD the two are the same thing (up to rescaling wd by lr); with an adaptive
denominator they are not, which is the paper's point.

Also here: :func:`param_groups` (the BERT "no decay on biases and LayerNorm weights" split) and
:class:`LegacyTransformersAdamW`, a *historical* re-implementation of the AdamW that transformers
shipped until it was removed (it is absent from 4.57 and 5.x), kept only to measure how far its
numbers drift from ``torch.optim.AdamW``.

:func:`compare_optimizer_steps` runs several optimisers from the same weights on the same gradients and
reports how far apart they end and how long a step takes: how the notebooks show that torch's fused kernel
(``torch.optim.AdamW(fused=True)``, one pass over each tensor) makes the same update as the step-by-step
``AdamW`` here, before they use it for speed in the longer fine-tunes.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable

import torch
from torch import nn
from torch.optim import Optimizer

from .._checks import check_integer, is_real

__all__ = ["AdamW", "AdamL2", "LegacyTransformersAdamW", "param_groups", "describe_param_groups", "format_param_groups",
           "compare_optimizer_steps"]


def _check_hyperparameters(group: dict, where: str) -> None:
    """Reject values the update rule is not defined for, naming the hyper-parameter and the group. The
    messages start as torch's do ("Invalid learning rate ..."), then add where and what is allowed; every
    bound is written so that NaN fails it."""
    lr = group["lr"]
    if not (is_real(lr) and lr >= 0.0):
        raise ValueError(f"Invalid learning rate {lr!r} in {where}: lr must be a number >= 0")
    betas = group["betas"]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"Invalid betas {betas!r} in {where}: expected a pair (beta1, beta2)")
    for i, beta in enumerate(betas):
        # beta = 1 would freeze a moment at its initial zero and make the bias correction 1 - 1^t = 0.
        if not (is_real(beta) and 0.0 <= beta < 1.0):
            raise ValueError(f"Invalid beta{i + 1} {beta!r} in {where}: betas must lie in [0, 1)")
    if not (is_real(group["eps"]) and group["eps"] >= 0.0):
        raise ValueError(f"Invalid eps {group['eps']!r} in {where}: eps must be >= 0")
    if not (is_real(group["weight_decay"]) and group["weight_decay"] >= 0.0):
        raise ValueError(
            f"Invalid weight_decay {group['weight_decay']!r} in {where}: weight_decay must be >= 0"
        )


def _check_params_argument(params) -> None:
    """``AdamW(model)`` is a common slip: an optimizer needs the parameters, not the module."""
    if isinstance(params, nn.Module):
        raise TypeError(
            f"the optimizer got the model itself ({type(params).__name__}); pass its parameters: "
            "AdamW(model.parameters(), ...) or AdamW(param_groups(model, weight_decay), ...)"
        )
    if isinstance(params, (str, bytes)) or params is None or is_real(params):
        raise TypeError(f"params must be an iterable of tensors or of parameter-group dicts, got {params!r}")


def _check_group_params(param_group: dict, index: int) -> None:
    """Each parameter once per group. torch only warns about a repeat (``AdamW([p, p])``) and then
    applies the update to it twice per step; here it is an error that names the cause."""
    params = param_group["params"]
    if isinstance(params, set):
        raise TypeError("parameters must be an ordered collection (a list), not a set: a set's order changes between runs")
    params = [params] if isinstance(params, torch.Tensor) else list(params)
    param_group["params"] = params  # a generator is consumed here: keep the list
    seen: set[int] = set()
    for p in params:
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
            p = p[1]  # model.named_parameters(): (name, parameter) pairs, as torch >= 2.6 accepts them
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"parameter group {index} holds a {type(p).__name__}; an optimizer takes tensors only")
        if id(p) in seen:
            raise ValueError(
                f"parameter group {index} lists the same parameter twice (shape {tuple(p.shape)}): the optimizer "
                "would apply its update to it twice per step. List each parameter once (a tied weight is one "
                "parameter: model.parameters() and param_groups(model, ...) already give it once)"
            )
        seen.add(id(p))


def _defaults(lr, betas, eps, weight_decay, **options) -> dict:
    """The hyper-parameters every parameter group starts from (betas stored as a tuple, as torch does)."""
    betas = tuple(betas) if isinstance(betas, (tuple, list)) else betas
    return dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, **options)


class _AdamFamily(Optimizer):
    """Shared plumbing: parameter groups, hyper-parameter checks, lazy state. The update rule
    itself lives in each subclass's ``_update`` so the two rules can be read side by side."""

    def __init__(self, params, defaults: dict):
        _check_params_argument(params)
        _check_hyperparameters(defaults, "the optimizer defaults")
        params = list(params)
        if not params:
            raise ValueError(
                "the optimizer got an empty parameter list: nothing to train (a generator such as "
                "model.parameters() can be used only once: call it again for each optimizer)"
            )
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        # Optimizer.__init__ routes every group through here, so per-group overrides
        # (e.g. {"params": ..., "lr": -1}) are checked as well as the defaults.
        if isinstance(param_group, dict) and "params" not in param_group:
            raise ValueError(
                f"parameter group {len(self.param_groups)} has no 'params' key: each group is a dict "
                "{'params': [tensors...], ...options}"
            )
        if isinstance(param_group, dict) and "params" in param_group:
            _check_group_params(param_group, len(self.param_groups))
        super().add_param_group(param_group)
        _check_hyperparameters(self.param_groups[-1], f"parameter group {len(self.param_groups) - 1}")

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise ValueError(f"{type(self).__name__} does not support sparse gradients")
                grad = -p.grad if group.get("maximize", False) else p.grad
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)  # m: running mean of g
                    state["exp_avg_sq"] = torch.zeros_like(p)  # v: running mean of g*g
                    if group.get("amsgrad", False):
                        state["max_exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                self._update(p, grad, state, group)
        return loss

    def _update(self, p, grad, state, group):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _adam_direction(grad, state, group):
        """Moments, bias correction and the adaptive denominator: everything after the gradient
        is known. Returns (m, denom, step_size) so that the update is p -= step_size * m / denom."""
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        t = state["step"]
        m.lerp_(grad, 1 - beta1)  # m = beta1*m + (1-beta1)*g
        v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v = beta2*v + (1-beta2)*g^2
        # Both moments start at zero, so early on they are biased towards zero; dividing by
        # 1 - beta^t removes that bias (Kingma & Ba, section 3).
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        if group.get("amsgrad", False):
            torch.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        # sqrt(v_hat) + eps, computed as torch does (same operations, so the same bits), in one new tensor
        denom = v.sqrt().div_(math.sqrt(bias_correction2)).add_(group["eps"])
        step_size = group["lr"] / bias_correction1  # lr * m_hat = lr * m / (1 - beta1^t)
        return m, denom, step_size


class AdamL2(_AdamFamily):
    """Adam with an L2 penalty folded into the gradient: ``torch.optim.Adam(weight_decay=wd)``.

    The penalty 0.5 * wd * ||p||^2 has gradient wd * p; adding it to g *before* the moments means
    the decay is divided by the adaptive denominator sqrt(v_hat) like everything else. Same
    signature and defaults as ``torch.optim.Adam`` (weight_decay defaults to 0)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, _defaults(lr, betas, eps, weight_decay, amsgrad=amsgrad, maximize=maximize))

    def _update(self, p, grad, state, group):
        wd = group["weight_decay"]
        if wd != 0:
            grad = grad.add(p, alpha=wd)  # g <- g + wd * p   (coupled: enters m and v)
        m, denom, step_size = self._adam_direction(grad, state, group)
        p.addcdiv_(m, denom, value=-step_size)  # p <- p - lr * m_hat / (sqrt(v_hat) + eps)


class AdamW(_AdamFamily):
    """Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019): ``torch.optim.AdamW``.

    The weight is shrunk directly by the factor (1 - lr * wd) *before* the Adam step, the
    gradient (and hence m and v) never sees the decay. Note the decay is scaled by lr, as in
    torch, so a learning-rate schedule also schedules the decay. Same signature and defaults
    as ``torch.optim.AdamW`` (weight_decay defaults to 0.01)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False):
        super().__init__(params, _defaults(lr, betas, eps, weight_decay, amsgrad=amsgrad, maximize=maximize))

    def _update(self, p, grad, state, group):
        wd = group["weight_decay"]
        if wd != 0:
            p.mul_(1 - group["lr"] * wd)  # p <- p * (1 - lr * wd)   (decoupled: grad untouched)
        m, denom, step_size = self._adam_direction(grad, state, group)
        p.addcdiv_(m, denom, value=-step_size)


class LegacyTransformersAdamW(_AdamFamily):
    """HISTORICAL: the ``transformers.AdamW`` of transformers 2.x-4.x, re-implemented for comparison.

    It is gone from transformers (absent from 4.57 and 5.x); use ``torch.optim.AdamW``. It differs
    from torch's AdamW in three small ways, which is why old and new runs do not match exactly:

    1. the decay is applied *after* the Adam step, to the already-updated weight
       (``p <- p - lr * wd * p``), where torch shrinks the weight *before* the step;
    2. eps is added to sqrt(v) *before* the bias correction, so the effective eps is
       eps / sqrt(1 - beta2^t): larger in the first steps;
    3. ``correct_bias=False`` switches the bias correction off (the original BERT TF code did that),
       and the default eps is 1e-6, not 1e-8.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-6,
                 weight_decay: float = 0.0, correct_bias: bool = True):
        super().__init__(params, _defaults(lr, betas, eps, weight_decay, correct_bias=correct_bias))

    def _update(self, p, grad, state, group):
        # The same moments as Adam, written the way transformers 4.x wrote them (same operations, same bits).
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.mul_(beta1).add_(grad, alpha=1.0 - beta1)
        v.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
        denom = v.sqrt().add_(group["eps"])  # eps before the bias correction
        step_size = group["lr"]
        if group["correct_bias"]:
            t = state["step"]
            step_size = step_size * math.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
        p.addcdiv_(m, denom, value=-step_size)
        if group["weight_decay"] > 0.0:
            p.add_(p, alpha=-group["lr"] * group["weight_decay"])  # decay AFTER the update


# --------------------------------------------------------------------------------------------
# Parameter groups: which weights are decayed
# --------------------------------------------------------------------------------------------

DEFAULT_NO_DECAY = ("bias", "LayerNorm.weight")


def _split(model: nn.Module, no_decay: Iterable[str]):
    if not isinstance(model, nn.Module):
        raise TypeError(
            f"param_groups needs the model itself (it reads the parameter names), got {type(model).__name__}: "
            "pass param_groups(model, weight_decay), not model.parameters()"
        )
    if isinstance(no_decay, str):
        raise ValueError(f"no_decay must be a sequence of name fragments, not the single string {no_decay!r}")
    no_decay = tuple(no_decay)
    decay, skip = [], []
    seen: set[int] = set()
    # remove_duplicate=False, then dedupe by identity ourselves: a tied matrix (the MLM decoder
    # that IS the word embedding) has two names but is one tensor, and must be optimised once.
    # The first name (the module registration order) is the one reported.
    for name, p in model.named_parameters(remove_duplicate=False):
        if not p.requires_grad or id(p) in seen:
            continue
        seen.add(id(p))
        (skip if any(fragment in name for fragment in no_decay) else decay).append((name, p))
    return decay, skip


def param_groups(model: nn.Module, weight_decay: float, no_decay: Iterable[str] = DEFAULT_NO_DECAY) -> list[dict]:
    """The two parameter groups of the BERT fine-tuning recipe.

    Group 0: every trainable parameter whose name contains none of the ``no_decay`` fragments,
    with ``weight_decay``; group 1: the rest (by default biases and LayerNorm gains) with 0.
    Every trainable parameter appears exactly once (tied parameters once); frozen ones
    (``requires_grad=False``) are left out. Each group also carries a ``"names"`` list, which
    torch optimisers keep and ignore, so you can see what landed where.

    The exclusion list comes from the original BERT code (google-research/bert, optimization.py:
    ``exclude_from_weight_decay=["LayerNorm", "layer_norm", "bias"]``). It is a convention and a
    heuristic, not a theorem: measure it rather than trust it (notebook 09 does).
    """
    if not (is_real(weight_decay) and weight_decay >= 0.0):
        raise ValueError(f"Invalid weight_decay {weight_decay!r}: weight_decay must be >= 0")
    decay, skip = _split(model, no_decay)
    if not decay and not skip:
        raise ValueError("the model has no trainable parameters (all have requires_grad=False)")
    return [
        {"params": [p for _, p in decay], "weight_decay": weight_decay, "names": [n for n, _ in decay]},
        {"params": [p for _, p in skip], "weight_decay": 0.0, "names": [n for n, _ in skip]},
    ]


def describe_param_groups(groups: list[dict]) -> list[dict]:
    """One summary per group: weight decay, tensor count, element count and the names."""
    out = []
    for i, g in enumerate(groups):
        names = g.get("names") or [f"<param {j}>" for j in range(len(g["params"]))]
        out.append({
            "group": i,
            "weight_decay": g.get("weight_decay"),
            "tensors": len(g["params"]),
            "elements": sum(p.numel() for p in g["params"]),
            "names": list(names),
        })
    return out


def _shorten(name: str) -> str:
    # encoder.layer.3.attention... -> encoder.layer.*.attention...: 6 or 12 layers print as one line
    parts = name.split(".")
    return ".".join("*" if part.isdigit() else part for part in parts)


def format_param_groups(groups: list[dict], max_names: int = 12, collapse_layers: bool = True) -> str:
    """A printable table of which parameters landed in which group. With ``collapse_layers``,
    names that differ only in a layer index are shown once with a count (``x6``)."""
    lines = []
    for d in describe_param_groups(groups):
        lines.append(f"group {d['group']}: weight_decay={d['weight_decay']}, "
                     f"{d['tensors']} tensors, {d['elements']:,} elements")
        if collapse_layers:
            counts: dict[str, int] = {}
            for n in d["names"]:
                counts[_shorten(n)] = counts.get(_shorten(n), 0) + 1
            shown = [f"{n}  x{c}" if c > 1 else n for n, c in counts.items()]
        else:
            shown = d["names"]
        for n in shown[:max_names]:
            lines.append(f"    {n}")
        if len(shown) > max_names:
            lines.append(f"    ... and {len(shown) - max_names} more")
    return "\n".join(lines)


def compare_optimizer_steps(model: nn.Module, optimizers: dict[str, Callable[[nn.Module], Optimizer]],
                            steps: int = 3, seed: int = 0) -> dict[str, dict]:
    """Run each optimizer for ``steps`` steps, each on its own copy of ``model`` (the model is left as it
    is), from the same weights and on the same made-up gradients (normal, scaled 1e-3, drawn from ``seed``).

    ``optimizers`` maps a name to a function of the copied model that builds the optimizer. Returns, per
    name, ``seconds_per_step`` (wall clock, the first step excluded: it creates the state) and
    ``max_abs_diff``, the largest |difference| of any weight from the first optimizer's result."""
    if not optimizers:
        raise ValueError("compare_optimizer_steps needs at least one optimizer")
    check_integer("steps", steps, 1)
    results, reference = {}, None
    for name, make in optimizers.items():
        copied = copy.deepcopy(model)
        params = [p for p in copied.parameters() if p.requires_grad]
        optimizer = make(copied)
        generator = torch.Generator().manual_seed(seed)
        elapsed = 0.0
        for step in range(steps + 1):
            for p in params:
                p.grad = torch.randn(p.shape, generator=generator, dtype=p.dtype).mul_(1e-3)
            start = time.perf_counter()
            optimizer.step()
            elapsed += (time.perf_counter() - start) if step else 0.0
        final = [p.detach() for p in params]
        if reference is None:
            reference = final
        difference = max((a - b).abs().max().item() for a, b in zip(final, reference))
        results[name] = {"seconds_per_step": elapsed / steps, "max_abs_diff": difference}
    return results

