"""Parity checks: does our model compute what the Hugging Face model computes?

The course's central habit: build a model from scratch, copy the reference model's weights into
it by name, feed both the same inputs, and compare outputs *and* gradients. This module prints
that comparison as a small table, one row per output:

    Parity: course_lib.BertModel vs transformers.BertModel
      output                  shape            max |diff|  tolerance   agree
      last_hidden_state       (2, 8, 32)          4.8e-07    3.5e-05   yes
      pooler_output           (2, 32)             3.0e-08    1.2e-05   yes
      gradients (37 tensors)  -                   1.2e-06    9.0e-03   yes
      => all outputs agree

"max |diff|" is the largest absolute difference over all elements. Two float32 computations that
do the same math in a different order differ by a few units in the last place (about 1e-7
relative), so we ask for agreement within a tolerance, not bit-for-bit equality.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import torch

from .._checks import check_real

DEFAULT_ATOL = 1e-5
DEFAULT_RTOL = 1e-5
# Gradients pass through every layer twice (forward and backward) and sum over the batch, so their
# rounding differences are larger relative to their size than the outputs'.
DEFAULT_GRAD_RTOL = 1e-4


@dataclass
class ParityRow:
    name: str
    shape: tuple | None
    max_abs_diff: float
    tolerance: float  # atol + rtol * max|reference|
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.max_abs_diff <= self.tolerance  # NaN compares False, so a NaN never "agrees"


@dataclass
class ParityReport:
    """Rows of (output name, shape, max |difference|, tolerance, agree?). ``bool(report)`` is True
    when every row agrees; ``report.max_abs_diff`` is the worst difference."""

    title: str = "Parity"
    atol: float = DEFAULT_ATOL
    rtol: float = DEFAULT_RTOL
    rows: list[ParityRow] = field(default_factory=list)

    def tolerance_for(self, reference: torch.Tensor) -> float:
        scale = reference.detach().abs().max().item() if reference.numel() else 0.0
        return self.atol + self.rtol * scale

    def add(self, name: str, ours, theirs, note: str = "") -> ParityRow:
        """Compare two tensors (or numbers) and record a row. Shapes must match exactly."""
        try:
            ours_t = torch.as_tensor(ours).detach()
            theirs_t = torch.as_tensor(theirs).detach()
        except (TypeError, RuntimeError, ValueError):
            raise TypeError(
                f"{name}: compare tensors or numbers, got {type(ours).__name__} and {type(theirs).__name__}"
            ) from None
        if ours_t.shape != theirs_t.shape:
            raise ValueError(
                f"{name}: shapes differ, ours {tuple(ours_t.shape)} vs theirs {tuple(theirs_t.shape)}"
            )
        diff = (ours_t.double() - theirs_t.double()).abs().max().item() if ours_t.numel() else 0.0
        row = ParityRow(name, tuple(ours_t.shape), diff, self.tolerance_for(theirs_t.double()), note)
        self.rows.append(row)
        return row

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def max_abs_diff(self) -> float:
        return max((row.max_abs_diff for row in self.rows), default=0.0)

    def __str__(self) -> str:
        width = max([len("output")] + [len(r.name) for r in self.rows]) + 2
        lines = [self.title, f"  {'output':<{width}}{'shape':<16}{'max |diff|':>11}{'tolerance':>11}   agree"]
        for r in self.rows:
            shape = "-" if r.shape is None else str(r.shape)
            note = f"   {r.note}" if r.note else ""
            lines.append(
                f"  {r.name:<{width}}{shape:<16}{r.max_abs_diff:>11.1e}{r.tolerance:>11.1e}   "
                f"{'yes' if r.ok else 'NO'}{note}"
            )
        lines.append("  => all outputs agree" if self.ok else "  => MISMATCH: see the rows marked NO")
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle):  # IPython shows the table, not the dataclass repr
        printer.text(str(self))

    def assert_ok(self) -> None:
        """Raise AssertionError with the table when any row disagrees (for tests and exercises)."""
        if not self.ok:
            raise AssertionError("parity check failed\n" + str(self))


def _tensor_fields(output) -> dict[str, torch.Tensor]:
    """The tensor-valued fields of a model output, in a stable order."""
    if isinstance(output, torch.Tensor):
        return {"output": output}
    items = output.items() if isinstance(output, Mapping) else ((k, getattr(output, k)) for k in output.keys())
    return {k: v for k, v in items if isinstance(v, torch.Tensor)}


def _scalar_for_backward(fields: dict[str, torch.Tensor], seed: int) -> torch.Tensor:
    """One scalar to backpropagate. If there is a loss, use it; otherwise a fixed random
    projection of every output, so every output element contributes a different weight (a plain
    sum would hide errors that cancel out, such as a permutation)."""
    if "loss" in fields:
        return fields["loss"]
    generator = torch.Generator().manual_seed(seed)
    total = 0.0
    for value in fields.values():
        if value.is_floating_point():
            weights = torch.randn(value.shape, generator=generator, dtype=value.dtype)
            total = total + (value * weights.to(value.device)).sum()
    return total


def parity_report(
    ours: torch.nn.Module,
    theirs: torch.nn.Module,
    inputs: Mapping[str, torch.Tensor],
    *,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    grad_rtol: float = DEFAULT_GRAD_RTOL,
    check_grads: bool = True,
    title: str | None = None,
    print_report: bool = True,
    seed: int = 0,
) -> ParityReport:
    """Run both models on the same inputs in eval mode (dropout off) and compare every tensor
    output they share, then the gradient of every parameter (matched by name).

    Both models must already hold the same weights (``ours.load_state_dict(theirs.state_dict())``).
    Returns the :class:`ParityReport`; prints it unless ``print_report=False``.
    """
    for side, model in (("ours", ours), ("theirs", theirs)):
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"parity_report: `{side}` must be a model (torch.nn.Module), got {type(model).__name__}")
    if not isinstance(inputs, Mapping):
        raise TypeError(
            "parity_report: `inputs` must be a dict of keyword arguments for both models, e.g. "
            f"{{'input_ids': ids, 'attention_mask': mask}}, got {type(inputs).__name__}"
        )
    for name, value in (("atol", atol), ("rtol", rtol), ("grad_rtol", grad_rtol)):
        check_real(f"parity_report: {name}", value, 0)
    title = title or f"Parity: course_lib.{type(ours).__name__} vs transformers.{type(theirs).__name__}"
    report = ParityReport(title=title, atol=atol, rtol=rtol)
    was_training = (ours.training, theirs.training)
    ours.eval()
    theirs.eval()
    try:
        ours.zero_grad(set_to_none=True)
        theirs.zero_grad(set_to_none=True)
        with torch.set_grad_enabled(check_grads):
            ours_out = _tensor_fields(ours(**inputs))
            theirs_out = _tensor_fields(theirs(**inputs))
        shared = [name for name in ours_out if name in theirs_out]
        if not shared:
            raise ValueError(
                f"the two models share no tensor outputs (ours: {list(ours_out)}, theirs: {list(theirs_out)})"
            )
        for name in shared:
            report.add(name, ours_out[name], theirs_out[name])

        if check_grads:
            _scalar_for_backward({k: ours_out[k] for k in shared}, seed).backward()
            _scalar_for_backward({k: theirs_out[k] for k in shared}, seed).backward()
            theirs_params = dict(theirs.named_parameters())
            # One row for all gradients: the tensor that comes closest to (or exceeds) its own
            # tolerance is the one shown.
            worst = None
            for name, param in ours.named_parameters():
                other = theirs_params.get(name)
                if other is None:
                    raise ValueError(f"parameter {name!r} exists in our model but not in the reference")
                ours_grad = param.grad if param.grad is not None else torch.zeros_like(param)
                theirs_grad = other.grad if other.grad is not None else torch.zeros_like(other)
                diff = (ours_grad.double() - theirs_grad.double()).abs().max().item() if param.numel() else 0.0
                scale = theirs_grad.abs().max().item() if theirs_grad.numel() else 0.0
                tol = atol + grad_rtol * scale
                ratio = diff / tol if diff == diff else float("inf")
                if worst is None or ratio > worst[0]:
                    worst = (ratio, name, diff, tol)
            count = len(theirs_params)
            _, worst_name, diff, tol = worst
            row = ParityRow(f"gradients ({count} tensors)", None, diff, tol)
            if not row.ok:
                row.note = f"worst: {worst_name}"
            report.rows.append(row)
    finally:
        ours.train(was_training[0])
        theirs.train(was_training[1])
        ours.zero_grad(set_to_none=True)
        theirs.zero_grad(set_to_none=True)
    if print_report:
        print(report)
    return report
