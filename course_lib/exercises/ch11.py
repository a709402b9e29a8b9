"""Checkers for the exercises of notebook 11 (the fine-tuning capstone).

- 11.1 :func:`check_training_step`: one step of the fine-tuning loop (forward with labels, backward,
  clip, optimizer step, schedule step, clear the gradients), returning the batch loss as a float;
- 11.2 :func:`check_masked_accuracy`: accuracy from logits and labels, positions labelled -100 left
  out, for one label per sentence and for one label per token.

The references are the course's own code: the loop body of ``course_lib.training.train`` (the loop
of notebook 11 section 4) and ``course_lib.evaluation.accuracy`` on the kept positions. A learner's
training step is run for a few steps on a tiny random ``BertForSequenceClassification`` (dropout
off, so a step is deterministic), from the same seeded start as the reference; the checker compares
the losses and the weights. The diagnoses run the typical wrong loops on the same start.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import torch

from ..evaluation import accuracy
from ..losses import IGNORE_INDEX
from ..training.optim import AdamW, param_groups
from ..training.schedules import get_scheduler
from . import Case, Check, Diagnosis, Verdict, WrongAnswer, as_number, chapter_say, checker, describe, run_check
from .inputs import case_generator, case_seed

__all__ = ["check_training_step", "check_masked_accuracy", "reference_training_step", "reference_masked_accuracy"]

#: What this chapter's checks say beyond their hints (other languages: course_lib/exercises/messages_*.json).
MESSAGES = {
    "not a float": "`{name}` returned {got}; it should return the batch loss as one Python float: `loss.item()`.",
    "a loss tensor": "`{name}` returned the loss tensor; return `loss.item()`, a Python float. A tensor that requires "
                     "grad keeps the whole graph of the step alive in your list of losses.",
    "not a share": "`{name}` returned {got} on input {number} ({label}); it should return one number, the share of "
                   "correct positions, such as 0.75 (`.item()` turns a one-element tensor into a float).",
}
_say = chapter_say(__name__, MESSAGES)


# --------------------------------------------------------------------------------------------
# 11.1 One training step
# --------------------------------------------------------------------------------------------


def reference_training_step(model, batch, optimizer, scheduler, max_grad_norm):
    """One step of the loop of ``course_lib.training.train`` (notebook 11 section 4)."""
    loss = model(**batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def _step_in_order(*parts):
    """A training step that runs ``parts`` after the backward pass, in this order. The reference runs
    ("clip", "step", "schedule", "zero_grad"); each known mistake below leaves out or moves one of them."""

    def step(model, batch, optimizer, scheduler, max_grad_norm):
        loss = model(**batch).loss
        loss.backward()
        for part in parts:
            if part == "clip":
                torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            elif part == "step":
                optimizer.step()
            elif part == "schedule":
                scheduler.step()
            else:
                optimizer.zero_grad(set_to_none=True)
        return loss.item()

    return step


_step_without_zero_grad = _step_in_order("clip", "step", "schedule")
_step_without_clipping = _step_in_order("step", "schedule", "zero_grad")
_step_schedule_first = _step_in_order("clip", "schedule", "step", "zero_grad")
_step_without_schedule = _step_in_order("clip", "step", "zero_grad")
_step_zero_grad_before_step = _step_in_order("zero_grad", "step", "schedule")


@dataclass(frozen=True)
class _Run:
    """A short fine-tuning run on a tiny random BERT: everything but the step itself."""

    optimizer: str  # "adamw" (the recipe) or "sgd"
    lr: float
    warmup: int
    steps: int
    max_grad_norm: float
    batch_size: int
    num_labels: int
    seed: int

    def __str__(self) -> str:
        return (f"{self.optimizer}, lr {self.lr:g}, {self.warmup} warmup steps of {self.steps}, "
                f"max_grad_norm {self.max_grad_norm:g}, batches of {self.batch_size}")


def _tiny_model(run: _Run):
    from transformers import BertConfig

    from ..models.sequence_classification import BertForSequenceClassification

    config = BertConfig(vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=16, num_labels=run.num_labels,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)  # deterministic steps
    torch.manual_seed(run.seed)
    model = BertForSequenceClassification(config)
    model.train()
    return model


def _batches(run: _Run):
    g = case_generator(run.seed + 1)
    out = []
    for _ in range(run.steps):
        ids = torch.randint(5, 40, (run.batch_size, 8), generator=g)
        keep = torch.ones_like(ids)
        keep[0, 6:] = 0  # a little padding
        ids[0, 6:] = 0
        labels = torch.randint(run.num_labels, (run.batch_size,), generator=g)
        out.append({"input_ids": ids, "attention_mask": keep, "labels": labels})
    return out


def _training_run(step_fn, run: _Run, returned=None):
    """Run ``step_fn`` ``run.steps`` times from the seeded start; return the losses followed by the
    final weights of a few tensors (the head, the embeddings, one bias, one LayerNorm), as one tensor."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tensors this small only lose time to thread hand-offs
    try:
        return _run_steps(step_fn, run, returned)
    finally:
        torch.set_num_threads(threads)


def _run_steps(step_fn, run: _Run, returned):
    model = _tiny_model(run)
    if run.optimizer == "adamw":
        optimizer = AdamW(param_groups(model, weight_decay=0.01), lr=run.lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=run.lr)
    scheduler = get_scheduler("linear", optimizer, num_warmup_steps=run.warmup, num_training_steps=run.steps)
    losses = []
    for batch in _batches(run):
        with warnings.catch_warnings():  # torch warns when scheduler.step() comes first: the hint says it better
            warnings.simplefilter("ignore")
            value = step_fn(model, batch, optimizer, scheduler, run.max_grad_norm)
        if returned is not None:
            returned.append(value)
        losses.append(as_number(value))
    if any(loss is None for loss in losses):
        raise _NotANumber
    weights = [model.classifier.weight, model.classifier.bias, model.bert.embeddings.word_embeddings.weight,
               model.bert.encoder.layer[0].output.LayerNorm.weight]
    return torch.cat([torch.tensor(losses, dtype=torch.float64)] + [w.detach().double().flatten() for w in weights])


@functools.cache
def _known_run(step_fn, run: _Run):
    """The reference's (and each known mistake's) run: deterministic, so computed once per session."""
    return _training_run(step_fn, run)


class _NotANumber(Exception):
    """The step returned something other than one number (caught before run_check sees it)."""


def _runs() -> list[_Run]:
    return [
        _Run("adamw", 1e-2, 0, 3, 0.5, 1, 2, case_seed(1103)),   # no warmup (the first step already moves), batches of one
        _Run("adamw", 5e-3, 2, 4, 1.0, 4, 2, case_seed(1101)),   # the recipe: AdamW, no-decay groups, linear warmup
        _Run("sgd", 0.5, 1, 3, 0.05, 3, 3, case_seed(1102)),     # plain SGD and a tight clip: clipping shows clearly
    ]


@checker("11.1", "my_training_step")
def check_training_step(fn, name: str) -> Verdict:
    """Exercise 11.1: ``fn(model, batch, optimizer, scheduler, max_grad_norm)`` makes one training step
    and returns the batch loss as a Python float."""
    exercise = "11.1"
    section = " (notebook section 4)"
    cases = [Case(args=(run,), label=str(run)) for run in _runs()]

    def learner_run(run):
        returned = []  # the return value first: one number, not the loss tensor, not None
        try:
            result = _training_run(fn, run, returned)
        except _NotANumber:
            bad = next(value for value in returned if as_number(value) is None)
            raise WrongAnswer(_say("not a float", name=name, got=describe(bad))) from None
        if isinstance(returned[0], torch.Tensor):
            raise WrongAnswer(_say("a loss tensor", name=name))
        return result

    checked = functools.wraps(fn)(learner_run)
    diagnoses = [
        Diagnosis(functools.partial(_known_run, _step_without_zero_grad),
                  "your gradients pile up from one step to the next: `backward` ADDS to `.grad`, so clear them "
                  "after each update with `optimizer.zero_grad(set_to_none=True)`" + section + "."),
        Diagnosis(functools.partial(_known_run, _step_zero_grad_before_step),
                  "you clear the gradients before `optimizer.step()`, so the step has nothing to apply and the "
                  "weights never move. Clear them AFTER the update (or before the next backward)" + section + "."),
        Diagnosis(functools.partial(_known_run, _step_without_clipping),
                  "the gradients are not clipped: call `torch.nn.utils.clip_grad_norm_(model.parameters(), "
                  "max_grad_norm)` after `backward` and before `optimizer.step()`" + section + "."),
        Diagnosis(functools.partial(_known_run, _step_schedule_first),
                  "`scheduler.step()` comes before `optimizer.step()`, so every update uses the NEXT step's "
                  "learning rate (and the first one is not 0). Step the optimizer first, then the "
                  "schedule (notebook section 3, the step convention)."),
        Diagnosis(functools.partial(_known_run, _step_without_schedule),
                  "the learning rate never changes: call `scheduler.step()` once after every "
                  "`optimizer.step()`. With a warmup the rate stays at its step-0 value, 0, and nothing "
                  "trains" + section + "."),
    ]
    steps = sum(case.args[0].steps for case in cases)
    return run_check(checked, Check(
        exercise, cases, functools.partial(_known_run, reference_training_step),
        name=name, what="training run (losses and weights after each run)", diagnoses=diagnoses, atol=1e-6, rtol=1e-5,
        pass_message=f"your training step gives the reference losses and weights over {steps} steps of {len(cases)} "
                     "fresh runs (AdamW and SGD, with and without warmup).",
    ))


# --------------------------------------------------------------------------------------------
# 11.2 Accuracy with -100 left out
# --------------------------------------------------------------------------------------------


def reference_masked_accuracy(logits, labels):
    """``course_lib.evaluation.accuracy`` on the positions whose label is not -100: the share of them
    whose highest logit is the label. ``logits [..., C]``, ``labels [...]``."""
    keep = labels != IGNORE_INDEX
    return accuracy(logits[keep], labels[keep])


def _counts_ignored(logits, labels):
    return ((logits.argmax(-1) == labels).sum() / labels.numel()).item()


def _counts_ignored_as_class_0(logits, labels):
    return (logits.argmax(-1) == labels.clamp(min=0)).float().mean().item()


def _number_correct(logits, labels):
    keep = labels != IGNORE_INDEX
    return int((logits.argmax(-1)[keep] == labels[keep]).sum())


def _mean_per_sequence(logits, labels):
    keep = labels != IGNORE_INDEX
    if labels.dim() < 2:
        return reference_masked_accuracy(logits, labels)
    correct = ((logits.argmax(-1) == labels) & keep).sum(-1).double()
    return (correct / keep.sum(-1)).mean().item()


def _accuracy_cases() -> list[Case]:
    g = case_generator(1121)
    cases = []
    # one label per sentence, no -100: what notebook 11 measures
    logits = torch.randn(12, 2, generator=g)
    labels = torch.randint(2, (12,), generator=g)
    cases.append(Case(args=(logits, labels), label="one label per sentence, logits [12, 2]"))
    # one label per token, with -100 on padding, [CLS]/[SEP] and continuation pieces; rows of different lengths
    logits = torch.randn(3, 10, 5, generator=g)
    labels = torch.randint(5, (3, 10), generator=g)
    labels[:, 0] = IGNORE_INDEX
    labels[0, 8:] = labels[1, 4:] = labels[2, 9:] = IGNORE_INDEX
    labels[2, 3] = labels[2, 5] = IGNORE_INDEX
    labels[1, 1] = logits[1, 1].argmax()  # the short row: some right, some wrong
    labels[1, 2] = (logits[1, 2].argmax() + 1) % 5
    cases.append(Case(args=(logits, labels), label="one label per token, logits [3, 10, 5] with -100"))
    # one label per example, some of them -100 (examples left out of the score)
    logits = torch.randn(6, 3, generator=g)
    labels = (logits.argmax(-1) + torch.tensor([0, 1, 0, 2, 0, 1])) % 3  # examples 0, 2 and 4 right
    labels[1] = labels[4] = IGNORE_INDEX
    cases.append(Case(args=(logits, labels), label="one label per example, two of them -100"))
    return cases


@checker("11.2", "my_masked_accuracy")
def check_masked_accuracy(fn, name: str) -> Verdict:
    """Exercise 11.2: ``fn(logits, labels)`` returns the share (a float in [0, 1]) of the positions
    not labelled -100 whose highest logit is the label."""
    exercise = "11.2"

    def check_answer(value, case, number):
        if as_number(value) is None:
            return _say("not a share", name=name, got=describe(value), number=number, label=case.label)
        return None

    diagnoses = [
        Diagnosis(_number_correct,
                  "you returned the NUMBER of correct positions; accuracy is a share: divide by the number of "
                  "positions whose label is not -100."),
        Diagnosis(_counts_ignored,
                  "your denominator counts the positions labelled -100. They are padding, special tokens or "
                  "continuation pieces, not predictions to score: keep `labels != -100` and divide by their count."),
        Diagnosis(_counts_ignored_as_class_0,
                  "you turned -100 into class 0 and scored those positions too. Leave them out entirely: select "
                  "the kept positions with `keep = labels != -100`, then compare `logits[keep].argmax(-1)` with "
                  "`labels[keep]`."),
        Diagnosis(_mean_per_sequence,
                  "you averaged one accuracy per sequence. Sequences have different numbers of scored tokens, "
                  "so pool all kept positions of the batch first and divide once (a micro average)."),
    ]
    return run_check(fn, Check(exercise, _accuracy_cases(), reference_masked_accuracy, name=name, what="accuracy",
                               diagnoses=diagnoses, atol=1e-6, rtol=1e-6, check_answer=check_answer))
