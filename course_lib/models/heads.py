"""The pre-training heads that sit on top of the BERT encoder.

BERT (Devlin et al., 2019, arXiv:1810.04805) is pre-trained with two heads at once:

- the **masked-LM head** reads ``last_hidden_state`` (one vector per token) and scores every
  vocabulary entry at every position: ``[batch, seq, hidden] -> [batch, seq, vocab]``;
- the **next-sentence head** reads ``pooler_output`` (one vector per sequence, from [CLS]) and
  scores "B follows A" vs "B is random": ``[batch, hidden] -> [batch, 2]``.

Both return *logits* (raw scores). There is no softmax in the model: the cross-entropy loss
applies log-softmax itself, which is both cheaper and numerically safer, and argmax over logits
already gives the prediction.

Module and parameter names copy transformers (``cls.predictions.transform.dense``,
``cls.predictions.decoder``, ``cls.predictions.bias``, ``cls.seq_relationship``) so the
``state_dict()`` keys of the models in :mod:`course_lib.models.pretraining` are the reference ones.
"""

from __future__ import annotations

import torch
from torch import nn

from .backbone import get_activation


class Activation(nn.Module):
    """An activation function held as a module, so that printing a model shows it.

    transformers stores ``ACT2FN[config.hidden_act]``, a module such as ``GELUActivation()``; a
    plain function stored as an attribute would be invisible in ``print(model)``. This wrapper has
    no parameters or buffers, so the state-dict keys stay exactly those of transformers.
    """

    def __init__(self, function, name: str):
        super().__init__()
        if not callable(function):
            raise TypeError(f"Activation needs a callable, got {type(function).__name__}")
        self.function = function
        self.name = name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.function(x)

    def extra_repr(self) -> str:
        return self.name


def activation_module(name_or_fn) -> nn.Module:
    """``config.hidden_act`` as a module: the module itself for an activation with learned parameters
    (``prelu``, ``xielu``: already printed, with their state-dict keys), an :class:`Activation` otherwise."""
    function = get_activation(name_or_fn)
    if isinstance(function, nn.Module):
        return function
    name = name_or_fn if isinstance(name_or_fn, str) else getattr(name_or_fn, "__name__", type(name_or_fn).__name__)
    return Activation(function, name)


class BertPredictionHeadTransform(nn.Module):
    """dense (hidden -> hidden), activation, LayerNorm: one more non-linear layer per token.

    Why not decode the encoder output directly? The last encoder layer has to serve every
    downstream task; this small transform gives the MLM objective its own space to reshape the
    vector into "something comparable with word embeddings" before the dot product with the
    vocabulary. It is discarded (not used) when BERT is fine-tuned for classification.
    """

    def __init__(self, config):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.transform_act_fn = activation_module(config.hidden_act)  # a module, so print(model) shows it
        self.LayerNorm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.transform_act_fn(self.dense(hidden_states)))


class BertLMPredictionHead(nn.Module):
    """transform, then ``decoder``: a linear map to vocabulary size. Returns logits, no softmax.

    ``decoder.weight`` has shape ``[vocab, hidden]``, exactly the shape of the word-embedding
    matrix, and with ``config.tie_word_embeddings`` (the default) it *is* that matrix (Press & Wolf,
    2017; Inan et al., 2017): the score of word w at a position is the dot product of the
    transformed hidden vector with w's input embedding, plus a per-word bias.

    The bias is ``self.bias``, a parameter of this head and not of the embedding: the embedding
    matrix has no bias to share, so each vocabulary entry gets an output-only bias. The decoder's
    own ``bias`` attribute is made *the same Parameter* (:meth:`link_bias`), which is why the
    state dict lists both ``cls.predictions.bias`` and ``cls.predictions.decoder.bias``, as in
    transformers. Resizing the vocabulary must keep that link (see :mod:`course_lib.models.tying`).
    """

    def __init__(self, config):
        super().__init__()
        # Registration order (bias first, then transform, then decoder) reproduces the reference
        # state-dict key order: a module's own parameters come before its children's.
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))
        self.transform = BertPredictionHeadTransform(config)
        # bias=True: the decoder starts with a bias of its own; link_bias() replaces it by
        # self.bias. Whether it stays its own when the weights are untied depends on the
        # transformers version we mirror (see course_lib.models.tying.bias_link_follows_weight_tie).
        self.decoder = nn.Linear(config.hidden_size, config.vocab_size, bias=True)

    def link_bias(self) -> None:
        """Make ``decoder.bias`` the very Parameter ``self.bias`` (one tensor, two names)."""
        self.decoder.bias = self.bias

    def unlink_bias(self) -> None:
        """Give the decoder a bias Parameter of its own (a copy of the current values)."""
        if self.decoder.bias is self.bias:
            self.decoder.bias = nn.Parameter(self.bias.detach().clone())

    def forward(self, hidden_states: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.transform(hidden_states))


class BertOnlyMLMHead(nn.Module):
    """The MLM head alone (``BertForMaskedLM``, ``BertLMHeadModel``): ``cls.predictions``."""

    def __init__(self, config):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)

    def forward(self, sequence_output: torch.Tensor) -> torch.Tensor:
        return self.predictions(sequence_output)


class BertOnlyNSPHead(nn.Module):
    """The NSP head alone (``BertForNextSentencePrediction``): one linear layer, hidden -> 2.

    It reads the pooled [CLS] vector. The pooler (dense + tanh) was trained by this objective,
    which is why sentence-level fine-tuning heads later read ``pooler_output`` too.
    """

    def __init__(self, config):
        super().__init__()
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, pooled_output: torch.Tensor) -> torch.Tensor:
        return self.seq_relationship(pooled_output)


class BertPreTrainingHeads(nn.Module):
    """Both heads of ``BertForPreTraining``: MLM over every token, NSP over [CLS].

    Returns ``(prediction_scores [batch, seq, vocab], seq_relationship_score [batch, 2])``.
    """

    def __init__(self, config):
        super().__init__()
        self.predictions = BertLMPredictionHead(config)
        self.seq_relationship = nn.Linear(config.hidden_size, 2)

    def forward(self, sequence_output: torch.Tensor, pooled_output: torch.Tensor):
        return self.predictions(sequence_output), self.seq_relationship(pooled_output)
