"""The models: one BERT encoder and the heads that turn it into task models.

- :mod:`.backbone`: ``BertModel`` (embeddings, encoder layers, pooler) and ``BertPreTrainedModel``
  (weight initialisation, ``from_pretrained``, ``save_pretrained``)
- :mod:`.heads`: the prediction heads of pre-training (masked LM transform + decoder, next sentence)
- :mod:`.pretraining`: ``BertForPreTraining``, ``BertForMaskedLM``, ``BertLMHeadModel``,
  ``BertForNextSentencePrediction``
- the four fine-tuning models, one module each: :mod:`.sequence_classification`, :mod:`.multiple_choice`,
  :mod:`.token_classification`, :mod:`.question_answering`
- :mod:`.pooling`: the mean-pooled sentence classifier the fine-tuning chapters train
- :mod:`.outputs`: the output dataclasses (transformers' field names)
- :mod:`.tying`: weight tying (input embeddings = MLM decoder) and resizing the vocabulary
- :mod:`.pretrained`: loading the packaged pretrained encoder (or any BERT checkpoint) into these classes

Each model's loss is in :mod:`course_lib.losses`; the models only call it.
"""

from .backbone import BertModel, BertPreTrainedModel
from .multiple_choice import BertForMultipleChoice
from .pooling import BertForMeanPooledClassification
from .pretraining import BertForMaskedLM, BertForNextSentencePrediction, BertForPreTraining, BertLMHeadModel
from .question_answering import BertForQuestionAnswering
from .sequence_classification import BertForSequenceClassification
from .token_classification import BertForTokenClassification

__all__ = [
    "BertModel", "BertPreTrainedModel", "BertForPreTraining", "BertForMaskedLM", "BertLMHeadModel",
    "BertForNextSentencePrediction", "BertForSequenceClassification", "BertForMultipleChoice",
    "BertForTokenClassification", "BertForQuestionAnswering", "BertForMeanPooledClassification",
]
