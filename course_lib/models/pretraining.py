"""BERT's pre-training models: the encoder plus the heads of :mod:`course_lib.models.heads`.

- :class:`BertForPreTraining`: MLM + NSP, loss = MLM mean + NSP mean (Devlin et al., 2019).
- :class:`BertForMaskedLM`: MLM only (how BERT-style models are pre-trained since RoBERTa,
  Liu et al., 2019, showed NSP is not needed).
- :class:`BertLMHeadModel`: the same head under a *causal* mask, trained to predict the next token
  (labels shifted by one), so BERT's weights can act as a left-to-right decoder.
- :class:`BertForNextSentencePrediction`: NSP only.

Each matches the transformers class of the same name: ``state_dict()`` keys, output field names,
losses and gradients. The losses are the named functions of :mod:`course_lib.losses.pretraining`.
"""

from __future__ import annotations

import warnings

from ..losses.pretraining import (
    causal_lm_loss,
    check_mlm_labels,
    check_next_sentence_label,
    masked_lm_loss,
    next_sentence_loss,
)
from .backbone import BertModel, BertPreTrainedModel
from .heads import BertOnlyMLMHead, BertOnlyNSPHead, BertPreTrainingHeads
from .outputs import BertForPreTrainingOutput, CausalLMOutput, MaskedLMOutput, NextSentencePredictorOutput
from .tying import bias_link_follows_weight_tie

__all__ = ["BertForPreTraining", "BertForMaskedLM", "BertLMHeadModel", "BertForNextSentencePrediction"]


class _TiedLMHeadMixin:
    """Tying for models with an MLM head at ``self.cls.predictions``.

    Two links, each "the same Parameter under two names", never a copy:

    1. ``decoder.weight`` is ``bert.embeddings.word_embeddings.weight`` when
       ``config.tie_word_embeddings`` is true (done by the base class's ``tie_weights``).
    2. ``decoder.bias`` is ``cls.predictions.bias``. transformers 4.x kept this link always;
       5.x makes it with the same tying machinery as the weight, so with
       ``tie_word_embeddings=False`` the decoder has a bias of its own and
       ``cls.predictions.bias`` is unused. We follow the installed transformers version
       (:func:`course_lib.models.tying.bias_link_follows_weight_tie`) so that parity holds on both.
    """

    def get_output_embeddings(self):
        return self.cls.predictions.decoder

    def tie_weights(self) -> None:
        super().tie_weights()
        head = self.cls.predictions
        if getattr(self.config, "tie_word_embeddings", True) or not bias_link_follows_weight_tie():
            head.link_bias()
        else:
            head.unlink_bias()


class BertForPreTraining(_TiedLMHeadMixin, BertPreTrainedModel):
    """Encoder + :class:`~course_lib.models.heads.BertPreTrainingHeads` (MLM over tokens, NSP over [CLS]).

    ``loss`` = masked-LM loss + next-sentence loss, and only when *both* ``labels`` and
    ``next_sentence_label`` are given (as in transformers: with one of the two, ``loss`` is None;
    compute the single loss with :mod:`course_lib.losses` if you need it).
    """

    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertPreTrainingHeads(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, next_sentence_label=None, output_attentions: bool | None = None,
                output_hidden_states: bool | None = None, return_dict=None) -> BertForPreTrainingOutput:
        # Validate before the forward pass: a wrong label shape is a data bug, say so early.
        def check_labels(shape):
            if labels is not None:
                check_mlm_labels(labels, shape, self.config.vocab_size)
            if next_sentence_label is not None:
                check_next_sentence_label(next_sentence_label, shape[0])

        outputs = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                              output_attentions, output_hidden_states, check_labels)
        # Token-level head reads every position; the sentence-level head reads the pooled [CLS].
        prediction_scores, seq_relationship_score = self.cls(outputs.last_hidden_state, outputs.pooler_output)
        total_loss = None
        if labels is not None and next_sentence_label is not None:
            total_loss = masked_lm_loss(prediction_scores, labels) + next_sentence_loss(
                seq_relationship_score, next_sentence_label
            )
        return BertForPreTrainingOutput(
            loss=total_loss,
            prediction_logits=prediction_scores,
            seq_relationship_logits=seq_relationship_score,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )


class BertForMaskedLM(_TiedLMHeadMixin, BertPreTrainedModel):
    """Encoder (no pooler: nothing reads it) + :class:`~course_lib.models.heads.BertOnlyMLMHead`.

    ``labels``: ``[batch, seq]``, the original token id at masked positions and -100 elsewhere
    (what :func:`course_lib.training.masking.mask_tokens` returns).
    """

    def __init__(self, config):
        super().__init__(config)
        if getattr(config, "is_decoder", False):
            # transformers logs the same warning; the model would silently be causal (left-to-right)
            warnings.warn(
                "BertForMaskedLM built with config.is_decoder=True: every position attends only to earlier "
                "positions (a causal mask), not both sides; set is_decoder=False for masked-LM training",
                UserWarning,
                stacklevel=2,
            )
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_attentions: bool | None = None,
                output_hidden_states: bool | None = None, return_dict=None) -> MaskedLMOutput:
        def check_labels(shape):
            if labels is not None:
                check_mlm_labels(labels, shape, self.config.vocab_size)

        outputs = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                              output_attentions, output_hidden_states, check_labels)
        logits = self.cls(outputs.last_hidden_state)
        loss = masked_lm_loss(logits, labels) if labels is not None else None
        return MaskedLMOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions)


class BertLMHeadModel(_TiedLMHeadMixin, BertPreTrainedModel):
    """BERT as a left-to-right language model: causal attention + the MLM head + shifted labels.

    Build it with ``config.is_decoder=True`` so that position t attends only to positions <= t
    (otherwise every position could read the very token it must predict, and the loss would
    fall to zero without learning anything). ``labels`` are the *unshifted* input ids (-100
    where ignored); the loss shifts them by one so logits at t are scored against token t + 1.
    """

    def __init__(self, config):
        super().__init__(config)
        if not getattr(config, "is_decoder", False):
            # transformers logs the same warning. Without the causal mask every position sees the token
            # it must predict, and the shifted loss falls far below chance by copying, not by learning.
            warnings.warn(
                "BertLMHeadModel built without config.is_decoder=True: attention is bidirectional, so each "
                "position can read the next token it is asked to predict; set is_decoder=True for a causal LM",
                UserWarning,
                stacklevel=2,
            )
        self.bert = BertModel(config, add_pooling_layer=False)
        self.cls = BertOnlyMLMHead(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_attentions: bool | None = None,
                output_hidden_states: bool | None = None, return_dict=None,
                use_cache=None) -> CausalLMOutput:  # use_cache: accepted for call compatibility; no cache here
        def check_labels(shape):
            if labels is not None:
                check_mlm_labels(labels, shape, self.config.vocab_size)

        outputs = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                              output_attentions, output_hidden_states, check_labels)
        logits = self.cls(outputs.last_hidden_state)
        loss = causal_lm_loss(logits, labels) if labels is not None else None
        return CausalLMOutput(loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions)


class BertForNextSentencePrediction(BertPreTrainedModel):
    """Encoder (with pooler) + :class:`~course_lib.models.heads.BertOnlyNSPHead`: is B the sentence after A?

    ``labels``: ``[batch]``, 0 = B follows A, 1 = B is a random sentence. ``logits``: ``[batch, 2]``.
    """

    def __init__(self, config):
        super().__init__(config)
        self.bert = BertModel(config)
        self.cls = BertOnlyNSPHead(config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, position_ids=None,
                inputs_embeds=None, labels=None, output_attentions: bool | None = None,
                output_hidden_states: bool | None = None, return_dict=None) -> NextSentencePredictorOutput:
        def check_labels(shape):
            if labels is not None:
                check_next_sentence_label(labels, shape[0])

        outputs = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                              output_attentions, output_hidden_states, check_labels)
        logits = self.cls(outputs.pooler_output)
        loss = next_sentence_loss(logits, labels) if labels is not None else None
        return NextSentencePredictorOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )
