"""Benchmark: our BERT against transformers, forward + backward (``make bench``).

Times ``course_lib.BertForSequenceClassification`` (falling back to ``BertModel`` if the heads are
not there) against the transformers class of the same name, with identical weights, at hidden 256,
4 layers, batch 16 x 128 tokens, in training mode. The two are alternated step by step in one run,
so both see the same machine load, and the median of the per-pair time ratios is printed.
A ratio <= 1.0 means ours is not slower.

This is a benchmark, not a test: timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import transformers
from transformers import BertConfig

import course_lib


def build(model_name: str, attn: str):
    config = BertConfig(vocab_size=30522, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                        intermediate_size=1024, max_position_embeddings=512, num_labels=2)
    try:
        ours_cls = getattr(course_lib, model_name)
    except (AttributeError, ImportError):
        model_name = "BertModel"
        ours_cls = course_lib.BertModel
    torch.manual_seed(0)
    theirs = getattr(transformers, model_name)._from_config(config, attn_implementation=attn).train()
    ours = ours_cls(config)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return model_name, ours.train(), theirs


def step(model, batch, labels, with_labels: bool) -> None:
    out = model(**batch, labels=labels) if with_labels else model(**batch)
    loss = out.loss if with_labels else out.last_hidden_state.float().pow(2).mean()
    loss.backward()
    model.zero_grad(set_to_none=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=15, help="timed steps per model")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--attn", default="sdpa", choices=["sdpa", "eager"], help="transformers' attention")
    parser.add_argument("--model", default="BertForSequenceClassification")
    args = parser.parse_args()

    name, ours, theirs = build(args.model, args.attn)
    g = torch.Generator().manual_seed(0)
    batch = {
        "input_ids": torch.randint(1, 30522, (16, 128), generator=g),
        "attention_mask": torch.ones(16, 128, dtype=torch.long),
    }
    batch["attention_mask"][8:, 96:] = 0  # half the batch padded: the mask path is exercised
    labels = torch.randint(0, 2, (16,), generator=g)
    with_labels = name != "BertModel"

    for _ in range(args.warmup):
        step(ours, batch, labels, with_labels)
        step(theirs, batch, labels, with_labels)
    ratios, ours_times, theirs_times = [], [], []
    for i in range(args.steps):
        order = [(ours, ours_times), (theirs, theirs_times)]
        if i % 2:  # alternate who goes first, so neither always runs on a warmer cache
            order.reverse()
        for model, times in order:
            start = time.perf_counter()
            step(model, batch, labels, with_labels)
            times.append(time.perf_counter() - start)
        ratios.append(ours_times[-1] / theirs_times[-1])

    print(f"model: course_lib.{name} vs transformers.{name} (attn_implementation={args.attn})")
    print("config: hidden 256, 4 layers, 4 heads, batch 16 x 128, forward + backward, training mode")
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, {torch.get_num_threads()} threads")
    print(f"ours   median {statistics.median(ours_times) * 1000:8.1f} ms/step")
    print(f"theirs median {statistics.median(theirs_times) * 1000:8.1f} ms/step")
    print(f"median ratio ours/theirs: {statistics.median(ratios):.3f}  ({'not slower' if statistics.median(ratios) <= 1.0 else 'SLOWER'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
