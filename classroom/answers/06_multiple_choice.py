"""Notebook 06_multiple_choice: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q6_1
# points: 2
import torch
from course_lib.exercises.ch06 import check_flatten_choices

def my_flatten_choices(tensor):
    """[B, C, ...] -> [B * C, ...]: row b * C + c is question b, choice c."""
    # Merge only the first two axes and keep the rest (tokens, and hidden for inputs_embeds).
    # Row-major order puts the C choices of a question next to each other: b * C + c.
    # reshape, not view: a slice such as many[:, :c] is not contiguous, and view refuses it.
    return tensor.reshape(-1, *tensor.shape[2:])

check_flatten_choices(my_flatten_choices)
# END QUESTION


# BEGIN QUESTION
# name: q6_2
# points: 2
import torch
import torch.nn.functional as F
from course_lib.exercises.ch06 import check_multiple_choice_loss

def my_multiple_choice_loss(scores, labels, num_choices):
    """Cross-entropy over the choices from scores [B * C, 1] and labels [B] (-100 = skip): shape ()."""
    # Row b * C + c is (question b, choice c), so B rows of C neighbouring scores: [B, C].
    logits = scores.view(-1, num_choices)
    # The choices of one question compete: softmax across each row.
    log_probs = logits.log_softmax(dim=-1)
    # -100 skips a question: leave it out of both the sum and the count.
    keep = labels != -100
    picked = log_probs[keep].gather(1, labels[keep].unsqueeze(1))  # log p(right choice), [kept, 1]
    return -picked.mean()  # the same as F.cross_entropy(logits, labels), whose ignore_index is -100

check_multiple_choice_loss(my_multiple_choice_loss)
# END QUESTION
