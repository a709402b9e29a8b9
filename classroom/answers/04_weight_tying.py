"""Notebook 04_weight_tying: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q4_1
# points: 2
from transformers import BertConfig
from course_lib.exercises.ch04 import check_pretraining_parameter_count

def my_pretraining_parameter_count(config):
    """Distinct parameters of a tied BertForPreTraining(config), from the config alone (an int)."""
    V, H, L = config.vocab_size, config.hidden_size, config.num_hidden_layers
    I, P, T = config.intermediate_size, config.max_position_embeddings, config.type_vocab_size

    def linear(n_in, n_out):  # weight matrix + bias vector
        return n_in * n_out + n_out

    layer_norm = 2 * H        # gain + bias

    embeddings = V * H + P * H + T * H + layer_norm
    layer = 4 * linear(H, H) + layer_norm + linear(H, I) + linear(I, H) + layer_norm
    pooler = linear(H, H)
    # The decoder adds nothing: its weight IS the word embedding (tied) and its bias IS the output
    # bias, one Parameter under two names. Untied, it would add V * H (23,440,896 at bert-base size).
    mlm_head = linear(H, H) + layer_norm + V
    nsp_head = linear(H, 2)
    return embeddings + L * layer + pooler + mlm_head + nsp_head

base = BertConfig()
print(f"word-embedding share of bert-base BertForPreTraining: "
      f"{base.vocab_size * base.hidden_size / my_pretraining_parameter_count(base):.1%}")
check_pretraining_parameter_count(my_pretraining_parameter_count)
# END QUESTION


# BEGIN QUESTION
# name: q4_2
# points: 2
import torch
import torch.nn.functional as F
from course_lib.exercises.ch04 import check_tied_gradient

def my_tied_gradient(E, bias, ids, labels):
    """d loss / d E for logits = E[ids] @ E.T + bias (mean cross-entropy, -100 ignored): [vocab, hidden]."""
    E = E.detach().clone().requires_grad_(True)  # our own leaf; the caller's tensor stays untouched
    h = E[ids]                                   # role 1, input embedding: reaches only the rows in the batch
    logits = h @ E.T + bias                      # role 2, output layer: every row scores its word
    loss = F.cross_entropy(logits.reshape(-1, E.shape[0]), labels.reshape(-1))  # ignore_index=-100, mean
    (grad,) = torch.autograd.grad(loss, E)       # autograd adds up the gradients of both uses
    return grad

check_tied_gradient(my_tied_gradient)
# END QUESTION


# BEGIN QUESTION
# name: q4_3
# points: 2
import torch
from course_lib.exercises.ch04 import check_resize_rows

def my_resize_rows(old, new_num_tokens, fill):
    """`old` resized to `new_num_tokens` rows: old rows kept, new rows = mean old row ("mean") or 0 ("zero")."""
    keep = min(new_num_tokens, old.shape[0])
    new = old.new_zeros((new_num_tokens,) + tuple(old.shape[1:]))  # zeros: the "zero" fill comes for free
    new[:keep] = old[:keep]                                         # token id i keeps its row i
    if fill == "mean" and new_num_tokens > keep:
        # the mean ROW, a vector of size hidden (Hewitt, 2021): a new word starts with an average score
        new[keep:] = old.mean(dim=0)
    return new

check_resize_rows(my_resize_rows)
# END QUESTION
