"""Notebook 11's fine-tuning recipe as a command: one process, or many with DistributedDataParallel.

    python -m course_lib.training.finetune --out runs/movie_reviews                       # one process (CPU, or one GPU)
    torchrun --nproc_per_node 2 -m course_lib.training.finetune --batch-size 16 --out runs/movie_reviews_ddp
    python -m course_lib.training.finetune --tiny --steps 5 --out /tmp/tiny               # a small random BERT: seconds

The recipe is the capstone's (notebook 11, section 4), with the same defaults: the Rotten Tomatoes
sentences of :func:`course_lib.task_data.load_movie_reviews` (all 7,603 training sentences, scored on the
2,000 test sentences), tokenized to at most 64 tokens; :class:`course_lib.models.pooling.BertForMeanPooledClassification`
(the masked mean of the token vectors + a fresh linear head: the packaged MiniLM's pooler was never trained)
on the packaged pretrained encoder; length-bucketed batches cut to their longest sentence
(:mod:`course_lib.training.data`); ``torch.optim.AdamW`` (fused where torch has the kernel) with decay 0.01 on
weight matrices and none on biases and LayerNorm weights, peak learning rate 2e-4 for the encoder and 10x
that for the fresh head; the ``linear`` schedule of :func:`course_lib.training.schedules.get_scheduler` (10 % warmup
from 0, then a straight line down to 0); gradient clipping at a global norm of 1.0; 80 steps of 32 sentences.
With one process and ``--seed 0`` it draws the notebook's batches in the notebook's order.

How the same program runs on several processes (data parallelism). ``torchrun --nproc_per_node N``
starts N copies of this program and hands each one environment variables: ``RANK`` (0..N-1),
``WORLD_SIZE`` (N), ``LOCAL_RANK`` (its index on this machine), ``MASTER_ADDR`` and ``MASTER_PORT``
(where the copies meet). When they are set, each copy

1. joins a process group: ``gloo`` on CPUs; ``nccl`` on GPUs, one GPU per process (``cuda:LOCAL_RANK``);
2. builds the same model from the same seed (DDP also copies rank 0's weights to the others at start);
3. reads only its own share of every batch: every rank draws the same seeded length-bucketed batches of
   ``batch_size * N`` sentences (:func:`shard_batches`), and rank r takes every N-th sentence of each;
4. runs forward and backward on its share. While backward runs, DistributedDataParallel averages the
   gradients of all ranks (an all-reduce), so every rank applies the same update to the same weights and
   the copies never drift apart: that is the whole trick (Li et al., "PyTorch Distributed: Experiences
   on Accelerating Data Parallel Training", VLDB 2020);
5. rank 0 alone prints, evaluates and saves.

``--batch-size`` is per process, like ``per_device_train_batch_size`` in ``transformers.Trainer``: the
global batch, the number of examples behind one update, is ``batch_size * world_size``. Two processes
with ``--batch-size 8`` therefore make the same updates as one process with ``--batch-size 16``, up to
float rounding and the dropout draws (``--dropout 0`` removes those; the tests check the rest). To keep
the capstone's 32 sentences per update on 2 processes, pass ``--batch-size 16``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from .._checks import check_integer, check_positive, check_probability

__all__ = [
    "DistributedContext", "setup_distributed", "tiny_config", "make_data", "build_model",
    "head_and_encoder_groups", "shard_batches", "save_checkpoint", "weights_fingerprint", "evaluate", "main",
]


# --------------------------------------------------------------------------------------------
# One process or many
# --------------------------------------------------------------------------------------------


@dataclass
class DistributedContext:
    """Where this process stands: its rank among ``world_size`` processes, and its device."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")
    backend: str | None = None  # None: a plain single process, no process group

    @property
    def distributed(self) -> bool:
        return self.backend is not None

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device: str = "auto") -> DistributedContext:
    """Read torchrun's environment variables and join the process group; without them, a single process.

    ``device``: ``"auto"`` (a GPU when torch sees one, else the CPU), ``"cpu"`` or ``"cuda"``.
    """
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    use_cuda = torch.cuda.is_available() and device != "cpu"
    if device == "cuda" and not use_cuda:
        raise ValueError("--device cuda was asked for, but torch sees no GPU (torch.cuda.is_available() is False)")

    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return DistributedContext(device=torch.device("cuda", 0) if use_cuda else torch.device("cpu"))

    import torch.distributed as dist

    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    if use_cuda:
        # One GPU per process. NCCL moves gradients GPU to GPU (NVLink, InfiniBand) without the CPU.
        torch.cuda.set_device(local_rank)
        backend, where = "nccl", torch.device("cuda", local_rank)
    else:
        # Gloo is the collective-communication backend that works on CPUs (over TCP on one machine or many).
        backend, where = "gloo", torch.device("cpu")
    # init_method env:// reads MASTER_ADDR, MASTER_PORT, RANK and WORLD_SIZE from the environment.
    dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
    return DistributedContext(rank, world_size, local_rank, where, backend)


def tiny_config(num_labels: int = 2, dropout: float | None = None):
    """A small random BERT (2 layers, hidden 32) with the real 30,522-token vocabulary, for runs that
    must take seconds (tests, trying the command out). It learns little: that is not its job."""
    from transformers import BertConfig

    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=num_labels)
    if dropout is not None:
        config.hidden_dropout_prob = config.attention_probs_dropout_prob = dropout
    return config


# --------------------------------------------------------------------------------------------
# The recipe's pieces (the notebook spells each one out; the command puts them together)
# --------------------------------------------------------------------------------------------


def make_data(tokenizer, n_train: int | None = None, n_test: int | None = None, max_length: int = 64):
    """The capstone's data: the movie-review sentences of :func:`course_lib.task_data.load_movie_reviews`,
    the first ``n_train`` of the (already shuffled) training split and the first ``n_test`` of the test
    split (None: all of it, 7,603 and 2,000), tokenized to at most ``max_length`` tokens."""
    from ..task_data.classification import Examples, encode
    from ..task_data.movie_reviews import load_movie_reviews

    reviews = load_movie_reviews()
    splits = []
    for name, split, n in (("train", reviews.train, n_train), ("test", reviews.test, n_test)):
        examples = split.as_examples()
        if n is not None:
            if n > len(examples):
                raise ValueError(f"asked for {n} {name} sentences, but the {name} split has {len(examples)}")
            examples = Examples(examples.texts[:n], examples.labels[:n], examples.label_names)
        splits.append(encode(examples, tokenizer, max_length=max_length))
    return splits[0], splits[1]


def build_model(tiny: bool = False, encoder=None, dropout: float | None = None):
    """The capstone's model, :class:`course_lib.models.pooling.BertForMeanPooledClassification` with two labels: on
    the pretrained encoder (the packaged MiniLM unless ``encoder`` or $COURSE_ENCODER names another), or on a
    tiny random config. The pooler's weights stay in the checkpoint (the same keys as
    ``BertForSequenceClassification``) but are frozen: the mean-pooled head never reads them, and
    DistributedDataParallel refuses parameters that get no gradient."""
    from ..models.pooling import BertForMeanPooledClassification

    if tiny:
        model = BertForMeanPooledClassification(tiny_config(2, dropout))
    else:
        overrides = {"num_labels": 2}
        if dropout is not None:
            overrides.update(hidden_dropout_prob=dropout, attention_probs_dropout_prob=dropout)
        model = BertForMeanPooledClassification.from_pretrained(encoder, **overrides)
    if getattr(model.bert, "pooler", None) is not None:
        model.bert.pooler.requires_grad_(False)
    return model


def head_and_encoder_groups(model: torch.nn.Module, lr: float, head_lr: float, weight_decay: float) -> list[dict]:
    """:func:`course_lib.training.optim.param_groups`' two decay groups, each split once more: the fresh head
    (``classifier.*``) gets ``head_lr``, the pretrained encoder ``lr`` (notebook 11, section 4)."""
    from .optim import param_groups

    groups = []
    for group in param_groups(model, weight_decay):
        for head in (False, True):
            params = [p for n, p in zip(group["names"], group["params"]) if n.startswith("classifier.") == head]
            if params:
                groups.append({"params": params, "weight_decay": group["weight_decay"], "lr": head_lr if head else lr})
    return groups


def shard_batches(index_batches: list[list[int]], world_size: int, rank: int) -> list[list[int]]:
    """Rank ``rank``'s share of every global batch: every ``world_size``-th index, starting at ``rank``.
    Every rank draws the same global batches (same seed), so the shares are disjoint and together make up
    each batch; with equal shares, the average of the ranks' mean losses is the global batch's mean loss."""
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must lie in [0, world_size={world_size}), got {rank}")
    for batch in index_batches:
        if len(batch) % world_size:
            raise ValueError(f"a global batch of {len(batch)} does not split evenly over {world_size} processes")
    return [batch[rank::world_size] for batch in index_batches]


def save_checkpoint(model: torch.nn.Module, folder, tokenizer=None) -> Path:
    """Save ``model`` the way ``save_pretrained`` does: ``config.json`` + ``model.safetensors`` (and the
    tokenizer's files), a folder that ``course_lib``'s and ``transformers``' ``from_pretrained`` both load.

    safetensors stores raw tensors with a JSON header, no pickled code, so loading it cannot run
    anything (unlike ``torch.save``'s pickle files)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = getattr(model, "module", model)  # unwrap DistributedDataParallel
    model.config.save_pretrained(folder)
    # contiguous: safetensors writes each tensor's bytes as they lie; tied (shared) tensors are not
    # allowed in one file, and a sequence classifier has none.
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    if tokenizer is not None:
        tokenizer.save_pretrained(folder)
    return folder


def weights_fingerprint(model: torch.nn.Module) -> str:
    """SHA-256 of every parameter's bytes, in state-dict order: equal only for bit-identical weights."""
    model = getattr(model, "module", model)
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().contiguous().cpu().numpy().tobytes())
    return digest.hexdigest()


def evaluate(model: torch.nn.Module, data: dict, device: torch.device, batch_size: int = 128) -> float:
    """Held-out accuracy: :func:`course_lib.training.predict` (eval mode, length-sorted batches cut to their
    longest sentence, on ``device``) scored by :func:`course_lib.evaluation.accuracy`."""
    from ..evaluation import accuracy
    from .loop import predict

    model = getattr(model, "module", model)  # unwrap DistributedDataParallel
    return accuracy(predict(model, data, batch_size, device=device), data["labels"])


# --------------------------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m course_lib.training.finetune",
        description="Fine-tune the mean-pooled BERT classifier on the movie-review sentences with notebook 11's "
                    "recipe. Runs as one process, or unchanged under torchrun (DistributedDataParallel).",
        epilog="Examples: python -m course_lib.training.finetune --out runs/movie_reviews | "
               "torchrun --nproc_per_node 2 -m course_lib.training.finetune --batch-size 16 --out runs/movie_reviews_ddp",
    )
    parser.add_argument("--steps", type=int, default=80, help="optimizer steps (default 80)")
    parser.add_argument("--batch-size", type=int, default=32,
                        help="examples per step PER PROCESS (global batch = batch size x processes; default 32)")
    parser.add_argument("--lr", type=float, default=2e-4, help="peak learning rate of the encoder (default 2e-4)")
    parser.add_argument("--head-lr", type=float, default=None,
                        help="peak learning rate of the fresh classifier head (default: 10 x --lr)")
    parser.add_argument("--warmup-steps", type=int, default=None,
                        help="linear warmup steps (default: 10%% of --steps)")
    parser.add_argument("--weight-decay", type=float, default=0.01,
                        help="AdamW decay on weight matrices; biases and LayerNorm weights get none (default 0.01)")
    parser.add_argument("--max-grad-norm", type=float, default=1.0, help="clip the global gradient norm (default 1.0)")
    parser.add_argument("--train-size", type=int, default=None,
                        help="use the first N training sentences (default: all 7,603)")
    parser.add_argument("--test-size", type=int, default=None,
                        help="score the first N test sentences (default: all 2,000)")
    parser.add_argument("--max-length", type=int, default=64, help="tokens per sentence at most (default 64)")
    parser.add_argument("--seed", type=int, default=0, help="seed for initialisation, batches and dropout")
    parser.add_argument("--dropout", type=float, default=None,
                        help="override the encoder's dropout probabilities (0 makes runs comparable step by step)")
    parser.add_argument("--tiny", action="store_true",
                        help="a small random BERT instead of the pretrained encoder: a run of seconds, for tests")
    parser.add_argument("--encoder", default=None,
                        help="checkpoint folder or hub name (default: $COURSE_ENCODER, else the packaged MiniLM)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="auto: one GPU per process when torch sees GPUs, else the CPU")
    parser.add_argument("--out", required=True, help="folder for the fine-tuned model and metrics.json")
    parser.add_argument("--log-every", type=int, default=10, help="print the loss every N steps (default 10)")
    parser.add_argument("--fingerprint", action="store_true",
                        help="every rank writes fingerprint-rank<R>.txt, a hash of its final weights "
                             "(they must all be equal)")
    return parser


def _check_args(args) -> None:
    """What argparse cannot check: a ValueError naming the flag as typed (main() turns it into one line)."""
    for name in ("steps", "batch_size", "train_size", "test_size", "max_length", "log_every"):
        if getattr(args, name) is not None:
            check_integer(f"--{name.replace('_', '-')}", getattr(args, name), 1)
    if args.warmup_steps is not None:
        check_integer("--warmup-steps", args.warmup_steps, 0, args.steps,
                      why=f"the warmup steps are the first of the --steps {args.steps}")
    if args.steps == 1 and args.warmup_steps == 1:
        # the warmup starts at lr 0: a one-step run that is all warmup never changes a weight
        raise ValueError("--warmup-steps 1 with --steps 1: the only step would run at learning rate 0; use --warmup-steps 0")
    check_positive("--max-grad-norm", args.max_grad_norm,
                   why="a negative norm flips the gradients (the step climbs the loss) and 0 wipes them; "
                       "to clip nothing pass --max-grad-norm inf")
    if args.tiny and args.encoder:
        raise ValueError(f"--tiny builds a small random BERT and would ignore --encoder {args.encoder}: pass one of the two")
    check_positive("--lr", args.lr)
    if args.head_lr is not None:
        check_positive("--head-lr", args.head_lr)
    if args.dropout is not None:
        check_probability("--dropout", args.dropout)
        if args.dropout == 1.0:
            raise ValueError("--dropout must be below 1, got 1.0: a dropout of 1 zeroes every activation")


def main(argv: list[str] | None = None) -> int:
    """Run the command; a bad argument or input ends it with one line (SystemExit), not a traceback."""
    try:
        return _main(argv)
    except (ValueError, TypeError, OSError) as error:  # FileNotFoundError is an OSError
        raise SystemExit(f"python -m course_lib.training.finetune: error: {error}") from None


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    _check_args(args)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.encoder and not args.tiny and not Path(args.encoder).exists():
        # a hub name (e.g. bert-base-uncased): tell quiet_transformers not to switch the hub off
        os.environ.setdefault("COURSE_ENCODER", args.encoder)
    from ..notebook.setup import quiet_transformers

    quiet_transformers()  # offline for the packaged encoder, no load reports

    ctx = setup_distributed(args.device)
    try:
        return _run(args, ctx)
    finally:
        if ctx.distributed:
            import torch.distributed as dist

            dist.destroy_process_group()


def _run(args, ctx: DistributedContext) -> int:
    """The command, step by step: the data, the model, the optimiser and its schedule, the training steps;
    then every rank's fingerprint (if asked for), rank 0's evaluation and checkpoint, and a last meeting."""
    tokenizer, train_data, test_data = _load_data(args)
    model = _model_on_device(args, ctx)
    plan = _plan(args, ctx, train_data)
    optimizer, scheduler = _build_optimizer(model, args, plan)
    _say(ctx, _header(args, ctx, plan))
    run = _train(model, train_data, optimizer, scheduler, args, ctx, plan)
    if args.fingerprint:
        _write_fingerprint(model, args.out, ctx)
    if ctx.is_main:
        _evaluate_and_save(model, tokenizer, test_data, args, ctx, plan, run)
    if ctx.distributed:
        import torch.distributed as dist

        dist.barrier()  # nobody leaves before rank 0 has saved
    return 0


@dataclass(frozen=True)
class _Plan:
    """What the flags come to once the recipe's defaults are filled in."""

    warmup: int
    head_lr: float
    global_batch: int
    train_sentences: int


@dataclass(frozen=True)
class _TrainingRun:
    losses: list[float]
    learning_rates: list[float]
    seconds: float


def _say(ctx: DistributedContext, *parts) -> None:
    if ctx.is_main:  # one voice: rank 0 prints, the others work quietly
        print(*parts, flush=True)


def _load_data(args):
    """The tokenizer and the tokenized training and test sentences (:func:`make_data`)."""
    from ..models.pretrained import load_tokenizer

    tokenizer = load_tokenizer(None if args.tiny else args.encoder)
    train_data, test_data = make_data(tokenizer, args.train_size, args.test_size, args.max_length)
    return tokenizer, train_data, test_data


def _model_on_device(args, ctx: DistributedContext) -> torch.nn.Module:
    # The same seed on every rank: same initial head. (DDP would copy rank 0's weights anyway; the seed makes
    # the single-process run reproducible, and the same as the notebook's.)
    torch.manual_seed(args.seed)
    return build_model(args.tiny, args.encoder, args.dropout).to(ctx.device)


def _plan(args, ctx: DistributedContext, train_data: dict) -> _Plan:
    """The warmup, the head's rate and the global batch, from the flags or the recipe's defaults."""
    # 10 % of the steps by default, but never every step: the warmup starts at lr 0, so a one-step run
    # with one warmup step would train at lr 0 only.
    warmup = args.warmup_steps if args.warmup_steps is not None else min(math.ceil(0.1 * args.steps), args.steps - 1)
    head_lr = args.head_lr if args.head_lr is not None else 10 * args.lr
    sentences = len(train_data["input_ids"])
    global_batch = args.batch_size * ctx.world_size
    if sentences < global_batch:
        raise ValueError(f"--train-size {sentences} is too small for {ctx.world_size} process(es) x "
                         f"--batch-size {args.batch_size}")
    return _Plan(warmup, head_lr, global_batch, sentences)


def _build_optimizer(model: torch.nn.Module, args, plan: _Plan):
    """AdamW over the head and encoder groups (:func:`head_and_encoder_groups`), and the linear schedule."""
    from .schedules import get_scheduler

    groups = head_and_encoder_groups(model, args.lr, plan.head_lr, args.weight_decay)
    try:  # torch's fused kernel: the update of course_lib.training.optim.AdamW in one pass per tensor (notebook 11)
        optimizer = torch.optim.AdamW(groups, lr=args.lr, fused=True)
    except (RuntimeError, ValueError, TypeError):  # no fused kernel for this torch, device or dtype
        optimizer = torch.optim.AdamW(groups, lr=args.lr)
    scheduler = get_scheduler("linear", optimizer, num_warmup_steps=plan.warmup, num_training_steps=args.steps)
    return optimizer, scheduler


def _header(args, ctx: DistributedContext, plan: _Plan) -> str:
    name = "tiny random BERT" if args.tiny else (args.encoder or os.environ.get("COURSE_ENCODER") or "packaged MiniLM")
    how = f"{ctx.world_size} processes ({ctx.backend}, {ctx.device.type})" if ctx.distributed else f"1 process ({ctx.device})"
    return (f"course_lib.training.finetune: {name}, mean pooling | {plan.train_sentences} movie-review sentences | {how} | "
            f"batch {args.batch_size} per process, {plan.global_batch} global, length-bucketed | {args.steps} steps, "
            f"lr {args.lr:g} (head {plan.head_lr:g}), warmup {plan.warmup}")


def _train(model: torch.nn.Module, train_data: dict, optimizer, scheduler, args, ctx: DistributedContext,
           plan: _Plan) -> _TrainingRun:
    """``args.steps`` optimizer steps on this rank's share of length-bucketed global batches."""
    from tqdm.auto import tqdm

    # The module, not the function: a test that counts training_step's calls replaces loop.training_step.
    from . import loop
    from .data import bucketed_index_batches, lengths_of, trim_padding

    if ctx.distributed:
        from torch.nn.parallel import DistributedDataParallel

        # device_ids: the one GPU this process owns; None on the CPU.
        model = DistributedDataParallel(model, device_ids=[ctx.local_rank] if ctx.device.type == "cuda" else None)

    # Length-bucketed global batches of batch_size x world_size sentences, drawn from one seeded generator that
    # every rank holds (so every rank draws the same batches); each rank keeps its share (shard_batches) and
    # cuts it to its longest sentence. drop_last: every step sees the same number of sentences on every rank.
    lengths = lengths_of(train_data)
    generator = torch.Generator().manual_seed(args.seed)
    torch.manual_seed(args.seed)  # the dropout masks, as in the notebook's fine_tune

    losses: list[float] = []
    lrs: list[float] = []
    model.train()  # from_pretrained hands the model back in eval mode
    progress = tqdm(total=args.steps, desc="fine-tuning", disable=None if ctx.is_main else True,
                    file=sys.stderr, dynamic_ncols=True)
    start = time.perf_counter()
    while len(losses) < args.steps:  # as many passes over the data as the steps need
        passes = bucketed_index_batches(lengths, plan.global_batch, generator=generator, drop_last=True)
        for index in shard_batches(passes, ctx.world_size, ctx.rank):
            index = torch.tensor(index)
            batch = trim_padding({k: v[index] for k, v in train_data.items()})
            batch = {k: v.to(ctx.device) for k, v in batch.items()}
            lrs.append(scheduler.get_last_lr()[0])  # the encoder's rate this step
            # The step of course_lib.training (exercise 11.1). Under DDP, the backward inside it averages
            # the gradients across ranks while it runs; clipping then sees the averaged gradients.
            loss = loop.training_step(model, batch, optimizer, scheduler, args.max_grad_norm)
            losses.append(_mean_over_ranks(loss, ctx))
            progress.update(1)
            step = len(losses)
            if (step % args.log_every == 0 or step == args.steps) and ctx.is_main:
                message = f"step {step:>4}/{args.steps}  loss {losses[-1]:.4f}  lr {lrs[-1]:.2e}"
                tqdm.write(message, file=sys.stdout)  # prints above the bar instead of through it
            if step == args.steps:
                break
    progress.close()
    return _TrainingRun(losses, lrs, time.perf_counter() - start)


def _mean_over_ranks(loss: float, ctx: DistributedContext) -> float:
    """For the log only: the mean loss over all ranks' shares, i.e. the loss of the global batch."""
    logged = torch.tensor(loss, device=ctx.device)
    if ctx.distributed:
        import torch.distributed as dist

        dist.all_reduce(logged, op=dist.ReduceOp.SUM)
        logged /= ctx.world_size
    return logged.item()


def _write_fingerprint(model: torch.nn.Module, out, ctx: DistributedContext) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"fingerprint-rank{ctx.rank}.txt").write_text(weights_fingerprint(model) + "\n")


def _evaluate_and_save(model: torch.nn.Module, tokenizer, test_data: dict, args, ctx: DistributedContext,
                       plan: _Plan, run: _TrainingRun) -> None:
    """Rank 0: held-out accuracy next to the best constant, the checkpoint, and metrics.json."""
    from ..evaluation import best_constant

    out = Path(args.out)
    accuracy = evaluate(model, test_data, ctx.device)
    constant = best_constant(test_data["labels"]).score
    save_checkpoint(model, out, tokenizer)
    metrics = {
        "steps": args.steps, "world_size": ctx.world_size, "batch_size_per_process": args.batch_size,
        "global_batch_size": plan.global_batch, "lr": args.lr, "head_lr": plan.head_lr, "warmup_steps": plan.warmup,
        "weight_decay": args.weight_decay, "max_length": args.max_length, "seed": args.seed, "tiny": args.tiny,
        "train_sentences": plan.train_sentences, "losses": run.losses, "learning_rates": run.learning_rates,
        "held_out_accuracy": accuracy, "held_out_sentences": len(test_data["labels"]),
        "best_constant_accuracy": constant, "train_seconds": round(run.seconds, 2),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")
    losses = run.losses
    _say(ctx, f"trained {args.steps} steps in {run.seconds:.1f} s; loss {losses[0]:.4f} -> {losses[-1]:.4f}; "
              f"held-out accuracy {accuracy:.3f} on {len(test_data['labels'])} test sentences "
              f"(best constant on them {constant:.3f})")
    _say(ctx, f"saved the fine-tuned model to {out}/ (config.json, model.safetensors, tokenizer, metrics.json)")


if __name__ == "__main__":
    raise SystemExit(main())
