"""Self-checking exercises: run a learner's function on fresh inputs against the reference and
answer with a specific hint, never a stack trace.

Each chapter has a module (``course_lib.exercises.ch02`` ...) with one ``check_*`` function per
exercise. A notebook exercise cell looks like this:

    def my_mlm_loss(logits, labels):
        ...                      # your code here
    check_mlm_loss(my_mlm_loss)

and prints one of:

    [PASS] Exercise 2.1: your MLM loss matches the reference on 3 fresh batches.
    [TRY AGAIN] Exercise 2.1: your loss counts the -100 positions. Positions labelled -100 ...
    [NOT YET] Exercise 2.1: `my_mlm_loss` is still the empty template. ...

The machinery here is shared: :func:`run_check` calls the learner's function on each case,
turns exceptions into messages, checks type and shape, and, when the values differ, runs the
exercise's *diagnoses*: known wrong answers (the -100 positions counted, sum instead of mean, a
missing scale) computed on the same inputs, so the hint can name the actual mistake.
"""

from __future__ import annotations

import ast
import copy
import dis
import inspect
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch


@dataclass
class Verdict:
    """The outcome of a check. ``bool(verdict)`` is True when the exercise passed."""

    exercise: str
    status: str  # "pass", "try again" or "not yet"
    message: str
    printed: bool = field(default=False, repr=False, compare=False)  # run_check already printed it

    def __bool__(self) -> bool:
        return self.status == "pass"

    def __str__(self) -> str:
        return f"[{self.status.upper()}] Exercise {self.exercise}: {self.message}"

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))

    def _ipython_display_(self):
        # A checker call is usually the last line of a cell: without this, Jupyter would show the
        # verdict a second time as the cell's value, right under the line run_check printed.
        if not self.printed:
            print(self)


@dataclass
class Diagnosis:
    """A known mistake: ``wrong(*case)`` computes what that mistake returns; if the learner's
    answer matches it, ``hint`` is shown."""

    wrong: Callable
    hint: str


@dataclass
class Case:
    """One set of fresh inputs for the learner's function (positional and keyword arguments)."""

    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    label: str = ""


class NotAttempted(Exception):
    """Raised by a template (``raise NotImplementedError`` also counts)."""


def _only_returns_none(code) -> bool:
    """The compiled body is just "return None": ``...``, ``pass`` or a docstring, in any Python version
    (a docstring shifts the constant's index, so comparing raw bytecode with an empty function is not enough)."""
    ops = [(ins.opname, ins.argval) for ins in dis.get_instructions(code)
           if ins.opname not in ("RESUME", "NOP", "CACHE", "COPY_FREE_VARS", "MAKE_CELL")]
    return ops in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


def _is_placeholder(statement: ast.stmt) -> bool:
    """``...``, ``pass``, a docstring, or ``raise NotImplementedError(...)``."""
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return statement.value.value is Ellipsis or isinstance(statement.value.value, str)
    if isinstance(statement, ast.Raise) and statement.exc is not None:
        exc = statement.exc.func if isinstance(statement.exc, ast.Call) else statement.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def _is_template(fn: Callable) -> bool:
    """A function whose body is only ``...``, ``pass`` or ``raise NotImplementedError``.

    Decided on the parsed source, so a one-line ``def f(x): return x`` or a lambda (whose source
    is a single line) is never mistaken for an empty template."""
    code = getattr(fn, "__code__", None)
    if code is not None and getattr(fn, "__name__", "") != "<lambda>" and _only_returns_none(code):
        return True  # body is only `...`, `pass` or a docstring (works without the source, e.g. after exec)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):  # no source (built-in, exec'd string) or a lambda mid-expression
        return False
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == getattr(fn, "__name__", None):
            return all(_is_placeholder(statement) for statement in node.body)
    return False


def _close(a, b, atol: float, rtol: float, equal_nan: bool = False) -> bool:
    """``equal_nan`` is for matching a known mistake: one that overflows gives NaN where the mistake does."""
    if isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and a.shape == b.shape
            and torch.allclose(a.detach().double(), b.detach().double(), atol=atol, rtol=rtol, equal_nan=equal_nan)
        )
    if isinstance(b, (int, float)):
        try:
            return abs(float(a) - float(b)) <= atol + rtol * abs(float(b))
        except (TypeError, ValueError):
            return False
    if isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and len(a) == len(b) and all(
            _close(x, y, atol, rtol, equal_nan) for x, y in zip(a, b))
    return a == b


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if value is None:
        return "None (did you forget `return`?)"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def run_check(
    exercise: str,
    fn,
    cases: Sequence[Case],
    reference: Callable,
    *,
    name: str,
    what: str,
    diagnoses: Sequence[Diagnosis] = (),
    atol: float = 1e-5,
    rtol: float = 1e-4,
    print_verdict: bool = True,
) -> Verdict:
    """Check ``fn`` (the learner's function called ``name``) against ``reference`` on ``cases``.

    ``what`` names the quantity in messages ("MLM loss"). Returns a :class:`Verdict` and prints it.
    """

    def verdict(status: str, message: str) -> Verdict:
        result = Verdict(exercise, status, message)
        if print_verdict:
            print(result)
            result.printed = True
        return result

    if fn is None:
        return verdict("not yet", f"nothing to check: define a function `{name}` and pass it to the checker.")
    if not callable(fn):
        return verdict("try again", f"expected a function, got {_describe(fn)}. Pass the function itself, "
                                    f"without calling it: `{name}`, not `{name}(...)`.")
    if _is_template(fn):
        return verdict("not yet", f"`{name}` is still the empty template. Replace the `...` with your code and "
                                  "run the cell again.")
    def known_mistake(case, got):
        """The hint of the first known mistake that computes what the learner's function returned."""
        for diagnosis in diagnoses:
            try:
                wrong = diagnosis.wrong(*case.args, **case.kwargs)
            except Exception:
                continue
            if _close(got, wrong, atol, rtol, equal_nan=True):
                return diagnosis.hint
        return None

    for number, case in enumerate(cases, start=1):
        expected = reference(*case.args, **case.kwargs)
        # The learner's function gets its own copy of the inputs: one that modifies them in place
        # (labels[labels == -100] = 0) must not change what the diagnoses below are computed on.
        args, kwargs = copy.deepcopy((case.args, case.kwargs))
        try:
            got = fn(*args, **kwargs)
        except (NotImplementedError, NotAttempted):
            return verdict("not yet", f"`{name}` raises NotImplementedError: write your code and run the cell again.")
        except Exception as error:  # the learner's bug: report it, do not crash the notebook
            return verdict("try again", f"`{name}` raised {type(error).__name__}: {error} (on input {number}"
                                        f"{', ' + case.label if case.label else ''}). The exercise statement lists the inputs and their shapes.")
        if isinstance(expected, torch.Tensor):
            if not isinstance(got, torch.Tensor):
                return verdict("try again", f"`{name}` returned {_describe(got)}; the {what} should be {_describe(expected)}.")
            if got.shape != expected.shape:
                hint = known_mistake(case, got)  # a mistake may show as a shape (a [B, T] mask for a [B, 1, 1, T])
                return verdict("try again", hint or f"`{name}` returned shape {tuple(got.shape)}; the {what} has "
                                                    f"shape {tuple(expected.shape)}.")
        if not _close(got, expected, atol, rtol):
            hint = known_mistake(case, got)
            if hint:
                return verdict("try again", hint)
            detail = ""
            if isinstance(expected, torch.Tensor) and isinstance(got, torch.Tensor):
                if not torch.isfinite(got).all() and torch.isfinite(expected).all():
                    return verdict("try again", f"your {what} contains NaN or infinite values on input {number}, "
                                                "where the reference has none. Look for an overflow (a very large "
                                                "number multiplied or exponentiated) or a division by zero.")
                detail = f" (max |difference| {(got.double() - expected.double()).abs().max().item():.3g})"
            elif isinstance(expected, (int, float)):
                try:
                    detail = f" (yours {float(got):.4g}, expected {float(expected):.4g})"
                except (TypeError, ValueError):
                    detail = ""
            return verdict("try again", f"your {what} differs from the reference on input {number}{detail}. "
                                        "Compare your steps with the notebook's derivation.")
    return verdict("pass", f"your {what} matches the reference on {len(cases)} fresh inputs.")
