"""Exercises of notebook 00: the checkers pass the worked solutions, stay "not yet" on the templates, and
name the mistake for each known wrong answer (written here the way a learner would write it)."""

import pytest
import torch

from course_lib.exercises.ch00 import (
    check_failing_rows,
    check_max_abs_diff,
    check_within_tolerance,
)
from course_lib.notebook.parity import ParityReport
from helpers import verdict_of

# --- 0.1 ------------------------------------------------------------------------------------


def test_max_abs_diff_accepts_a_tensor_or_a_float():
    assert verdict_of(check_max_abs_diff, lambda o, t: (o - t).abs().max())
    assert verdict_of(check_max_abs_diff, lambda o, t: float(torch.max(torch.abs(o - t))))


@pytest.mark.parametrize("wrong, hint", [
    (lambda o, t: (o - t).max().item(), "signed"),
    (lambda o, t: (o - t).abs().mean().item(), "*mean*"),
    (lambda o, t: (o - t).abs().sum().item(), "*sum*"),
    (lambda o, t: abs(o.abs().max().item() - t.abs().max().item()), "element by element"),
])
def test_max_abs_diff_names_the_mistake(wrong, hint):
    verdict = verdict_of(check_max_abs_diff, wrong)
    assert verdict.status == "try again" and hint in verdict.message


# --- 0.2 ------------------------------------------------------------------------------------


def _ok(ours, theirs, atol=1e-5, rtol=1e-5):
    return (ours - theirs).abs().max() <= atol + rtol * theirs.abs().max()


def test_within_tolerance_accepts_a_tensor_bool():
    assert verdict_of(check_within_tolerance, _ok)


@pytest.mark.parametrize("wrong, hint", [
    (lambda o, t, atol=1e-5, rtol=1e-5: (o - t).abs().max() <= atol + rtol * t.max(), "*magnitude*"),
    (lambda o, t, atol=1e-5, rtol=1e-5: (o - t).abs().max() <= atol + rtol * o.abs().max(), "*reference*"),
    (lambda o, t, atol=1e-5, rtol=1e-5: torch.allclose(o, t, atol=atol, rtol=rtol), "element by element"),
    (lambda o, t, atol=1e-5, rtol=1e-5: (o - t).abs().max() <= rtol * t.abs().max(), "left out `atol`"),
    (lambda o, t, atol=1e-5, rtol=1e-5: (o - t).abs().mean() <= atol + rtol * t.abs().max(), "not the mean"),
    (lambda o, t, atol=1e-5, rtol=1e-5: _ok(o, t), "only their default"),
])
def test_within_tolerance_names_the_mistake(wrong, hint):
    verdict = verdict_of(check_within_tolerance, wrong)
    assert verdict.status == "try again" and hint in verdict.message


def test_within_tolerance_agrees_with_the_parity_report():
    g = torch.Generator().manual_seed(0)
    for scale in (1e-3, 1.0, 1e3):
        theirs = scale * torch.randn(50, generator=g)
        for noise in (1e-9, 1e-6, 1e-3):
            ours = theirs + noise * torch.randn(50, generator=g)
            report = ParityReport()
            report.add("x", ours, theirs)
            assert bool(_ok(ours.double(), theirs.double())) == report.ok


# --- 0.3 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("wrong, hint", [
    (lambda r: [row.name for row in r.rows if row.ok], "*agree*"),
    (lambda r: [row for row in r.rows if not row.ok], "*names*"),
    (lambda r: [row.name for row in r.rows if row.max_abs_diff > 1e-5], "its own tolerance"),
    (lambda r: next((row.name for row in r.rows if not row.ok), None), "every failing row"),
])
def test_failing_rows_names_the_mistake(wrong, hint):
    verdict = verdict_of(check_failing_rows, wrong)
    assert verdict.status == "try again" and hint in verdict.message


def test_failing_rows_reports_a_crash_instead_of_raising():
    verdict = verdict_of(check_failing_rows, lambda r: r.rows[99].name)
    assert verdict.status == "try again" and "IndexError" in verdict.message


