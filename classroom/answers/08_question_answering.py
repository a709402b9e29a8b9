"""Notebook 08_question_answering: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q8_1
# points: 2
import torch.nn.functional as F

from course_lib.exercises.ch08 import check_qa_loss


def my_qa_loss(start_logits, end_logits, start_positions, end_positions):
    """(start_loss + end_loss) / 2, positions clamped into [0, seq_len] and seq_len ignored."""
    seq_len = start_logits.shape[1]
    # Beyond the input -> seq_len, one past the last token: a class that does not exist, which the
    # cross-entropy is told to ignore. Negative -> 0, the [CLS] token ("no answer"), which still counts.
    start_positions = start_positions.clamp(0, seq_len)
    end_positions = end_positions.clamp(0, seq_len)
    # Each boundary is its own classification over the positions, with its own mean over the
    # positions that count: an example whose end was cut off still trains its start.
    start_loss = F.cross_entropy(start_logits, start_positions, ignore_index=seq_len)
    end_loss = F.cross_entropy(end_logits, end_positions, ignore_index=seq_len)
    return (start_loss + end_loss) / 2  # averaged, not summed: the scale of one classification


check_qa_loss(my_qa_loss)
# END QUESTION


# BEGIN QUESTION
# name: q8_2
# points: 4
from course_lib.exercises.ch08 import check_best_span


def my_best_span(start_logits, end_logits, context_mask, max_answer_length, allow_no_answer):
    """(start, end) of the best allowed span of ONE example, or (0, 0) for "no answer"."""
    seq_len = start_logits.shape[0]
    best, best_score = None, float("-inf")
    for i in range(seq_len):
        if not context_mask[i]:
            continue  # an answer starts in the context: never in the question, [CLS], [SEP] or padding
        # Its end: not before the start, at most max_answer_length tokens (j < i + max_answer_length),
        # and in the context too.
        for j in range(i, min(i + max_answer_length, seq_len)):
            if context_mask[j]:
                score = float(start_logits[i] + end_logits[j])  # a PAIR is scored, not two separate argmaxes
                if score > best_score:
                    best, best_score = (i, j), score
    null_score = float(start_logits[0] + end_logits[0])  # the [CLS] pair, "no answer"
    if allow_no_answer and null_score > best_score:
        return (0, 0)  # only when SQuAD v2's "no answer" is allowed and beats every span
    return best


check_best_span(my_best_span)
# END QUESTION
