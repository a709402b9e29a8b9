"""The input-blind baselines of the generated pre-training corpus (notebook 03)."""

import pytest
import torch

from course_lib.task_data import corpus


def _held_out():
    tok = corpus.corpus_tokenizer()
    pairs = corpus.make_nsp_pairs(corpus.generate_documents(60, seed=0), seed=0)
    return tok, corpus.encode_pairs(pairs[-80:], tok)


def test_same_animal_rule_solves_the_corpus_nsp_task():
    tok, data = _held_out()
    floors = corpus.input_blind_baselines(data, tok)
    assert floors["nsp_same_animal_rule"] == 1.0            # negatives always come from another animal
    labels = data["next_sentence_label"]
    share = max(labels.float().mean().item(), 1 - labels.float().mean().item())
    assert floors["nsp_best_constant"] == pytest.approx(share)
    assert 0 < floors["mlm_best_constant"] < 0.5


def test_rule_fails_when_animals_are_swapped():
    tok, data = _held_out()
    flipped = dict(data, next_sentence_label=1 - data["next_sentence_label"])
    assert corpus.input_blind_baselines(flipped, tok)["nsp_same_animal_rule"] == 0.0


def test_mlm_constant_is_repeatable_for_a_seed():
    tok, data = _held_out()
    a = corpus.input_blind_baselines(data, tok, seed=5)["mlm_best_constant"]
    b = corpus.input_blind_baselines(data, tok, seed=5)["mlm_best_constant"]
    assert a == b and isinstance(a, float)
    assert torch.is_tensor(data["input_ids"])


def test_sentence_lookup_fills_masks_of_sentences_it_has_seen():
    tok = corpus.corpus_tokenizer()
    pairs = corpus.make_nsp_pairs(corpus.generate_documents(60, seed=0), seed=0)
    data = corpus.encode_pairs(pairs[-80:], tok)
    seen = corpus.input_blind_baselines(data, tok, train=data)["mlm_sentence_lookup"]
    other = corpus.encode_pairs(corpus.make_nsp_pairs(corpus.generate_documents(5, seed=9), seed=9)[:4], tok)
    partial = corpus.input_blind_baselines(data, tok, train=other)["mlm_sentence_lookup"]
    assert seen > 0.9 and partial < seen   # a table of the very sentences fills nearly every mask
    assert "mlm_sentence_lookup" not in corpus.input_blind_baselines(data, tok)
