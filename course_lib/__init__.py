"""course_lib: from-scratch PyTorch BERT task models, checked against Hugging Face transformers.

Every model class has the name, constructor (``Cls(config)`` with a ``transformers.BertConfig``),
state-dict keys, forward arguments and output field names of the transformers class of the same
name, so weights and habits move between the two without a lookup.

Names are imported lazily: ``import course_lib`` is fast, and ``course_lib.BertForMaskedLM``
loads only the module that defines it.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "BertModel": "backbone",
    "BertPreTrainedModel": "backbone",
    "BertForPreTraining": "pretraining",
    "BertForMaskedLM": "pretraining",
    "BertLMHeadModel": "pretraining",
    "BertForNextSentencePrediction": "pretraining",
    "BertForSequenceClassification": "sequence_classification",
    "BertForMultipleChoice": "multiple_choice",
    "BertForTokenClassification": "token_classification",
    "BertForQuestionAnswering": "question_answering",
    "parity_report": "parity",
    "ParityReport": "parity",
    "load_pretrained": "pretrained",
}

# submodules reachable as attributes (course_lib.parity, course_lib.losses, ...)
_SUBMODULES = {
    "backbone", "outputs", "parity", "pretrained", "notebook", "plotting", "losses",
    "heads", "pretraining", "masking", "tying",
    "sequence_classification", "multiple_choice", "token_classification", "question_answering", "task_data",
    "optim", "schedules",
    "exercises", "finetune", "training", "evaluation", "frozen", "pooling", "batching",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value  # cache: the next access is a plain attribute lookup
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))
