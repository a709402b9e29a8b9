"""course_lib.notebook.plotting: Chinese labels render where a CJK font is installed; nothing changes where none is."""

import warnings

import pytest

matplotlib = pytest.importorskip("matplotlib")  # not in the small transformers-4.57 environment (.venv-hf4)
matplotlib.use("Agg")

from course_lib.notebook import plotting  # noqa: E402


def render_with_chinese_labels():
    """Draw a figure labelled in Chinese (with a negative tick) and return matplotlib's warnings."""
    import matplotlib.pyplot as plt

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ax = plotting.new_axes("训练损失（loss）", "训练步数", "交叉熵")
        ax.plot([-2, 0, 1], [3.0, 1.5, -0.5], label="验证集")
        ax.legend()
        ax.figure.canvas.draw()
        plt.close(ax.figure)
    return [str(w.message) for w in caught]


def test_without_a_cjk_font_nothing_changes(monkeypatch):
    monkeypatch.setattr(plotting, "find_cjk_font", lambda candidates=plotting.CJK_FONTS: None)
    with matplotlib.rc_context():
        before = (list(matplotlib.rcParams["font.family"]), matplotlib.rcParams["axes.unicode_minus"])
        plotting.use_course_style()
        after = (list(matplotlib.rcParams["font.family"]), matplotlib.rcParams["axes.unicode_minus"])
    assert after == before


def test_the_course_font_stays_first(monkeypatch):
    monkeypatch.setattr(plotting, "find_cjk_font", lambda candidates=plotting.CJK_FONTS: "SimHei")
    with matplotlib.rc_context({"font.family": ["sans-serif"]}):
        assert plotting.use_cjk_fallback() == "SimHei"
        assert list(matplotlib.rcParams["font.family"]) == ["sans-serif", "SimHei"]
        assert matplotlib.rcParams["axes.unicode_minus"] is False
        plotting.use_cjk_fallback()  # a second call does not add it twice
        assert list(matplotlib.rcParams["font.family"]) == ["sans-serif", "SimHei"]


def test_find_cjk_font_reads_the_font_manager():
    assert plotting.find_cjk_font(["No Such Font 123"]) is None
    assert plotting.find_cjk_font("DejaVu Sans") == "DejaVu Sans"  # one name as a string is accepted
    with pytest.raises(TypeError, match="font names must be strings"):
        plotting.find_cjk_font(["SimHei", 3])


@pytest.mark.skipif(plotting.find_cjk_font() is None, reason="no CJK font installed (e.g. Noto Sans CJK, WenQuanYi)")
def test_chinese_label_renders_without_missing_glyphs():
    with matplotlib.rc_context():
        plotting.use_course_style()
        missing = [m for m in render_with_chinese_labels() if "missing from font" in m]
    assert not missing, missing[:3]


def test_without_the_fallback_chinese_glyphs_are_missing(monkeypatch):
    """The control: the course font alone has no Chinese glyphs, so the check above can fail."""
    monkeypatch.setattr(plotting, "find_cjk_font", lambda candidates=plotting.CJK_FONTS: None)
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        plotting.use_course_style()
        missing = [m for m in render_with_chinese_labels() if "missing from font" in m]
    assert missing
