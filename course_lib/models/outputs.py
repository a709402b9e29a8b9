"""Output containers with the same field names as ``transformers.modeling_outputs``.

A learner who reads ``out.logits`` in a Hugging Face tutorial can read ``out.logits`` here too.
They are plain dataclasses. ``out["logits"]`` also works, as it does in transformers, because some
notebooks loop over field names; ``out.to_tuple()`` gives the fields that are set, in order, which is
what a model returns for ``return_dict=False`` (``loss, logits = model(..., labels=y, return_dict=False)``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch


class _Output:
    """Attribute and key access over dataclass fields (``out.logits`` == ``out["logits"]``)."""

    def __getitem__(self, name: str):
        if not isinstance(name, str):
            raise TypeError(f"index outputs by field name, e.g. out['logits'], not by {type(name).__name__}")
        return getattr(self, name)

    def keys(self) -> list[str]:
        """Names of the fields that are set (not None), like transformers' ModelOutput."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def to_tuple(self) -> tuple:
        """The fields that are set (not None), in order, as transformers' ``ModelOutput.to_tuple()``."""
        return tuple(getattr(self, name) for name in self.keys())


@dataclass
class BaseModelOutputWithPooling(_Output):
    """What :class:`course_lib.BertModel` returns.

    last_hidden_state: ``[batch, seq, hidden]``, one vector per token (token-level heads read it).
    pooler_output: ``[batch, hidden]``, tanh(dense([CLS] vector)) (sentence-level heads read it),
        or None when the model was built with ``add_pooling_layer=False``.
    hidden_states: with ``output_hidden_states=True``, the embeddings and every layer's output.
    attentions: with ``output_attentions=True``, every layer's ``[batch, heads, seq, seq]`` weights.
    """

    last_hidden_state: torch.Tensor | None = None
    pooler_output: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class BertForPreTrainingOutput(_Output):
    loss: torch.Tensor | None = None
    prediction_logits: torch.Tensor | None = None
    seq_relationship_logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class MaskedLMOutput(_Output):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class CausalLMOutput(_Output):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class NextSentencePredictorOutput(_Output):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class SequenceClassifierOutput(_Output):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class MultipleChoiceModelOutput(_Output):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class TokenClassifierOutput(_Output):
    loss: torch.Tensor | None = None
    logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None


@dataclass
class QuestionAnsweringModelOutput(_Output):
    loss: torch.Tensor | None = None
    start_logits: torch.Tensor | None = None
    end_logits: torch.Tensor | None = None
    hidden_states: tuple[torch.Tensor, ...] | None = None
    attentions: tuple[torch.Tensor, ...] | None = None
