"""Which vector should a sentence classifier read? ``pooler_output`` or the mean of the tokens.

``BertForSequenceClassification`` (Devlin et al., 2019) classifies ``pooler_output``:
tanh(dense(h_[CLS])). In the original BERT that dense layer was trained by next-sentence
prediction. The course's packaged encoder, all-MiniLM-L6-v2, is a *sentence-embedding* model
(Reimers & Gurevych, "Sentence-BERT", EMNLP 2019; trained with a contrastive objective on
sentence pairs): its training read the **mean of the last hidden states over the real tokens**,
never the pooler, whose weights are still their initial values (``pooler.dense.bias`` is exactly
zero). A head on ``pooler_output`` of this checkpoint therefore starts from an untrained layer;
a head on the masked mean starts from the vector the encoder was trained to produce.

    mean = masked_mean(out.last_hidden_state, attention_mask)          # [B, H]
    model = BertForMeanPooledClassification.from_pretrained(num_labels=2)

:class:`BertForMeanPooledClassification` has exactly the state-dict keys of
``transformers.BertForSequenceClassification`` (the pooler stays, unused), so the same checkpoint
folders load into both; only the forward reads another vector. ``transformers`` has no BERT class
that mean-pools; :func:`mean_pooled_logits` computes the same logits from a ``transformers.BertModel``,
for parity checks.
"""

from __future__ import annotations

import torch

from ..losses.classification import sequence_classification_loss
from .outputs import SequenceClassifierOutput
from .sequence_classification import BertForSequenceClassification

__all__ = ["masked_mean", "BertForMeanPooledClassification", "mean_pooled_logits"]


def masked_mean(hidden_states: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``hidden_states [B, T, H]`` over the positions where ``attention_mask [B, T]`` is 1.

    Padding must not count: a plain ``.mean(1)`` would average padding vectors in, and a sentence
    would get a different vector depending on how long its batch happens to be. A row with no real
    token is an error, not a silent division by zero."""
    if hidden_states.dim() != 3:
        raise ValueError(f"hidden_states must be [batch, seq_len, hidden], got shape {tuple(hidden_states.shape)}")
    if attention_mask is None:
        return hidden_states.mean(1)
    if attention_mask.shape != hidden_states.shape[:2]:
        raise ValueError(f"attention_mask {tuple(attention_mask.shape)} does not match hidden_states "
                         f"{tuple(hidden_states.shape)} in its first two dimensions")
    weights = attention_mask.to(hidden_states.dtype).unsqueeze(-1)  # [B, T, 1]
    counts = weights.sum(1)                                           # [B, 1]
    if (counts == 0).any():
        raise ValueError("a row of attention_mask has no real token: its mean is undefined")
    return (hidden_states * weights).sum(1) / counts


class BertForMeanPooledClassification(BertForSequenceClassification):
    """BERT encoder + masked mean of the last hidden states + dropout + linear classifier.

    The sentence-embedding recipe of Sentence-BERT (Reimers & Gurevych, 2019), with a classification
    head: what all-MiniLM-L6-v2 was trained to produce, instead of its untrained pooler. Same
    constructor, keys, losses (``config.problem_type``) and outputs as
    :class:`course_lib.BertForSequenceClassification`; the pooler's weights are kept, so checkpoints
    are interchangeable, but they receive no gradient.
    """

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_attentions: bool = False,
                output_hidden_states: bool = False, return_dict: bool | None = None) -> SequenceClassifierOutput:
        outputs = self.bert(input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                            position_ids=position_ids, inputs_embeds=inputs_embeds,
                            output_attentions=output_attentions, output_hidden_states=output_hidden_states,
                            return_dict=True)
        pooled = masked_mean(outputs.last_hidden_state, attention_mask)   # [B, H], padding left out
        logits = self.classifier(self.dropout(pooled))                      # [B, num_labels]
        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels, self.config.problem_type)
        return SequenceClassifierOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states,
                                        attentions=outputs.attentions)


def mean_pooled_logits(encoder, classifier_weight: torch.Tensor, classifier_bias: torch.Tensor,
                       **inputs) -> torch.Tensor:
    """The logits :class:`BertForMeanPooledClassification` computes, from any encoder that returns
    ``last_hidden_state`` (a ``transformers.BertModel``, say) and the classifier's two tensors.
    Dropout is the caller's business: use eval mode."""
    hidden = encoder(**inputs).last_hidden_state
    return torch.nn.functional.linear(masked_mean(hidden, inputs.get("attention_mask")),
                                      classifier_weight, classifier_bias)
