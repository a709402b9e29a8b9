"""course_lib.models.pooling: the masked mean ignores padding; the mean-pooled classifier has
transformers' keys, matches a transformers BertModel + masked mean, trains its head and encoder
but not the pooler; predict's length-sorted, cut batches give its full-length logits; bad input."""

import pytest
import torch

from course_lib import BertForSequenceClassification
from course_lib.models.pooling import BertForMeanPooledClassification, masked_mean, mean_pooled_logits
from course_lib.training import predict
from helpers import ATTN_IMPLEMENTATIONS, random_batch, reference_model, tiny_config


def test_masked_mean_ignores_padding():
    hidden = torch.randn(2, 5, 3)
    mask = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]])
    out = masked_mean(hidden, mask)
    torch.testing.assert_close(out[0], hidden[0, :3].mean(0))
    torch.testing.assert_close(out[1], hidden[1].mean(0))
    changed = hidden.clone()
    changed[0, 3:] = 1e6  # whatever sits in the padding must not move the mean
    torch.testing.assert_close(masked_mean(changed, mask), out)


def test_masked_mean_errors():
    with pytest.raises(ValueError, match="no real token"):
        masked_mean(torch.randn(2, 3, 4), torch.tensor([[1, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match="does not match"):
        masked_mean(torch.randn(2, 3, 4), torch.ones(2, 4))
    with pytest.raises(ValueError, match=r"\[batch, seq_len, hidden\]"):
        masked_mean(torch.randn(2, 3), torch.ones(2, 3))


@pytest.mark.parametrize("attn", ATTN_IMPLEMENTATIONS)
def test_mean_pooled_classifier_matches_transformers_encoder(attn):
    config = tiny_config(num_labels=3)
    theirs = reference_model("BertForSequenceClassification", config, attn)
    ours = BertForMeanPooledClassification(config)
    ours.load_state_dict(theirs.state_dict(), strict=True)  # same keys, both ways
    theirs.load_state_dict(ours.state_dict(), strict=True)
    ours.eval()
    batch = random_batch(config, batch=4, seq_len=9)
    labels = torch.tensor([0, 2, 1, 1])
    out = ours(**batch, labels=labels)
    with torch.no_grad():
        expected = mean_pooled_logits(theirs.bert, theirs.classifier.weight, theirs.classifier.bias, **batch)
    torch.testing.assert_close(out.logits, expected, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out.loss, torch.nn.functional.cross_entropy(expected, labels), rtol=1e-5, atol=1e-6)
    out.loss.backward()
    grads = {n: p.grad for n, p in ours.named_parameters()}
    assert all(grads[n] is None for n in grads if ".pooler." in n), "the pooler must get no gradient"
    assert grads["classifier.weight"] is not None and grads["bert.embeddings.word_embeddings.weight"] is not None


def test_differs_from_the_pooler_classifier():
    config = tiny_config()
    torch.manual_seed(0)
    pooled = BertForSequenceClassification(config).eval()
    mean = BertForMeanPooledClassification(config).eval()
    mean.load_state_dict(pooled.state_dict())
    batch = random_batch(config)
    with torch.no_grad():
        assert not torch.allclose(mean(**batch).logits, pooled(**batch).logits)


def test_predict_on_sorted_cut_batches_matches_one_full_pass():
    """What predict_fast did for the capstone's model, predict now does for every model: the same logits."""
    config = tiny_config()
    torch.manual_seed(0)
    model = BertForMeanPooledClassification(config)
    model.train()
    # random_batch's rows get shorter and shorter: flipped, the shortest come first and predict must reorder them
    batch = {k: v.flip(0) for k, v in random_batch(config, batch=7, seq_len=12).items()}
    batch["labels"] = torch.zeros(7, dtype=torch.long)
    fast = predict(model, batch, batch_size=3)
    assert model.training, "predict must restore training mode"
    model.eval()
    with torch.no_grad():
        full = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
    torch.testing.assert_close(fast, full, rtol=1e-5, atol=1e-6)
