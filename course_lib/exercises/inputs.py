"""Which inputs a checker draws: the learner's set, or the grader's hidden set.

Every checker builds its cases from seeded generators, so a learner who runs it twice sees the same
inputs, and a hint such as "on input 2" points at something they can reproduce. A grader wants one more
thing: inputs the class has never seen, so that an answer tuned to the visible cases (or copied from a
printed expected value) does not earn the points. Both come from one place: a chapter draws its seeds
through :func:`case_seed` / :func:`case_generator`, and ``check_*(fn, hidden=True)`` shifts every seed by
:data:`HIDDEN_SEED_OFFSET` for the duration of that one check. The cases keep their shapes and their
structure (the padding, the masked counts, the edge cases the hints are about); only the random values
change. Exercises whose inputs are fixed by design (sentences, a schedule's step counts) draw no seeds,
so their hidden set is the visible one: :data:`SAME_HIDDEN_INPUTS` names them (``tests/test_hidden_inputs.py``
checks the list against what every checker really draws).
"""

from __future__ import annotations

import contextlib

import torch

__all__ = ["HIDDEN_SEED_OFFSET", "SAME_HIDDEN_INPUTS", "case_generator", "case_seed", "drawing_hidden_inputs",
           "hidden_inputs"]

#: What ``hidden=True`` adds to every seed a checker draws its inputs from (a prime, far from the seeds in use).
HIDDEN_SEED_OFFSET = 104_729

#: Exercises whose inputs are hand-picked (edge cases, configs, sentences), not drawn: hidden=True changes nothing.
SAME_HIDDEN_INPUTS = ("0.2", "0.3", "1.1", "1.4", "4.1", "7.1", "7.3", "9.3")

_hidden = False  # checks run one at a time, in the caller's thread: a module flag is enough


def drawing_hidden_inputs() -> bool:
    """True while a check runs on the grader's hidden inputs."""
    return _hidden


@contextlib.contextmanager
def hidden_inputs(hidden: bool = True):
    """Within the block, checkers draw the hidden set of inputs (``hidden=False``: the learner's set)."""
    global _hidden
    previous, _hidden = _hidden, bool(hidden)
    try:
        yield
    finally:
        _hidden = previous


def case_seed(seed: int) -> int:
    """The seed a checker's cases are drawn from: ``seed`` itself, or shifted for the hidden set."""
    return seed + HIDDEN_SEED_OFFSET if _hidden else seed


def case_generator(seed: int) -> torch.Generator:
    """A CPU generator seeded with :func:`case_seed` (``seed``): what a chapter's case builder draws from."""
    return torch.Generator().manual_seed(case_seed(seed))
