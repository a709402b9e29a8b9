"""Helpers for parity tests: small configs, reference models, weight copying, inputs.

Pattern (after rasbt/LLMs-from-scratch): a tiny random config, build the transformers class and
ours, copy the reference weights into ours *by name* with strict=True, eval(), same inputs,
compare with torch.testing.assert_close.
"""

from __future__ import annotations

import contextlib
import signal

import pytest
import torch
import transformers
from transformers import BertConfig

TRANSFORMERS_MAJOR = int(transformers.__version__.split(".")[0])
ATTN_IMPLEMENTATIONS = ("eager", "sdpa")

# Several small shapes: different widths, depths, head counts, activations, vocabularies.
TINY_CONFIGS = {
    "tiny-gelu": dict(vocab_size=99, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                      intermediate_size=37, max_position_embeddings=64, hidden_act="gelu"),
    "narrow-relu": dict(vocab_size=120, hidden_size=24, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=48, max_position_embeddings=40, hidden_act="relu", type_vocab_size=3),
    "deep-gelu_new": dict(vocab_size=77, hidden_size=48, num_hidden_layers=3, num_attention_heads=6,
                          intermediate_size=64, max_position_embeddings=32, hidden_act="gelu_new",
                          layer_norm_eps=1e-7),
    "one-head-silu": dict(vocab_size=50, hidden_size=16, num_hidden_layers=2, num_attention_heads=1,
                          intermediate_size=20, max_position_embeddings=24, hidden_act="silu"),
}


def every_tiny_config_and_attention(test):
    """Parametrise ``test`` over every TINY_CONFIGS name (argument ``config_name``) and every attention
    implementation (argument ``attn``): the grid each model's parity test runs on."""
    test = pytest.mark.parametrize("config_name", sorted(TINY_CONFIGS))(test)
    return pytest.mark.parametrize("attn", ATTN_IMPLEMENTATIONS)(test)


def tiny_config(name: str = "tiny-gelu", **overrides) -> BertConfig:
    return BertConfig(**{**TINY_CONFIGS[name], **overrides})


def reference_model(cls_name: str, config: BertConfig, attn_implementation: str = "eager", **kwargs):
    """Build ``transformers.<cls_name>`` with a chosen attention implementation, in eval mode.
    Works on transformers 4.57 and 5.x."""
    cls = getattr(transformers, cls_name)
    model = cls._from_config(config, attn_implementation=attn_implementation, **kwargs)
    return model.eval()


def ours_from(theirs, ours_cls, config=None, **kwargs):
    """Build our class and copy the reference weights into it, strictly, by name."""
    ours = ours_cls(config if config is not None else theirs.config, **kwargs)
    ours.load_state_dict(theirs.state_dict(), strict=True)
    return ours.eval()


def random_batch(config: BertConfig, batch: int = 3, seq_len: int = 10, seed: int = 0, padded: bool = True):
    """input_ids, attention_mask (with right padding of varied length) and token_type_ids."""
    g = torch.Generator().manual_seed(seed)
    input_ids = torch.randint(1, config.vocab_size, (batch, seq_len), generator=g)
    attention_mask = torch.ones(batch, seq_len, dtype=torch.long)
    if padded:
        for row in range(1, batch):
            keep = max(2, seq_len - 3 * row)
            attention_mask[row, keep:] = 0
            input_ids[row, keep:] = config.pad_token_id
    token_type_ids = torch.zeros(batch, seq_len, dtype=torch.long)
    token_type_ids[:, seq_len // 2 :] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}


def assert_grads_close(ours, theirs, atol=1e-5, rtol=1e-4):
    """Every parameter's gradient matches the parameter of the same name."""
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        q = theirs_params[name]
        assert (p.grad is None) == (q.grad is None), f"{name}: gradient present in only one model"
        if p.grad is not None:
            torch.testing.assert_close(p.grad, q.grad, atol=atol, rtol=rtol, msg=lambda m, name=name: f"{name}: {m}")


def parity_pair(ours_cls, config, attn_implementation: str = "eager", **kwargs):
    """(ours, theirs): ``transformers.<same class name>`` built from ``config`` and ours with its weights,
    both in eval mode; ``kwargs`` go to both constructors (e.g. ``add_pooling_layer=False``)."""
    theirs = reference_model(ours_cls.__name__, config, attn_implementation, **kwargs)
    return ours_from(theirs, ours_cls, **kwargs), theirs


def assert_loss_and_grads_close(ours, theirs, ours_out, theirs_out, atol=1e-6, rtol=1e-5):
    """The two outputs' losses match, and so does every gradient after each loss's backward pass."""
    torch.testing.assert_close(ours_out.loss, theirs_out.loss, atol=atol, rtol=rtol)
    ours_out.loss.backward()
    theirs_out.loss.backward()
    assert_grads_close(ours, theirs)


# --- Exercise cells of the chapter notebooks (one harness for every tests/test_exercises_ch*.py) -----

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def chapter_notebook(chapter: int):
    """notebooks/NN_*.ipynb of chapter ``chapter``."""
    (path,) = sorted((ROOT / "notebooks").glob(f"{chapter:02d}_*.ipynb"))
    return path


def exercise_cells(path) -> dict[str, tuple[str, str]]:
    """{exercise: (template source, answer source)}: the notebook's tagged exercise code cells, and their
    answers from classroom/answers/ (tools/answers.py)."""
    import json
    from pathlib import Path

    from tools.answers import read_answers

    answers = read_answers(Path(path))
    found = {}
    for cell in json.loads(Path(path).read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("course", {})
        if cell["cell_type"] == "code" and "exercise" in meta:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            found[meta["exercise"]] = (source, answers[meta["exercise"]].source if meta["exercise"] in answers else "")
    return found


def run_cell(source: str, capsys) -> str:
    """Execute an exercise cell's source as the notebook would (a fresh namespace); return what it printed."""
    capsys.readouterr()  # drop anything printed before
    exec(compile(source, "<exercise cell>", "exec"), {"__name__": "__exercise__"})
    return capsys.readouterr().out


def verdict_of(check, fn, capsys=None):
    """``check(fn)``, asserting the verdict is printed exactly once (when ``capsys`` is given)."""
    if capsys is not None:
        capsys.readouterr()
    verdict = check(fn)
    assert verdict.printed, "the checker did not mark its verdict as printed"
    if capsys is not None:
        out = capsys.readouterr().out
        assert out.count(f"Exercise {verdict.exercise}:") == 1, f"verdict printed {out.count('Exercise')} times:\n{out}"
    return verdict


def try_again(check, wrong, hint, *more_hints):
    """``check(wrong)`` says "try again" with ``hint`` (and every one of ``more_hints``) in its message."""
    verdict = check(wrong, print_verdict=False)
    assert verdict.status == "try again", str(verdict)
    for expected in (hint, *more_hints):
        assert expected in verdict.message, f"expected {expected!r} in: {verdict.message}"
    return verdict


def by_checker(table):
    """Parametrisation rows ``(checker, wrong, *expected)`` from ``{checker: [(wrong, *expected), ...]}``: each
    checker is named once above its planted mistakes instead of on every row."""
    return [(checker, *row) for checker, rows in table.items() for row in rows]


def same_message_twice(check, wrong):
    """``check(wrong)`` says the same thing on a second run: no randomness, no state left behind."""
    first, second = (check(wrong, print_verdict=False).message for _ in range(2))
    assert first == second, f"the message changed between two runs:\n{first}\n{second}"


# Planted answers that fit every checker (multi-line bodies: a one-line `def` reads as a template).
def returns_a_list(*args):
    result = [1, 2, 3]
    return result


def crashes(*args):
    product = args[0] @ torch.zeros(2, 2, 2, 2, 2)  # a tensor: a shape error; anything else: a TypeError
    return product


def _returning(value):
    def my_answer(*args, **kwargs):
        return value
    return my_answer


def my_broken(*args, **kwargs):
    return 1 / 0


def my_template(*args, **kwargs):
    ...


# The answers every checker must handle with a verdict, never a traceback: nothing, a value instead of a function,
# the untouched template, None / a str / a 0-d tensor returned, and an exception.
STANDARD_ANSWERS = (None, 0.5, my_template, _returning(None), _returning("abc"), _returning(torch.tensor(2.0)),
                    my_broken)


@contextlib.contextmanager
def within(seconds: int):
    """Fail (instead of hanging the suite) if the block runs longer than ``seconds``."""

    def alarm(signum, frame):
        raise TimeoutError(f"still running after {seconds} s: the call hangs")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def solutions_in_sync(chapter_path) -> None:
    """The committed solutions notebook has the chapter's solution cells and was executed ([PASS] shown)."""
    import pytest

    nbformat = pytest.importorskip("nbformat")
    from tools import make_solutions as tool
    committed = nbformat.read(tool.target(chapter_path), as_version=4)
    assert tool.sources(committed) == tool.sources(tool.solutions_for(chapter_path)), "run python -m tools.make_solutions"
    outputs = [o for c in committed.cells if c.cell_type == "code" for o in c.outputs]
    assert any("[PASS]" in o.get("text", "") for o in outputs), "execute the solutions notebook"
