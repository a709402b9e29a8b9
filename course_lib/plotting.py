"""One plotting style for the whole course (as d2l does): same sizes, fonts, colours, grid.

Every figure in the notebooks goes through these helpers so a learner can compare figures across
chapters at a glance: titles say what is plotted, axes say what and in which unit.
"""

from __future__ import annotations

import matplotlib

# Colours used consistently across the course: ours vs theirs (transformers), and the two arms
# of any A/B comparison.
OURS = "#1f77b4"
THEIRS = "#ff7f0e"
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def use_course_style() -> None:
    matplotlib.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "svg.hashsalt": "course",  # deterministic SVG ids
        }
    )


def new_axes(title: str, xlabel: str, ylabel: str, ax=None, figsize=None):
    """A fresh set of axes with title and labels already set (labels are not optional here)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def plot_curves(curves: dict, title: str, xlabel: str, ylabel: str, ax=None, logy: bool = False, smooth: int = 1):
    """Plot several named curves (name -> list of y, or (x, y)) on one axes, with a legend.
    ``smooth`` > 1 overlays a running mean over that many points (the raw curve stays faint)."""
    import numpy as np

    ax = new_axes(title, xlabel, ylabel, ax=ax)
    for i, (name, data) in enumerate(curves.items()):
        x, y = data if isinstance(data, tuple) else (range(1, len(data) + 1), data)
        x, y = np.asarray(list(x)), np.asarray(list(y), dtype=float)
        color = PALETTE[i % len(PALETTE)]
        if smooth > 1 and len(y) >= smooth:
            ax.plot(x, y, color=color, alpha=0.25, linewidth=1)
            kernel = np.ones(smooth) / smooth
            ax.plot(x[smooth - 1 :], np.convolve(y, kernel, mode="valid"), color=color, label=name)
        else:
            ax.plot(x, y, color=color, label=name)
    if logy:
        ax.set_yscale("log")
    ax.legend()
    return ax
