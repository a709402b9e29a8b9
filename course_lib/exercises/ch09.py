"""Exercises of notebook 09 (AdamW vs Adam + L2): one optimiser step written by hand in each of the
two forms, and BERT's "no decay" split of the parameter names.

The references are ``course_lib.training.optim.AdamW`` / ``AdamL2`` (which match ``torch.optim.AdamW`` /
``torch.optim.Adam(weight_decay=...)`` exactly, notebook 09 section 4) and
``course_lib.training.optim.param_groups``. Inputs are fresh (seeded here, not the notebook's seeds); the
diagnoses compute the typical wrong answers on the same inputs so a hint names the mistake.
"""

from __future__ import annotations

import functools

import torch

from ..training.optim import AdamL2, AdamW, param_groups
from . import Case, Check, Diagnosis, Verdict, chapter_say, checker, describe, run_check
from .inputs import case_generator

__all__ = ["check_adamw_step", "check_adam_l2_step", "check_no_decay_split"]

#: What this chapter's checks say beyond their hints (other languages: course_lib/exercises/messages_*.json).
MESSAGES = {
    # 9.3: the answer's form
    "two name lists": "it should return two lists of parameter names, (decay_names, no_decay_names), e.g. "
                      "(['bert.embeddings.word_embeddings.weight', ...], ['bert.embeddings.LayerNorm.weight', ...]).",
    "parameters, not names": "returned parameters (tensors), not their names; {expected} `model.named_parameters()` "
                             "gives (name, parameter) pairs.",
    "pairs, not names": "returned (name, parameter) pairs: keep only the names; {expected}",
    "wrong length": "returned a {kind} of length {length}; {expected}",
    "wrong kind": "returned {got}; {expected}",
    "form problem": "`{name}` {problem}",
    # 9.3: the first name in the wrong place
    "belongs in the other list": "belongs in {other}",
    "not a parameter name": "is not a trainable parameter name of this model",
    "misplaced": "on {label}, `{parameter}` is in your {mine} but {where}.",
    "missing": "on {label}, `{parameter}` is missing from your {mine}.",
    "listed twice": "on {label}, your {mine} lists a name twice: each tensor once.",
    "the rule": "{where} Decayed: weight matrices and embeddings; not decayed: biases and LayerNorm weights; frozen "
                "parameters: neither (section 7).",
}
_say = chapter_say(__name__, MESSAGES)

# Step exercises work in float64, so only a real difference in the update rule can fail them.
_STEP_TOLERANCE = dict(atol=1e-7, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# 9.1 and 9.2: one step of AdamW / Adam + L2
# ---------------------------------------------------------------------------------------------

# The learner's function: fn(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay) -> new p.
# exp_avg / exp_avg_sq are the moments BEFORE this step, `step` is the number of this step (1 = first).


def _reference_step(optimizer_cls, p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
    param = torch.nn.Parameter(p.clone())
    param.grad = grad.clone()
    opt = optimizer_cls([param], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    # Hand the optimiser the state it would have after step - 1 steps; step() then counts this one.
    opt.state[param] = {"step": step - 1, "exp_avg": exp_avg.clone(), "exp_avg_sq": exp_avg_sq.clone()}
    opt.step()
    return param.detach()


def _moments(g_m, g_v, exp_avg, exp_avg_sq, step, betas, eps, bias_correction=True):
    """m_hat and sqrt(v_hat) + eps, from the gradient that enters m (g_m) and the one that enters v (g_v)."""
    beta1, beta2 = betas
    m = beta1 * exp_avg + (1 - beta1) * g_m
    v = beta2 * exp_avg_sq + (1 - beta2) * g_v * g_v
    if bias_correction:
        m, v = m / (1 - beta1**step), v / (1 - beta2**step)
    return m, v.sqrt() + eps


def _adamw_no_bias_correction(p, grad, m, v, step, lr, betas, eps, wd):
    m_hat, denom = _moments(grad, grad, m, v, step, betas, eps, bias_correction=False)
    return p * (1 - lr * wd) - lr * m_hat / denom


def _adamw_decay_through_denominator(p, grad, m, v, step, lr, betas, eps, wd):
    m_hat, denom = _moments(grad, grad, m, v, step, betas, eps)
    return p - lr * (m_hat + wd * p) / denom  # the decay divided by sqrt(v_hat) + eps


def _adamw_decay_after_update(p, grad, m, v, step, lr, betas, eps, wd):
    m_hat, denom = _moments(grad, grad, m, v, step, betas, eps)
    return (p - lr * m_hat / denom) * (1 - lr * wd)  # the old transformers.AdamW order


def _l2_no_bias_correction(p, grad, m, v, step, lr, betas, eps, wd):
    g = grad + wd * p
    m_hat, denom = _moments(g, g, m, v, step, betas, eps, bias_correction=False)
    return p - lr * m_hat / denom


def _l2_only_in_first_moment(p, grad, m, v, step, lr, betas, eps, wd):
    m_hat, denom = _moments(grad + wd * p, grad, m, v, step, betas, eps)
    return p - lr * m_hat / denom


def _step_cases(seed: int, weight_decays: tuple[float, float, float, float]) -> list[Case]:
    g = case_generator(seed)

    def randn(*shape, scale=1.0):
        return scale * torch.randn(*shape, generator=g, dtype=torch.float64)

    def moments(*shape):
        return randn(*shape, scale=0.1), 0.05 * torch.rand(*shape, generator=g, dtype=torch.float64)

    cases = []
    shape = (4, 3)
    cases.append(Case((randn(*shape), randn(*shape), torch.zeros(shape, dtype=torch.float64),
                       torch.zeros(shape, dtype=torch.float64), 1, 0.05, (0.9, 0.999), 1e-8, weight_decays[0]),
                      label="the first step: zero moments, step 1"))
    cases.append(Case((randn(5), randn(5, scale=0.3), *moments(5), 7, 0.01, (0.8, 0.95), 1e-8, weight_decays[1]),
                      label="step 7 with earlier moments, betas (0.8, 0.95)"))
    cases.append(Case((randn(2, 2, 3), randn(2, 2, 3), *moments(2, 2, 3), 2, 0.003, (0.9, 0.999), 1e-6, 0.0),
                      label="weight_decay = 0"))
    cases.append(Case((randn(6, scale=2.0), randn(6, scale=5.0), *moments(6), 1000, 0.02, (0.9, 0.999), 1e-8,
                       weight_decays[3]), label="step 1000, large gradients"))
    return cases


@checker("9.1", "my_adamw_step")
def check_adamw_step(fn, name: str) -> Verdict:
    """Exercise 9.1: ``fn(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay)`` returns the
    parameter after one AdamW step (decoupled decay, as ``torch.optim.AdamW``)."""
    return run_check(fn, Check(
        "9.1", _step_cases(9101, (0.2, 0.1, 0.0, 0.5)),
        functools.partial(_reference_step, AdamW),
        name=name, what="AdamW step", **_STEP_TOLERANCE,
        diagnoses=[
            Diagnosis(functools.partial(_reference_step, AdamL2),
                      "you added weight_decay * p to the gradient: that is Adam + L2, the *coupled* form "
                      "(exercise 9.2). AdamW leaves the gradient alone and shrinks the weight itself, "
                      "p <- p * (1 - lr * weight_decay), before the Adam update (section 1, the table)."),
            Diagnosis(_adamw_no_bias_correction,
                      "your update has no bias correction. The moments start at zero, so divide them by "
                      "(1 - beta1**step) and (1 - beta2**step) before using them: m_hat / (sqrt(v_hat) + eps) "
                      "(section 1; without it the first step is about 3x too large, section 5)."),
            Diagnosis(_adamw_decay_through_denominator,
                      "your weight decay goes through the adaptive denominator: you divided weight_decay * p "
                      "by sqrt(v_hat) + eps. That is exactly what AdamW removes (section 3): the shrink "
                      "p * (1 - lr * weight_decay) must not depend on the gradient statistics."),
            Diagnosis(_adamw_decay_after_update,
                      "you applied the decay after the Adam update, as the old transformers.AdamW did "
                      "(section 5). torch.optim.AdamW shrinks first, p <- p * (1 - lr * weight_decay), then "
                      "subtracts lr * m_hat / (sqrt(v_hat) + eps) from the shrunk weight."),
        ],
    ))


@checker("9.2", "my_adam_l2_step")
def check_adam_l2_step(fn, name: str) -> Verdict:
    """Exercise 9.2: the same signature, one step of Adam + L2 (``torch.optim.Adam(weight_decay=...)``)."""
    return run_check(fn, Check(
        "9.2", _step_cases(9202, (0.5, 0.3, 0.0, 2.0)),
        functools.partial(_reference_step, AdamL2),
        name=name, what="Adam + L2 step", **_STEP_TOLERANCE,
        diagnoses=[
            Diagnosis(functools.partial(_reference_step, AdamW),
                      "you decayed the weight directly (or added weight_decay * p after the division): that is "
                      "AdamW's *decoupled* decay (exercise 9.1). Adam + L2 adds weight_decay * p to the "
                      "gradient *first*, g <- g + weight_decay * p, so it enters m and v (section 1, the table)."),
            Diagnosis(_l2_only_in_first_moment,
                      "the L2 term reached m but not v: you updated v with the clean gradient. With L2 the "
                      "penalised gradient g + weight_decay * p is *the* gradient, so both moments use it; that "
                      "is why the decay ends up divided by sqrt(v_hat) (section 3)."),
            Diagnosis(_l2_no_bias_correction,
                      "your update has no bias correction. The moments start at zero, so divide them by "
                      "(1 - beta1**step) and (1 - beta2**step) before using them: m_hat / (sqrt(v_hat) + eps)."),
        ],
    ))


# ---------------------------------------------------------------------------------------------
# 9.3: the no-decay split
# ---------------------------------------------------------------------------------------------

# Small BERT models built from course_lib; their parameter names are transformers' names.
_TINY = dict(vocab_size=60, hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=24,
             max_position_embeddings=20)


def _split_cases() -> list[Case]:
    from transformers import BertConfig  # imported here: only an attempt needs the models

    import course_lib

    torch.manual_seed(9303)  # the models' initial values do not matter: only their names do
    classifier = course_lib.BertForSequenceClassification(BertConfig(**_TINY, num_labels=3))
    masked_lm = course_lib.BertForMaskedLM(BertConfig(**_TINY))  # decoder tied to the word embeddings
    tagger = course_lib.BertForTokenClassification(BertConfig(**{**_TINY, "num_hidden_layers": 1}, num_labels=5))
    for p in tagger.bert.embeddings.parameters():
        p.requires_grad_(False)  # frozen: not trained, so in neither group
    return [
        Case((classifier,), label="a sequence classifier"),
        Case((masked_lm,), label="a masked-LM model whose decoder is tied to the word embeddings"),
        Case((tagger,), label="a token classifier with frozen embeddings"),
    ]


def _names_pair(result):
    """(sorted decay names, sorted no-decay names) if ``result`` has the right form, else None."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return None
    pair = []
    for part in result:
        if isinstance(part, str) or not isinstance(part, (list, tuple, set)):
            return None
        if not all(isinstance(name, str) for name in part):
            return None
        pair.append(sorted(part))
    return tuple(pair)


def _form_problem(result) -> str | None:
    if _names_pair(result) is not None:
        return None
    expected = _say("two name lists")
    if isinstance(result, (tuple, list)) and len(result) == 2 and all(isinstance(part, (list, tuple)) for part in result):
        items = [x for part in result for x in part]
        if any(isinstance(x, torch.Tensor) for x in items):
            return _say("parameters, not names", expected=expected)
        if any(isinstance(x, tuple) for x in items):
            return _say("pairs, not names", expected=expected)
    if isinstance(result, (tuple, list)):
        return _say("wrong length", kind=type(result).__name__, length=len(result), expected=expected)
    return _say("wrong kind", got=describe(result), expected=expected)


def _misplaced(case, got, expected) -> str | None:
    """Name the first parameter the learner put in the wrong place, for a hint more useful than 'differs'."""
    lists = ("decay_names", "no_decay_names")
    for which, (mine, right) in enumerate(zip(got, expected)):
        for name in mine:
            if name not in right:
                where = (_say("belongs in the other list", other=lists[1 - which]) if name in expected[1 - which]
                         else _say("not a parameter name"))
                return _say("misplaced", label=case.label, parameter=name, mine=lists[which], where=where)
    for which, (mine, right) in enumerate(zip(got, expected)):
        for name in right:
            if name not in mine:
                return _say("missing", label=case.label, parameter=name, mine=lists[which])
        if len(mine) != len(set(mine)):
            return _say("listed twice", label=case.label, mine=lists[which])
    return None


def _names(model, keep=lambda name, p: True, remove_duplicate=True):
    return [(n, p) for n, p in model.named_parameters(remove_duplicate=remove_duplicate) if keep(n, p)]


def _split_by(pairs, no_decay=("bias", "LayerNorm.weight")):
    decay = sorted(n for n, _ in pairs if not any(f in n for f in no_decay))
    skip = sorted(n for n, _ in pairs if any(f in n for f in no_decay))
    return decay, skip


def _reference_split(model):
    decay, skip = param_groups(model, weight_decay=0.01)
    return sorted(decay["names"]), sorted(skip["names"])


def _split_layernorm_decayed(model):
    return _split_by(_names(model, lambda n, p: p.requires_grad), no_decay=("bias",))


def _split_tied_twice(model):
    return _split_by(_names(model, lambda n, p: p.requires_grad, remove_duplicate=False))


def _split_frozen_included(model):
    return _split_by(_names(model))


def _split_swapped(model):
    decay, skip = _reference_split(model)
    return skip, decay


@checker("9.3", "my_no_decay_split")
def check_no_decay_split(fn, name: str) -> Verdict:
    """Exercise 9.3: ``fn(model)`` returns ``(decay_names, no_decay_names)``, the names of the trainable
    parameters that get weight decay and those that do not (biases and LayerNorm weights), each tensor once."""
    def check_answer(got, case, number):
        problem = _form_problem(got)
        return _say("form problem", name=name, problem=problem) if problem else None

    def on_differs(number, case, got, expected):
        where = _misplaced(case, got, expected)
        if where:
            return _say("the rule", where=where)
        return None

    return run_check(fn, Check(
        "9.3", _split_cases(), _reference_split, name=name, what="split into decayed and not-decayed names",
        check_answer=check_answer, on_differs=on_differs, compare=_names_pair,
        diagnoses=[
            Diagnosis(_split_swapped,
                      "your two lists are swapped: return the decayed names first, (decay_names, "
                      "no_decay_names). Weight matrices and embeddings are decayed; biases and LayerNorm "
                      "weights are not (section 7)."),
            Diagnosis(_split_layernorm_decayed,
                      "you decayed the LayerNorm weights: only biases are in your no-decay list. The recipe "
                      "also excludes every name containing 'LayerNorm.weight' (the norm gains), since decaying a "
                      "gain pulls the layer's output scale towards zero (section 7)."),
            Diagnosis(_split_tied_twice,
                      "you counted a tied matrix twice: the MLM decoder weight IS the word-embedding matrix "
                      "(and its bias is cls.predictions.bias), one tensor with two names. Each tensor must be "
                      "listed once, under its first name: `model.named_parameters()` (the default "
                      "remove_duplicate=True) does that; `remove_duplicate=False` or the state_dict does not."),
            Diagnosis(_split_frozen_included,
                      "you listed frozen parameters (requires_grad=False). The optimiser never updates them, "
                      "so they belong in neither group: skip them, as `param_groups` does."),
        ],
    ))
