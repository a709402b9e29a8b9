"""Notebook 00_welcome: the worked answers of its exercises and their points (classroom/README.md says how)."""

# BEGIN QUESTION
# name: q0_1
# points: 2
from course_lib.exercises.ch00 import check_max_abs_diff


def my_max_abs_diff(ours, theirs):
    """The largest |ours - theirs| over all elements, as a Python float."""
    # Element by element, then drop the sign (0.3 below is as wrong as 0.3 above), then keep the worst.
    # A mean would dilute one wrong element among thousands, and a sum grows with the size of the tensor.
    # .double() first, so that the subtraction adds no float32 rounding of its own to what we measure.
    return (ours.double() - theirs.double()).abs().max().item()


check_max_abs_diff(my_max_abs_diff)
# END QUESTION


# BEGIN QUESTION
# name: q0_2
# points: 2
from course_lib.exercises.ch00 import check_within_tolerance


def my_within_tolerance(ours, theirs, atol=1e-5, rtol=1e-5):
    """True when max |ours - theirs| <= atol + rtol * max |theirs| (the parity report's rule)."""
    worst = (ours.double() - theirs.double()).abs().max().item()
    # One allowance for the whole tensor, scaled by the *reference*, so a wrong output cannot widen its own
    # tolerance; abs(), because -1000 is as large a value as +1000. torch.allclose would instead give each
    # element its own allowance, atol + rtol * |that element|: stricter for the small elements of a tensor.
    tolerance = atol + rtol * theirs.double().abs().max().item()
    return worst <= tolerance


check_within_tolerance(my_within_tolerance)
# END QUESTION


# BEGIN QUESTION
# name: q0_3
# points: 2
from course_lib.exercises.ch00 import check_failing_rows


def my_failing_rows(report):
    """The names of the rows of a ParityReport that do not agree, in table order."""
    # row.ok already compares the row's max |diff| with its own tolerance, atol + rtol * max|reference|:
    # comparing with atol alone would fail every large output that differs by a few float32 roundings.
    return [row.name for row in report.rows if not row.ok]


check_failing_rows(my_failing_rows)
# END QUESTION
