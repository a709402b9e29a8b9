"""BertForMultipleChoice: pick the right one of several candidate continuations.

SWAG (Zellers et al., 2018, "SWAG: A Large-Scale Adversarial Dataset for Grounded Commonsense
Inference", EMNLP) gives a context and four possible endings. Devlin et al. (2019, section 4.4)
fine-tune BERT on it by pairing the context with each ending in turn, encoding every pair as its
own sequence, and scoring each pooled [CLS] vector with a linear layer that has *one* output.
A softmax over the four scores of a question then chooses among them.

    input_ids [B, C, T] --flatten--> [B*C, T] -> BertModel -> pooler_output [B*C, H]
        -> dropout -> Linear(H, 1) -> [B*C, 1] --reshape--> logits [B, C] -> cross-entropy over choices

The same classifier weights score every choice, so the model works for any number of choices C,
but the encoder runs B*C sequences: time and activation memory grow linearly with C.
"""

from __future__ import annotations

import torch
from torch import nn

from ..losses.classification import choice_loss
from .backbone import BertModel, BertPreTrainedModel, check_inputs
from .outputs import MultipleChoiceModelOutput
from .sequence_classification import classifier_dropout_prob


def flatten_choices(tensor: torch.Tensor | None, name: str = "input") -> torch.Tensor | None:
    """``[batch, choices, ...]`` -> ``[batch * choices, ...]``: every (question, choice) pair becomes
    one ordinary sequence for the encoder. ``reshape`` (not ``view``) so a sliced, non-contiguous
    input works too."""
    if tensor is None:
        return None
    return tensor.reshape(-1, *tensor.shape[2:])


class BertForMultipleChoice(BertPreTrainedModel):
    """BERT encoder + dropout + a one-output linear scorer per choice (Devlin et al., 2019, on
    SWAG by Zellers et al., 2018).

    Same state-dict keys as ``transformers.BertForMultipleChoice``: ``bert.*`` and
    ``classifier.weight [1, H]``, ``classifier.bias [1]``. ``config.num_labels`` plays no role:
    the number of choices is read from the input's second dimension.
    """

    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config)
        self.dropout = nn.Dropout(classifier_dropout_prob(config))
        self.classifier = nn.Linear(config.hidden_size, 1)
        self.post_init()

    def forward(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
                inputs_embeds: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                output_attentions: bool | None = None, output_hidden_states: bool | None = None,
                return_dict: bool | None = None) -> MultipleChoiceModelOutput:
        _, num_choices, _ = check_inputs(self, input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                                         dims=3)
        # Flatten [B, C, T] -> [B*C, T] (inputs_embeds [B, C, T, H] -> [B*C, T, H]): the encoder reads
        # each (question, choice) pair as one ordinary sequence.
        input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds = (
            flatten_choices(t) for t in (input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds)
        )
        outputs = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                              output_attentions, output_hidden_states)
        scores = self.classifier(self.dropout(outputs.pooler_output))  # [B*C, 1]: one score per pair
        # Back to one row per question: row b holds the scores of its C choices side by side (the
        # flattening put choice c of question b at index b*C + c), so a softmax along the row compares them.
        logits = scores.view(-1, num_choices)  # [B, C]
        loss = choice_loss(logits, labels) if labels is not None else None  # cross-entropy over the choices
        return MultipleChoiceModelOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
