"""course_lib.BertForTokenClassification against transformers, the token loss, label alignment."""

import pytest
import torch

from course_lib import BertForTokenClassification
from course_lib.losses import IGNORE_INDEX, token_classification_loss, token_classification_loss_with_attention_mask
from course_lib.models.token_classification import align_labels_with_tokens, tokenize_and_align_labels, word_predictions
from helpers import (
    assert_loss_and_grads_close,
    every_tiny_config_and_attention,
    parity_pair,
    random_batch,
    reference_model,
    tiny_config,
)

NUM_LABELS = 5


def token_labels(batch, num_labels=NUM_LABELS, seed=0):
    """Random labels, -100 on padding and on a few real tokens (sub-word pieces)."""
    g = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, num_labels, batch["input_ids"].shape, generator=g)
    labels[batch["attention_mask"] == 0] = IGNORE_INDEX
    labels[:, 0] = IGNORE_INDEX  # [CLS]
    labels[:, 3] = IGNORE_INDEX  # a second sub-token
    return labels


def test_state_dict_keys_identical_and_no_pooler():
    config = tiny_config(num_labels=NUM_LABELS)
    ours, theirs = BertForTokenClassification(config), reference_model("BertForTokenClassification", config)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert not any("pooler" in k for k in ours.state_dict())
    theirs.load_state_dict(ours.state_dict(), strict=True)  # and the other way round


@every_tiny_config_and_attention
def test_logits_loss_and_gradients_match(config_name, attn):
    config = tiny_config(config_name, num_labels=NUM_LABELS)
    ours, theirs = parity_pair(BertForTokenClassification, config, attn)
    batch = random_batch(config, padded=True, seed=len(config_name))
    labels = token_labels(batch)
    ours_out, theirs_out = ours(**batch, labels=labels), theirs(**batch, labels=labels)
    torch.testing.assert_close(ours_out.logits, theirs_out.logits, atol=1e-5, rtol=1e-5)
    assert_loss_and_grads_close(ours, theirs, ours_out, theirs_out)


def test_loss_by_hand_counts_only_labelled_tokens():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 6, NUM_LABELS, generator=g)
    labels = torch.tensor([[-100, 1, 2, -100, 0, -100], [-100, 4, -100, -100, -100, -100]])
    keep = labels != -100
    by_hand = -torch.log_softmax(logits, -1)[keep].gather(1, labels[keep][:, None]).mean()
    torch.testing.assert_close(token_classification_loss(logits, labels), by_hand)


def test_loss_ignores_attention_mask_now_but_not_in_4_4_2():
    """Padding labelled with a real class counts now; the 4.4.2 loss masked it out."""
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(1, 4, 3, generator=g)
    mask = torch.tensor([[1, 1, 0, 0]])
    good = torch.tensor([[1, 2, -100, -100]])
    sloppy = torch.tensor([[1, 2, 0, 0]])  # padding labelled "O"
    torch.testing.assert_close(token_classification_loss_with_attention_mask(logits, sloppy, mask),
                               token_classification_loss(logits, good))
    assert not torch.allclose(token_classification_loss(logits, sloppy), token_classification_loss(logits, good))


def test_model_loss_is_the_named_function():
    config = tiny_config(num_labels=NUM_LABELS)
    ours = BertForTokenClassification(config).eval()
    batch = random_batch(config)
    labels = token_labels(batch)
    out = ours(**batch, labels=labels)
    torch.testing.assert_close(out.loss, token_classification_loss(out.logits, labels))


def test_from_pretrained_reports_pooler_as_unexpected():
    model, report = BertForTokenClassification.from_pretrained(output_loading_info=True, num_labels=3)
    assert report.missing_keys == ["classifier.bias", "classifier.weight"]
    assert report.unexpected_keys == ["bert.pooler.dense.bias", "bert.pooler.dense.weight"]


# -- label alignment ------------------------------------------------------------------------


def test_alignment_first_subtoken_keeps_label():
    #            [CLS] w0   w1 w1 w1  w2  [SEP] pad
    word_ids = [None, 0, 1, 1, 1, 2, None, None]
    assert align_labels_with_tokens([3, 1, 0], word_ids) == [-100, 3, 1, -100, -100, 0, -100, -100]
    assert align_labels_with_tokens([3, 1, 0], word_ids, label_all_tokens=True) == [-100, 3, 1, 1, 1, 0, -100, -100]


def test_alignment_on_real_tokenizer():
    from course_lib.models.pretrained import load_tokenizer

    tokenizer = load_tokenizer()
    enc = tokenize_and_align_labels(tokenizer, [["Anna", "Kowalczyk", "visited", "Szczecin"]], [[1, 2, 0, 3]], max_length=12)
    assert enc.tokens(0)[:10] == ["[CLS]", "anna", "ko", "##wal", "##cz", "##yk", "visited", "s", "##zcz", "##ecin"]
    assert enc["labels"][0].tolist() == [-100, 1, 2, -100, -100, -100, 0, 3, -100, -100, -100, -100]
    assert word_predictions(enc["labels"][0].clamp(min=0).tolist(), enc.word_ids(0), 4) == [1, 2, 0, 3]


# -- bad input ------------------------------------------------------------------------------


def test_labels_with_wrong_shape_raise():
    config = tiny_config(num_labels=NUM_LABELS)
    ours = BertForTokenClassification(config)
    batch = random_batch(config, batch=3, seq_len=10)
    with pytest.raises(ValueError, match=r"token labels have shape \(10, 3\) but the input has shape \(3, 10\)"):
        ours(**batch, labels=torch.zeros(10, 3, dtype=torch.long))


def test_loss_labels_with_wrong_shape_raise():
    with pytest.raises(ValueError, match=r"token labels have shape \(2, 5\) but the logits cover \(2, 6\)"):
        token_classification_loss(torch.zeros(2, 6, 3), torch.zeros(2, 5, dtype=torch.long))


def test_labels_out_of_range_raise():
    with pytest.raises(ValueError, match=r"token labels must lie in \[0, 3\) for 3 classes \(or be -100"):
        token_classification_loss(torch.zeros(1, 4, 3), torch.tensor([[0, 1, 3, -100]]))


def test_float_labels_raise():
    with pytest.raises(ValueError, match="must be integer class ids"):
        token_classification_loss(torch.zeros(1, 2, 3), torch.zeros(1, 2))


def test_alignment_with_too_few_word_labels_raises():
    with pytest.raises(ValueError, match="refer to word 2 but only 2 word labels"):
        align_labels_with_tokens([0, 1], [None, 0, 1, 2, None])


def test_alignment_sentence_label_count_mismatch_raises():
    from course_lib.models.pretrained import load_tokenizer

    with pytest.raises(ValueError, match="sentence 0 has 2 words but 3 labels"):
        tokenize_and_align_labels(load_tokenizer(), [["a", "b"]], [[0, 0, 0]])
