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

- :func:`checker` turns a chapter's check into the public ``check_*(fn, *, print_verdict=True, hidden=False)``. It
  answers the standard cases itself (nothing passed, not a function, the empty template), gives the
  chapter's code a *guarded* copy of the learner's function (each call has a time limit,
  :data:`TIME_LIMIT_S`, and what it prints is captured, then shown once, a few lines at most), keeps
  the learner's global random state as it was (``torch.random.fork_rng``), and reports the verdict.
- A chapter describes an exercise with a :class:`Check` (its cases, the reference, the known
  mistakes as :class:`Diagnosis` objects, the tolerances, optional hooks) and hands it to
  :func:`run_check`, which goes through named steps: is it still the template? call the learner's
  function on each case (exceptions become messages), judge each answer (its kind, type, shape,
  values), and, when the values differ, diagnose: the known wrong answers (the -100 positions
  counted, sum instead of mean, a missing scale) are computed on the same inputs, so the hint can
  name the actual mistake.
- Every :class:`Verdict` carries a ``reason`` (``"differs"``, ``"known mistake"``, ``"wrong type"``
  ...), so code decides on the reason, never on the text of a message.
- Every verdict leaves through :func:`report` (the one place that prints it), and the framework's
  own sentences are one table, :data:`MESSAGES`: a grader's hook or another language's table has one
  place to go.
- Languages: English is the code (:data:`MESSAGES`, each chapter's ``MESSAGES`` for the sentences its
  hooks build, and the texts of each :class:`Check`: what it names, its labels, its hints). Another
  language is one data file beside this module (``messages_zh_CN.json``) that stores, beside each
  translation, the English it translates: an entry whose English no longer matches is stale and never
  shown. ``setup_notebook(language="zh-CN")`` or ``COURSE_LANGUAGE=zh-CN`` chooses Chinese; the tags
  ``[PASS]`` / ``[TRY AGAIN]`` / ``[NOT YET]`` stay as they are in every language. :func:`verdict_in_language`
  turns a verdict line printed in English into that language's line, by the same tables (the Chinese edition's
  committed outputs, tools/translate.py).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import dataclasses
import dis
import functools
import hashlib
import inspect
import io
import json
import numbers
import re
import string
import textwrap
import threading
import types
import warnings
from collections.abc import Callable, Sequence
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path

import torch

from ..notebook.setup import course_language
from .inputs import hidden_inputs

__all__ = [
    "TIME_LIMIT_S", "Case", "Check", "Diagnosis", "MESSAGES", "NotAttempted", "Verdict", "WrongAnswer", "as_integer",
    "as_number", "chapter_say", "checker", "current_language", "describe", "display_name", "exact_answer_hooks",
    "message_table", "report", "run_check", "table_path", "text_key", "verdict_in_language",
]

#: Seconds one call of the learner's function may take before the checker gives up on it.
TIME_LIMIT_S = 10.0
#: Lines of what the learner's function printed during a check that are shown (once, above the verdict).
SHOWN_OUTPUT_LINES = 3

# Why a verdict is what it is (Verdict.reason). Code tests these, never the message text.
REASONS = ("pass", "nothing", "not callable", "template", "not implemented", "raised", "timeout", "wrong type",
           "wrong shape", "known mistake", "not finite", "differs", "changed input")

#: The framework's own sentences, by key, filled in with ``str.format`` fields. The chapters' hints are
#: their own data (each :class:`Diagnosis` holds one); these are the words every checker shares.
MESSAGES = {
    "verdict": "[{status}] Exercise {exercise}: {message}",
    # before anything runs
    "nothing": "nothing to check: define a function `{name}` and pass it to the checker.",
    "not callable": "expected a function, got {got}. Pass the function itself, without calling it: `{name}`, "
                    "not `{name}(...)`.",
    "template": "`{name}` is still the empty template. Replace the `...` with your code and run the cell again.",
    # calling the learner's function
    "timeout": "`{name}` did not return within {seconds:g} s on one input, so the checker gave up. Look for a loop "
               "that never ends (a `while` whose condition never changes) or work far larger than the inputs need. "
               "Your call may still be running in the background: if the notebook gets slow, restart the kernel.",
    "not implemented": "`{name}` raises NotImplementedError: write your code and run the cell again.",
    "raised": "`{name}` raised {error_type}: {error} ({where}). The exercise statement lists the inputs and their "
              "shapes.",
    "raised, with a hint": "`{name}` raised {error_type}: {error} (on input {number}, {label}). {hint}",
    "the inputs": "The exercise statement lists the inputs.",
    "where": "on input {number}",
    "where, labelled": "on input {number}, {label}",
    "printed 1 line": "`{name}` printed 1 line while it was checked:",
    "printed lines": "`{name}` printed {count} lines while it was checked:",
    "printed lines, some hidden": "`{name}` printed {count} lines while it was checked (the first {shown} below, "
                                  "the rest hidden):",
    # the answer's kind and shape
    "not a tensor": "`{name}` returned {got}; the {what} should be {expected}.",
    "complex tensor": "`{name}` returned a complex tensor; the {what} should be {expected}.",
    "not a bool": "`{name}` returned {got}, expected a bool: the {what} should be True or False.",
    "not a number": "`{name}` returned {got}, expected a number: the {what} should be one number (an int or a "
                    "float, or a one-element tensor).",
    "not a sequence": "`{name}` returned {got}, expected a {kind}.",
    "wrong shape": "`{name}` returned shape {got}; the {what} has shape {expected}.",
    "wrong form": "`{name}` {problem} (on input {number}, {label}).",
    # the answer's values
    "not finite": "your {what} contains NaN or infinite values on input {number}, where the reference has none. "
                  "Look for an overflow (a very large number multiplied or exponentiated) or a division by zero.",
    "differs": "your {what} differs from the reference on input {number}{detail}. Compare your steps with the "
               "notebook's derivation.",
    "tensor difference": " (max |difference| {difference:.3g})",
    "number difference": " (yours {got:.4g}, expected {expected:.4g})",
    "pass": "your {what} matches the reference on {count} fresh inputs.",
    # what a value is (describe)
    "a tensor": "a tensor of shape {shape} and dtype {dtype}",
    "None": "None (did you forget `return`?)",
    "a generator": "a generator (a `(... for ...)` expression or a `yield`: wrap it in `list(...)`)",
    "a numpy scalar": "a numpy {kind}",
    "a numpy array": "a numpy array of shape {shape} (compute in torch, or convert with `torch.from_numpy`)",
    "a str": "a str ({shown!r})",
    "a value": "a {kind}",
    "a value, vowel": "an {kind}",
}


# --------------------------------------------------------------------------------------------
# Languages: English in the code, every other language in one data file beside this module
# --------------------------------------------------------------------------------------------

# A table is grouped like the code: "framework" (MESSAGES), then "ch00" ... "ch11", each with "messages" (the
# chapter's MESSAGES, by key) and "texts" (its checks' texts, by text_key). An entry is {"en": the English it
# translates, LANGUAGE: the translation}, so a changed English sentence makes its entry stale, not wrong.
FRAMEWORK = "framework"


def table_path(language: str) -> Path:
    """The data file of ``language``'s messages (``messages_zh_CN.json`` for "zh-CN")."""
    return Path(__file__).resolve().parent / f"messages_{language.replace('-', '_')}.json"


@functools.cache
def message_table(language: str) -> dict:
    """``language``'s table as stored (read once); English has none: the code is its table."""
    if language == "en":
        return {}
    return json.loads(table_path(language).read_text(encoding="utf-8"))


def text_key(text: str) -> str:
    """The key of one of a chapter's texts (a hint, a label ...) in a table: a short hash of the English."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


@functools.cache
def _warn_unknown_language(problem: str) -> None:
    warnings.warn(f"{problem}: the exercise checkers answer in English", stacklevel=3)


def current_language() -> str:
    """The language the checkers answer in: COURSE_LANGUAGE (which ``setup_notebook(language=...)`` sets),
    else English. A value the course does not speak is warned about once, and English is used: a checker
    never fails because of it."""
    try:
        return course_language()
    except ValueError as error:
        _warn_unknown_language(str(error))
        return "en"


def _in_language(group: str, section: str, key: str, english: str) -> str:
    """``english`` in the current language: its table's entry, if there is one and it translates exactly this
    English (a missing or stale entry gives the English, never the translation of another sentence)."""
    language = current_language()
    if language == "en":
        return english
    return _translation(group, section, key, english, language) or english


def _translation(group: str, section: str, key: str, english: str, language: str) -> str | None:
    """``language``'s entry for ``english``, or None where it has none that translates exactly this English."""
    entry = message_table(language).get(group, {}).get(section, {}).get(key)
    if not entry or entry.get("en") != english or not entry.get(language):
        return None
    return entry[language]


# Languages written without spaces between characters: a space a template puts beside a field is dropped
# where it would stand between two of their characters (see _filled).
_UNSPACED = {"zh-CN"}
_WIDE = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")  # CJK characters and full-width punctuation


def _filled(template: str, fields: dict, unspaced: bool) -> str:
    """``template.format(**fields)``. With ``unspaced`` (Chinese), a space the template writes beside a field
    (``"你的 {what} 与"``) goes where it would stand between two Chinese characters, whatever the field turns
    out to be: "MLM 损失" keeps the space before it, "参数量" does not. The fields' own text is never changed."""
    if not unspaced:
        return template.format(**fields)
    parts = []  # (text, is a field)
    for literal, name, spec, conversion in string.Formatter().parse(template):
        parts.append((literal, False))
        if name is not None:
            value = fields[name]
            value = {"r": repr, "s": str, "a": ascii}[conversion](value) if conversion else value
            parts.append((format(value, spec or ""), True))
    texts = [text for text, _ in parts]
    for i, (text, is_field) in enumerate(parts):
        if not is_field or not text:
            continue
        before, after = texts[i - 1], texts[i + 1] if i + 1 < len(texts) else ""
        if before.endswith(" ") and len(before) > 1 and _WIDE.match(before[-2]) and _WIDE.match(text[0]):
            texts[i - 1] = before[:-1]
        if after.startswith(" ") and len(after) > 1 and _WIDE.match(after[1]) and _WIDE.match(text[-1]):
            texts[i + 1] = after[1:]
    return "".join(texts)


def _sentence(group: str, key: str, english: str, fields: dict) -> str:
    """The template ``english`` (``group``'s ``key``) in the current language, its fields filled in."""
    language = current_language()
    return _filled(_in_language(group, "messages", key, english), fields, language in _UNSPACED)


def _say(key: str, **fields) -> str:
    """The sentence ``MESSAGES[key]``, in the current language, with its fields filled in."""
    return _sentence(FRAMEWORK, key, MESSAGES[key], fields)


def chapter_say(module: str, messages: dict[str, str]) -> Callable[..., str]:
    """``say(key, **fields)`` for a chapter module's own sentences (``messages``, its ``MESSAGES`` table, for
    what its hooks say about an answer), in the current language: ``_say = chapter_say(__name__, MESSAGES)``."""
    group = module.rsplit(".", 1)[-1]

    def say(key: str, **fields) -> str:
        return _sentence(group, key, messages[key], fields)

    return say


def _chapter(exercise: str) -> str:
    """The table group of an exercise's chapter: "2.1" -> "ch02"."""
    return f"ch{int(exercise.split('.')[0]):02d}"


# --------------------------------------------------------------------------------------------
# A verdict printed in English, as the checker prints it in another language
# --------------------------------------------------------------------------------------------

# The tags a verdict line starts with (the same in every language) and an exercise number ("2.1").
_TAGS = ("PASS", "TRY AGAIN", "NOT YET")
_EXERCISE = re.compile(r"\d+\.\d+")
# A field of a sentence may itself be a sentence (a difference's detail, what a value is): this deep at most.
_NESTING = 3


@functools.cache
def _pattern(template: str) -> re.Pattern:
    """What ``template.format(...)`` can give, as a regex: each field a named group (a repeated field must repeat
    its text). A field written right before another one (``{number}{detail}``) is one word: the other starts
    where it ends."""
    parsed, parts, seen = list(string.Formatter().parse(template)), [], set()
    for at, (literal, name, _, _) in enumerate(parsed):
        parts.append(re.escape(literal))
        if name is None:
            continue
        touching = at + 1 < len(parsed) and parsed[at + 1][0] == "" and parsed[at + 1][1] is not None
        parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>\\S+)" if touching else f"(?P<{name}>.*?)")
        seen.add(name)
    return re.compile("".join(parts), re.S)


def _plain(template: str) -> str:
    """``template`` with its fields' format specs and conversions taken out: the fields it is filled with are
    text already (as the English line printed them)."""
    escape = str.maketrans({"{": "{{", "}": "}}"})
    return "".join(literal.translate(escape) + ("" if name is None else f"{{{name}}}")
                   for literal, name, _, _ in string.Formatter().parse(template))


@functools.cache
def _templates(group: str) -> tuple[tuple[str, str, str], ...]:
    """(table group, key, English) of every sentence with fields a verdict of ``group``'s chapter may hold: the
    chapter's MESSAGES and the framework's, the most specific first (the most fixed text), so that a template
    with little of its own ("a {kind}") is tried last."""
    import importlib  # the chapter modules import this one: read their tables when first needed

    chapter = getattr(importlib.import_module(f"{__name__}.{group}"), "MESSAGES", {})
    found = [(group, key, english) for key, english in chapter.items()]
    found += [(FRAMEWORK, key, english) for key, english in MESSAGES.items() if key != "verdict"]
    return tuple(sorted(found, key=lambda t: -sum(len(literal) for literal, *_ in string.Formatter().parse(t[2]))))


def _sentence_in(text: str, group: str, language: str, depth: int) -> str | None:
    """``text`` (an English message of ``group``'s chapter) in ``language``, or None where no table says it: one
    of the chapter's texts (a hint, a pass message), or a template filled in, its fields translated in turn."""
    exact = _translation(group, "texts", text_key(text), text, language)
    if exact is not None:
        return exact
    for where, key, english in _templates(group):
        match = _pattern(english).fullmatch(text)
        if match is None:
            continue
        translated = _translation(where, "messages", key, english, language)
        if translated is None:
            return None  # the checker itself would say it in English
        fields = {name: _field_in(value, group, language, depth) for name, value in match.groupdict().items()}
        return _filled(_plain(translated), fields, language in _UNSPACED)
    return None


def _field_in(value: str, group: str, language: str, depth: int) -> str:
    """A field of a sentence in ``language``: a text or a sentence a table translates, else as it is (a name, a
    number, an exception's own words: the checker prints those as they are in every language)."""
    if not value or depth <= 0:
        return value
    return _sentence_in(value, group, language, depth - 1) or value


def verdict_in_language(line: str, language: str) -> str | None:
    """One line of a checker's printed output, written in English, as the checker prints it in ``language``
    (the Chinese edition's committed outputs): a verdict line (``[PASS] Exercise 2.1: ...``) translated by the
    same tables the checker reads; any other line as it is; None for a verdict line the tables cannot say (its
    sentence or the translation of it is missing). Raises ValueError for a language the course does not speak."""
    language = course_language(language)
    match = _pattern(MESSAGES["verdict"]).fullmatch(line)
    if match is None or match["status"] not in _TAGS or not _EXERCISE.fullmatch(match["exercise"]):
        return line
    if language == "en":
        return line
    message = _sentence_in(match["message"], _chapter(match["exercise"]), language, _NESTING)
    template = _translation(FRAMEWORK, "messages", "verdict", MESSAGES["verdict"], language)
    if message is None or template is None:
        return None
    return _filled(_plain(template), dict(match.groupdict(), message=message), language in _UNSPACED)


# --------------------------------------------------------------------------------------------
# Verdicts, cases, known mistakes
# --------------------------------------------------------------------------------------------


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
        return _say("verdict", status=self.status.upper(), exercise=self.exercise, message=self.message)

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


def report(verdict: Verdict, print_verdict: bool) -> Verdict:
    """Where every verdict leaves the framework: shown once (if ``print_verdict``), then returned."""
    if print_verdict:
        verdict.show()
    return verdict


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


# --------------------------------------------------------------------------------------------
# Is it still the template?
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Reading the learner's answer
# --------------------------------------------------------------------------------------------


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


def as_integer(value):
    """``value`` as an int if it is one integer: a Python int, or a one-element tensor that is not floating
    point; else None. A bool is not an integer here, nor a numpy integer (a label list holds Python ints)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return int(value)


def describe(value) -> str:
    """What ``value`` is, for a message: "a tensor of shape (2, 3) and dtype torch.float32", "a str ('0.5')" ..."""
    if isinstance(value, torch.Tensor):
        return _say("a tensor", shape=tuple(value.shape), dtype=value.dtype)
    if value is None:
        return _say("None")
    if isinstance(value, types.GeneratorType):
        return _say("a generator")
    if type(value).__module__ == "numpy" and hasattr(value, "shape"):
        if getattr(value, "ndim", 0) == 0:
            return _say("a numpy scalar", kind=type(value).__name__)
        return _say("a numpy array", shape=tuple(value.shape))
    if isinstance(value, str):
        return _say("a str", shown=value if len(value) <= 30 else value[:27] + "...")
    kind = type(value).__name__
    return _say("a value, vowel" if kind[0] in "aeiou" else "a value", kind=kind)


def _kind_problem(got, expected, name: str, what: str) -> str | None:
    """The answer is not even of the reference's kind: say what came back and what was expected."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return _say("not a tensor", name=name, got=describe(got), what=what, expected=describe(expected))
        if got.is_complex() and not expected.is_complex():
            return _say("complex tensor", name=name, what=what, expected=describe(expected))
        return None
    if isinstance(expected, bool):
        return _say("not a bool", name=name, got=describe(got), what=what) if _as_bool(got) is None else None
    if isinstance(expected, (int, float)):
        return _say("not a number", name=name, got=describe(got), what=what) if as_number(got) is None else None
    if isinstance(expected, (tuple, list)) and not isinstance(got, (tuple, list)):
        kind = "list" if isinstance(expected, list) else "tuple"
        return _say("not a sequence", name=name, got=describe(got), kind=kind)
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
        if len(lines) > len(shown):
            head = _say("printed lines, some hidden", name=self.name, count=len(lines), shown=len(shown))
        else:
            head = _say("printed 1 line" if len(lines) == 1 else "printed lines", name=self.name, count=len(lines))
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


# --------------------------------------------------------------------------------------------
# The public checkers
# --------------------------------------------------------------------------------------------


def _refusal(exercise: str, fn, name: str) -> Verdict | None:
    """The standard answers before anything runs: nothing passed, not a function, the empty template."""
    if fn is None:
        return Verdict(exercise, "not yet", _say("nothing", name=name), reason="nothing")
    if not callable(fn):
        return Verdict(exercise, "try again", _say("not callable", got=describe(fn), name=name), reason="not callable")
    if not getattr(fn, "_course_guarded", False) and _is_template(fn):
        return Verdict(exercise, "not yet", _say("template", name=name), reason="template")
    return None


def _guarded_check(check: Callable[[Callable, str], Verdict], exercise: str, fn: Callable, name: str) -> Verdict:
    """``check(guarded fn, name)``: each call of ``fn`` timed and its output captured, the global random
    state kept; a call that times out or an answer of the wrong form ends the check with a verdict."""
    session = _Session(name)
    try:
        with torch.random.fork_rng(devices=[]):  # the learner's random stream is theirs, not ours
            verdict = check(_guard(fn, session), name)
    except LearnerTimeout:
        verdict = Verdict(exercise, "try again", _say("timeout", name=name, seconds=TIME_LIMIT_S), reason="timeout")
    except WrongAnswer as problem:
        verdict = Verdict(exercise, "try again", problem.message, reason=problem.reason)
    verdict.output = session.excerpt()
    return verdict


def checker(exercise: str, default_name: str):
    """Make ``check(fn, name) -> Verdict`` (a chapter's check) the public
    ``check_*(fn, *, print_verdict=True, hidden=False)``.

    The public checker answers None / not a function / the empty template itself, passes ``check``
    a guarded copy of the learner's function (a time limit per call, its output captured) and the
    name to quote, keeps the global random state as it was, and reports the verdict."""

    def decorate(check: Callable[[Callable, str], Verdict]):
        @functools.wraps(check)
        def public(fn, *, print_verdict: bool = True, hidden: bool = False) -> Verdict:
            name = display_name(fn, default_name)
            verdict = _refusal(exercise, fn, name)
            if verdict is None:
                with hidden_inputs(hidden):  # hidden=True: the grader's set of inputs (exercises/inputs.py)
                    verdict = _guarded_check(check, exercise, fn, name)
            return report(verdict, print_verdict)

        public.__signature__ = inspect.Signature([
            inspect.Parameter("fn", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter("print_verdict", inspect.Parameter.KEYWORD_ONLY, default=True, annotation=bool),
            inspect.Parameter("hidden", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=bool),
        ], return_annotation=Verdict)
        del public.__wrapped__  # help() shows the public signature, not the chapter's (fn, name)
        public.exercise, public.default_name = exercise, default_name
        return public

    return decorate


# --------------------------------------------------------------------------------------------
# One exercise's check, and run_check's steps
# --------------------------------------------------------------------------------------------


@dataclass
class Check:
    """What :func:`run_check` needs to judge a learner's function: the exercise, its fresh inputs, the
    right answer, the known mistakes and how to compare.

    ``name`` is the learner's function's name (messages quote it); ``what`` names the quantity in
    messages ("MLM loss"). The hooks, for what a chapter needs beyond the standard checks:

    - ``check_answer(got, case, number) -> message | None``: the chapter's own check of an answer's form,
      before the standard kind, type and shape checks;
    - ``on_error(error, case, number) -> message | None``: a message for an exception (default: its name);
    - ``on_differs(number, case, got, expected) -> message | None``: what to say when no known mistake
      matches (default: "your ... differs from the reference on input N");
    - ``compare(value) -> comparable``: answers are compared after this, exactly, on every case first, and a
      diagnosis must match on every case (for lists of small integers, which can match a wrong rule by chance
      on one input); :func:`exact_answer_hooks` sets it up with ``check_answer`` and ``on_error``;
    - ``pass_message``: the message of a pass.
    """

    exercise: str
    cases: Sequence[Case]
    reference: Callable
    _: KW_ONLY
    name: str
    what: str
    diagnoses: Sequence[Diagnosis] = ()
    atol: float = 1e-5
    rtol: float = 1e-4
    check_answer: Callable | None = None
    on_error: Callable | None = None
    on_differs: Callable | None = None
    compare: Callable | None = None
    pass_message: str | None = None

    def texts(self) -> list[str]:
        """The English texts of this check a learner may read: what it names, its pass message, its cases'
        labels and its hints (each once, in this order). Another language's table translates each one."""
        found = [self.what, self.pass_message or "", *(case.label for case in self.cases),
                 *(diagnosis.hint for diagnosis in self.diagnoses)]
        return list(dict.fromkeys(text for text in found if text))

    def in_language(self) -> Check:
        """This check with its texts (:meth:`texts`) in the current language: itself in English."""
        if current_language() == "en":
            return self
        group = _chapter(self.exercise)

        def say(text: str) -> str:
            return _in_language(group, "texts", text_key(text), text) if text else text

        cases = []
        for case in self.cases:
            case = copy.copy(case)  # shallow: the inputs are shared; a chapter's own attributes stay
            case.label = say(case.label)
            cases.append(case)
        return dataclasses.replace(
            self, cases=cases, what=say(self.what), pass_message=say(self.pass_message or "") or None,
            diagnoses=[dataclasses.replace(diagnosis, hint=say(diagnosis.hint)) for diagnosis in self.diagnoses])

    def verdict(self, status: str, message: str, reason: str) -> Verdict:
        return Verdict(self.exercise, status, message, reason=reason)

    def try_again(self, message: str, reason: str) -> _Decided:
        """The exception that ends the check with a "try again" verdict."""
        return _Decided(self.verdict("try again", message, reason))

    def known_mistake(self, case: Case, got) -> str | None:
        """The hint of the first known mistake that computes what the learner's function returned on ``case``."""
        for diagnosis in self.diagnoses:
            try:
                wrong = diagnosis.wrong(*case.args, **case.kwargs)
            except Exception:
                continue
            if _close(got, wrong, self.atol, self.rtol, equal_nan=True):
                return diagnosis.hint
        return None

    def known_mistake_on_every_case(self, answers: list) -> str | None:
        """With ``compare``: the hint of the first known mistake whose answers are the learner's on every case."""
        for diagnosis in self.diagnoses:
            try:
                wrong = [self.compare(diagnosis.wrong(*copy.deepcopy(case.args), **case.kwargs)) for case in self.cases]
            except Exception:
                continue
            if wrong == answers:
                return diagnosis.hint
        return None


class _Decided(Exception):
    """A step of :func:`run_check` reached the verdict: the steps after it do not run."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.message)
        self.verdict = verdict


def run_check(fn, check: Check, *, print_verdict: bool = False) -> Verdict:
    """Judge ``fn`` (the learner's function) by ``check``; return the :class:`Verdict` (and print it if
    ``print_verdict``: checkers made with :func:`checker` print it themselves).

    The steps, each stopping at the first verdict it reaches:

    1. is it still the template? (:func:`_refusal`: nothing passed, not a function, the empty template);
    2. run each case (:func:`_answer`: ``fn`` on a copy of the inputs; an exception becomes a message), the
       check's texts in the current language (:meth:`Check.in_language`);
    3. compare each answer with the reference's (:func:`_judge_answer`: its kind, shape, values) or, with
       ``check.compare``, all answers at the end (:func:`_judge_answers`);
    4. diagnose a wrong answer: the first known mistake that computes it names the mistake
       (:meth:`Check.known_mistake`), else :func:`_difference` says where it differs;
    5. report the verdict (:func:`report`).
    """
    verdict = _refusal(check.exercise, fn, check.name)
    if verdict is None:
        try:
            verdict = _run_cases(fn, check.in_language())
        except _Decided as decided:
            verdict = decided.verdict
    return report(verdict, print_verdict)


def _run_cases(fn, check: Check) -> Verdict:
    """Steps 2 to 4, case by case (a wrong answer on the first case ends the check before the next call)."""
    answers = []
    for number, case in enumerate(check.cases, start=1):
        got = _answer(fn, check, case, number)
        if check.compare is None:
            _judge_answer(check, case, number, got)
        else:
            answers.append(check.compare(got))
    if check.compare is not None:
        _judge_answers(check, answers)
    return check.verdict("pass", check.pass_message or _say("pass", what=check.what, count=len(check.cases)), "pass")


def _answer(fn, check: Check, case: Case, number: int):
    """What ``fn`` returns on ``case``; raises the verdict when it raised or its answer has the wrong form."""
    # The learner's function gets its own copy of the inputs: one that modifies them in place
    # (labels[labels == -100] = 0) must not change what the reference and the diagnoses see.
    args, kwargs = copy.deepcopy((case.args, case.kwargs))
    try:
        got = fn(*args, **kwargs)
    except (NotImplementedError, NotAttempted):
        raise _Decided(check.verdict("not yet", _say("not implemented", name=check.name), "not implemented")) from None
    except WrongAnswer as problem:  # a chapter's adapter found the answer's form wrong
        raise check.try_again(problem.message, problem.reason) from None
    except Exception as error:  # the learner's bug: report it, do not crash the notebook
        message = check.on_error(error, case, number) if check.on_error else None
        where = (_say("where, labelled", number=number, label=case.label) if case.label
                 else _say("where", number=number))
        raise check.try_again(message or _say("raised", name=check.name, error_type=type(error).__name__, error=error,
                                              where=where), "raised") from None
    problem = check.check_answer(got, case, number) if check.check_answer else None
    if problem:
        raise check.try_again(problem, "wrong type")
    return got


def _judge_answer(check: Check, case: Case, number: int, got) -> None:
    """Raises the verdict unless ``got`` is the reference's answer on ``case``: of its kind, shape and values."""
    expected = check.reference(*case.args, **case.kwargs)
    problem = _kind_problem(got, expected, check.name, check.what)
    if problem:  # a known mistake may return another kind (one name instead of a list of them)
        hint = check.known_mistake(case, got)
        raise check.try_again(hint or problem, "known mistake" if hint else "wrong type")
    if isinstance(expected, torch.Tensor) and got.shape != expected.shape:
        hint = check.known_mistake(case, got)  # a mistake may show as a shape (a [B, T] mask for a [B, 1, 1, T])
        shapes = _say("wrong shape", name=check.name, got=tuple(got.shape), what=check.what,
                      expected=tuple(expected.shape))
        raise check.try_again(hint or shapes, "known mistake" if hint else "wrong shape")
    if not _close(got, expected, check.atol, check.rtol):
        hint = check.known_mistake(case, got)
        if hint:
            raise check.try_again(hint, "known mistake")
        raise check.try_again(*_difference(check, case, number, got, expected))


def _difference(check: Check, case: Case, number: int, got, expected) -> tuple[str, str]:
    """(message, reason) for an answer that differs and matches no known mistake."""
    if isinstance(expected, torch.Tensor) and not torch.isfinite(got).all() and torch.isfinite(expected).all():
        return _say("not finite", what=check.what, number=number), "not finite"
    message = check.on_differs(number, case, got, expected) if check.on_differs else None
    if message:
        return message, "differs"
    detail = ""
    if isinstance(expected, torch.Tensor):
        detail = _say("tensor difference", difference=(got.double() - expected.double()).abs().max().item())
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool):
        detail = _say("number difference", got=as_number(got), expected=float(expected))
    return _say("differs", what=check.what, number=number, detail=detail), "differs"


def _judge_answers(check: Check, answers: list) -> None:
    """With ``check.compare``: raises the verdict unless every answer is the reference's, exactly."""
    expected = [check.compare(check.reference(*copy.deepcopy(case.args), **case.kwargs)) for case in check.cases]
    if answers == expected:
        return
    hint = check.known_mistake_on_every_case(answers)
    if hint:
        raise check.try_again(hint, "known mistake")
    for number, (case, got, right) in enumerate(zip(check.cases, answers, expected), start=1):
        if got != right:
            message = check.on_differs(number, case, got, right) if check.on_differs else None
            raise check.try_again(message or _say("differs", what=check.what, number=number, detail=""), "differs")


def exact_answer_hooks(name: str, normalize: Callable, form_problem: Callable,
                       on_error: Callable | None = None) -> dict:
    """:class:`Check`'s hooks for an answer compared exactly (a list of labels, of spans, a pair of positions):
    compared after ``normalize`` (None: the wrong form, and ``form_problem(got, case)`` says why), on every
    input, a known mistake matched on every input (a list of small integers can match a wrong rule by chance
    on one input). ``on_error(error, case) -> hint | None`` adds a hint to the message of an exception."""

    def check_answer(got, case, number):
        if normalize(got) is None:
            return _say("wrong form", name=name, problem=form_problem(got, case), number=number, label=case.label)
        return None

    def error_message(error, case, number):
        hint = (on_error(error, case) if on_error else None) or _say("the inputs")
        return _say("raised, with a hint", name=name, error_type=type(error).__name__, error=error, number=number,
                    label=case.label, hint=hint)

    return dict(check_answer=check_answer, on_error=error_message, compare=normalize)
