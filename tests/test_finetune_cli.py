"""`python -m course_lib.training.finetune`: one process, and the same command under torchrun with two processes.

The runs use ``--tiny`` (a 2-layer random BERT) so they take seconds. ``--dropout 0`` removes the only
randomness that differs between ranks, which lets us check the defining property of data parallelism:
two processes with 8 examples each make the same updates as one process with 16.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from course_lib.training import finetune

# Tiny, memorisable runs: the first 64 movie-review sentences, 30 steps (7.5 passes) at a high lr (the head
# at 10x, as in the capstone's recipe), so the loss falls clearly.
COMMON = ["--tiny", "--dropout", "0", "--steps", "30", "--lr", "1e-2", "--train-size", "64", "--test-size", "32",
          "--log-every", "10", "--fingerprint"]
TIMEOUT = 240  # seconds per run; a run takes a few seconds on an idle 2-core machine


def _env() -> dict:
    env = dict(os.environ)
    # One thread per process: two ranks on two cores; also what torchrun sets (and warns about) otherwise.
    env.update(OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else root
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(command: list[str]) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=_env(), capture_output=True, text=True, timeout=TIMEOUT,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def single_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("single")
    result = _run([sys.executable, "-m", "course_lib.training.finetune", *COMMON, "--batch-size", "16", "--out", str(out)])
    assert "1 process (cpu)" in result.stdout
    return out


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ddp")
    # python -m torch.distributed.run is torchrun, from whichever environment runs the tests.
    result = _run([sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
                   "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
                   "-m", "course_lib.training.finetune", *COMMON, "--batch-size", "8", "--out", str(out)])
    assert "2 processes (gloo, cpu)" in result.stdout
    assert "16 global" in result.stdout
    # only rank 0 prints: one header line, one summary line
    assert result.stdout.count("course_lib.training.finetune:") == 1, result.stdout
    assert result.stdout.count("held-out accuracy") == 1, result.stdout
    return out


def _metrics(out: Path) -> dict:
    return json.loads((out / "metrics.json").read_text())


def _weights(out: Path) -> dict:
    from safetensors.torch import load_file

    return load_file(str(out / "model.safetensors"))


def test_single_process_loss_falls(single_run):
    metrics = _metrics(single_run)
    losses = metrics["losses"]
    assert len(losses) == 30 and metrics["world_size"] == 1
    # step 1 runs at learning rate 0 (the warmup starts there), so its loss is the untrained model's
    first, last = losses[0], sum(losses[-5:]) / 5
    assert first == pytest.approx(0.693, abs=0.02), "an untrained 2-class head starts near ln 2"
    assert last < first - 0.1, f"loss did not fall: first 5 steps {first:.3f}, last 5 {last:.3f}"
    # the linear schedule: 3 warmup steps from 0, peak 1e-2, then down towards 0
    lrs = metrics["learning_rates"]
    assert lrs[0] == 0.0 and max(lrs) == pytest.approx(1e-2) and lrs[-1] < 1e-3


def test_ranks_end_with_identical_weights(ddp_run):
    prints = sorted(ddp_run.glob("fingerprint-rank*.txt"))
    assert [p.name for p in prints] == ["fingerprint-rank0.txt", "fingerprint-rank1.txt"]
    hashes = {p.read_text().strip() for p in prints}
    assert len(hashes) == 1, "the two ranks ended with different weights: gradients were not all-reduced"
    # and rank 0's saved checkpoint is those weights
    from course_lib import BertForSequenceClassification

    reloaded = BertForSequenceClassification.from_pretrained(ddp_run)
    assert finetune.weights_fingerprint(reloaded) in hashes


def test_two_processes_of_8_equal_one_process_of_16(single_run, ddp_run):
    single, ddp = _weights(single_run), _weights(ddp_run)
    assert single.keys() == ddp.keys()
    for key in single:
        # same global batches, gradients averaged over 2 x 8 instead of 16: equal up to float rounding
        torch.testing.assert_close(ddp[key], single[key], atol=1e-4, rtol=1e-4, msg=lambda m, k=key: f"{k}: {m}")
    torch.testing.assert_close(torch.tensor(_metrics(ddp_run)["losses"]), torch.tensor(_metrics(single_run)["losses"]),
                               atol=1e-4, rtol=1e-4)


def test_checkpoint_loads_in_course_lib_and_transformers(single_run):
    import transformers

    from course_lib import BertForSequenceClassification

    ours = BertForSequenceClassification.from_pretrained(single_run)
    assert finetune.weights_fingerprint(ours) == (single_run / "fingerprint-rank0.txt").read_text().strip()
    theirs, info = transformers.BertForSequenceClassification.from_pretrained(single_run, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    theirs.eval()
    ids = torch.randint(1000, 2000, (3, 10))
    with torch.no_grad():
        torch.testing.assert_close(ours(input_ids=ids).logits, theirs(input_ids=ids).logits, atol=1e-5, rtol=1e-5)
    assert (single_run / "tokenizer.json").exists() or (single_run / "vocab.txt").exists()


@pytest.mark.parametrize("argv, message", [
    (["--steps", "0"], "--steps must be an integer >= 1, got 0"),
    (["--head-lr", "-1"], "--head-lr must be a positive number, got -1.0"),
    (["--train-size", "0"], "--train-size must be an integer >= 1, got 0"),
    (["--warmup-steps", "50", "--steps", "10"], r"--warmup-steps must be an integer in \[0, 10\], got 50: .* --steps 10"),
    (["--lr", "0"], "--lr must be a positive number, got 0.0"),
    (["--lr", "nan"], "--lr must be a positive number, got nan"),
    (["--dropout", "1.5"], r"--dropout must be a probability in \[0, 1\], got 1.5"),
    (["--dropout", "1"], "--dropout must be below 1"),
    (["--max-grad-norm", "0"], "--max-grad-norm must be a positive number, got 0.0: .* to clip nothing pass"),
])
def test_bad_arguments_are_named(argv, message, tmp_path):
    with pytest.raises(SystemExit, match=message):
        finetune.main([*argv, "--out", str(tmp_path)])


def test_shard_batches_split_every_global_batch():
    global_batches = [[5, 1, 7, 3], [0, 2, 4, 6]]
    shards = [finetune.shard_batches(global_batches, 2, rank) for rank in (0, 1)]
    assert shards == [[[5, 7], [0, 4]], [[1, 3], [2, 6]]]
    for step, batch in enumerate(global_batches):
        assert sorted(shards[0][step] + shards[1][step]) == sorted(batch)
    with pytest.raises(ValueError, match="does not split evenly"):
        finetune.shard_batches([[1, 2, 3]], 2, 0)
    with pytest.raises(ValueError, match="rank must lie in"):
        finetune.shard_batches(global_batches, 2, 2)


def test_too_many_sentences_asked_for_is_named(tmp_path):
    with pytest.raises(SystemExit, match="the train split has 7603"):
        finetune.main(["--tiny", "--train-size", "8000", "--out", str(tmp_path)])


def test_bad_device_is_named():
    with pytest.raises(ValueError, match="device must be"):
        finetune.setup_distributed("tpu")
