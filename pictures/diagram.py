"""Tiny drawing kit for the course diagrams: boxes, arrows and labels on a blank matplotlib canvas.

Every diagram script (``pictures/draw_*.py``) uses it so the pictures share one look: rounded
boxes, the same palette as the plots, black arrows, text that says what flows along each arrow.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent

# Colours by role: encoder, heads, losses, data.
ENCODER = "#dbe9f6"
HEAD = "#fde0c5"
LOSS = "#f9d0d0"
DATA = "#e8f3e0"
NEUTRAL = "#eeeeee"


def canvas(width: float, height: float, title: str | None = None):
    """A figure whose data coordinates are inches, so boxes are placed by hand, predictably."""
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=13, fontweight="bold", pad=8)
    return fig, ax


def box(ax, x, y, w, h, text, color=NEUTRAL, fontsize=9, bold=False):
    """A rounded box with (x, y) its lower-left corner; returns its centre for arrows."""
    ax.add_patch(
        FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                       facecolor=color, edgecolor="#333333", linewidth=1.0)
    )
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize,
            fontweight="bold" if bold else "normal", wrap=True)
    return (x + w / 2, y + h / 2)


def arrow(ax, start, end, label=None, fontsize=8, offset=(0.05, 0.0), color="#333333", style="-|>"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color, linewidth=1.1))
    if label:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, label, fontsize=fontsize, ha="left", va="center", color="#333333")


def note(ax, x, y, text, fontsize=8, color="#555555", ha="left"):
    ax.text(x, y, text, fontsize=fontsize, color=color, ha=ha, va="center", style="italic")


def save(fig, name: str) -> Path:
    path = HERE / name
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    print(f"wrote {path.relative_to(HERE.parent)}")
    return path
