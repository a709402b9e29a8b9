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

One mechanism, shared by every chapter:

- :func:`checker` turns a chapter's check into the public ``check_*(fn, *, print_verdict=True)``. It
  answers the standard cases itself (nothing passed, not a function, the empty template), gives the
  chapter's code a *guarded* copy of the learner's function (each call has a time limit,
  :data:`TIME_LIMIT_S`, and what it prints is captured, then shown once, a few lines at most), keeps
  the learner's global random state as it was (``torch.random.fork_rng``), and prints the verdict ONCE.
- :func:`run_check` calls the learner's function on each case, turns exceptions into messages,
  checks the kind, type and shape of the answer, and, when the values differ, runs the exercise's
  *diagnoses*: known wrong answers (the -100 positions counted, sum instead of mean, a missing
  scale) computed on the same inputs, so the hint can name the actual mistake. Its hooks cover what
  chapters need beyond that: ``check_answer`` (a chapter's own check of the answer's form),
  ``on_error`` (a hint for an exception), ``on_differs`` (a better message than "differs"),
  ``compare`` (answers that are turned into comparable values, e.g. lists, and diagnoses matched
  on every case) and ``pass_message``.
- Every :class:`Verdict` carries a ``reason`` (``"differs"``, ``"known mistake"``, ``"wrong type"``
  ...), so code decides on the reason, never on the text of a message.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dis
import functools
import inspect
import io
import numbers
import textwrap
import threading
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

__all__ = [
    "TIME_LIMIT_S", "Case", "Diagnosis", "NotAttempted", "Verdict", "WrongAnswer", "as_number", "checker",
    "display_name", "run_check",
]

#: Seconds one call of the learner's function may take before the checker gives up on it.
TIME_LIMIT_S = 10.0
#: Lines of what the learner's function printed during a check that are shown (once, above the verdict).
SHOWN_OUTPUT_LINES = 3

# Why a verdict is what it is (Verdict.reason). Code tests these, never the message text.
REASONS = ("pass", "nothing", "not callable", "template", "not implemented", "raised", "timeout", "wrong type",
           "wrong shape", "known mistake", "not finite", "differs", "changed input")


@dataclass
class Verdict:
    """The outcome of a check. ``bool(verdict)`` is True when the exercise passed."""

    exercise: str
    status: str  # "pass", "try again" or "not yet"
    message: str
    printed: bool = field(default=False, repr=False, compare=False)  # already shown: never show it twice
    reason: str = field(default="", compare=False)  # one of REASONS: what code may test
    output: str = field(default="", repr=False, compare=False)  # what the learner's function printed, shortened

    def __bool__(self) -> bool:
        return self.status == "pass"

    def __str__(self) -> str:
        return f"[{self.status.upper()}] Exercise {self.exercise}: {self.message}"

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))

    def show(self) -> None:
        """Print what the learner's function printed (shortened) and the verdict, once."""
        if self.printed:
            return
        if self.output:
            print(self.output)
        print(self)
        self.printed = True

    def _ipython_display_(self):
        # A checker call is usually the last line of a cell: without this, Jupyter would show the
        # verdict a second time as the cell's value, right under the line the checker printed.
        self.show()


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


class WrongAnswer(Exception):
    """Raised by a chapter's adapter around the learner's function when the answer has the wrong
    form: ``run_check`` (and :func:`checker`) turn it into a "try again" verdict with this message."""

    def __init__(self, message: str, reason: str = "wrong type"):
        super().__init__(message)
        self.message, self.reason = message, reason


class LearnerTimeout(BaseException):
    """The learner's function did not return within the time limit. A BaseException, so that a
    chapter's ``except Exception`` around a call cannot swallow it and call again."""


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


def display_name(fn, default: str) -> str:
    """The name the learner gave the function (messages quote it), or the template's name for a lambda."""
    name = getattr(fn, "__name__", None)
    return default if not isinstance(name, str) or name == "<lambda>" else name


def as_number(value):
    """``value`` as a float if it is one real number (a Python or numpy number, a one-element tensor or
    numpy array), else None. A bool, a str or a complex number is not a number here."""
    if isinstance(value, (bool, str, bytes)):
        return None
    if isinstance(value, torch.Tensor):
        return float(value) if value.numel() == 1 and not value.is_complex() and value.dtype != torch.bool else None
    if type(value).__module__ == "numpy":
        size, kind = getattr(value, "size", None), getattr(getattr(value, "dtype", None), "kind", "")
        return float(value.reshape(-1)[0]) if size == 1 and kind in "iuf" and kind else None
    if isinstance(value, numbers.Real):
        return float(value)
    return None


def _as_bool(value):
    """``value`` as a bool if it is one truth value (a bool, a one-element bool tensor or numpy array, or a
    number that is exactly 0 or 1), else None: 0.7 is not an answer to a yes-or-no question."""
    if isinstance(value, bool):
        return value
    if isinstance(value, torch.Tensor) and value.dtype == torch.bool:
        return bool(value) if value.numel() == 1 else None
    if type(value).__module__ == "numpy" and getattr(getattr(value, "dtype", None), "kind", "") == "b":
        return bool(value.reshape(-1)[0]) if value.size == 1 else None
    number = as_number(value)
    return bool(number) if number in (0.0, 1.0) else None


def _close(a, b, atol: float, rtol: float, equal_nan: bool = False) -> bool:
    """``equal_nan`` is for matching a known mistake: one that overflows gives NaN where the mistake does.
    Never raises: an answer of an unexpected kind (a numpy array, a str, a generator) is simply not close."""
    if isinstance(b, torch.Tensor):
        return (
            isinstance(a, torch.Tensor)
            and a.shape == b.shape
            and not a.is_complex()
            and torch.allclose(a.detach().double(), b.detach().double(), atol=atol, rtol=rtol, equal_nan=equal_nan)
        )
    if isinstance(b, bool):
        return _as_bool(a) is b
    if isinstance(b, (int, float)):
        x = as_number(a)
        if x is None:
            return False
        if equal_nan and x != x and b != b:
            return True
        return abs(x - float(b)) <= atol + rtol * abs(float(b))
    if isinstance(b, (tuple, list)):
        return isinstance(a, (tuple, list)) and len(a) == len(b) and all(
            _close(x, y, atol, rtol, equal_nan) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except Exception:  # a numpy array == a str: "the truth value of an array is ambiguous"
        return False


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)} and dtype {value.dtype}"
    if value is None:
        return "None (did you forget `return`?)"
    if isinstance(value, types.GeneratorType):
        return "a generator (a `(... for ...)` expression or a `yield`: wrap it in `list(...)`)"
    if type(value).__module__ == "numpy" and hasattr(value, "shape"):
        if getattr(value, "ndim", 0) == 0:
            return f"a numpy {type(value).__name__}"
        return f"a numpy array of shape {tuple(value.shape)} (compute in torch, or convert with `torch.from_numpy`)"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"a str ({shown!r})"
    kind = type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _kind_problem(got, expected, name: str, what: str) -> str | None:
    """The answer is not even of the reference's kind: say what came back and what was expected."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"`{name}` returned {_describe(got)}; the {what} should be {_describe(expected)}."
        if got.is_complex() and not expected.is_complex():
            return f"`{name}` returned a complex tensor; the {what} should be {_describe(expected)}."
        return None
    if isinstance(expected, bool):
        if _as_bool(got) is None:
            return f"`{name}` returned {_describe(got)}, expected a bool: the {what} should be True or False."
        return None
    if isinstance(expected, (int, float)):
        if as_number(got) is None:
            return (f"`{name}` returned {_describe(got)}, expected a number: the {what} should be one number "
                    "(an int or a float, or a one-element tensor).")
        return None
    if isinstance(expected, (tuple, list)) and not isinstance(got, (tuple, list)):
        kind = "list" if isinstance(expected, list) else "tuple"
        return f"`{name}` returned {_describe(got)}, expected a {kind}."
    return None


# --------------------------------------------------------------------------------------------
# Calling the learner's function: a time limit, printed output captured
# --------------------------------------------------------------------------------------------


class _Session:
    """What one check collects while it calls the learner's function."""

    def __init__(self, name: str):
        self.name = name
        self.output: list[str] = []
        self.calls = 0

    def excerpt(self) -> str:
        lines = "".join(self.output).splitlines()
        if not lines:
            return ""
        shown = lines[:SHOWN_OUTPUT_LINES]
        head = (f"`{self.name}` printed {len(lines)} line{'s' if len(lines) != 1 else ''} while it was checked"
                + (f" (the first {len(shown)} below, the rest hidden)" if len(lines) > len(shown) else "") + ":")
        return "\n".join([head] + [f"    {line}" for line in shown])


def _guard(fn: Callable, session: _Session) -> Callable:
    """``fn`` called in a worker thread with a time limit, its printed output captured into ``session``."""

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        session.calls += 1
        grad_enabled, threads = torch.is_grad_enabled(), torch.get_num_threads()
        box = {}

        def target():
            try:
                if torch.get_num_threads() != threads:
                    torch.set_num_threads(threads)  # the caller's choice (a checker may use 1 for tiny tensors)
                with torch.set_grad_enabled(grad_enabled):  # grad mode is per thread: keep the caller's
                    box["value"] = fn(*args, **kwargs)
            except BaseException as error:  # re-raised in the caller's thread
                box["error"] = error

        buffer = io.StringIO()
        worker = threading.Thread(target=target, name=f"exercise: {session.name}", daemon=True)
        with contextlib.redirect_stdout(buffer):
            worker.start()
            worker.join(TIME_LIMIT_S)
        session.output.append(buffer.getvalue())
        if worker.is_alive():
            raise LearnerTimeout
        if "error" in box:
            raise box["error"]
        return box["value"]

    guarded._course_guarded = True
    return guarded


def _refusal(exercise: str, fn, name: str) -> Verdict | None:
    """The standard answers before anything runs: nothing passed, not a function, the empty template."""
    if fn is None:
        return Verdict(exercise, "not yet", f"nothing to check: define a function `{name}` and pass it to the "
                                            "checker.", reason="nothing")
    if not callable(fn):
        return Verdict(exercise, "try again", f"expected a function, got {_describe(fn)}. Pass the function "
                                              f"itself, without calling it: `{name}`, not `{name}(...)`.",
                       reason="not callable")
    if not getattr(fn, "_course_guarded", False) and _is_template(fn):
        return Verdict(exercise, "not yet", f"`{name}` is still the empty template. Replace the `...` with your "
                                            "code and run the cell again.", reason="template")
    return None


def _timeout_verdict(exercise: str, name: str) -> Verdict:
    return Verdict(exercise, "try again",
                   f"`{name}` did not return within {TIME_LIMIT_S:g} s on one input, so the checker gave up. Look "
                   "for a loop that never ends (a `while` whose condition never changes) or work far larger than "
                   "the inputs need. Your call may still be running in the background: if the notebook gets "
                   "slow, restart the kernel.", reason="timeout")


def checker(exercise: str, default_name: str):
    """Make ``check(fn, name) -> Verdict`` (a chapter's check) the public ``check_*(fn, *, print_verdict=True)``.

    The public checker answers None / not a function / the empty template itself, passes ``check``
    a guarded copy of the learner's function (a time limit per call, its output captured) and the
    name to quote, keeps the global random state as it was, and prints the verdict once."""

    def decorate(check: Callable[[Callable, str], Verdict]):
        @functools.wraps(check)
        def public(fn, *, print_verdict: bool = True) -> Verdict:
            name = display_name(fn, default_name)
            verdict = _refusal(exercise, fn, name)
            if verdict is None:
                session = _Session(name)
                try:
                    with torch.random.fork_rng(devices=[]):  # the learner's random stream is theirs, not ours
                        verdict = check(_guard(fn, session), name)
                except LearnerTimeout:
                    verdict = _timeout_verdict(exercise, name)
                except WrongAnswer as problem:
                    verdict = Verdict(exercise, "try again", problem.message, reason=problem.reason)
                verdict.output = session.excerpt()
            if print_verdict:
                verdict.show()
            return verdict

        public.__signature__ = inspect.Signature([
            inspect.Parameter("fn", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("print_verdict", inspect.Parameter.KEYWORD_ONLY, default=True, annotation=bool),
        ], return_annotation=Verdict)
        del public.__wrapped__  # help() shows the public signature, not the chapter's (fn, name)
        public.exercise, public.default_name = exercise, default_name
        return public

    return decorate


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------


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
    check_answer: Callable | None = None,
    on_error: Callable | None = None,
    on_differs: Callable | None = None,
    compare: Callable | None = None,
    pass_message: str | None = None,
    copy_inputs: bool = True,
    print_verdict: bool = False,
) -> Verdict:
    """Check ``fn`` (the learner's function called ``name``) against ``reference`` on ``cases``.

    ``what`` names the quantity in messages ("MLM loss"). Returns a :class:`Verdict` (and prints it
    if ``print_verdict``; checkers made with :func:`checker` print it themselves). Hooks:

    - ``check_answer(got, case, number) -> message | None``: the chapter's own check of an answer's form,
      before the standard kind, type and shape checks;
    - ``on_error(error, case, number) -> message | None``: a message for an exception (default: its name);
    - ``on_differs(number, case, got, expected) -> message | None``: what to say when no known mistake
      matches (default: "your ... differs from the reference on input N");
    - ``compare(value) -> comparable | None``: answers are compared after this (None: the wrong form,
      ``check_answer`` says why), exactly, on every case first, and a diagnosis must match on every case
      (for lists of small integers, which can match a wrong rule by chance on one input);
    - ``pass_message``: the message of a pass.
    """

    def verdict(status: str, message: str, reason: str) -> Verdict:
        result = Verdict(exercise, status, message, reason=reason)
        if print_verdict:
            result.show()
        return result

    refused = _refusal(exercise, fn, name)
    if refused is not None:
        if print_verdict:
            refused.show()
        return refused

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

    answers = []
    for number, case in enumerate(cases, start=1):
        where = f"on input {number}{', ' + case.label if case.label else ''}"
        # The learner's function gets its own copy of the inputs: one that modifies them in place
        # (labels[labels == -100] = 0) must not change what the reference and the diagnoses see.
        args, kwargs = copy.deepcopy((case.args, case.kwargs)) if copy_inputs else (case.args, case.kwargs)
        try:
            got = fn(*args, **kwargs)
        except (NotImplementedError, NotAttempted):
            return verdict("not yet", f"`{name}` raises NotImplementedError: write your code and run the cell again.",
                           "not implemented")
        except WrongAnswer as problem:  # a chapter's adapter found the answer's form wrong
            return verdict("try again", problem.message, problem.reason)
        except Exception as error:  # the learner's bug: report it, do not crash the notebook
            message = on_error(error, case, number) if on_error else None
            return verdict("try again", message or f"`{name}` raised {type(error).__name__}: {error} ({where}). The "
                                                   "exercise statement lists the inputs and their shapes.", "raised")
        problem = check_answer(got, case, number) if check_answer else None
        if problem:
            return verdict("try again", problem, "wrong type")
        if compare is not None:
            answers.append(compare(got))
            continue
        expected = reference(*case.args, **case.kwargs)
        problem = _kind_problem(got, expected, name, what)
        if problem:  # a known mistake may return another kind (one name instead of a list of them)
            hint = known_mistake(case, got)
            return verdict("try again", hint or problem, "known mistake" if hint else "wrong type")
        if isinstance(expected, torch.Tensor) and got.shape != expected.shape:
            hint = known_mistake(case, got)  # a mistake may show as a shape (a [B, T] mask for a [B, 1, 1, T])
            return verdict("try again", hint or f"`{name}` returned shape {tuple(got.shape)}; the {what} has "
                                                f"shape {tuple(expected.shape)}.", "known mistake" if hint else "wrong shape")
        if not _close(got, expected, atol, rtol):
            hint = known_mistake(case, got)
            if hint:
                return verdict("try again", hint, "known mistake")
            if isinstance(expected, torch.Tensor) and not torch.isfinite(got).all() and torch.isfinite(expected).all():
                return verdict("try again", f"your {what} contains NaN or infinite values on input {number}, "
                                            "where the reference has none. Look for an overflow (a very large "
                                            "number multiplied or exponentiated) or a division by zero.", "not finite")
            message = on_differs(number, case, got, expected) if on_differs else None
            if message:
                return verdict("try again", message, "differs")
            detail = ""
            if isinstance(expected, torch.Tensor):
                detail = f" (max |difference| {(got.double() - expected.double()).abs().max().item():.3g})"
            elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
                detail = f" (yours {as_number(got):.4g}, expected {float(expected):.4g})"
            return verdict("try again", f"your {what} differs from the reference on input {number}{detail}. "
                                        "Compare your steps with the notebook's derivation.", "differs")
    if compare is not None:
        expected = [compare(reference(*copy.deepcopy(case.args), **case.kwargs)) for case in cases]
        if answers != expected:
            for diagnosis in diagnoses:
                try:
                    wrong = [compare(diagnosis.wrong(*copy.deepcopy(case.args), **case.kwargs)) for case in cases]
                except Exception:
                    continue
                if wrong == answers:
                    return verdict("try again", diagnosis.hint, "known mistake")
            for number, (case, got, right) in enumerate(zip(cases, answers, expected), start=1):
                if got != right:
                    message = on_differs(number, case, got, right) if on_differs else None
                    return verdict("try again", message or f"your {what} differs from the reference on input "
                                                           f"{number}. Compare your steps with the notebook's "
                                                           "derivation.", "differs")
    return verdict("pass", pass_message or f"your {what} matches the reference on {len(cases)} fresh inputs.", "pass")
