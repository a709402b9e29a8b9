"""Checkers for the exercises of notebook 00 (welcome): reading a parity report with code.

    Exercise 0.1  my_max_abs_diff(ours, theirs)                          -> float
    Exercise 0.2  my_within_tolerance(ours, theirs, atol=1e-5, rtol=1e-5) -> bool
    Exercise 0.3  my_failing_rows(report)                                -> list of row names

The rule is the one :mod:`course_lib.notebook.parity` prints: an output agrees when
``max |ours - theirs| <= atol + rtol * max |theirs|``, one tolerance per tensor, scaled by the
*reference's* largest magnitude.
"""

from __future__ import annotations

import torch

from ..notebook.parity import ParityReport, ParityRow
from . import Case, Check, Diagnosis, Verdict, checker, run_check
from .inputs import case_generator

__all__ = ["check_max_abs_diff", "check_within_tolerance", "check_failing_rows"]


# --------------------------------------------------------------------------------------------
# Exercise 0.1: max |difference|
# --------------------------------------------------------------------------------------------


def _max_abs_diff(ours, theirs) -> float:
    return (ours.double() - theirs.double()).abs().max().item()


def _max_abs_diff_cases() -> list[Case]:
    g = case_generator(1)
    cases = []
    # 1. the worst difference is negative (ours below theirs), and larger than any positive one
    theirs = torch.randn(4, 5, generator=g)
    ours = theirs + 1e-4 * torch.randn(4, 5, generator=g)
    ours[2, 3] = theirs[2, 3] - 0.3
    cases.append(Case((ours, theirs), label="a [4, 5] tensor"))
    # 2. one wrong element among many: an average would hide it
    theirs = torch.randn(2, 8, 16, generator=g)
    ours = theirs.clone()
    ours[1, 4, 7] += 0.05
    cases.append(Case((ours, theirs), label="a [2, 8, 16] tensor with one wrong element"))
    # 3. large values, small differences (the usual parity situation)
    theirs = 100 * torch.randn(3, 6, generator=g)
    ours = theirs + 1e-5 * torch.randn(3, 6, generator=g)
    cases.append(Case((ours, theirs), label="values around 100"))
    return cases


@checker("0.1", "my_max_abs_diff")
def check_max_abs_diff(fn, name: str) -> Verdict:
    """Exercise 0.1: ``fn(ours, theirs)`` returns the largest absolute elementwise difference."""
    diagnoses = [
        Diagnosis(lambda o, t: (o.double() - t.double()).max().item(),
                  "you took the largest *signed* difference. A difference of -0.3 is as wrong as +0.3: take the "
                  "absolute value of the differences first, then the maximum: `(ours - theirs).abs().max()`."),
        Diagnosis(lambda o, t: (o.double() - t.double()).abs().mean().item(),
                  "that is the *mean* |difference|. One wrong element among thousands barely moves a mean, and a "
                  "parity check must catch exactly that: use the maximum."),
        Diagnosis(lambda o, t: (o.double() - t.double()).abs().sum().item(),
                  "that is the *sum* of |differences|, which grows with the number of elements. Use the maximum."),
        Diagnosis(lambda o, t: abs(o.double().abs().max().item() - t.double().abs().max().item()),
                  "you compared the two tensors' largest values, not the tensors element by element. Subtract first "
                  "(`ours - theirs`), then take `.abs().max()`."),
    ]
    return run_check(fn, Check("0.1", _max_abs_diff_cases(), _max_abs_diff, name=name,
                               what="max |difference|", diagnoses=diagnoses, atol=1e-9, rtol=1e-6))


# --------------------------------------------------------------------------------------------
# Exercise 0.2: within tolerance
# --------------------------------------------------------------------------------------------


def _within_tolerance(ours, theirs, atol=1e-5, rtol=1e-5) -> bool:
    diff = (ours.double() - theirs.double()).abs().max().item()
    return diff <= atol + rtol * theirs.double().abs().max().item()


def _within_tolerance_cases() -> list[Case]:
    # Each case is built so that exactly one of the known mistakes below gets it wrong.
    t = torch.tensor
    return [
        # the reference's largest magnitude is negative: max(theirs) = 0.5, max|theirs| = 1000
        Case((t([-1000.0, 0.5, 0.25]), t([-1000.005, 0.5, 0.25])), label="a reference with large negative values"),
        # the scale must come from the reference (theirs), not from ours
        Case((t([1.8]), t([1.0])), dict(atol=0.0, rtol=0.5), label="atol=0, rtol=0.5"),
        # one tolerance for the whole tensor: a small element may differ by rtol * the *largest* one
        Case((t([1000.0, 0.002]), t([1000.0, 0.001])), label="values of very different sizes"),
        # exact zeros in the reference: only atol allows a difference there
        Case((t([5e-6, 0.0]), t([0.0, 0.0])), label="a reference of zeros"),
        # one wrong element among many
        Case((torch.cat([torch.ones(999), t([1.001])]), torch.ones(1000)), label="one element off by 1e-3"),
        # the caller's tolerances must be used, not the defaults
        Case((torch.full((3,), 1.01), torch.ones(3)), dict(atol=0.0, rtol=0.05), label="atol=0, rtol=0.05"),
    ]


@checker("0.2", "my_within_tolerance")
def check_within_tolerance(fn, name: str) -> Verdict:
    """Exercise 0.2: ``fn(ours, theirs, atol=1e-5, rtol=1e-5)`` says whether max |ours - theirs| is at most
    ``atol + rtol * max|theirs|``."""

    def max_abs(x):
        return x.double().abs().max().item()

    def diff(o, t):
        return (o.double() - t.double()).abs().max().item()

    diagnoses = [
        Diagnosis(lambda o, t, atol=1e-5, rtol=1e-5: diff(o, t) <= atol + rtol * t.double().max().item(),
                  "the scale is the reference's largest *magnitude*, `theirs.abs().max()`: with values such as "
                  "-1000, `theirs.max()` is far too small."),
        Diagnosis(lambda o, t, atol=1e-5, rtol=1e-5: diff(o, t) <= atol + rtol * max_abs(o),
                  "scale the tolerance by the *reference* (`theirs`), not by our output: a wrong output must not "
                  "widen its own tolerance."),
        Diagnosis(lambda o, t, atol=1e-5, rtol=1e-5: torch.allclose(o.double(), t.double(), atol=atol, rtol=rtol),
                  "`torch.allclose` (and `torch.testing.assert_close`) apply the tolerance element by element, each "
                  "with its own |reference|. The parity report uses one tolerance per tensor, scaled by the largest "
                  "|reference|: compute `max |ours - theirs|` and compare it with `atol + rtol * max |theirs|`."),
        Diagnosis(lambda o, t, atol=1e-5, rtol=1e-5: diff(o, t) <= rtol * max_abs(t),
                  "you left out `atol`. Without it, a reference of exact zeros allows no difference at all, even "
                  "a rounding error of 1e-12."),
        Diagnosis(lambda o, t, atol=1e-5, rtol=1e-5: (o.double() - t.double()).abs().mean().item()
                  <= atol + rtol * max_abs(t),
                  "compare the *largest* |difference| with the tolerance, not the mean: one wrong element must be "
                  "enough to fail."),
        Diagnosis(lambda o, t, atol=1e-5, rtol=1e-5: _within_tolerance(o, t),
                  "use the `atol` and `rtol` your function is given; 1e-5 is only their default."),
    ]
    return run_check(fn, Check("0.2", _within_tolerance_cases(), _within_tolerance, name=name,
                               what="answer", diagnoses=diagnoses))


# --------------------------------------------------------------------------------------------
# Exercise 0.3: which rows failed?
# --------------------------------------------------------------------------------------------


def _failing_rows(report) -> list[str]:
    return [row.name for row in report.rows if not row.ok]


def _report(title: str, rows: list[tuple[str, torch.Tensor, torch.Tensor]], grad: tuple[float, float]) -> ParityReport:
    report = ParityReport(title=title)
    for name, ours, theirs in rows:
        report.add(name, ours, theirs)
    report.rows.append(ParityRow("gradients (12 tensors)", None, grad[0], grad[1]))
    return report


def _failing_rows_cases() -> list[Case]:
    g = case_generator(3)
    hidden = 50 * torch.randn(2, 5, 8, generator=g)  # large values: tolerance about 1e-3
    pooled = torch.randn(2, 8, generator=g).tanh()
    logits = torch.randn(2, 3, generator=g)

    def off(x, by):
        y = x.clone()
        y.view(-1)[0] += by
        return y

    return [
        # a large output whose difference (2e-4) is above atol but within its scaled tolerance
        Case((_report("all agree", [("last_hidden_state", off(hidden, 2e-4), hidden),
                                    ("pooler_output", pooled, pooled)], (3e-7, 1e-5)),),
             label="a report where every row agrees"),
        Case((_report("two rows fail", [("last_hidden_state", off(hidden, 0.05), hidden),
                                        ("pooler_output", pooled, pooled),
                                        ("logits", off(logits, 0.01), logits)], (2e-2, 3e-4)),),
             label="a report with failing rows"),
        Case((_report("only gradients fail", [("last_hidden_state", hidden, hidden),
                                              ("logits", logits, logits)], (1e-3, 2e-4)),),
             label="a report where only the gradients fail"),
    ]


@checker("0.3", "my_failing_rows")
def check_failing_rows(fn, name: str) -> Verdict:
    """Exercise 0.3: ``fn(report)`` returns the names of the rows that do not agree, in table order."""
    diagnoses = [
        Diagnosis(lambda r: [row.name for row in r.rows if row.ok],
                  "those are the rows that *agree*. Keep the rows where `row.ok` is False."),
        Diagnosis(lambda r: [row for row in r.rows if not row.ok],
                  "return the rows' *names* (`row.name`), not the row objects."),
        Diagnosis(lambda r: [row.name for row in r.rows if row.max_abs_diff > r.atol],
                  "compare each row with its own tolerance (`row.tolerance`, or simply `row.ok`), not with "
                  "`atol` alone: a large output is allowed a proportionally larger difference."),
        Diagnosis(lambda r: next((row.name for row in r.rows if not row.ok), None),
                  "return every failing row, as a list (an empty list when all agree), not only the first one."),
    ]
    return run_check(fn, Check("0.3", _failing_rows_cases(), _failing_rows, name=name,
                               what="list of failing rows", diagnoses=diagnoses))
