"""Tiny drawing kit for the course diagrams: boxes, arrows and labels on a blank matplotlib canvas.

Every diagram script (``pictures/draw_*.py``) uses it so the pictures share one look: rounded
boxes, the same palette as the plots, black arrows, text that says what flows along each arrow.

Each picture is drawn once per language (``make_pictures.py`` sets ``LANGUAGE``): every text goes through
:func:`tr`, which in the Chinese pass looks it up in ``translations/zh-CN/pictures.json`` (English text ->
Chinese text; code such as ``pooler_output   [B, H]`` maps to itself) and fails on a text it does not
know, so a changed English label cannot slip into the Chinese picture untranslated.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent
TRANSLATIONS = HERE.parent / "translations"

OUT = HERE  # where save() writes (the tests draw into a temporary folder)
LANGUAGE = "en"  # "zh-CN": the Chinese edition's pictures, written to pictures/zh-CN/
USED: set[str] = set()  # the English texts looked up so far (make_pictures.py reports unused entries)
# Latin letters and digits from DejaVu Sans (matplotlib's default), Chinese characters from Noto Sans CJK SC
# (Debian's fonts-noto-cjk, which tools/ensure_chromium.sh installs): matplotlib falls back glyph by glyph.
CJK_FONT = "Noto Sans CJK SC"


def table_path(language: str) -> Path:
    return TRANSLATIONS / language / "pictures.json"


def _table() -> dict[str, str]:
    path = table_path(LANGUAGE)
    if not path.exists():
        raise FileNotFoundError(f"no picture texts for {LANGUAGE}: {path} is missing")
    return json.loads(path.read_text(encoding="utf-8"))


def tr(text: str | None) -> str | None:
    """``text`` in the language being drawn; English as it is."""
    if text is None or LANGUAGE == "en":
        return text
    table = _table()
    if text not in table:
        raise KeyError(f"{table_path(LANGUAGE)} has no entry for the picture text {text!r}: add one "
                       "(the text itself where it is code and stays English)")
    USED.add(text)
    return table[text]


def use_language(language: str) -> None:
    """Draw the next pictures in ``language`` ("en" or "zh-CN"), with a font that has its characters."""
    global LANGUAGE
    LANGUAGE = language
    if language == "en":
        matplotlib.rcParams["font.family"] = matplotlib.rcParamsDefault["font.family"]
        return
    from matplotlib import font_manager

    if CJK_FONT not in {f.name for f in font_manager.fontManager.ttflist}:
        # matplotlib caches its font list: a font installed after the cache was written is not in it yet
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
    if CJK_FONT not in {f.name for f in font_manager.fontManager.ttflist}:
        raise RuntimeError(f"the {language} pictures need the font {CJK_FONT!r}: install Debian's fonts-noto-cjk "
                           "(bash tools/ensure_chromium.sh does)")
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", CJK_FONT]

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
        ax.set_title(tr(title), fontsize=13, fontweight="bold", pad=8)
    return fig, ax


def box(ax, x, y, w, h, text, color=NEUTRAL, fontsize=9, bold=False):
    """A rounded box with (x, y) its lower-left corner; returns its centre for arrows."""
    ax.add_patch(
        FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                       facecolor=color, edgecolor="#333333", linewidth=1.0)
    )
    ax.text(x + w / 2, y + h / 2, tr(text), ha="center", va="center", fontsize=fontsize,
            fontweight="bold" if bold else "normal", wrap=True)
    return (x + w / 2, y + h / 2)


def arrow(ax, start, end, label=None, fontsize=8, offset=(0.05, 0.0), color="#333333", style="-|>"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=12, color=color, linewidth=1.1))
    if label:
        mx, my = (start[0] + end[0]) / 2 + offset[0], (start[1] + end[1]) / 2 + offset[1]
        ax.text(mx, my, tr(label), fontsize=fontsize, ha="left", va="center", color="#333333")


def note(ax, x, y, text, fontsize=8, color="#555555", ha="left"):
    ax.text(x, y, tr(text), fontsize=fontsize, color=color, ha=ha, va="center", style="italic")


def save(fig, name: str) -> Path:
    """pictures/NAME (English) or pictures/LANGUAGE/NAME."""
    path = OUT / name if LANGUAGE == "en" else OUT / LANGUAGE / name
    path.parent.mkdir(exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    print(f"wrote {path.relative_to(HERE.parent) if path.is_relative_to(HERE.parent) else path}")
    return path
