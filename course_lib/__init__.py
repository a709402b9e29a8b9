"""course_lib: from-scratch PyTorch BERT task models, checked against Hugging Face transformers.

Every model class has the name, constructor (``Cls(config)`` with a ``transformers.BertConfig``),
state-dict keys, forward arguments and output field names of the transformers class of the same
name, so weights and habits move between the two without a lookup.

The package has one folder per layer; each layer imports only from the layers above it in this list:

- ``losses/``     the loss of every head, as small functions (no model code)
- ``models/``     the encoder, the heads, the pre-training and the four task models, their outputs,
                  weight tying, the mean-pooled classifier and the pretrained-weight loader
- ``evaluation/`` metrics (one ``accuracy``), baselines and paired comparisons
- ``training/``   batches, one ``predict``, the training loop, optimisers, schedules, masking,
                  frozen lower layers, and the fine-tuning command
- ``task_data/``  the real movie reviews and the small generated data sets
- ``notebook/``   what the notebooks call: set-up, plotting, the parity report
- ``exercises/``  the self-checking exercises, one module per chapter

Names are imported lazily: ``import course_lib`` is fast, and ``course_lib.BertForMaskedLM``
loads only the module that defines it. ``tests/test_package_layout.py`` checks this table against
the folders.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"  # the one place it is written: pyproject.toml and tools/colab.py read it here

# public name -> module that defines it (relative to course_lib)
_EXPORTS = {
    "BertModel": "models.backbone",
    "BertPreTrainedModel": "models.backbone",
    "BertForPreTraining": "models.pretraining",
    "BertForMaskedLM": "models.pretraining",
    "BertLMHeadModel": "models.pretraining",
    "BertForNextSentencePrediction": "models.pretraining",
    "BertForSequenceClassification": "models.sequence_classification",
    "BertForMultipleChoice": "models.multiple_choice",
    "BertForTokenClassification": "models.token_classification",
    "BertForQuestionAnswering": "models.question_answering",
    "BertForMeanPooledClassification": "models.pooling",
    "parity_report": "notebook.parity",
    "ParityReport": "notebook.parity",
    "load_pretrained": "models.pretrained",
}

# the layer folders, reachable as attributes (course_lib.losses, course_lib.training, ...)
_SUBPACKAGES = ("losses", "models", "evaluation", "training", "task_data", "notebook", "exercises")

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value  # cache: the next access is a plain attribute lookup
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'course_lib' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS) + list(_SUBPACKAGES))
