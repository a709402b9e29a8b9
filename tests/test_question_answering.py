"""course_lib.BertForQuestionAnswering against transformers, the span loss, decoding, metrics."""

import pytest
import torch
import torch.nn.functional as F

from course_lib import BertForQuestionAnswering
from course_lib.losses import clamp_span_positions, question_answering_loss, span_position_loss
from course_lib.models.question_answering import (
    char_span_to_token_span,
    decode_span,
    encode_qa_examples,
    exact_match_score,
    f1_score,
    normalize_answer,
    squad_metrics,
)
from helpers import (
    assert_loss_and_grads_close,
    every_tiny_config_and_attention,
    parity_pair,
    random_batch,
    reference_model,
    tiny_config,
)


def test_state_dict_keys_identical_and_no_pooler():
    config = tiny_config()
    ours, theirs = BertForQuestionAnswering(config), reference_model("BertForQuestionAnswering", config)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert not any("pooler" in k for k in ours.state_dict())
    theirs.load_state_dict(ours.state_dict(), strict=True)


# seq_len is 10: 12 and 40 lie beyond the input (clamped to the ignored index 10), -3 becomes 0.
POSITIONS = {
    "in-range": ([1, 4, 2], [3, 6, 2]),
    "out-of-range": ([12, 4, -3], [40, 6, 2]),
}


@every_tiny_config_and_attention
@pytest.mark.parametrize("positions", sorted(POSITIONS))
def test_logits_loss_and_gradients_match(config_name, attn, positions):
    config = tiny_config(config_name)
    ours, theirs = parity_pair(BertForQuestionAnswering, config, attn)
    batch = random_batch(config, padded=True, seed=len(config_name))
    starts, ends = (torch.tensor(p) for p in POSITIONS[positions])
    ours_out = ours(**batch, start_positions=starts, end_positions=ends)
    theirs_out = theirs(**batch, start_positions=starts.clone(), end_positions=ends.clone())
    torch.testing.assert_close(ours_out.start_logits, theirs_out.start_logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours_out.end_logits, theirs_out.end_logits, atol=1e-5, rtol=1e-5)
    assert_loss_and_grads_close(ours, theirs, ours_out, theirs_out)


def test_positions_of_shape_batch_by_one_are_accepted():
    config = tiny_config()
    ours, theirs = parity_pair(BertForQuestionAnswering, config)
    batch = random_batch(config)
    starts, ends = torch.tensor([[1], [2], [3]]), torch.tensor([[2], [2], [5]])
    torch.testing.assert_close(ours(**batch, start_positions=starts, end_positions=ends).loss,
                               theirs(**batch, start_positions=starts, end_positions=ends).loss)


def test_span_loss_by_hand():
    g = torch.Generator().manual_seed(0)
    start_logits, end_logits = torch.randn(3, 8, generator=g), torch.randn(3, 8, generator=g)
    starts, ends = torch.tensor([2, 9, -1]), torch.tensor([5, 20, 3])
    assert clamp_span_positions(starts, 8).tolist() == [2, 8, 0]  # 8 = seq_len = ignored index
    # Example 1 is out of range: it drops out of both means; example 2's start becomes [CLS].
    start_loss = F.cross_entropy(start_logits[[0, 2]], torch.tensor([2, 0]))
    end_loss = F.cross_entropy(end_logits[[0, 2]], torch.tensor([5, 3]))
    torch.testing.assert_close(span_position_loss(start_logits, starts), start_loss)
    torch.testing.assert_close(question_answering_loss(start_logits, end_logits, starts, ends), (start_loss + end_loss) / 2)


def test_all_positions_out_of_range_give_nan_like_transformers():
    loss = question_answering_loss(torch.zeros(2, 5), torch.zeros(2, 5), torch.tensor([7, 9]), torch.tensor([8, 9]))
    assert torch.isnan(loss)


def test_model_loss_is_the_named_function():
    config = tiny_config()
    ours = BertForQuestionAnswering(config).eval()
    batch = random_batch(config)
    starts, ends = torch.tensor([1, 2, 11]), torch.tensor([3, 2, 12])
    out = ours(**batch, start_positions=starts, end_positions=ends)
    torch.testing.assert_close(out.loss, question_answering_loss(out.start_logits, out.end_logits, starts, ends))


# -- encoding and decoding -----------------------------------------------------------------


def _tokenizer():
    from course_lib.models.pretrained import load_tokenizer

    return load_tokenizer()


EXAMPLE = {"question": "Where was Olga born?", "context": "Olga was born in Szczecin in 1984.",
           "answers": {"text": ["Szczecin"], "answer_start": [17]}}


def test_encode_finds_answer_tokens():
    tokenizer = _tokenizer()
    features = encode_qa_examples(tokenizer, [EXAMPLE], max_length=24)
    s, e = int(features["start_positions"][0]), int(features["end_positions"][0])
    tokens = tokenizer.convert_ids_to_tokens(features["input_ids"][0])
    assert tokens[s:e + 1] == ["s", "##zcz", "##ecin"]


def test_truncated_answer_points_at_cls():
    features = encode_qa_examples(_tokenizer(), [EXAMPLE], max_length=10)  # context cut before the city
    assert features["start_positions"].tolist() == [0] and features["end_positions"].tolist() == [0]


def test_char_span_to_token_span_by_hand():
    offsets = [(0, 0), (0, 4), (5, 8), (0, 0), (0, 3), (4, 6), (6, 9), (0, 0)]
    sequence_ids = [None, 0, 0, None, 1, 1, 1, None]
    assert char_span_to_token_span(offsets, sequence_ids, 4, 9) == (5, 6)
    assert char_span_to_token_span(offsets, sequence_ids, 4, 12) == (0, 0)  # beyond the context


def test_decode_round_trip_from_gold_positions():
    tokenizer = _tokenizer()
    features = encode_qa_examples(tokenizer, [EXAMPLE], max_length=24)
    T = features["input_ids"].shape[1]
    start_logits, end_logits = torch.zeros(T), torch.zeros(T)
    start_logits[features["start_positions"][0]] = 5.0
    end_logits[features["end_positions"][0]] = 5.0
    pred = decode_span(start_logits, end_logits, features["offset_mapping"][0], EXAMPLE["context"], features["context_mask"][0])
    assert pred.text == "Szczecin" and (pred.start_char, pred.end_char) == (17, 25)


def test_decode_respects_order_context_and_max_length():
    offsets = torch.tensor([(0, 0), (0, 1), (0, 0), (0, 1), (2, 3), (4, 5), (6, 7), (0, 0)])
    context_mask = torch.tensor([0, 0, 0, 1, 1, 1, 1, 0], dtype=torch.bool)  # tokens 3..6 are the context
    # The best start (1) and best end (1, 7) lie outside the context; inside it the best start (6)
    # comes after the best end (4). The best *valid* pair is (4, 4): 0.5 + 4.
    start = torch.tensor([0.0, 9.0, 0.0, 0.0, 0.5, 1.0, 3.0, 0.0])
    end = torch.tensor([0.0, 9.0, 0.0, 0.0, 4.0, 2.0, 0.0, 9.0])
    pred = decode_span(start, end, offsets, "a b c d", context_mask, max_answer_length=3)
    assert (pred.start_token, pred.end_token, pred.text, pred.score) == (4, 4, "b", 4.5)
    # A long span wins only while it fits in max_answer_length.
    start = torch.tensor([0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.5, 0.0])
    end = torch.tensor([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0])
    assert decode_span(start, end, offsets, "a b c d", context_mask, max_answer_length=4).text == "a b c d"
    assert decode_span(start, end, offsets, "a b c d", context_mask, max_answer_length=2).text == "d"


def test_decode_no_answer_when_cls_wins():
    offsets = torch.tensor([(0, 0), (0, 1), (2, 3), (0, 0)])
    context_mask = torch.tensor([0, 1, 1, 0], dtype=torch.bool)
    start, end = torch.tensor([6.0, 1.0, 0.0, 0.0]), torch.tensor([6.0, 0.0, 1.0, 0.0])
    assert decode_span(start, end, offsets, "a b", context_mask).text == "a b"
    pred = decode_span(start, end, offsets, "a b", context_mask, allow_no_answer=True)
    assert pred.text == "" and pred.is_no_answer


def test_squad_metrics():
    assert normalize_answer("The  Cape Town!") == "cape town"
    assert exact_match_score("the Cape Town", "Cape Town") == 1.0
    assert f1_score("Cape Town harbour", "Cape Town") == pytest.approx(0.8)
    assert f1_score("", "") == 1.0 and f1_score("Lyon", "") == 0.0
    m = squad_metrics(["Lyon", "in 1984", ""], [["Lyon"], ["1984", "in 1984"], []])
    assert m == {"exact_match": 100.0, "f1": 100.0}
    m = squad_metrics(["Porto", "1984 in May"], [["Lyon"], ["1984"]])
    assert m["exact_match"] == 0.0 and m["f1"] == pytest.approx(100 * 0.5 / 2)


# -- bad input ------------------------------------------------------------------------------


def test_start_and_end_positions_of_different_shapes_raise():
    config = tiny_config()
    ours = BertForQuestionAnswering(config)
    batch = random_batch(config)
    with pytest.raises(ValueError, match=r"start_positions has shape \(3,\) but end_positions has shape \(3, 2\)"):
        ours(**batch, start_positions=torch.tensor([1, 2, 3]), end_positions=torch.zeros(3, 2, dtype=torch.long))


def test_loss_positions_of_different_shapes_raise():
    with pytest.raises(ValueError, match=r"start_positions has shape \(2,\) but end_positions has shape \(3,\)"):
        question_answering_loss(torch.zeros(2, 5), torch.zeros(2, 5), torch.tensor([1, 2]), torch.tensor([1, 2, 3]))


def test_only_one_of_start_and_end_raises():
    config = tiny_config()
    with pytest.raises(ValueError, match="give both start_positions and end_positions"):
        BertForQuestionAnswering(config)(**random_batch(config), start_positions=torch.tensor([1, 2, 3]))


def test_positions_count_differs_from_batch_raises():
    with pytest.raises(ValueError, match="have 3 entries but the batch has 2 examples"):
        question_answering_loss(torch.zeros(2, 5), torch.zeros(2, 5), torch.tensor([1, 2, 3]), torch.tensor([1, 2, 3]))


def test_float_positions_raise():
    with pytest.raises(ValueError, match="must be integer token indices of dtype torch.long"):
        question_answering_loss(torch.zeros(2, 5), torch.zeros(2, 5), torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0]))


def test_num_labels_other_than_two_raises():
    with pytest.raises(ValueError, match="needs config.num_labels == 2"):
        BertForQuestionAnswering(tiny_config(num_labels=3))


def test_decode_with_batched_logits_raises():
    with pytest.raises(ValueError, match="decode_span takes one example"):
        decode_span(torch.zeros(2, 4), torch.zeros(2, 4), torch.zeros(4, 2), "ab", torch.ones(4, dtype=torch.bool))
