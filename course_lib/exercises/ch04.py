"""Checkers for the exercises of notebook 04 (weight tying).

- 4.1 :func:`check_pretraining_parameter_count`: count a tied ``BertForPreTraining``'s parameters
  from its config, the tied decoder matrix counted once;
- 4.2 :func:`check_tied_gradient`: the gradient of a matrix used both as input embedding and as
  output layer (the sum of its two roles);
- 4.3 :func:`check_resize_rows`: grow or shrink an embedding matrix or an output bias (new
  embedding rows = mean old row, new bias entries = 0).

Each checker runs the learner's function on fresh, seeded inputs (other seeds than the notebook's)
and compares it with the course_lib reference; known mistakes get a specific hint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..models.tying import resized_rows
from . import Case, Check, Diagnosis, Verdict, as_number, chapter_say, checker, describe, run_check
from .inputs import case_generator

__all__ = ["check_pretraining_parameter_count", "check_tied_gradient", "check_resize_rows",
           "reference_parameter_count", "reference_tied_gradient", "reference_resize_rows"]

#: What this chapter's checks say beyond their hints (other languages: course_lib/exercises/messages_*.json).
MESSAGES = {
    "not a count": "`{name}` returned {got}; return the count as one whole number, an int such as 110_106_428.",
    "count differs": "for input {number} ({label}) you count {value:,}; the model has {expected:,} distinct "
                     "parameters ({gap:+,}). Go through the modules in the statement one by one: the size of the "
                     "gap tells which one.",
}
_say = chapter_say(__name__, MESSAGES)


# --------------------------------------------------------------------------------------------
# 4.1 Counting BertForPreTraining's parameters
# --------------------------------------------------------------------------------------------


def reference_parameter_count(config) -> int:
    """Distinct parameters of ``course_lib.BertForPreTraining(config)``, built on the meta device
    (shapes only, nothing allocated): each shared tensor counted once."""
    key = config.to_json_string()
    if key not in _COUNTS:
        from .. import BertForPreTraining

        with torch.device("meta"):
            model = BertForPreTraining(config)
        _COUNTS[key] = sum(p.numel() for p in model.parameters())
    return _COUNTS[key]


_COUNTS: dict[str, int] = {}  # reference counts by config: a checker run builds each model once


def _formula(config) -> int:
    """The same count, by hand (used for the known mistakes below, and checked in the tests)."""
    V, H, I, L = config.vocab_size, config.hidden_size, config.intermediate_size, config.num_hidden_layers
    embeddings = (V + config.max_position_embeddings + config.type_vocab_size) * H + 2 * H
    layer = 4 * (H * H + H) + 2 * H + (H * I + I) + (I * H + H) + 2 * H
    pooler = H * H + H
    transform = H * H + H + 2 * H
    return embeddings + L * layer + pooler + transform + V + (2 * H + 2)


def _decoder_counted(config):
    return _formula(config) + config.vocab_size * config.hidden_size


def _decoder_and_bias_counted(config):
    return _formula(config) + config.vocab_size * config.hidden_size + config.vocab_size


def _bias_counted_twice(config):
    return _formula(config) + config.vocab_size


def _no_pooler(config):
    return _formula(config) - (config.hidden_size ** 2 + config.hidden_size)


def _no_layer_norms(config):
    return _formula(config) - 2 * config.hidden_size * (2 + 2 * config.num_hidden_layers)


def _count_cases() -> list[Case]:
    from transformers import BertConfig

    return [
        Case(args=(BertConfig(),), label="bert-base-uncased"),
        Case(args=(BertConfig(vocab_size=1000, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
                              intermediate_size=100, max_position_embeddings=50, type_vocab_size=3),),
             label="a small config"),
        Case(args=(BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                              intermediate_size=37, max_position_embeddings=20, type_vocab_size=1),),
             label="one layer, one token type"),
    ]


@checker("4.1", "my_pretraining_parameter_count")
def check_pretraining_parameter_count(fn, name: str) -> Verdict:
    """Exercise 4.1: ``fn(config)`` returns the number of distinct parameters of a tied
    ``BertForPreTraining`` built from ``config``."""
    section = " (notebook section 2)"
    diagnoses = [
        Diagnosis(_decoder_counted,
                  "your count is larger by exactly vocab x hidden: you counted the decoder matrix, but with tying "
                  "it IS the word-embedding matrix, stored once" + section + "."),
        Diagnosis(_decoder_and_bias_counted,
                  "your count is larger by vocab x hidden + vocab: you counted the decoder as a separate Linear "
                  "layer, but its weight is the word embedding and its bias is `cls.predictions.bias`; both are "
                  "already counted" + section + "."),
        Diagnosis(_bias_counted_twice,
                  "your count is larger by exactly vocab: `cls.predictions.decoder.bias` is `cls.predictions.bias`, "
                  "one Parameter under two names; count it once" + section + "."),
        Diagnosis(_no_pooler,
                  "your count is short by hidden x hidden + hidden: the pooler (a dense layer on [CLS]) is part of "
                  "BertForPreTraining, because the NSP head reads the pooled vector (notebook 02)."),
        Diagnosis(_no_layer_norms,
                  "your count is short by the LayerNorms: each has a weight and a bias of size hidden, and there is "
                  "one after the embeddings, two in every layer and one in the MLM head's transform."),
    ]

    def check_answer(got, case, number):
        if as_number(got) is None:
            return _say("not a count", name=name, got=describe(got))
        return None

    def on_differs(number, case, got, expected):
        # The generic message rounds to 4 digits: a count needs the exact numbers and the gap.
        value = got.item() if hasattr(got, "item") else got
        return _say("count differs", number=number, label=case.label, value=value, expected=expected,
                    gap=value - expected)

    return run_check(fn, Check("4.1", _count_cases(), reference_parameter_count, name=name, what="parameter count",
                               diagnoses=diagnoses, atol=0.5, rtol=0.0, check_answer=check_answer,
                               on_differs=on_differs))


# --------------------------------------------------------------------------------------------
# 4.2 The gradient of a tied matrix
# --------------------------------------------------------------------------------------------


def _tied_loss_grad(E, bias, ids, labels, *, input_role=True, output_role=True, reduction="mean", use_bias=True):
    W = E.detach().clone().requires_grad_(True)
    as_input = W if input_role else W.detach()
    as_output = W if output_role else W.detach()
    logits = F.embedding(ids, as_input) @ as_output.T
    if use_bias:
        logits = logits + bias.detach()
    loss = F.cross_entropy(logits.reshape(-1, W.shape[0]), labels.reshape(-1), reduction=reduction)
    (grad,) = torch.autograd.grad(loss, W)
    return grad


def reference_tied_gradient(E, bias, ids, labels):
    """d loss / d E for the toy tied model ``logits = E[ids] @ E.T + bias`` with the mean
    cross-entropy over the labels that are not -100."""
    return _tied_loss_grad(E, bias, ids, labels)


def _output_role_only(E, bias, ids, labels):
    return _tied_loss_grad(E, bias, ids, labels, input_role=False)


def _input_role_only(E, bias, ids, labels):
    return _tied_loss_grad(E, bias, ids, labels, output_role=False)


def _summed_loss(E, bias, ids, labels):
    return _tied_loss_grad(E, bias, ids, labels, reduction="sum")


def _without_bias(E, bias, ids, labels):
    return _tied_loss_grad(E, bias, ids, labels, use_bias=False)


def _gradient_cases() -> list[Case]:
    g = case_generator(421)
    cases = []
    for vocab, hidden, batch, seq, label in [(20, 8, 3, 6, "-100 labels and repeated tokens"),
                                             (12, 5, 1, 7, "batch size 1"),
                                             (40, 16, 2, 9, "a larger vocabulary: many rows never in the batch")]:
        E = torch.randn(vocab, hidden, generator=g)
        bias = 0.5 * torch.randn(vocab, generator=g)
        ids = torch.randint(0, vocab // 2, (batch, seq), generator=g)  # half the rows never occur as input
        ids[0, 1] = ids[0, 0]  # a token that occurs twice: both uses add up
        labels = torch.where(torch.rand(batch, seq, generator=g) < 0.6, torch.randint(0, vocab, (batch, seq),
                                                                                          generator=g), -100)
        labels[0, 0], labels[-1, -1] = 3, -100  # at least one scored and one ignored position
        cases.append(Case(args=(E, bias, ids, labels), label=label))
    return cases


@checker("4.2", "my_tied_gradient")
def check_tied_gradient(fn, name: str) -> Verdict:
    """Exercise 4.2: ``fn(E, bias, ids, labels)`` returns the gradient of the toy tied model's loss
    with respect to ``E`` ([vocab, hidden])."""
    section = " (notebook section 3)"
    diagnoses = [
        Diagnosis(_output_role_only,
                  "your gradient has only the output-layer part: the rows of the tokens in the batch miss their "
                  "input-embedding part. Use the very same tensor (no `.detach()`, no copy) for the lookup "
                  "`E[ids]` and for the scores `h @ E.T`; autograd then adds both contributions" + section + "."),
        Diagnosis(_input_role_only,
                  "your gradient has only the input-embedding part (non-zero only in the rows of tokens in the "
                  "batch). The scores `h @ E.T` use E too, and that use reaches every row, because every word is "
                  "scored" + section + "."),
        Diagnosis(_summed_loss,
                  "your gradient is too large by the number of scored positions: the loss is the MEAN cross-entropy "
                  "over the positions whose label is not -100 (`F.cross_entropy`'s default), not the sum."),
        Diagnosis(_without_bias,
                  "your gradient is that of a model without the output bias: the scores are `h @ E.T + bias`. The "
                  "bias changes the softmax, hence the gradient of E."),
    ]
    return run_check(fn, Check("4.2", _gradient_cases(), reference_tied_gradient, name=name,
                               what="gradient of E", diagnoses=diagnoses))


# --------------------------------------------------------------------------------------------
# 4.3 Resizing an embedding and an output bias
# --------------------------------------------------------------------------------------------


def reference_resize_rows(old, new_num_tokens, fill):
    """``course_lib.models.tying``'s resizing rule: keep the first rows, new rows = the mean old row
    (``fill="mean"``, embeddings) or 0 (``fill="zero"``, biases)."""
    return resized_rows(old, new_num_tokens, fill)


def _zeros_everywhere(old, new_num_tokens, fill):
    return resized_rows(old, new_num_tokens, "zero")


def _mean_everywhere(old, new_num_tokens, fill):
    return resized_rows(old, new_num_tokens, "mean")


def _scalar_mean(old, new_num_tokens, fill):
    out = resized_rows(old, new_num_tokens, "zero")
    if fill == "mean" and new_num_tokens > old.shape[0]:
        out[old.shape[0]:] = old.mean()
    return out


def _keeps_last_rows(old, new_num_tokens, fill):
    if new_num_tokens >= old.shape[0]:
        return resized_rows(old, new_num_tokens, fill)
    return old[-new_num_tokens:].clone()


def _resize_cases() -> list[Case]:
    g = case_generator(431)
    embedding = 0.02 * torch.randn(30, 6, generator=g) + 0.01  # a non-zero mean row
    bias = 0.1 * torch.randn(30, generator=g) + 0.05
    return [
        Case(args=(embedding, 34, "mean"), label="an embedding grows by 4 rows"),
        Case(args=(bias, 34, "zero"), label="its output bias grows by 4 entries"),
        Case(args=(0.02 * torch.randn(12, 5, generator=g), 9, "mean"), label="an embedding shrinks to 9 rows"),
        Case(args=(torch.randn(1, 3, generator=g), 3, "mean"), label="a one-row embedding grows"),
        Case(args=(bias, 30, "zero"), label="the same size: nothing changes"),
    ]


@checker("4.3", "my_resize_rows")
def check_resize_rows(fn, name: str) -> Verdict:
    """Exercise 4.3: ``fn(old, new_num_tokens, fill)`` returns ``old`` resized along dim 0."""
    section = " (notebook section 4)"
    diagnoses = [
        Diagnosis(_zeros_everywhere,
                  "your new embedding rows are 0. Start them at the mean of the old rows (`fill=\"mean\"`): a new "
                  "word then gets an average score instead of being tied to the zero vector" + section + "."),
        Diagnosis(_mean_everywhere,
                  "your new bias entries are the mean of the old biases. With `fill=\"zero\"` they start at 0, "
                  "BERT's bias initialisation and what transformers does" + section + "."),
        Diagnosis(_scalar_mean,
                  "you filled the new rows with one number, the mean of ALL entries. Use the mean ROW, "
                  "`old.mean(dim=0)`: a vector of size hidden, the centre of the old embeddings" + section + "."),
        Diagnosis(_keeps_last_rows,
                  "when shrinking, keep the FIRST `new_num_tokens` rows: token id i must still mean row i."),
    ]
    return run_check(fn, Check("4.3", _resize_cases(), reference_resize_rows, name=name,
                               what="resized tensor", diagnoses=diagnoses))
