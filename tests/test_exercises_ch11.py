"""Exercise checkers of notebook 11: right answers pass, typical wrong answers get their hint, and
nothing, the wrong type, the wrong shape or a crash gets a helpful message (never a traceback)."""

import time

import pytest
import torch

from course_lib.evaluation import accuracy
from course_lib.exercises import ch11
from course_lib.exercises.ch11 import check_masked_accuracy, check_training_step
from course_lib.training import train
from helpers import by_checker, same_message_twice, try_again

# ---- right answers --------------------------------------------------------------------------


def good_step(model, batch, optimizer, scheduler, max_grad_norm):
    model.train()
    output = model(**batch)
    output.loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=max_grad_norm)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    return float(output.loss)


def good_step_zero_grad_first(model, batch, optimizer, scheduler, max_grad_norm):
    optimizer.zero_grad()  # clearing before the backward is just as right
    loss = model(**batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    scheduler.step()
    return loss.item()


def good_accuracy(logits, labels):
    keep = labels != -100
    correct = (logits.argmax(dim=-1) == labels) & keep
    return correct.sum().item() / keep.sum().item()


def good_accuracy_tensor(logits, labels):
    keep = labels != -100
    return (logits[keep].argmax(-1) == labels[keep]).float().mean()  # a 0-d tensor is one number too


@pytest.mark.parametrize("checker, fn", [(check_training_step, good_step),
                                         (check_training_step, good_step_zero_grad_first),
                                         (check_training_step, ch11.reference_training_step),
                                         (check_masked_accuracy, good_accuracy),
                                         (check_masked_accuracy, good_accuracy_tensor),
                                         (check_masked_accuracy, ch11.reference_masked_accuracy)],
                         ids=lambda x: getattr(x, "__name__", None))
def test_right_answer_passes(checker, fn, capsys):
    verdict = checker(fn)
    assert verdict, verdict.message
    assert capsys.readouterr().out == str(verdict) + "\n"
    assert str(verdict).startswith(f"[PASS] Exercise {verdict.exercise}:")


# ---- the references are the course's implementations -----------------------------------------


def test_training_step_reference_is_the_loop_of_course_lib_training():
    run = ch11._runs()[1]
    batches = ch11._batches(run)
    data = {k: torch.cat([b[k] for b in batches]) for k in batches[0]}
    # course_lib.training.train with the same model, optimizer and schedule, no shuffling (batches in order)
    model = ch11._tiny_model(run)
    optimizer = ch11.AdamW(ch11.param_groups(model, weight_decay=0.01), lr=run.lr)
    scheduler = ch11.get_scheduler("linear", optimizer, num_warmup_steps=run.warmup, num_training_steps=run.steps)
    original_randperm = torch.randperm
    try:
        torch.randperm = lambda n, generator=None: torch.arange(n)
        losses = train(model, data, steps=run.steps, batch_size=run.batch_size, max_grad_norm=run.max_grad_norm,
                       optimizer=optimizer, scheduler=scheduler)
    finally:
        torch.randperm = original_randperm
    ours = ch11._training_run(ch11.reference_training_step, run)
    torch.testing.assert_close(ours[: run.steps], torch.tensor(losses, dtype=torch.float64))
    weights = torch.cat([w.detach().double().flatten() for w in
                         (model.classifier.weight, model.classifier.bias,
                          model.bert.embeddings.word_embeddings.weight,
                          model.bert.encoder.layer[0].output.LayerNorm.weight)])
    torch.testing.assert_close(ours[run.steps:], weights)


def test_masked_accuracy_reference_is_course_lib_accuracy_without_ignored_positions():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0], [0.0, 5.0]])
    labels = torch.tensor([0, 0, -100, 1])
    assert ch11.reference_masked_accuracy(logits, labels) == pytest.approx(2 / 3)
    assert ch11.reference_masked_accuracy(logits[[0, 1, 3]], labels[[0, 1, 3]]) == accuracy(logits[[0, 1, 3]],
                                                                                              labels[[0, 1, 3]])


# ---- typical mistakes get their specific hint --------------------------------------------------


# A planted step differs from the right one only in which parts run after the backward pass, and in
# what order: one line per mistake keeps the mistake in plain sight.
STEP_PARTS = {
    "clip": lambda model, optimizer, scheduler, max_norm: torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm),
    "update": lambda model, optimizer, scheduler, max_norm: optimizer.step(),
    "schedule": lambda model, optimizer, scheduler, max_norm: scheduler.step(),
    "zero_grad": lambda model, optimizer, scheduler, max_norm: optimizer.zero_grad(),
    "model.zero_grad": lambda model, optimizer, scheduler, max_norm: model.zero_grad(),
}


def step_running(name, *parts):
    """A training step called ``name`` that runs ``parts`` (keys of STEP_PARTS) after the backward pass."""
    unknown = [part for part in parts if part not in STEP_PARTS]
    assert not unknown, f"unknown step parts {unknown}; known: {sorted(STEP_PARTS)}"

    def step(model, batch, optimizer, scheduler, max_grad_norm):
        loss = model(**batch).loss
        loss.backward()
        for part in parts:
            STEP_PARTS[part](model, optimizer, scheduler, max_grad_norm)
        return loss.item()

    step.__name__ = step.__qualname__ = name  # the test ids below read it
    return step


step_no_zero_grad = step_running("step_no_zero_grad", "clip", "update", "schedule")
step_zero_grad_too_early = step_running("step_zero_grad_too_early", "clip", "model.zero_grad", "update", "schedule")
step_no_clip = step_running("step_no_clip", "update", "schedule", "zero_grad")
step_clip_after_update = step_running("step_clip_after_update", "update", "clip", "schedule", "zero_grad")
step_schedule_first = step_running("step_schedule_first", "clip", "schedule", "update", "zero_grad")
step_no_schedule = step_running("step_no_schedule", "clip", "update", "zero_grad")


def accuracy_counts_ignored(logits, labels):
    return (logits.argmax(-1) == labels).float().mean().item()


def accuracy_ignored_as_zero(logits, labels):
    labels = torch.where(labels == -100, torch.zeros_like(labels), labels)
    return (logits.argmax(-1) == labels).float().mean().item()


def accuracy_count(logits, labels):
    keep = labels != -100
    return (logits.argmax(-1)[keep] == labels[keep]).sum().item()


def accuracy_per_sequence(logits, labels):
    keep = labels != -100
    correct = (logits.argmax(-1) == labels) & keep
    if labels.dim() == 1:
        return correct.sum().item() / keep.sum().item()
    return (correct.sum(1) / keep.sum(1)).mean().item()


@pytest.mark.parametrize("checker, wrong, phrase", by_checker({
    check_training_step: [
        (step_no_zero_grad, "gradients pile up"),
        (step_zero_grad_too_early, "clear the gradients before `optimizer.step()`"),
        (step_no_clip, "not clipped"),
        (step_clip_after_update, "not clipped"),
        (step_schedule_first, "`scheduler.step()` comes before `optimizer.step()`"),
        (step_no_schedule, "the learning rate never changes"),
    ],
    check_masked_accuracy: [
        (accuracy_counts_ignored, "denominator counts the positions labelled -100"),
        (accuracy_ignored_as_zero, "turned -100 into class 0"),
        (accuracy_count, "NUMBER of correct positions"),
        (accuracy_per_sequence, "one accuracy per sequence"),
    ],
}), ids=lambda x: getattr(x, "__name__", None))
def test_typical_mistake_gets_its_hint(checker, wrong, phrase):
    try_again(checker, wrong, phrase)


def step_wrong_learning_rate(model, batch, optimizer, scheduler, max_grad_norm):
    loss = model(**batch).loss
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    for group in optimizer.param_groups:
        group["lr"] *= 1.5  # an unknown mistake
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    return loss.item()


def test_unknown_mistake_gets_the_general_message():
    verdict = check_training_step(step_wrong_learning_rate, print_verdict=False)
    assert verdict.status == "try again" and "differs from the reference on input" in verdict.message


# ---- nothing, templates, wrong types and shapes, crashes ---------------------------------------


def step_returns_nothing(model, batch, optimizer, scheduler, max_grad_norm):
    good_step(model, batch, optimizer, scheduler, max_grad_norm)


def step_returns_the_tensor(model, batch, optimizer, scheduler, max_grad_norm):
    loss = model(**batch).loss
    good_step(model, batch, optimizer, scheduler, max_grad_norm)
    return loss


def accuracy_per_position(logits, labels):
    correct = logits.argmax(-1) == labels
    return correct.float()


def accuracy_as_list(logits, labels):
    result = [good_accuracy(logits, labels)]
    return result


@pytest.mark.parametrize("checker, wrong, phrase", by_checker({
    check_training_step: [
        (step_returns_nothing, "returned None (did you forget `return`?)"),
        (step_returns_the_tensor, "returned the loss tensor; return `loss.item()`"),
    ],
    check_masked_accuracy: [
        (accuracy_per_position, "returned a tensor of shape (12,)"),
        (accuracy_as_list, "returned a list on input 1"),
    ],
}), ids=lambda x: getattr(x, "__name__", None))
def test_wrong_type_or_shape_is_named(checker, wrong, phrase):
    try_again(checker, wrong, phrase)


def crashes(*args):
    mismatched = torch.zeros(len(args), 3) @ torch.zeros(2, 2)  # whatever the inputs: a shape error
    return mismatched


@pytest.mark.parametrize("checker, wrong", [(check_training_step, step_schedule_first),
                                            (check_training_step, crashes),
                                            (check_masked_accuracy, accuracy_per_sequence)])
def test_messages_are_deterministic(checker, wrong):
    same_message_twice(checker, wrong)


def test_checker_restores_the_thread_count():
    threads = torch.get_num_threads()
    check_training_step(good_step, print_verdict=False)
    assert torch.get_num_threads() == threads


@pytest.mark.parametrize("checker, fn", [(check_training_step, good_step), (check_masked_accuracy, good_accuracy)])
def test_a_check_takes_under_a_second(checker, fn):
    checker(fn, print_verdict=False)  # warm-up: imports, the cached reference runs
    start = time.perf_counter()
    checker(fn, print_verdict=False)
    assert time.perf_counter() - start < 1.0
