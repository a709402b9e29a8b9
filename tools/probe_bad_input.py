"""A careless learner's inputs across course_lib and the tools, each outcome classified against what
transformers or torch does with the same input (or, where there is no counterpart, against the right result).

    python -m tools.probe_bad_input             # counts per class, then every case that is not good
    python -m tools.probe_bad_input --all       # every case with its outcome
    python -m tools.probe_bad_input --json F    # also write every outcome to F

Classes:
    good                  the right result, or a deliberate error (ValueError, TypeError, SystemExit, ...)
                          raised by the course's own code whose message names what the case expects
    confusing             a deliberate error whose message misses the point, or valid usage refused
    silent-wrong          a result where an error belongs, or a wrong result (data lost, wrong number)
    same-as-transformers  not good, but transformers / torch does the same with the same input
    hang                  ran past its time limit (10 s; 60 s for a command)
    crash                 an error raised outside the course's checks (a raw torch / Python error, a traceback)

Every command runs in a throwaway copy of the tools and a tiny course (a fresh git repository under a temporary
folder, HOME pointed at a temporary folder too): the probe never writes into the checkout. About a minute.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent

warnings.filterwarnings("ignore")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DELIBERATE = (ValueError, TypeError, SystemExit, FileNotFoundError, KeyError, LookupError, NotImplementedError)
CLASSES = ("good", "confusing", "silent-wrong", "same-as-transformers", "hang", "crash")
RAISES = object()  # expect: a clear error


class Timeout(Exception):
    pass


@dataclass
class Outcome:
    value: object = None
    error: BaseException | None = None
    deliberate: bool = False  # raised by course code (course_lib/ or tools/) as a checked error
    message: str = ""
    timed_out: bool = False


@dataclass
class Case:
    area: str
    name: str
    run: object  # () -> value
    expect: object = RAISES  # RAISES, or a predicate on the value (True: the right result)
    hints: tuple = ()  # words a good error message contains (any case)
    ref: object = None  # () -> value: transformers / torch on the same input
    outcome: str = ""
    detail: str = ""
    extra: dict = field(default_factory=dict)


def _alarm(signum, frame):
    raise Timeout()


def attempt(fn, seconds: int = 10) -> Outcome:
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            value = fn()
        return Outcome(value=value)
    except Timeout:
        return Outcome(timed_out=True)
    except BaseException as exc:  # noqa: BLE001 - classified below
        frames = traceback.extract_tb(exc.__traceback__)
        last = frames[-1].filename if frames else ""
        ours = ("/course_lib/" in last or "/tools/" in last) and "probe_bad_input" not in last
        deliberate = isinstance(exc, DELIBERATE) and ours
        if isinstance(exc, SystemExit):
            deliberate = True
        return Outcome(error=exc, deliberate=deliberate, message=f"{type(exc).__name__}: {exc}")
    finally:
        signal.alarm(0)


def classify(case: Case) -> None:
    ours = attempt(case.run)
    ref = attempt(case.ref) if case.ref is not None else None
    one_line = ours.message.splitlines()[0][:200] if ours.message else ""
    if ours.timed_out:
        case.outcome, case.detail = "hang", "no answer in time"
        return
    if case.expect is RAISES:
        if ours.error is None:
            if ref is not None and ref.error is None:
                case.outcome = "same-as-transformers"
                case.detail = f"returned {short(ours.value)}; the reference also accepts it"
            else:
                case.outcome, case.detail = "silent-wrong", f"returned {short(ours.value)}"
            return
    else:
        if ours.error is None:
            try:
                right = bool(case.expect(ours.value))
            except Exception as exc:  # noqa: BLE001
                right, one_line = False, f"check failed: {type(exc).__name__}: {exc}"
            if right:
                case.outcome, case.detail = "good", "right result"
            elif ref is not None and ref.error is None and _same(ours.value, ref.value):
                case.outcome, case.detail = "same-as-transformers", f"returned {short(ours.value)}, as the reference"
            else:
                case.outcome, case.detail = "silent-wrong", f"returned {short(ours.value)}; {one_line}"
            return
        if ours.deliberate:  # a clear error is an acceptable answer where the case names the words it needs
            if case.hints and any(h.lower() in ours.message.lower() for h in case.hints):
                case.outcome, case.detail = "good", one_line
            else:
                case.outcome, case.detail = "confusing", f"valid input refused: {one_line}"
            return
    # ours raised
    if ours.deliberate:
        text = ours.message.lower()
        if case.hints and not any(h.lower() in text for h in case.hints):
            case.outcome, case.detail = "confusing", f"{one_line} (expected a word of {case.hints})"
        elif "\n" in ours.message.strip() and "Traceback" in ours.message:
            case.outcome, case.detail = "crash", one_line
        else:
            case.outcome, case.detail = "good", one_line
        return
    if ref is not None and ref.error is not None and type(ref.error) is type(ours.error):
        case.outcome, case.detail = "same-as-transformers", one_line
    else:
        case.outcome, case.detail = "crash", one_line


def _same(a, b) -> bool:
    try:
        if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
            return a.shape == b.shape and torch.allclose(a.float(), b.float(), atol=1e-4, equal_nan=True)
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=1e-6) or (math.isnan(a) and math.isnan(b))
        return a == b
    except Exception:  # noqa: BLE001
        return False


def short(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor{tuple(value.shape)} {value.flatten()[:3].tolist()}"
    text = repr(value)
    return text if len(text) < 80 else text[:77] + "..."


# --------------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------------

MODELS = ["BertModel", "BertForPreTraining", "BertForMaskedLM", "BertLMHeadModel", "BertForNextSentencePrediction",
          "BertForSequenceClassification", "BertForMultipleChoice", "BertForTokenClassification",
          "BertForQuestionAnswering"]


def config(**kw):
    import transformers

    base = dict(vocab_size=40, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                max_position_embeddings=32, num_labels=2, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    base.update(kw)
    cfg = transformers.BertConfig(**base)
    cfg._attn_implementation = "eager"
    return cfg


def pair(name: str, **kw):
    import transformers

    import course_lib

    cfg = config(**kw)
    kwargs = {"is_decoder": True} if name == "BertLMHeadModel" else {}
    if kwargs:
        cfg.is_decoder = True
    ours = getattr(course_lib, name)(cfg).eval()
    theirs = getattr(transformers, name)(cfg).eval()
    theirs.load_state_dict(ours.state_dict(), strict=False)
    return ours, theirs


def ids(b=2, t=5, vocab=40, gen=0):
    return torch.randint(1, vocab, (b, t), generator=torch.Generator().manual_seed(gen))


def model_inputs(name, b=2, t=5):
    if name == "BertForMultipleChoice":
        return {"input_ids": torch.randint(1, 40, (b, 3, t), generator=torch.Generator().manual_seed(0))}
    return {"input_ids": ids(b, t)}


def good_labels(name, b=2, t=5):
    return {
        "BertForPreTraining": {"labels": ids(b, t), "next_sentence_label": torch.tensor([0, 1][:b])},
        "BertForMaskedLM": {"labels": ids(b, t)},
        "BertLMHeadModel": {"labels": ids(b, t)},
        "BertForNextSentencePrediction": {"labels": torch.tensor([0, 1][:b])},
        "BertForSequenceClassification": {"labels": torch.tensor([0, 1][:b])},
        "BertForMultipleChoice": {"labels": torch.tensor([0, 2][:b])},
        "BertForTokenClassification": {"labels": torch.randint(0, 2, (b, t))},
        "BertForQuestionAnswering": {"start_positions": torch.tensor([1, 2][:b]), "end_positions": torch.tensor([2, 3][:b])},
    }.get(name, {})


def model_cases() -> list[Case]:
    cases = []

    def add(name, label, make_kwargs, expect=RAISES, hints=(), ref=True, **cfg):
        def run(which):
            def go():
                ours, theirs = pair(name, **cfg)
                model = ours if which == 0 else theirs
                return model(**make_kwargs())
            return go
        cases.append(Case("models", f"{name}: {label}", run(0), expect, hints, run(1) if ref else None))

    for name in MODELS:
        x = model_inputs(name)
        inp = x["input_ids"]
        lab = good_labels(name)
        add(name, "list input_ids", lambda inp=inp: {"input_ids": inp.tolist()}, hints=("tensor",))
        add(name, "float input_ids", lambda inp=inp: {"input_ids": inp.float()}, hints=(".long()", "long"))
        add(name, "1-D input_ids", lambda inp=inp: {"input_ids": inp.flatten()[:5]}, hints=("2-D", "shape", "dim"))
        add(name, "id >= vocab_size", lambda inp=inp: {"input_ids": inp + 100}, hints=("vocab",))
        add(name, "negative id", lambda inp=inp: {"input_ids": inp - 100}, hints=("vocab", "negative", "outside"))
        add(name, "sequence longer than max_position_embeddings",
            lambda inp=inp: {"input_ids": torch.ones(*inp.shape[:-1], 40, dtype=torch.long)}, hints=("max_position",))
        add(name, "attention_mask of wrong shape",
            lambda inp=inp: {"input_ids": inp, "attention_mask": torch.ones(*inp.shape[:-1], 3, dtype=torch.long)},
            hints=("shape",))
        add(name, "additive attention_mask (0 / -10000)",
            lambda inp=inp: {"input_ids": inp, "attention_mask": (torch.zeros_like(inp) - 10000.0)
                             * torch.tensor([0, 0, 0, 1, 1]).expand_as(inp)},
            hints=("0/1", "1 for tokens", "additive"))
        add(name, "all-zero attention_mask row (additive mask of an unpadded batch)",
            lambda inp=inp: {"input_ids": inp, "attention_mask": torch.zeros_like(inp)},
            hints=("attention_mask", "no token"))
        add(name, "token_type_ids = 2 with type_vocab_size 2",
            lambda inp=inp: {"input_ids": inp, "token_type_ids": torch.full_like(inp, 2)}, hints=("token_type",))
        add(name, "tokenizer output dict as input_ids", lambda inp=inp: {"input_ids": {"input_ids": inp}},
            hints=("**", "tokenizer"))
        add(name, "no inputs", lambda: {}, hints=("input_ids",))
        add(name, "sequence length 0", lambda inp=inp: {"input_ids": inp[..., :0]}, hints=("length 0", "at least one"))
        add(name, "return_dict=False gives a tuple",
            lambda inp=inp, lab=lab: {"input_ids": inp, **lab, "return_dict": False},
            expect=lambda v: isinstance(v, tuple) and all(isinstance(t, torch.Tensor) for t in v))
        add(name, "config.return_dict=False gives a tuple", lambda inp=inp, lab=lab: {"input_ids": inp, **lab},
            expect=lambda v: isinstance(v, tuple), return_dict=False)
        if lab:
            add(name, "empty batch with labels",
                lambda inp=inp, lab=lab: {"input_ids": inp[:0], **{k: v[:0] for k, v in lab.items()}},
                hints=("empty", "batch", "0 examples", "no example"))
            first = next(iter(lab))
            add(name, f"{first} with one example too many",
                lambda inp=inp, lab=lab, first=first: {"input_ids": inp, **lab, first: torch.cat([lab[first], lab[first][:1]])},
                hints=("shape", "batch", "example", "label"))
            add(name, f"{first} as a Python list", lambda inp=inp, lab=lab, first=first: {
                "input_ids": inp, **lab, first: lab[first].tolist()}, hints=("tensor",))
        # constructing from something that is not a config
        for bad, label in ((None, "None"), ("bert-base-uncased", "a string"), ({"vocab_size": 40}, "a dict")):
            def build(bad=bad, name=name):
                import course_lib
                return getattr(course_lib, name)(bad)
            cases.append(Case("models", f"{name}({label})", build, RAISES, ("BertConfig", "from_pretrained")))
    # config values
    import course_lib
    for label, kw, hints in (
        ("hidden_size not a multiple of heads", {"hidden_size": 18, "num_attention_heads": 4}, ("multiple",)),
        ("vocab_size 0", {"vocab_size": 0}, ("vocab_size",)),
        ("dropout 1.5", {"hidden_dropout_prob": 1.5}, ("probability",)),
        ("hidden_act 'gelu_fast2'", {"hidden_act": "gelu_fast2"}, ("activation",)),
        ("relative position embeddings", {"position_embedding_type": "relative_key"}, ("position",)),
        ("num_labels 0 for classification", {"num_labels": 0}, ("num_labels",)),
        ("problem_type misspelt", {"problem_type": "single_label"}, ("problem_type",)),
    ):
        def build(kw=kw):
            return course_lib.BertForSequenceClassification(config(**kw))
        cases.append(Case("models", f"config: {label}", build, RAISES, hints))
    # labels of the sequence classifier
    def seq(labels, num_labels=2, **kw):
        def go(which):
            def run():
                ours, theirs = pair("BertForSequenceClassification", num_labels=num_labels, **kw)
                return (ours if which == 0 else theirs)(input_ids=ids(4, 5), labels=labels).loss
            return run
        return go(0), go(1)
    for label, labels, n, hints in (
        ("float class ids", torch.tensor([0.0, 1.0, 1.0, 0.0]), 2, (".long()",)),
        ("int64 multi-hot labels", torch.tensor([[0, 1], [1, 0], [1, 1], [0, 0]]), 2, (".float()",)),
        ("class id 2 with num_labels 2", torch.tensor([0, 1, 2, 0]), 2, ("num_labels", "range", "[0, 2)")),
        ("labels [4, 1] class ids", torch.tensor([[0], [1], [1], [0]]), 2, ("shape",)),
        ("regression labels [4, 2]", torch.rand(4, 2), 1, ("shape",)),
        ("bool labels", torch.tensor([True, False, True, False]), 2, (".long()", "bool")),
        ("string-like labels (numpy str array)", ["pos", "neg", "pos", "neg"], 2, ("tensor", "label")),
    ):
        ours, theirs = seq(labels, n)
        cases.append(Case("models", f"BertForSequenceClassification labels: {label}", ours, RAISES, hints, theirs))
    ok, ref = seq(torch.tensor([0, 1, -100, 1]), 2)
    cases.append(Case("models", "sequence labels with -100 (ignored, as transformers)", ok,
                      lambda v: torch.isfinite(v).item(), (), ref))
    return cases


def loss_cases() -> list[Case]:
    from course_lib import losses
    F = torch.nn.functional
    C = []
    logits3 = torch.randn(2, 5, 40)
    lab2 = torch.randint(0, 40, (2, 5))
    add = lambda name, fn, hints=(), ref=None, expect=RAISES: C.append(Case("losses", name, fn, expect, hints, ref))  # noqa: E731
    add("masked_lm_loss(labels, logits) swapped", lambda: losses.masked_lm_loss(lab2, logits3), ("logits", "shape", "swapped"))
    add("masked_lm_loss labels [2, 4] for logits [2, 5, V]", lambda: losses.masked_lm_loss(logits3, lab2[:, :4]),
        ("shape",))
    add("masked_lm_loss logits [2, V] (no seq)", lambda: losses.masked_lm_loss(logits3[:, 0], lab2), ("shape",))
    add("masked_lm_loss float labels", lambda: losses.masked_lm_loss(logits3, lab2.float()), (".long()", "integer"))
    add("masked_lm_loss label >= vocab", lambda: losses.masked_lm_loss(logits3, lab2 + 40), ("vocab", "range", "token id in"))
    add("masked_lm_loss all -100", lambda: losses.masked_lm_loss(logits3, torch.full_like(lab2, -100)),
        ("-100",), ref=lambda: F.cross_entropy(logits3.view(-1, 40), torch.full((10,), -100)))
    add("masked_lm_loss right", lambda: losses.masked_lm_loss(logits3, lab2), expect=lambda v: torch.allclose(
        v, F.cross_entropy(logits3.view(-1, 40), lab2.view(-1))))
    nsp = torch.randn(2, 2)
    add("next_sentence_loss logits [2, 3]", lambda: losses.next_sentence_loss(torch.randn(2, 3), torch.tensor([0, 1])),
        ("shape", "2"))
    add("next_sentence_loss labels [3]", lambda: losses.next_sentence_loss(nsp, torch.tensor([0, 1, 1])), ("shape", "batch"))
    add("next_sentence_loss label 2", lambda: losses.next_sentence_loss(nsp, torch.tensor([0, 2])), ("0", "1"))
    add("next_sentence_loss labels [2, 1]", lambda: losses.next_sentence_loss(nsp, torch.tensor([[0], [1]])),
        expect=lambda v: torch.allclose(v, F.cross_entropy(nsp, torch.tensor([0, 1]))))
    add("pretraining_loss arguments swapped (labels first)", lambda: losses.pretraining_loss(
        lab2, torch.tensor([0, 1]), logits3, nsp), ("logits", "order", "shape"))
    add("pretraining_loss nsp logits and labels swapped", lambda: losses.pretraining_loss(
        logits3, torch.tensor([0, 1]), lab2, nsp), ("logits", "order", "shape"))
    add("sequence_classification_loss [B] logits", lambda: losses.sequence_classification_loss(
        torch.randn(4), torch.tensor([0, 1, 1, 0])), ("[batch, num_labels]", "shape"))
    add("sequence_classification_loss [B, 1] logits, int labels (regression on ids)",
        lambda: losses.sequence_classification_loss(torch.randn(4, 1), torch.tensor([0, 1, 1, 0])),
        (".float()",))
    add("sequence_classification_loss labels longer", lambda: losses.sequence_classification_loss(
        torch.randn(4, 2), torch.tensor([0, 1, 1, 0, 1])), ("labels", "shape", "examples"))
    add("sequence_classification_loss problem_type 'regresion'", lambda: losses.sequence_classification_loss(
        torch.randn(4, 2), torch.tensor([0, 1, 1, 0]), "regresion"), ("problem_type",))
    add("single_label_loss logits [B]", lambda: losses.single_label_loss(torch.randn(4), torch.tensor([0, 1, 1, 0])),
        ("shape",))
    add("multi_label_loss int labels", lambda: losses.multi_label_loss(torch.randn(4, 2), torch.tensor([[0, 1]] * 4)),
        (".float()",))
    add("regression_loss labels [B, 1] for logits [B, 1]", lambda: losses.regression_loss(torch.randn(4, 1),
        torch.rand(4, 1)), expect=lambda v: torch.isfinite(v).item())
    add("token_classification_loss labels [B]", lambda: losses.token_classification_loss(torch.randn(2, 5, 3),
        torch.tensor([0, 1])), ("shape",))
    add("token_classification_loss float labels", lambda: losses.token_classification_loss(torch.randn(2, 5, 3),
        torch.zeros(2, 5)), (".long()", "integer"))
    add("question_answering_loss positions [B, 1]", lambda: losses.question_answering_loss(
        torch.randn(2, 5), torch.randn(2, 5), torch.tensor([[1], [2]]), torch.tensor([[2], [3]])),
        expect=lambda v: torch.isfinite(v).item())
    add("question_answering_loss float positions", lambda: losses.question_answering_loss(
        torch.randn(2, 5), torch.randn(2, 5), torch.tensor([1.0, 2.0]), torch.tensor([2.0, 3.0])), (".long()", "integer"))
    add("question_answering_loss start only", lambda: losses.question_answering_loss(
        torch.randn(2, 5), torch.randn(2, 5), torch.tensor([1, 2]), None), ("end_positions",))
    add("causal_lm_loss swapped", lambda: losses.causal_lm_loss(lab2, logits3), ("logits", "shape", "swapped"))
    add("choice_loss labels [B, C] one-hot", lambda: losses.choice_loss(torch.randn(2, 3), torch.tensor(
        [[1, 0, 0], [0, 1, 0]])), ("shape", "index"))
    add("multiple_choice_loss num_choices wrong", lambda: losses.multiple_choice_loss(torch.randn(6, 1),
        torch.tensor([0, 1]), 4), ("choices",))
    return C


def schedule_cases() -> list[Case]:
    from course_lib.training import optim, schedules
    C = []

    def opt():
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)

    def ref_lrs(name, warmup, total, steps):
        import transformers

        scheduler = transformers.get_scheduler(name, opt(), warmup, total)
        lrs = []
        for _ in range(steps):
            lrs.append(scheduler.get_last_lr()[0])
            scheduler.step()
        return lrs

    add = lambda name, fn, hints=(), expect=RAISES, ref=None: C.append(Case("schedules", name, fn, expect, hints, ref))  # noqa: E731
    add("inverse_sqrt timescale=0", lambda: schedules.inverse_sqrt(5, num_warmup_steps=0, timescale=0), ("timescale",))
    add("inverse_sqrt negative timescale", lambda: schedules.inverse_sqrt(5, num_warmup_steps=0, timescale=-3),
        ("timescale",))
    add("polynomial warmup == total", lambda: [schedules.polynomial(s, num_warmup_steps=10, num_training_steps=10,
        lr_init=1e-3) for s in range(12)], ("num_warmup_steps", "num_training_steps"))
    add("polynomial lr_end > lr_init", lambda: schedules.polynomial(3, num_warmup_steps=0, num_training_steps=10,
        lr_init=1e-5, lr_end=1e-3), ("lr_end",))
    add("polynomial lr_init 0", lambda: schedules.polynomial(3, num_warmup_steps=0, num_training_steps=10,
        lr_init=0.0), ("lr_init",))
    add("linear warmup > total", lambda: [schedules.linear(s, num_warmup_steps=20, num_training_steps=10)
        for s in range(25)], ("num_warmup_steps",), ref=lambda: ref_lrs("linear", 20, 10, 25))
    add("linear negative warmup", lambda: schedules.linear(0, num_warmup_steps=-1, num_training_steps=10),
        ("num_warmup_steps",), ref=lambda: ref_lrs("linear", -1, 10, 2))
    add("cosine num_training_steps 0", lambda: schedules.cosine(0, num_warmup_steps=0, num_training_steps=0),
        ("num_training_steps",), expect=lambda v: isinstance(v, float))
    add("cosine_with_restarts num_cycles 0", lambda: schedules.cosine_with_restarts(
        3, num_warmup_steps=0, num_training_steps=10, num_cycles=0), ("num_cycles",), expect=lambda v: isinstance(v, float))
    add("warmup_stable_decay bad shape", lambda: schedules.warmup_stable_decay(
        3, num_warmup_steps=1, num_stable_steps=2, num_decay_steps=3, decay_type="exp"), ("decay_type",))
    add("warmup_stable_decay all zero", lambda: schedules.warmup_stable_decay(
        0, num_warmup_steps=0, num_stable_steps=0, num_decay_steps=0), ("num_decay_steps",),
        expect=lambda v: isinstance(v, float))
    add("get_scheduler unknown name", lambda: schedules.get_scheduler("cosin", opt(), 1, 10), ("cosine",))
    add("get_scheduler linear without total", lambda: schedules.get_scheduler("linear", opt(), 1), ("num_training_steps",))
    add("get_scheduler warmup float 0.1", lambda: schedules.get_scheduler("linear", opt(), 0.1, 10),
        ("num_warmup_steps", "integer"), ref=lambda: ref_lrs("linear", 0.1, 10, 3))
    add("get_scheduler optimizer=model", lambda: schedules.get_scheduler("linear", torch.nn.Linear(2, 2), 1, 10),
        ("optimizer",))
    add("get_scheduler steps as string", lambda: schedules.get_scheduler("linear", opt(), "1", "10"),
        ("integer", "number"))
    def stepped(make, steps):
        scheduler = make()
        return [scheduler.step() or scheduler.get_last_lr()[0] for _ in range(steps)]

    add("get_scheduler polynomial warmup == total", lambda: stepped(
        lambda: schedules.get_scheduler("polynomial", opt(), 10, 10), 12), ("num_warmup_steps", "num_training_steps"))
    add("get_scheduler inverse_sqrt timescale 0", lambda: stepped(
        lambda: schedules.get_scheduler("inverse_sqrt", opt(), 0, scheduler_specific_kwargs={"timescale": 0}), 3),
        ("timescale",))
    for name in ("constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial",
                 "inverse_sqrt"):
        add(f"get_scheduler {name} negative warmup", lambda name=name: schedules.get_scheduler(name, opt(), -2, 10),
            ("num_warmup_steps", "negative", ">= 0"), ref=lambda name=name: ref_lrs(name, -2, 10, 3))
    # optimizers
    lin = lambda: torch.nn.Linear(3, 2)  # noqa: E731
    for cls in ("AdamW", "AdamL2"):
        O = getattr(optim, cls)
        ref_cls = torch.optim.AdamW if cls == "AdamW" else torch.optim.Adam
        add(f"optim.{cls}(model.named_parameters())", lambda O=O: O(lin().named_parameters(), lr=1e-3),
            expect=lambda v: len(v.param_groups[0]["params"]) == 2)
        add(f"optim.{cls}(model) (not parameters)", lambda O=O: O(lin(), lr=1e-3), ("parameters()",))
        add(f"optim.{cls} lr negative", lambda O=O: O(lin().parameters(), lr=-1.0), ("lr",),
            ref=lambda r=ref_cls: r(lin().parameters(), lr=-1.0))
        add(f"optim.{cls} betas (0.9,)", lambda O=O: O(lin().parameters(), betas=(0.9,)), ("betas",))
        add(f"optim.{cls} beta 1.0", lambda O=O: O(lin().parameters(), betas=(1.0, 0.999)), ("beta",),
            ref=lambda r=ref_cls: r(lin().parameters(), betas=(1.0, 0.999)))
        add(f"optim.{cls} lr as string", lambda O=O: O(lin().parameters(), lr="1e-3"), ("lr",))
        add(f"optim.{cls} empty parameter list", lambda O=O: O([], lr=1e-3), ("empty", "parameter"))
        add(f"optim.{cls} generator of parameters", lambda O=O: O(iter(lin().parameters()), lr=1e-3),
            expect=lambda v: len(v.param_groups[0]["params"]) == 2)
        add(f"optim.{cls} weight_decay negative", lambda O=O: O(lin().parameters(), weight_decay=-0.1), ("weight_decay",))
        add(f"optim.{cls} param group without params", lambda O=O: O([{"lr": 1e-3}]), ("params",))
        add(f"optim.{cls} frozen parameters only", lambda O=O: O([p.requires_grad_(False) for p in lin().parameters()]),
            ("requires_grad", "frozen", "train"), expect=lambda v: True)
    add("param_groups(model.parameters())", lambda: optim.param_groups(lin().parameters(), 0.01), ("model",))
    add("param_groups weight_decay 'x'", lambda: optim.param_groups(lin(), "x"), ("weight_decay",))
    add("param_groups no_decay as a string", lambda: optim.param_groups(lin(), 0.01, no_decay="bias"),
        ("no_decay", "tuple", "list"))
    return C


def data_cases(tok) -> list[Case]:
    from course_lib import evaluation, task_data, training
    from course_lib.models.question_answering import encode_qa_examples, squad_metrics
    from course_lib.models.token_classification import tokenize_and_align_labels
    from course_lib.task_data import classification as cls_data
    from course_lib.task_data import ner, qa
    from course_lib.training import masking
    C = []
    add = lambda area, name, fn, hints=(), expect=RAISES, ref=None: C.append(Case(area, name, fn, expect, hints, ref))  # noqa: E731
    # task data generators
    for gen in ("sentiment", "similarity", "topic_tags", "continuations"):
        f = getattr(cls_data, gen)
        add("task_data", f"{gen}(True)", lambda f=f: f(True), ("integer", "int", "bool"))
        add("task_data", f"{gen}(-1)", lambda f=f: f(-1), ("n",))
        add("task_data", f"{gen}(2.5)", lambda f=f: f(2.5), ("integer", "int", "number of examples"))
        add("task_data", f"{gen}('10')", lambda f=f: f("10"), ("integer", "int", "number of examples"))
        add("task_data", f"{gen}(4, split='valid')", lambda f=f: f(4, split="valid"), ("split", "test"))
        add("task_data", f"{gen}(0)", lambda f=f: len(f(0)), ("positive", ">= 1"))
    add("task_data", "make_ner_data(True)", lambda: ner.make_ner_data(True), ("integer", "int"))
    add("task_data", "make_ner_data(names='new')", lambda: ner.make_ner_data(4, names="new"), ("names",))
    add("task_data", "make_qa_data(True)", lambda: qa.make_qa_data(True), ("integer", "int"))
    add("task_data", "make_qa_data unanswerable 1.5", lambda: qa.make_qa_data(4, unanswerable_fraction=1.5),
        ("unanswerable_fraction",))
    # encoders
    ex = cls_data.sentiment(6)
    add("task_data", "encode string labels 'pos'/'neg'", lambda: cls_data.encode(
        cls_data.Examples(ex.texts, ["pos", "neg"] * 3), tok), ("label", "integer", "string"))
    add("task_data", "encode max_length=0", lambda: cls_data.encode(ex, tok, max_length=0), ("max_length",))
    add("task_data", "encode max_length=1", lambda: cls_data.encode(ex, tok, max_length=1), ("max_length",))
    add("task_data", "encode tokenizer=None", lambda: cls_data.encode(ex, None), ("tokenizer",))
    add("task_data", "encode a list of strings", lambda: cls_data.encode(["a film", "a meal"], tok),
        ("Examples",))
    add("task_data", "encode labels of mixed length", lambda: cls_data.encode(cls_data.Examples(
        ex.texts[:2], [[0, 1], [1]]), tok), ("label", "length", "same"))
    add("task_data", "encode right", lambda: cls_data.encode(ex, tok, max_length=16), expect=lambda v: (
        v["input_ids"].shape == (6, 16) and v["labels"].dtype == torch.long))
    add("task_data", "encode_choices max_length 0", lambda: cls_data.encode_choices(cls_data.continuations(2), tok,
        max_length=0), ("max_length",))
    nd = ner.make_ner_data(3)
    add("task_data", "tokenize_and_align_labels with ex.tags (strings)", lambda: tokenize_and_align_labels(
        tok, [e.words for e in nd], [e.tags for e in nd]), ("tag_ids", "integer", "string"))
    add("task_data", "tokenize_and_align_labels labels one short", lambda: tokenize_and_align_labels(
        tok, [e.words for e in nd], [e.tag_ids[:-1] for e in nd]), ("word", "label"))
    add("task_data", "tokenize_and_align_labels a string not words", lambda: tokenize_and_align_labels(
        tok, ["Ada lives in Paris"], [[0, 0, 0, 0]]), ("words", "list"))
    add("task_data", "tokenize_and_align_labels max_length 0", lambda: tokenize_and_align_labels(
        tok, [e.words for e in nd], [e.tag_ids for e in nd], max_length=0), ("max_length",))
    qd = qa.make_qa_data(3)
    add("task_data", "encode_qa_examples max_length 0", lambda: encode_qa_examples(tok, qd, max_length=0),
        ("max_length",))
    add("task_data", "encode_qa_examples a dict (one example)", lambda: encode_qa_examples(tok, qd[0]),
        ("list", "examples"))
    add("task_data", "encode_qa_examples answers as a string", lambda: encode_qa_examples(
        tok, [{**qd[0], "answers": qd[0]["answers"]["text"][0]}]), ("answers",))
    add("task_data", "entity_metrics lengths differ", lambda: ner.entity_metrics([["O", "B-PER"]], [["O"]]),
        ("length", "tags"))
    home = Path.home()
    data_dir = Path(os.environ.get("COURSE_DATA_DIR", "")).expanduser() if os.environ.get("COURSE_DATA_DIR") else None
    try:
        from course_lib.task_data import movie_reviews
        data_dir = movie_reviews.data_dir()
    except Exception:  # noqa: BLE001
        pass
    if data_dir is not None and data_dir.is_dir() and str(data_dir).startswith(str(home)):
        tilde = "~/" + str(data_dir.relative_to(home))
        add("task_data", "load_movie_reviews('~/...')", lambda: task_data.load_movie_reviews(tilde),
            expect=lambda v: v is not None)
    add("task_data", "load_movie_reviews('/nonexistent')", lambda: task_data.load_movie_reviews("/nonexistent"),
        ("python -m",))
    # evaluation and training metrics
    ev, tr = evaluation, training
    perfect = torch.tensor([0, 1, 1, 0])
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [0.0, 2.0], [2.0, 0.0]])
    add("evaluation", "evaluation.accuracy ids [N] vs labels [N, 1]", lambda: ev.accuracy(perfect, perfect[:, None]),
        ("shape",), expect=lambda v: v == 1.0)
    add("evaluation", "evaluation.accuracy logits vs labels [N, 1]", lambda: ev.accuracy(logits, perfect[:, None]),
        ("shape",), expect=lambda v: v == 1.0)
    add("evaluation", "evaluation.accuracy skips -100", lambda: ev.accuracy(logits, torch.tensor([0, 1, -100, -100])),
        expect=lambda v: v == 1.0)
    add("evaluation", "accuracy of class ids skips -100", lambda: ev.accuracy(perfect, torch.tensor([0, 1, -100, -100])),
        expect=lambda v: v == 1.0)
    add("evaluation", "evaluation.accuracy lists", lambda: ev.accuracy([0, 1], [0, 1]), expect=lambda v: v == 1.0)
    add("evaluation", "evaluation.accuracy float 1-D predictions", lambda: ev.accuracy(torch.tensor([0.9, 0.1]),
        torch.tensor([1, 0])), ("logits", "class ids"))
    add("evaluation", "evaluation.accuracy empty", lambda: ev.accuracy(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long)),
        ("empty", "no example", "nothing"))
    add("evaluation", "evaluation.accuracy float labels 0./1.", lambda: ev.accuracy(logits, perfect.float()),
        (".long()", "integer"), expect=lambda v: v == 1.0)
    add("evaluation", "evaluation.accuracy token logits [B, T, C] vs [B, T]", lambda: ev.accuracy(
        torch.randn(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)), ("shape", "[N, C]"), expect=lambda v: 0.0 <= v <= 1.0)
    add("evaluation", "evaluation.accuracy token ids [B, T] vs [B, T]", lambda: ev.accuracy(torch.zeros(2, 3, dtype=torch.long),
        torch.zeros(2, 3, dtype=torch.long)), ("shape", "dimension"), expect=lambda v: v == 1.0)
    add("evaluation", "mean_squared_error [N,1] vs [N,1]", lambda: ev.mean_squared_error(torch.ones(3, 1),
        torch.ones(3, 1)), ("shape", "must both be"))
    add("evaluation", "pearson_r constant predictions", lambda: ev.pearson_r(torch.ones(4), torch.arange(4.0)),
        ("constant",))
    add("evaluation", "pearson_r one example", lambda: ev.pearson_r(torch.ones(1), torch.ones(1)), ("two", "at least"))
    add("evaluation", "bootstrap_interval level 95", lambda: ev.bootstrap_interval(ev.accuracy, logits, perfect,
        level=95), ("level",))
    add("evaluation", "majority_baseline empty", lambda: ev.majority_baseline([], [0, 1]), ("empty", "no "))
    add("evaluation", "seed_spread one value", lambda: ev.seed_spread([0.5]), ("two", "at least"))
    add("evaluation", "mcnemar lengths differ", lambda: ev.mcnemar([True, False], [True]), ("length", "same", "equally long"))
    add("evaluation", "squad_metrics bare-string golds", lambda: squad_metrics(["Lyon", "Porto"], ["Lyon", "Porto"]),
        ("list", "gold"), expect=lambda v: v["exact_match"] == 100.0)
    add("evaluation", "squad_metrics golds as lists", lambda: squad_metrics(["Lyon"], [["Lyon", "lyon"]]),
        expect=lambda v: v["exact_match"] == 100.0)
    add("evaluation", "squad_metrics prediction a list", lambda: squad_metrics([["Lyon"]], [["Lyon"]]),
        ("string", "str"))
    add("evaluation", "squad_metrics a single string each", lambda: squad_metrics("Lyon", "Lyon"),
        ("list",))
    # predict / train
    import course_lib
    m = course_lib.BertForSequenceClassification(config())
    data = {"input_ids": ids(6, 5), "attention_mask": torch.ones(6, 5, dtype=torch.long),
            "labels": torch.tensor([0, 1, 0, 1, 0, 1])}
    add("training", "predict batch_size 0", lambda: tr.predict(m, data, batch_size=0), ("batch_size",))
    add("training", "predict output 'logit', no attention_mask", lambda: tr.predict(m, {"input_ids": data["input_ids"]},
        output="logit"), ("logits", "no field"))
    add("training", "predict data without input_ids", lambda: tr.predict(m, {"labels": data["labels"]}),
        ("input_ids",))
    add("training", "predict a tensor not a dict", lambda: tr.predict(m, data["input_ids"]), ("dict",))
    add("training", "training.predict output 'logit'", lambda: tr.predict(m, data, output="logit"), ("logits", "no tensor field"))
    add("training", "train steps 0", lambda: tr.train(m, data, steps=0, batch_size=2), ("steps",))
    add("training", "train batch_size bigger than data", lambda: tr.train(m, data, steps=1, batch_size=50),
        ("batch_size",))
    add("training", "train data without labels", lambda: tr.train(m, {"input_ids": data["input_ids"]}, steps=1,
        batch_size=2), ("labels",))
    add("training", "train lr as string", lambda: tr.train(m, data, steps=1, batch_size=2, lr="1e-3"), ("lr",))
    add("training", "train lengths differ", lambda: tr.train(m, {**data, "labels": data["labels"][:4]}, steps=1,
        batch_size=2), ("same", "length", "first dimension"))
    add("training", "batches batch_size 0", lambda: list(tr.batches(data, 0)), ("batch_size",))
    add("training", "training_step with a batch without labels", lambda: tr.training_step(
        m, {"input_ids": data["input_ids"]}, torch.optim.SGD(m.parameters(), lr=0.1)), ("labels", "loss"))
    # masking
    x = torch.tensor([[tok.cls_token_id, 7, 8, 9, tok.sep_token_id]])
    add("masking", "mask_tokens probability 15 (percent)", lambda: masking.mask_tokens(x, tok, mlm_probability=15),
        ("probability", "[0, 1]"))
    add("masking", "mask_tokens 0.9 + 0.2 > 1", lambda: masking.mask_tokens(x, tok, mask_replace_prob=0.9,
        random_replace_prob=0.2), ("1",))
    add("masking", "mask_tokens float ids", lambda: masking.mask_tokens(x.float(), tok), (".long()", "integer"))
    add("masking", "mask_tokens list ids", lambda: masking.mask_tokens(x.tolist(), tok), ("tensor",))
    add("masking", "mask_tokens tokenizer=None", lambda: masking.mask_tokens(x, None), ("tokenizer",))
    add("masking", "mask_tokens 1-D ids", lambda: masking.mask_tokens(x[0], tok),
        expect=lambda v: v[0].shape == x[0].shape)
    add("masking", "mask_tokens returns labels -100 off mask", lambda: masking.mask_tokens(
        x, tok, generator=torch.Generator().manual_seed(0)), expect=lambda v: bool(((v[1] == -100) | (v[1] == x)).all()))
    add("masking", "mask_tokens generator an int", lambda: masking.mask_tokens(x, tok, generator=0), ("Generator",))
    return C


def misc_cases() -> list[Case]:
    import course_lib
    from course_lib.models import pooling, pretrained, tying
    from course_lib.notebook import parity
    from course_lib.training import data as batching
    C = []
    add = lambda area, name, fn, hints=(), expect=RAISES, ref=None: C.append(Case(area, name, fn, expect, hints, ref))  # noqa: E731
    data = {"input_ids": ids(6, 5), "attention_mask": torch.tensor([[1] * 5, [1] * 3 + [0] * 2] * 3)}
    add("batching", "bucketed_batches batch_size 0", lambda: list(batching.bucketed_batches(data, 0)), ("batch_size",))
    add("batching", "padded_batches without attention_mask", lambda: list(batching.padded_batches(
        {"input_ids": data["input_ids"]}, 2)), ("attention_mask",))
    add("batching", "trim_padding of an empty batch", lambda: batching.trim_padding(
        {"input_ids": data["input_ids"][:0], "attention_mask": data["attention_mask"][:0]}), ("empty",),
        expect=lambda v: v["input_ids"].shape[0] == 0)
    add("batching", "lengths_of a tensor", lambda: batching.lengths_of(data["input_ids"]), ("dict",))
    add("batching", "BucketBatchSampler batch_size -1", lambda: batching.BucketBatchSampler([3, 4], -1), ("batch_size",))
    add("batching", "count_padding of a dict", lambda: batching.count_padding(data), ("batches", "iterable"))
    h = torch.randn(2, 5, 4)
    add("pooling", "masked_mean all-zero mask row", lambda: pooling.masked_mean(h, torch.tensor(
        [[1, 1, 0, 0, 0], [0, 0, 0, 0, 0]])), ("no token", "no real token"))
    add("pooling", "masked_mean mask [B, T, 1]", lambda: pooling.masked_mean(h, torch.ones(2, 5, 1)), ("match",))
    add("pooling", "masked_mean mask of wrong length", lambda: pooling.masked_mean(h, torch.ones(2, 4)), ("shape", "does not match"))
    add("pooling", "masked_mean bool mask", lambda: pooling.masked_mean(h, torch.ones(2, 5, dtype=torch.bool)),
        expect=lambda v: torch.allclose(v, h.mean(1)))
    add("pooling", "masked_mean None mask", lambda: pooling.masked_mean(h, None), expect=lambda v: torch.allclose(
        v, h.mean(1)))
    m = course_lib.BertForSequenceClassification(config())
    add("pooling", "predict of the mean-pooled model, output 'logit'", lambda: course_lib.training.predict(
        pooling.BertForMeanPooledClassification(config()), {"input_ids": ids(4, 5), "attention_mask": torch.ones(4, 5, dtype=torch.long)},
        output="logit"), ("logits",))
    # parity
    a = torch.randn(3)
    add("parity", "ParityReport.add shapes differ", lambda: parity.ParityReport().add("x", a, torch.randn(4)), ("shape",))
    add("parity", "ParityReport.add NaN vs NaN", lambda: parity.ParityReport().add("x", torch.tensor([float("nan")]),
        torch.tensor([float("nan")])), ("nan",), expect=lambda v: True)
    add("parity", "ParityReport.add a float and a tensor", lambda: parity.ParityReport().add("x", 1.0, torch.tensor(1.0)),
        ("tensor",), expect=lambda v: True)
    add("parity", "ParityReport.add None", lambda: parity.ParityReport().add("x", None, a), ("None", "tensor"))
    add("parity", "parity_report(models swapped with inputs)", lambda: parity.parity_report({"input_ids": ids()}, m, m),
        ("model", "inputs"))
    add("parity", "parity_report input ids as a tensor", lambda: parity.parity_report(m, m, ids()), ("dict", "inputs"))
    # pretrained loader
    tmp = Path(tempfile.mkdtemp(prefix="probe-ckpt-"))
    atexit.register(shutil.rmtree, tmp, True)
    (tmp / "config.json").write_text("{not json")
    add("pretrained", "from_pretrained a folder with broken config.json", lambda: course_lib.BertModel.from_pretrained(tmp),
        ("config.json",), ref=lambda: __import__("transformers").BertModel.from_pretrained(tmp))
    tmp2 = Path(tempfile.mkdtemp(prefix="probe-ckpt-"))
    atexit.register(shutil.rmtree, tmp2, True)
    config().to_json_file(tmp2 / "config.json")
    (tmp2 / "model.safetensors").write_bytes(b"\x00" * 40)
    add("pretrained", "from_pretrained a corrupt model.safetensors", lambda: course_lib.BertModel.from_pretrained(tmp2),
        ("model.safetensors",))
    add("pretrained", "from_pretrained a missing folder", lambda: course_lib.BertModel.from_pretrained("/nonexistent/x"),
        ("/nonexistent/x", "not found", "no such"))
    add("pretrained", "from_pretrained a hub name offline", lambda: course_lib.BertModel.from_pretrained(
        "bert-base-uncased"), ("bert-base-uncased",))
    add("pretrained", "load_pretrained unknown override", lambda: pretrained.load_pretrained(hiden_size=3),
        ("hiden_size",))
    add("pretrained", "from_pretrained num_labels=0", lambda: course_lib.BertForSequenceClassification.from_pretrained(
        num_labels=0), ("num_labels",))
    add("pretrained", "from_pretrained config=a dict", lambda: course_lib.BertModel.from_pretrained(config={}),
        ("config",))
    # tying
    add("tying", "resize_token_embeddings to 0", lambda: tying.resize_token_embeddings(
        course_lib.BertForMaskedLM(config()), 0), ("new_num_tokens", ">= 1", "at least"))
    add("tying", "resize_token_embeddings a float", lambda: tying.resize_token_embeddings(
        course_lib.BertForMaskedLM(config()), 50.0), ("integer", "int"))
    add("tying", "is_tied of a classifier", lambda: tying.is_tied(m), ("output embedding", "no "))
    add("tying", "tying_savings of a model", lambda: tying.tying_savings(m), ("config",),
        expect=lambda v: isinstance(v, int) and v > 0)
    return C


# --------------------------------------------------------------------------------------------
# commands, each in a throwaway course copy
# --------------------------------------------------------------------------------------------

TINY_NB = {"cells": [{"cell_type": "markdown", "id": "a1", "metadata": {}, "source": "# 00 · Tiny\n\nhello"},
                     {"cell_type": "code", "id": "a2", "metadata": {}, "execution_count": None, "outputs": [],
                      "source": "print(1)"}],
           "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
           "nbformat": 4, "nbformat_minor": 5}


def throwaway_course() -> Path:
    repo = Path(tempfile.mkdtemp(prefix="probe-course-")) / "course"
    (repo / "notebooks").mkdir(parents=True)
    shutil.copytree(ROOT / "tools", repo / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    (repo / "notebooks" / "00_tiny.ipynb").write_text(json.dumps(TINY_NB))
    (repo / "notebooks" / "01_broken.ipynb.txt").write_text("{")
    (repo / "README.md").write_text("a course\n")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")  # tools/colab.py reads the course address there
    (repo / "course_lib").mkdir()  # ... and the course version here
    shutil.copy(ROOT / "course_lib" / "__init__.py", repo / "course_lib" / "__init__.py")
    git = ["git", "-c", "user.name=p", "-c", "user.email=p@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "x"], cwd=repo, check=True)
    return repo


def command_case(name: str, args: list, expect="refuse", hints=(), env=None, setup=None, timeout=60) -> Case:
    """expect: "refuse" (a one-line error, nothing deleted), or a predicate on (repo, home, completed process)."""

    def run():
        repo = throwaway_course()
        home = repo.parent / "home"
        home.mkdir()
        (home / "thesis.txt").write_text("mine")
        if setup:
            setup(repo, home)
        argv = [a.format(repo=repo, home=home) for a in args]
        e = {**os.environ, "HOME": str(home), **(env or {})}
        before = sorted(p.relative_to(repo.parent) for p in repo.parent.rglob("*") if ".git" not in p.parts)
        try:
            done = subprocess.run([sys.executable, *argv], cwd=repo, env=e, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            raise Timeout() from None
        after = {p.relative_to(repo.parent) for p in repo.parent.rglob("*") if ".git" not in p.parts}
        lost = [str(p) for p in before if p not in after]
        shutil.rmtree(repo.parent, ignore_errors=True)
        return {"rc": done.returncode, "stderr": done.stderr, "stdout": done.stdout, "lost": lost}

    case = Case("tools", name, run, RAISES, hints)
    case.extra = {"expect": expect}
    return case


def classify_command(case: Case) -> None:
    out = attempt(case.run, 120)
    if out.timed_out:
        case.outcome, case.detail = "hang", "no answer in time"
        return
    if out.error is not None:
        case.outcome, case.detail = "crash", f"probe: {out.message}"
        return
    r = out.value
    err = (r["stderr"].strip() or r["stdout"].strip())
    last = err.splitlines()[-1] if err else ""
    if r["lost"]:
        case.outcome, case.detail = "silent-wrong", f"deleted {len(r['lost'])} files, e.g. {r['lost'][:3]}; {last[:120]}"
        return
    expect = case.extra["expect"]
    if expect != "refuse":
        ok = expect(r)
        case.outcome = "good" if ok else ("crash" if "Traceback" in r["stderr"] else "confusing")
        case.detail = last[:200]
        return
    if "Traceback" in r["stderr"]:
        case.outcome, case.detail = "crash", last[:200]
    elif r["rc"] == 0:
        case.outcome, case.detail = "silent-wrong", f"exit 0: {last[:160]}"
    elif case.hints and not any(h.lower() in err.lower() for h in case.hints):
        case.outcome, case.detail = "confusing", f"{last[:160]} (expected a word of {case.hints})"
    else:
        case.outcome, case.detail = "good", last[:200]


def command_cases() -> list[Case]:
    C = []
    site, run, tr, lab = "tools.build_site", "tools.run_notebooks", "tools.translate", "tools.lab"  # run with -m
    made = lambda r: r["rc"] == 0  # noqa: E731
    for tool, extra in ((site, []), (run, ["notebooks"]), (tr, [])):
        if tool != tr:  # translate writes zh-CN/ into the checkout by default: its job
            C.append(command_case(f"{tool} --out . (the checkout)", ["-m", tool, "--out", ".", *extra], hints=("checkout",)))
        C.append(command_case(f"{tool} --out notebooks (tracked files)", ["-m", tool, "--out", "notebooks", *extra],
                              hints=("tracked", "git")))
        C.append(command_case(f"{tool} --out ~ (home folder)", ["-m", tool, "--out", "{home}", *extra],
                              hints=("home", "contains", "did not", "not made", "not written")))
        C.append(command_case(f"{tool} --out a folder holding the learner's file", ["-m", tool, "--out", "mine", *extra],
                              setup=lambda repo, home: ((repo / "mine").mkdir(), (repo / "mine" / "notes.txt")
                                                        .write_text("x")), hints=("mine",)))
        C.append(command_case(f"{tool} --out a file", ["-m", tool, "--out", "README.md", *extra], hints=("README.md",)))
        C.append(command_case(f"{tool} --out a parent of the checkout", ["-m", tool, "--out", "..", *extra],
                              hints=("checkout", "contains")))
    C.append(command_case(f"{site} twice into its own folder", ["-c", (
        "import subprocess,sys;[subprocess.run([sys.executable,'-m','tools.build_site','--quiet','--out','site'],"
        "check=True) for _ in range(2)]")], expect=made))
    C.append(command_case(f"{run} twice into its own folder", ["-c", (
        "import subprocess,sys;[subprocess.run([sys.executable,'-m','tools.run_notebooks','--out','build/course',"
        "'notebooks'],check=True) for _ in range(2)]")], expect=made, timeout=120))
    C.append(command_case(f"{site} --notebooks a folder with a broken notebook", ["-m", site, "--out", "site", "--notebooks",
                          "bad"], setup=lambda repo, home: ((repo / "bad").mkdir(), (repo / "bad" / "00_x.ipynb")
                                                            .write_text("{")), hints=("00_x.ipynb", "json")))
    C.append(command_case(f"{run} a notebook that is not JSON", ["-m", run, "--out", "build/x", "bad.ipynb"],
                          setup=lambda repo, home: (repo / "bad.ipynb").write_text("{"), hints=("bad.ipynb", "json")))
    C.append(command_case(f"{tr} --skeleton 99", ["-m", tr, "--skeleton", "99"], hints=("99",)))
    C.append(command_case(f"{tr} --todo 99", ["-m", tr, "--todo", "99"], hints=("99",)))
    C.append(command_case(f"PORT=80 {lab} --port 8932 --help", ["-m", lab, "--port", "8932", "--help"], env={"PORT": "80"},
                          expect=lambda r: r["rc"] == 0 and "usage" in r["stdout"]))
    C.append(command_case(f"PORT=80 {lab}", ["-m", lab], env={"PORT": "80"}, hints=("PORT",)))
    C.append(command_case(f"{lab} --port abc", ["-m", lab, "--port", "abc"], hints=("PORT", "port")))
    C.append(command_case(f"{run} without --out or --in-place", ["-m", run, "notebooks"], hints=("--in-place",)))
    C.append(command_case(f"{run} a missing notebook", ["-m", run, "--out", "build/x", "missing.ipynb"], hints=("missing",)))
    C.append(command_case(f"{site} --notebooks an empty folder", ["-m", site, "--out", "site", "--notebooks", "empty"],
                          setup=lambda repo, home: (repo / "empty").mkdir(), hints=("empty", "no NN")))
    return C


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--all", action="store_true", help="print every case")
    parser.add_argument("--json", type=Path, help="write the outcomes here")
    parser.add_argument("--only", help="only areas whose name contains this")
    parser.add_argument("--no-commands", action="store_true", help="skip the command-line cases")
    args = parser.parse_args()
    torch.manual_seed(0)
    import transformers  # noqa: F401  (imported once here: the first case's time limit is not spent on imports)

    from course_lib.task_data.corpus import corpus_tokenizer

    for name in MODELS:
        pair(name)  # transformers' model modules load lazily, on the first model built

    tok = corpus_tokenizer()
    cases: list[Case] = []
    for make in (model_cases, loss_cases, schedule_cases, lambda: data_cases(tok), misc_cases):
        cases.extend(make())
    for case in cases:
        if args.only and args.only not in case.area:
            continue
        classify(case)
    if not args.no_commands:
        commands = command_cases()
        for case in commands:
            if args.only and args.only not in case.area:
                continue
            classify_command(case)
        cases.extend(commands)
    cases = [c for c in cases if c.outcome]
    counts = {k: sum(c.outcome == k for c in cases) for k in CLASSES}
    for case in cases:
        if args.all or case.outcome != "good":
            print(f"{case.outcome:<21} {case.area:<11} {case.name}: {case.detail}")
    print(f"{len(cases)} inputs: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if args.json:
        args.json.write_text(json.dumps({"counts": counts, "cases": [
            {"area": c.area, "name": c.name, "outcome": c.outcome, "detail": c.detail} for c in cases]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
