"""Notebook 02_pretraining_heads_and_loss: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q2_1
# points: 2
from course_lib.exercises.ch02 import check_mlm_loss


def my_mlm_loss(logits, labels):
    """Mean cross-entropy over the positions whose label is not -100. logits [B, T, vocab], labels [B, T]."""
    scored = labels != -100                                  # [B, T]: True at the masked positions only
    log_probs = logits[scored].log_softmax(dim=-1)           # [N, vocab]: the N scored positions, the rest dropped
    picked = log_probs.gather(1, labels[scored].unsqueeze(1)).squeeze(1)   # [N]: log p(original token)
    # The mean over the N scored positions, not over all B x T: the ignored positions are neither summed nor
    # counted, and every scored token weighs the same, whichever sequence it is in. One call gives the same:
    # F.cross_entropy(logits.reshape(-1, vocab), labels.reshape(-1)), whose ignore_index is -100 by default.
    return -picked.mean()


check_mlm_loss(my_mlm_loss)
# END QUESTION


# BEGIN QUESTION
# name: q2_2
# points: 2
from course_lib.exercises.ch02 import check_nsp_loss


def my_nsp_loss(seq_relationship_logits, next_sentence_label):
    """Mean two-class cross-entropy. logits [B, 2]; labels [B]: 0 = B follows A, 1 = B is random."""
    log_probs = seq_relationship_logits.log_softmax(dim=-1)                     # [B, 2]: a softmax over *both* logits
    picked = log_probs.gather(1, next_sentence_label.unsqueeze(1)).squeeze(1)   # label 0 reads logit 0, label 1 logit 1
    return -picked.mean()                                                       # the mean over the sequences


check_nsp_loss(my_nsp_loss)
# END QUESTION


# BEGIN QUESTION
# name: q2_3
# points: 2
import torch.nn.functional as F

from course_lib.exercises.ch02 import check_pretraining_loss


def my_pretraining_loss(prediction_logits, seq_relationship_logits, labels, next_sentence_label):
    """BertForPreTraining's loss from its two outputs and its two label sets."""
    vocab_size = prediction_logits.shape[-1]
    mlm = F.cross_entropy(prediction_logits.reshape(-1, vocab_size), labels.reshape(-1))  # ignore_index=-100
    nsp = F.cross_entropy(seq_relationship_logits.reshape(-1, 2), next_sentence_label.reshape(-1))
    return mlm + nsp    # a plain sum of the two means: no weights, no division by 2


check_pretraining_loss(my_pretraining_loss)
# END QUESTION
