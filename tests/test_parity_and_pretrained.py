"""The parity report helper and the offline pretrained loader."""

import pytest
import torch
import transformers

import course_lib
from course_lib.models.pretrained import adapt_state_dict, load_pretrained, packaged_encoder_dir
from course_lib.notebook.parity import ParityReport, parity_report
from helpers import ours_from, random_batch, reference_model, tiny_config


def test_report_agrees_on_identical_models(capsys):
    config = tiny_config()
    theirs = reference_model("BertModel", config, "sdpa")
    ours = ours_from(theirs, course_lib.BertModel)
    report = parity_report(ours, theirs, random_batch(config))
    assert report.ok and bool(report)
    names = [row.name for row in report.rows]
    assert names[:2] == ["last_hidden_state", "pooler_output"] and names[2].startswith("gradients")
    assert "all outputs agree" in capsys.readouterr().out


def test_report_catches_a_wrong_weight():
    config = tiny_config()
    theirs = reference_model("BertModel", config)
    ours = ours_from(theirs, course_lib.BertModel)
    with torch.no_grad():
        ours.encoder.layer[1].attention.self.value.weight[0, 0] += 1e-2  # one wrong weight
    report = parity_report(ours, theirs, random_batch(config), print_report=False)
    assert not report.ok
    assert "MISMATCH" in str(report)
    with pytest.raises(AssertionError, match="parity check failed"):
        report.assert_ok()


def test_report_catches_a_gradient_only_bug():
    """Outputs equal but a gradient differs: a detached parameter trains nothing."""
    config = tiny_config()
    theirs = reference_model("BertModel", config)
    ours = ours_from(theirs, course_lib.BertModel)
    ours.pooler.dense.weight.requires_grad_(False)  # forward unchanged, no gradient flows
    report = parity_report(ours, theirs, random_batch(config), print_report=False)
    rows = {row.name.split(" ")[0]: row for row in report.rows}
    assert rows["last_hidden_state"].ok and rows["pooler_output"].ok
    assert not rows["gradients"].ok and "pooler.dense.weight" in rows["gradients"].note


def test_report_rejects_shape_mismatch():
    report = ParityReport()
    with pytest.raises(ValueError, match="shapes differ"):
        report.add("x", torch.zeros(2, 3), torch.zeros(3, 2))


def test_nan_never_agrees():
    report = ParityReport()
    report.add("x", torch.tensor([float("nan")]), torch.tensor([0.0]))
    assert not report.ok


def test_packaged_encoder_is_found_offline():
    folder = packaged_encoder_dir()
    assert (folder / "model.safetensors").exists() and (folder / "vocab.txt").exists()
    tokenizer, config, state_dict = load_pretrained()
    assert config.hidden_size == 384 and config.num_hidden_layers == 6 and config.vocab_size == 30522
    assert len(tokenizer) == 30522 and tokenizer.mask_token == "[MASK]"
    assert "pooler.dense.weight" in state_dict


def test_pretrained_minilm_matches_transformers():
    tokenizer = course_lib.models.pretrained.load_tokenizer()
    ours, report = course_lib.BertModel.from_pretrained(output_loading_info=True)
    assert report.missing_keys == [] and report.unexpected_keys == []
    theirs = transformers.BertModel.from_pretrained(str(packaged_encoder_dir())).eval()
    batch = tokenizer(["The cat sat on the mat.", "BERT reads both directions at once."],
                      padding=True, return_tensors="pt")
    assert parity_report(ours, theirs, dict(batch), print_report=False).ok


def test_adapt_state_dict_prefixes_and_legacy_names():
    encoder_sd = {"embeddings.LayerNorm.gamma": torch.ones(2), "embeddings.position_ids": torch.arange(2)}

    class Task(torch.nn.Module):
        base_model_prefix = "bert"

        def __init__(self):
            super().__init__()
            self.bert = torch.nn.Module()
            self.bert.x = torch.nn.Linear(1, 1)

    sd, notes = adapt_state_dict(encoder_sd, Task())
    assert list(sd) == ["bert.embeddings.LayerNorm.weight"]
    assert any("prefix" in n for n in notes) and any("position_ids" in n for n in notes)
