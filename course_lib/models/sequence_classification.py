"""BertForSequenceClassification: one label (or score) for a whole sequence.

Devlin et al. (2019, "BERT: Pre-training of Deep Bidirectional Transformers for Language
Understanding", arXiv:1810.04805, section 4.1 and figure 4) fine-tune BERT for GLUE by reading a
single vector per input, the final hidden state of [CLS], and adding one linear layer on top.
In the transformers implementation that vector is ``pooler_output``: tanh(dense([CLS])). In the
original BERT the pooler was trained by next-sentence prediction; in the course's packaged
all-MiniLM-L6-v2 (a sentence-embedding model trained through mean pooling) it was never trained
(``pooler.dense.bias`` is exactly zero), so this head starts from an untrained pooler
(:mod:`course_lib.models.pooling` reads the mean of ``last_hidden_state`` instead; notebook 11 compares them).

    input_ids [B, T] -> BertModel -> pooler_output [B, H] -> dropout -> Linear(H, num_labels) -> logits [B, num_labels]

The loss follows ``config.problem_type`` (see :mod:`course_lib.losses.classification`):
mean squared error for regression (``num_labels == 1``), cross-entropy for integer class ids,
binary cross-entropy for float multi-hot labels.
"""

from __future__ import annotations

import torch
from torch import nn

from .._checks import check_probability
from ..losses.classification import check_problem_type, sequence_classification_loss
from .backbone import BertModel, BertPreTrainedModel
from .outputs import SequenceClassifierOutput


def classifier_dropout_prob(config) -> float:
    """``config.classifier_dropout`` when set, else the encoder's ``hidden_dropout_prob``: a head
    can be regularised more (or less) than the encoder it sits on."""
    value = getattr(config, "classifier_dropout", None)
    return config.hidden_dropout_prob if value is None else check_probability("config.classifier_dropout", value)


class BertForSequenceClassification(BertPreTrainedModel):
    """BERT encoder + dropout + linear classifier on the pooled [CLS] vector (Devlin et al., 2019).

    Same state-dict keys as ``transformers.BertForSequenceClassification``: ``bert.*`` for the
    encoder (with its pooler) and ``classifier.weight [num_labels, H]``, ``classifier.bias``.

    One deliberate difference: when ``config.problem_type`` is None, transformers *writes* the
    inferred type into the config on the first call with labels, so a later call with another
    kind of labels reuses the first type. Here a forward pass never changes the config: the type
    is inferred afresh on each call (the numbers for any single call are identical).
    """

    def __init__(self, config):
        super().__init__(config)
        check_problem_type(getattr(config, "problem_type", None), config.num_labels)
        self.num_labels = config.num_labels
        self.bert = BertModel(config)
        self.dropout = nn.Dropout(classifier_dropout_prob(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
                inputs_embeds: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                output_attentions: bool | None = None, output_hidden_states: bool | None = None,
                return_dict: bool | None = None) -> SequenceClassifierOutput:
        outputs = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                              output_attentions, output_hidden_states)
        # Dropout on the pooled vector regularises the only freshly initialised weights, the
        # classifier, which would otherwise over-fit a small data set within a few steps.
        logits = self.classifier(self.dropout(outputs.pooler_output))  # [B, num_labels]

        loss = None
        if labels is not None:
            loss = sequence_classification_loss(logits, labels, self.config.problem_type)
        return SequenceClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
