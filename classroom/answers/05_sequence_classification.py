"""Notebook 05_sequence_classification: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q5_1
# points: 2
import torch
from course_lib.exercises.ch05 import check_problem_type

def my_problem_type(num_labels, labels):
    """The problem_type transformers infers from num_labels and the labels' dtype."""
    # One output can only be a score, whatever the labels look like: num_labels decides first.
    if num_labels == 1:
        return "regression"
    # Only int64 (torch.long) and int32 (torch.int) labels are read as class ids ...
    if labels.dtype in (torch.long, torch.int):
        return "single_label_classification"
    # ... every other dtype falls through: float multi-hot labels, as intended, but also int16, uint8
    # and bool labels, for which binary cross-entropy then fails (section 4). The shape plays no role.
    return "multi_label_classification"

check_problem_type(my_problem_type)
# END QUESTION


# BEGIN QUESTION
# name: q5_2
# points: 2
import torch
from course_lib.exercises.ch05 import check_regression_loss

def my_regression_loss(logits, labels):
    """Mean squared error of logits [B, 1] against labels [B]: a tensor of shape ()."""
    # Drop the output axis first, [B, 1] -> [B]: without it, logits - labels broadcasts to a
    # [B, B] table that compares every prediction with every target.
    predictions = logits.squeeze(-1)
    # Square each example's error, then average over the batch (a mean, not a sum).
    return ((predictions - labels) ** 2).mean()

check_regression_loss(my_regression_loss)
# END QUESTION


# BEGIN QUESTION
# name: q5_3
# points: 2
import torch
import torch.nn.functional as F
from course_lib.exercises.ch05 import check_multi_label_loss

def my_multi_label_loss(logits, labels):
    """Binary cross-entropy of logits [B, L] against multi-hot labels [B, L], averaged over all cells."""
    # Each (example, label) cell is its own yes/no question with p = sigmoid(logit): no softmax, the
    # labels do not compete. Both log-probabilities come straight from the logits, so they stay finite
    # where sigmoid(x) rounds to 1.0 (x above about 17 in float32) and log(1 - p) would be log(0).
    log_p = F.logsigmoid(logits)           # log p
    log_not_p = F.logsigmoid(-logits)      # log(1 - p), since 1 - sigmoid(x) = sigmoid(-x)
    per_cell = -(labels * log_p + (1 - labels) * log_not_p)  # [B, L]
    # Average over examples AND labels, as BCEWithLogitsLoss does.
    return per_cell.mean()

check_multi_label_loss(my_multi_label_loss)
# END QUESTION
