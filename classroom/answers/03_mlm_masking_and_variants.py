"""Notebook 03_mlm_masking_and_variants: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q3_1
# points: 4
import torch
from course_lib.exercises.ch03 import check_mlm_replacement

def my_mlm_replacement(input_ids, selected, mask_draw, random_draw, random_ids, mask_token_id):
    """The ids the model sees after BERT's 80/10/10 replacement: a new [batch, seq] tensor."""
    to_mask = selected & mask_draw                    # 15 % x 80 %: shown as [MASK]
    to_random = selected & ~mask_draw & random_draw   # 15 % x 20 % x 50 % = 15 % x 10 %: a random token
    # The remaining selected tokens (15 % x 10 %) stay as they are, but are still scored by the loss.
    inputs = input_ids.clone()                        # a copy: the caller still needs the ids for the labels
    inputs[to_mask] = mask_token_id
    inputs[to_random] = random_ids[to_random]
    return inputs

check_mlm_replacement(my_mlm_replacement)
# END QUESTION


# BEGIN QUESTION
# name: q3_2
# points: 2
import torch
from course_lib.exercises.ch03 import check_shift_labels

def my_shift_labels(labels):
    """Next-token labels: position t gets the label of position t + 1, the last position -100."""
    # Drop the first label (no position predicts the first token) and append -100 at the end:
    # the last position has no next token, and -100 makes cross_entropy ignore it.
    # (torch.roll would wrap the first token around to the end; padding with 0 would make [PAD] a target.)
    ignored = torch.full_like(labels[:, :1], -100)
    return torch.cat([labels[:, 1:], ignored], dim=1)

check_shift_labels(my_shift_labels)
# END QUESTION


# BEGIN QUESTION
# name: q3_3
# points: 2
import torch
from course_lib.exercises.ch03 import check_causal_mask

def my_causal_mask(attention_mask):
    """[batch, seq, seq] booleans: True where query q may attend to key k."""
    seq = attention_mask.shape[1]
    past = torch.ones(seq, seq, dtype=torch.bool).tril()   # row q allows keys 0..q, itself included
    real_keys = attention_mask.bool()[:, None, :]          # [batch, 1, seq]: one flag per key COLUMN
    return past[None, :, :] & real_keys                    # broadcasts to [batch, seq, seq]

check_causal_mask(my_causal_mask)
# END QUESTION
