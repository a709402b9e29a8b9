"""BERT for token classification (named entities, part-of-speech tags), and sub-word label alignment.

Devlin et al. (2019, arXiv:1810.04805, section 4.3 and figure 4d) tag every token by putting one
linear layer on top of that token's final hidden vector. No pooler: the pooler summarises the
whole sequence into the [CLS] vector, and a tagger needs one vector *per token*.

Labels are given per *word* (CoNLL-2003 style), but the encoder sees WordPiece *sub-tokens*:
"Kowalczyk" becomes ``ko ##wal ##cz ##yk``. The usual fix, and the one the BERT paper used, is to
keep the word's label on its first sub-token and give the other pieces -100 so the loss ignores
them; [CLS], [SEP] and padding get -100 too (:func:`align_labels_with_tokens`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .._checks import check_integer
from ..losses.classification import check_problem_type
from ..losses.token_and_span import IGNORE_INDEX, check_token_labels, token_classification_loss
from .backbone import BertModel, BertPreTrainedModel
from .outputs import TokenClassifierOutput
from .sequence_classification import classifier_dropout_prob

__all__ = ["BertForTokenClassification", "align_labels_with_tokens", "tokenize_and_align_labels", "word_predictions"]


class BertForTokenClassification(BertPreTrainedModel):
    """Encoder (without pooler) -> dropout -> ``classifier`` Linear(hidden, num_labels) on every token.

    Same state-dict keys as ``transformers.BertForTokenClassification``: ``bert.*`` (no
    ``bert.pooler.*``) and ``classifier.weight/bias``. The loss is the mean cross-entropy over the
    tokens whose label is not -100; like current transformers (and unlike 4.4.2) it does *not*
    look at ``attention_mask``, so padding must be labelled -100.
    """

    def __init__(self, config):
        super().__init__(config)
        check_problem_type(None, config.num_labels)  # num_labels >= 1: no empty logits
        self.num_labels = config.num_labels
        # A pooler would be dead weight here: nothing reads the pooled [CLS] vector.
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = nn.Dropout(classifier_dropout_prob(config))
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
                inputs_embeds: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                output_attentions: bool | None = None, output_hidden_states: bool | None = None,
                return_dict: bool | None = None) -> TokenClassifierOutput:
        def check_labels(shape):
            if labels is not None:
                # Check before the encoder runs: a [seq, batch] label tensor has the right number of
                # elements, and transformers' labels.view(-1) would accept it and train on nonsense.
                check_token_labels(labels, shape, self.num_labels, against="the input has shape")

        outputs = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                              output_attentions, output_hidden_states, check_labels)
        logits = self.classifier(self.dropout(outputs.last_hidden_state))  # [B, T, num_labels]
        loss = token_classification_loss(logits, labels) if labels is not None else None
        return TokenClassifierOutput(
            loss=loss, logits=logits, hidden_states=outputs.hidden_states, attentions=outputs.attentions
        )


def align_labels_with_tokens(
    word_labels: Sequence[int], word_ids: Sequence[int | None], label_all_tokens: bool = False
) -> list[int]:
    """Turn one label per word into one label per token.

    ``word_ids`` is what a *fast* tokenizer's ``encoding.word_ids(i)`` returns: for every token,
    the index of the word it came from, or None for [CLS], [SEP] and padding.

    - special tokens and padding -> -100 (no loss);
    - the first sub-token of a word -> the word's label;
    - the following sub-tokens -> -100, or with ``label_all_tokens=True`` the word's label again
      (an alternative some scripts use; evaluation then has to pick one piece per word anyway).
    """
    aligned: list[int] = []
    previous = None
    for word_id in word_ids:
        if word_id is None:
            aligned.append(IGNORE_INDEX)
        elif word_id >= len(word_labels):
            raise ValueError(
                f"word_ids refer to word {word_id} but only {len(word_labels)} word labels were given"
            )
        elif word_id != previous:
            aligned.append(int(word_labels[word_id]))
        else:
            aligned.append(int(word_labels[word_id]) if label_all_tokens else IGNORE_INDEX)
        previous = word_id
    return aligned


def tokenize_and_align_labels(
    tokenizer,
    words: Sequence[Sequence[str]],
    word_labels: Sequence[Sequence[int]] | None = None,
    max_length: int = 32,
    label_all_tokens: bool = False,
):
    """Tokenize pre-split sentences (``is_split_into_words=True``), pad to ``max_length``, and
    add a ``labels`` tensor aligned with :func:`align_labels_with_tokens`. Needs a fast tokenizer
    (only those know ``word_ids``)."""
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("tokenize_and_align_labels needs a fast tokenizer (BertTokenizerFast): only it has word_ids()")
    if word_labels is not None and len(word_labels) != len(words):
        raise ValueError(f"got {len(words)} sentences but {len(word_labels)} label sequences")
    if isinstance(words, str) or any(isinstance(w, str) for w in words):
        raise ValueError("words must be a list of sentences, each a list of words (pre-split), e.g. "
                         "[['Ada', 'lives', 'in', 'Paris']]; got a string where a list of words belongs")
    check_integer("max_length", max_length, 3, why="[CLS], at least one token and [SEP]")
    for labels in word_labels or []:
        text = next((x for x in labels if isinstance(x, str)), None)
        if text is not None:
            raise ValueError(
                f"word labels must be integer label ids, got the string {text!r}: pass ex.tag_ids, not ex.tags "
                "(or map the tags to ids with a label2id dict)"
            )
    encoding = tokenizer(
        [list(w) for w in words],
        is_split_into_words=True,
        truncation=True,
        max_length=max_length,
        padding="max_length",
        return_tensors="pt",
    )
    if word_labels is not None:
        rows = []
        for i, labels in enumerate(word_labels):
            if len(labels) != len(words[i]):
                raise ValueError(f"sentence {i} has {len(words[i])} words but {len(labels)} labels")
            rows.append(align_labels_with_tokens(labels, encoding.word_ids(i), label_all_tokens))
        encoding["labels"] = torch.tensor(rows, dtype=torch.long)
    return encoding


def word_predictions(token_predictions: Sequence[int], word_ids: Sequence[int | None], num_words: int, fill: int = 0) -> list[int]:
    """The inverse of the alignment, for evaluation: read each word's predicted label from its
    first sub-token. Words cut off by truncation get ``fill`` (0 is "O" in the course's tag set)."""
    out = [fill] * num_words
    seen = set()
    for prediction, word_id in zip(token_predictions, word_ids):
        if word_id is not None and word_id not in seen and word_id < num_words:
            seen.add(word_id)
            out[word_id] = int(prediction)
    return out
