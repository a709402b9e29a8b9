"""Notebook 11_fine_tuning_capstone: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q11_1
# points: 4
import torch
from course_lib.exercises.ch11 import check_training_step

def my_training_step(model, batch, optimizer, scheduler, max_grad_norm):
    """One fine-tuning step on `batch`; returns the batch loss as a Python float."""
    loss = model(**batch).loss  # forward with labels: the model computes the cross-entropy itself
    loss.backward()             # backward ADDS to every .grad, so they are cleared after the update
    # Clip between backward and step: the update must use the clipped gradients.
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()            # the update, at the learning rate the schedule set for THIS step
    scheduler.step()            # only then move the schedule on to the next step's rate
    optimizer.zero_grad(set_to_none=True)  # a clean slate for the next batch
    return loss.item()          # a float: keeping the tensor would keep the step's whole graph alive

check_training_step(my_training_step)
# END QUESTION


# BEGIN QUESTION
# name: q11_2
# points: 2
import torch
from course_lib.exercises.ch11 import check_masked_accuracy

def my_masked_accuracy(logits, labels):
    """Share of the positions not labelled -100 whose highest logit is the label."""
    keep = labels != -100                       # the scored positions, any number of leading axes
    predicted = logits.argmax(dim=-1)           # the highest-scoring class at every position
    correct = (predicted == labels) & keep      # -100 never equals a class id; `& keep` says so explicitly
    return (correct.sum() / keep.sum()).item()  # pool the whole batch, divide once (a micro average)

check_masked_accuracy(my_masked_accuracy)
# END QUESTION
