"""BERT for extractive question answering (SQuAD), span decoding, and SQuAD's metrics.

Devlin et al. (2019, arXiv:1810.04805, section 4.2) answer a question by pointing into the
context: the input is ``[CLS] question [SEP] context [SEP]``, one linear layer ``qa_outputs`` maps
every token's final vector to two numbers, a *start* score and an *end* score, and the answer is
the span (i, j), i <= j, with the highest start_i + end_j. For SQuAD v2 (Rajpurkar et al., 2018,
arXiv:1806.03822) "no answer" is the span (0, 0) on [CLS], chosen when its score beats every span.

Exact match and F1 follow the official SQuAD v1.1 evaluation script (Rajpurkar et al., 2016,
arXiv:1606.05250): compare answers after lower-casing and removing punctuation, articles and
extra white space; F1 is over the bag of words; take the best over the gold answers.
"""

from __future__ import annotations

import collections
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from .._checks import check_integer
from ..losses.token_and_span import check_span_positions, question_answering_loss
from .backbone import BertModel, BertPreTrainedModel
from .outputs import QuestionAnsweringModelOutput

__all__ = [
    "BertForQuestionAnswering",
    "SpanPrediction",
    "char_span_to_token_span",
    "encode_qa_examples",
    "decode_span",
    "decode_batch",
    "normalize_answer",
    "exact_match_score",
    "f1_score",
    "squad_metrics",
]


class BertForQuestionAnswering(BertPreTrainedModel):
    """Encoder (without pooler) -> ``qa_outputs`` Linear(hidden, 2) -> start and end logits.

    Same state-dict keys as ``transformers.BertForQuestionAnswering``. No dropout before
    ``qa_outputs`` (transformers has none either). With ``start_positions`` and ``end_positions``
    the loss is ``(start_loss + end_loss) / 2``, positions outside the input clamped to the ignored
    index ``seq_len`` (:func:`course_lib.losses.question_answering_loss`).
    """

    def __init__(self, config):
        super().__init__(config)
        if config.num_labels != 2:
            # transformers would fail later with "too many values to unpack"; say why here.
            raise ValueError(
                f"BertForQuestionAnswering needs config.num_labels == 2 (a start and an end score per "
                f"token), got num_labels={config.num_labels}"
            )
        self.num_labels = config.num_labels
        self.bert = BertModel(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids: torch.Tensor | None = None, attention_mask: torch.Tensor | None = None,
                token_type_ids: torch.Tensor | None = None, position_ids: torch.Tensor | None = None,
                inputs_embeds: torch.Tensor | None = None, start_positions: torch.Tensor | None = None,
                end_positions: torch.Tensor | None = None, output_attentions: bool | None = None,
                output_hidden_states: bool | None = None,
                return_dict: bool | None = None) -> QuestionAnsweringModelOutput:
        def check_labels(shape):
            if start_positions is not None or end_positions is not None:
                # Validated before the encoder runs (the loss runs the same check: one function, two callers).
                check_span_positions(start_positions, end_positions, shape[0])

        outputs = self.encode(input_ids, attention_mask, token_type_ids, position_ids, inputs_embeds,
                              output_attentions, output_hidden_states, check_labels)
        logits = self.qa_outputs(outputs.last_hidden_state)  # [B, T, 2]
        start_logits, end_logits = logits.unbind(dim=-1)  # two [B, T] score vectors
        start_logits, end_logits = start_logits.contiguous(), end_logits.contiguous()
        loss = None
        if start_positions is not None:
            loss = question_answering_loss(start_logits, end_logits, start_positions, end_positions)
        return QuestionAnsweringModelOutput(
            loss=loss,
            start_logits=start_logits,
            end_logits=end_logits,
            hidden_states=outputs.hidden_states,
            attentions=outputs.attentions,
        )


# --------------------------------------------------------------------------------------------
# From character offsets to token positions (training targets)
# --------------------------------------------------------------------------------------------


def char_span_to_token_span(
    offsets: Sequence[tuple[int, int]], sequence_ids: Sequence[int | None], start_char: int, end_char: int
) -> tuple[int, int]:
    """Token indices (start, end) of the context tokens that cover characters
    ``[start_char, end_char)`` of the context. ``offsets`` and ``sequence_ids`` come from a fast
    tokenizer (``return_offsets_mapping=True``, ``encoding.sequence_ids(i)``); context tokens have
    sequence id 1. If the answer is not entirely inside the (possibly truncated) context, returns
    (0, 0): the [CLS] "no answer" target, as the transformers example scripts do."""
    context = [i for i, s in enumerate(sequence_ids) if s == 1]
    if not context or end_char <= start_char:
        return 0, 0
    first, last = context[0], context[-1]
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return 0, 0
    start_token = next(i for i in context if offsets[i][1] > start_char)
    end_token = next(i for i in reversed(context) if offsets[i][0] < end_char)
    return start_token, end_token


def encode_qa_examples(tokenizer, examples: Sequence[dict], max_length: int = 48) -> dict:
    """Tokenize SQuAD-format examples (``question``, ``context``, ``answers = {"text": [...],
    "answer_start": [...]}``) as ``[CLS] question [SEP] context [SEP]``, truncating only the
    context, and add the first answer's token positions as ``start_positions``/``end_positions``.

    Returns a dict of tensors plus ``offset_mapping`` and ``context_mask`` for decoding. Examples
    with no answer (SQuAD v2) or whose answer was truncated away point at [CLS] (0, 0)."""
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError("encode_qa_examples needs a fast tokenizer (BertTokenizerFast): it uses offset mappings")
    if isinstance(examples, Mapping) or isinstance(examples, str):
        raise TypeError("examples must be a list of SQuAD-format dicts; for one example pass [example]")
    check_integer("max_length", max_length, 4, why="[CLS] question [SEP] context [SEP]")
    for i, example in enumerate(examples):
        answers = example.get("answers") if isinstance(example, Mapping) else None
        if answers is not None and not (isinstance(answers, Mapping) and "text" in answers and "answer_start" in answers):
            raise ValueError(
                f"example {i}: answers must be a dict {{'text': [...], 'answer_start': [...]}} (SQuAD format), "
                f"got {answers!r}"
            )
    enc = tokenizer(
        [e["question"] for e in examples],
        [e["context"] for e in examples],
        truncation="only_second",
        max_length=max_length,
        padding="max_length",
        return_offsets_mapping=True,
        return_tensors="pt",
    )
    starts, ends, context_masks = [], [], []
    for i, example in enumerate(examples):
        sequence_ids = enc.sequence_ids(i)
        context_masks.append([s == 1 for s in sequence_ids])
        answers = example.get("answers", {"text": [], "answer_start": []})
        if answers["text"]:
            start_char = answers["answer_start"][0]
            end_char = start_char + len(answers["text"][0])
            s, t = char_span_to_token_span(enc["offset_mapping"][i].tolist(), sequence_ids, start_char, end_char)
        else:
            s, t = 0, 0
        starts.append(s)
        ends.append(t)
    return {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "token_type_ids": enc["token_type_ids"],
        "start_positions": torch.tensor(starts),
        "end_positions": torch.tensor(ends),
        "offset_mapping": enc["offset_mapping"],
        "context_mask": torch.tensor(context_masks),
    }


# --------------------------------------------------------------------------------------------
# From start/end logits back to answer text
# --------------------------------------------------------------------------------------------


@dataclass
class SpanPrediction:
    """A decoded answer. ``text == ""`` and ``start_token == end_token == 0`` mean "no answer"."""

    text: str
    start_token: int
    end_token: int
    start_char: int
    end_char: int
    score: float  # start_logit + end_logit of the chosen span
    null_score: float  # start_logit + end_logit of [CLS]

    @property
    def is_no_answer(self) -> bool:
        return self.start_token == 0 and self.end_token == 0


def decode_span(
    start_logits: torch.Tensor,
    end_logits: torch.Tensor,
    offsets,
    context: str,
    context_mask: torch.Tensor,
    max_answer_length: int = 15,
    allow_no_answer: bool = False,
    null_threshold: float = 0.0,
) -> SpanPrediction:
    """Best span for ONE example: maximise ``start_logits[i] + end_logits[j]`` over context tokens
    with ``i <= j < i + max_answer_length``, then cut the answer out of ``context`` through the
    tokens' character offsets (so the text keeps the context's original case and spacing).

    Taking the argmax of start and end separately can give end < start or a span across the
    question; scoring pairs rules those out. With ``allow_no_answer`` (SQuAD v2), answer "" when the
    [CLS] score ``start[0] + end[0]`` beats the best span by more than ``null_threshold``.
    """
    if start_logits.dim() != 1 or start_logits.shape != end_logits.shape:
        raise ValueError(
            f"decode_span takes one example: 1-D start and end logits of equal length, got "
            f"{tuple(start_logits.shape)} and {tuple(end_logits.shape)}"
        )
    check_integer("max_answer_length", max_answer_length, 1)
    start_logits, end_logits = start_logits.detach().float(), end_logits.detach().float()
    seq_len = start_logits.shape[0]
    in_context = torch.as_tensor(context_mask, dtype=torch.bool)
    scores = start_logits[:, None] + end_logits[None, :]  # scores[i, j] = start_i + end_j
    i = torch.arange(seq_len)
    allowed = (i[None, :] >= i[:, None]) & (i[None, :] < i[:, None] + max_answer_length)  # i <= j < i + L
    allowed &= in_context[:, None] & in_context[None, :]
    null_score = float(start_logits[0] + end_logits[0])
    if not bool(allowed.any()):
        return SpanPrediction("", 0, 0, 0, 0, null_score, null_score)
    scores = scores.masked_fill(~allowed, float("-inf"))
    flat = int(scores.argmax())
    s, t = divmod(flat, seq_len)
    best = float(scores[s, t])
    if allow_no_answer and null_score > best + null_threshold:
        return SpanPrediction("", 0, 0, 0, 0, null_score, null_score)
    offsets = torch.as_tensor(offsets).tolist()
    start_char, end_char = int(offsets[s][0]), int(offsets[t][1])
    return SpanPrediction(context[start_char:end_char], s, t, start_char, end_char, best, null_score)


def decode_batch(start_logits, end_logits, features: dict, contexts: Sequence[str], **kwargs) -> list[SpanPrediction]:
    """:func:`decode_span` for every row of a batch encoded by :func:`encode_qa_examples`."""
    return [
        decode_span(start_logits[b], end_logits[b], features["offset_mapping"][b], contexts[b],
                    features["context_mask"][b], **kwargs)
        for b in range(len(contexts))
    ]


# --------------------------------------------------------------------------------------------
# SQuAD metrics
# --------------------------------------------------------------------------------------------


def normalize_answer(text: str) -> str:
    """Lower-case, drop punctuation, drop the articles a/an/the, squeeze white space."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match_score(prediction: str, truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(truth))


def f1_score(prediction: str, truth: str) -> float:
    """Word-overlap F1 between normalised answers. Two empty answers (both "no answer") score 1;
    one empty and one not score 0."""
    pred_tokens = normalize_answer(prediction).split()
    true_tokens = normalize_answer(truth).split()
    if not pred_tokens or not true_tokens:
        return float(pred_tokens == true_tokens)
    common = collections.Counter(pred_tokens) & collections.Counter(true_tokens)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(pred_tokens)
    recall = overlap / len(true_tokens)
    return 2 * precision * recall / (precision + recall)


def squad_metrics(predictions: Sequence[str], gold_answers: Sequence[Sequence[str]]) -> dict[str, float]:
    """Exact match and F1 in percent, averaged over examples; each example scores its best match
    among its gold answers. An example with no gold answers (SQuAD v2) expects "". A gold answer
    given as a bare string (``["Lyon", "Porto"]``) is that example's one gold answer."""
    for name, value in (("predictions", predictions), ("gold_answers", gold_answers)):
        if isinstance(value, str) or not hasattr(value, "__len__"):
            raise TypeError(f"{name} must be a list with one entry per example, got {type(value).__name__} "
                            f"{str(value)[:40]!r}")
    if not all(isinstance(p, str) for p in predictions):  # a list of answers per prediction, a tensor, ...
        bad = next(p for p in predictions if not isinstance(p, str))
        raise TypeError(f"each prediction must be a string (the predicted answer text), got {type(bad).__name__} "
                        f"{bad!r}")
    if len(predictions) != len(gold_answers):
        raise ValueError(f"got {len(predictions)} predictions for {len(gold_answers)} examples")
    if not predictions:
        raise ValueError("squad_metrics needs at least one example")
    em = f1 = 0.0
    for prediction, golds in zip(predictions, gold_answers):
        golds = [golds] if isinstance(golds, str) else list(golds) or [""]  # a bare string: one gold answer
        em += max(exact_match_score(prediction, g) for g in golds)
        f1 += max(f1_score(prediction, g) for g in golds)
    n = len(predictions)
    return {"exact_match": 100.0 * em / n, "f1": 100.0 * f1 / n}
