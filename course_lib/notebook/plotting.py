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
    use_cjk_fallback()  # Chinese labels get glyphs where a CJK font is installed; nothing changes elsewhere


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


# Fonts with Chinese glyphs, in order of preference: Noto Sans CJK / Source Han Sans (Linux, free), WenQuanYi
# (Linux), SimHei and Microsoft YaHei (Windows), PingFang and Heiti (macOS), Arial Unicode MS (older Office).
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
)


def find_cjk_font(candidates=CJK_FONTS) -> str | None:
    """The first of ``candidates`` (font family names) that matplotlib's font manager knows, or None."""
    from matplotlib import font_manager

    if isinstance(candidates, str):
        candidates = (candidates,)
    names = list(candidates)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"font names must be strings such as 'SimHei', got {name!r} ({type(name).__name__})")
    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in names if name in installed), None)


def use_cjk_fallback(candidates=CJK_FONTS) -> str | None:
    """Let Chinese text in titles, labels and legends render as glyphs, not as empty boxes.

    The course's font (DejaVu Sans) has no Chinese characters. When one of ``candidates`` is installed,
    it is appended to ``font.family`` *after* the course's font: matplotlib (3.6+) takes every glyph from
    the first family that has it, so Latin letters, digits and the minus sign look exactly as before,
    and only Chinese characters come from the CJK font. ``axes.unicode_minus`` is set to False as well,
    so a learner who later puts a CJK font first (the usual recipe, many of which lack the U+2212 minus)
    still gets a minus sign instead of a box. Where no CJK font is installed nothing changes; install one
    (for example the Noto Sans CJK or WenQuanYi packages of your system) and restart the kernel.

    Returns the font used, or None. ``use_course_style`` calls this.
    """
    font = find_cjk_font(candidates)
    if font is None:
        return None
    family = matplotlib.rcParams["font.family"]
    family = [family] if isinstance(family, str) else list(family)
    if font not in family:
        matplotlib.rcParams["font.family"] = [*family, font]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return font
