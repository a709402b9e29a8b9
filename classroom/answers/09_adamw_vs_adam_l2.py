"""Notebook 09_adamw_vs_adam_l2: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q9_1
# points: 4
import torch

from course_lib.exercises.ch09 import check_adamw_step


def my_adamw_step(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
    """The parameter after one AdamW step (decoupled weight decay), a tensor shaped like p."""
    beta1, beta2 = betas
    # Decoupled decay: shrink the weight itself; the gradient (and so m and v) never sees it.
    p = p * (1 - lr * weight_decay)
    # The two running averages, from the clean gradient.
    m = beta1 * exp_avg + (1 - beta1) * grad
    v = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    # Bias correction: m and v started at zero, so early on they are too small by (1 - beta^t).
    m_hat = m / (1 - beta1**step)
    v_hat = v / (1 - beta2**step)
    # The Adam step, applied to the already-shrunk weight (torch's order).
    return p - lr * m_hat / (v_hat.sqrt() + eps)


check_adamw_step(my_adamw_step)
# END QUESTION


# BEGIN QUESTION
# name: q9_2
# points: 2
import torch

from course_lib.exercises.ch09 import check_adam_l2_step


def my_adam_l2_step(p, grad, exp_avg, exp_avg_sq, step, lr, betas, eps, weight_decay):
    """The parameter after one Adam step with L2 regularisation (coupled), a tensor shaped like p."""
    beta1, beta2 = betas
    # Coupled L2: the penalty's gradient weight_decay * p joins the loss gradient ...
    grad = grad + weight_decay * p
    # ... so it flows into BOTH moments ...
    m = beta1 * exp_avg + (1 - beta1) * grad
    v = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1**step)
    v_hat = v / (1 - beta2**step)
    # ... and is divided by sqrt(v_hat) like the rest: no separate shrink of the weight.
    return p - lr * m_hat / (v_hat.sqrt() + eps)


check_adam_l2_step(my_adam_l2_step)
# END QUESTION


# BEGIN QUESTION
# name: q9_3
# points: 2
from course_lib.exercises.ch09 import check_no_decay_split

NO_DECAY = ("bias", "LayerNorm.weight")  # the exclusion list of the original BERT code


def my_no_decay_split(model):
    """(decay_names, no_decay_names): the trainable parameters' names, each tensor once."""
    decay_names, no_decay_names = [], []
    # named_parameters() lists a shared (tied) tensor once, under its first name: exactly what an
    # optimiser needs. named_parameters(remove_duplicate=False) or state_dict() would list it twice.
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue  # frozen: not optimised, so in neither group
        if any(fragment in name for fragment in NO_DECAY):
            no_decay_names.append(name)  # biases and LayerNorm gains
        else:
            decay_names.append(name)  # weight matrices and embeddings
    return decay_names, no_decay_names


check_no_decay_split(my_no_decay_split)
# END QUESTION
