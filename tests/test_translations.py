"""The Chinese edition is generated from the English notebooks and translations/zh-CN/ (tools/translate.py),
and must never drift: a stale or missing translation, a generated notebook that differs from the committed
one, a code cell whose "translation" changes code, or a glossary term used inconsistently fails here."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbconvert", reason="the Chinese edition is checked in the course environment (.venv)")
import nbformat  # noqa: E402  (after the skip: .venv-hf4 has no notebook tools)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
spec = importlib.util.spec_from_file_location("translate", ROOT / "tools" / "translate.py")
translate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(translate)

CHAPTERS = translate.chapters()


def test_the_committed_chinese_edition_is_complete_and_in_sync():
    problems = translate.sync_problems()
    assert not problems, "\n".join(problems[:40]) + "\nrun: python tools/translate.py (after translating)"


def test_every_chapter_and_solutions_notebook_has_a_chinese_edition():
    chapters = sorted(p.name for p in (ROOT / translate.LANGUAGE / "notebooks").glob("*.ipynb"))
    solutions = sorted(p.name for p in (ROOT / translate.LANGUAGE / "solutions").glob("*.ipynb"))
    assert chapters == [p.name for p in CHAPTERS]
    assert solutions == sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
def test_chinese_notebooks_have_the_english_code_and_outputs(folder):
    """Only prose (and comments) differ: so nbval's run of the English notebooks checks the Chinese ones too."""
    for zh_path in sorted((ROOT / translate.LANGUAGE / folder).glob("*.ipynb")):
        en = nbformat.read(ROOT / folder / zh_path.name, as_version=4)
        zh = nbformat.read(zh_path, as_version=4)
        assert [c.cell_type for c in zh.cells] == [c.cell_type for c in en.cells], zh_path.name
        for index, (a, b) in enumerate(zip(en.cells, zh.cells)):
            if a.cell_type != "code":
                continue
            assert b.outputs == a.outputs, f"{zh_path.name} cell {index}: outputs differ from the English"
            assert translate.code_tokens(b.source) == translate.code_tokens(a.source), f"{zh_path.name} cell {index}"
        prose = "".join(c.source for c in zh.cells if c.cell_type == "markdown")
        chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in prose)
        assert chinese > len(prose) / 10, f"{zh_path.name}: its prose is not Chinese ({chinese} of {len(prose)} characters)"
        assert "colab.research.google.com/github/" in zh.cells[0].source and f"/{translate.LANGUAGE}/{folder}/" in zh.cells[0].source


def _one_cell_chapter(tmp_path, monkeypatch, english: str, translation: str | None, code: str | None = None):
    """A chapter notebook with one markdown cell (and optionally a code cell) and its translation file,
    in a temporary folder the tool is pointed at."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(english, id="aaaa1111")]
    if code is not None:
        nb.cells.append(nbformat.v4.new_code_cell(code, id="bbbb2222"))
    chapter = tmp_path / "notebooks" / "99_test.ipynb"
    chapter.parent.mkdir(parents=True)
    nbformat.write(nb, chapter)
    monkeypatch.setattr(translate, "TRANSLATIONS", tmp_path / "translations")
    (tmp_path / "translations").mkdir()
    if translation is not None:
        (tmp_path / "translations" / "99_test.md").write_text(translation, encoding="utf-8")
    return chapter


def test_a_changed_english_cell_makes_its_translation_stale(tmp_path, monkeypatch):
    old = "## 1. One matrix\n\nThe decoder reuses the embedding."
    entry = f"<!-- cell aaaa1111 en {translate.english_hash(old)} -->\n## 1. 一个矩阵\n\n解码器复用同一个矩阵。\n"
    chapter = _one_cell_chapter(tmp_path, monkeypatch, old, entry)
    assert translate.problems_for(chapter) == []
    nb = nbformat.read(chapter, as_version=4)
    nb.cells[0].source = old.replace("reuses", "shares")
    nbformat.write(nb, chapter)
    problems = translate.problems_for(chapter)
    assert len(problems) == 1 and "stale" in problems[0], problems


def test_missing_untranslated_and_orphaned_entries_are_reported(tmp_path, monkeypatch):
    english = "Some English prose."
    chapter = _one_cell_chapter(tmp_path, monkeypatch, english, None)
    assert "not translated" in translate.problems_for(chapter)[0]
    (tmp_path / "translations" / "99_test.md").write_text(
        f"<!-- cell aaaa1111 en {translate.english_hash(english)} -->\n{english}\n"
        f"<!-- cell cccc3333 en 0123456789 -->\n旧的单元格\n", encoding="utf-8")
    problems = translate.problems_for(chapter)
    assert any("still holds the English" in p for p in problems) and any("no longer exists" in p for p in problems)


def test_a_code_translation_may_change_comments_only(tmp_path, monkeypatch):
    english, code = "Prose.", 'x = 1  # one\nprint("x is", x)'
    header = f"<!-- cell aaaa1111 en {translate.english_hash(english)} -->\n散文。\n"
    code_header = f"<!-- cell bbbb2222 en {translate.english_hash(code)} -->\n"
    chapter = _one_cell_chapter(tmp_path, monkeypatch, english, header + code_header + 'x = 1  # 一\nprint("x is", x)\n',
                                code=code)
    assert translate.problems_for(chapter) == []
    (tmp_path / "translations" / "99_test.md").write_text(
        header + code_header + 'x = 1  # 一\nprint("x 是", x)\n', encoding="utf-8")  # a printed string changed
    assert any("changes code" in p for p in translate.problems_for(chapter))


def test_glossary_rules_catch_an_avoided_variant_and_a_missing_bracket():
    good = "掩码语言模型（masked language modelling, MLM）是预训练任务。之后只写掩码语言模型。"
    assert translate.glossary_problems("x", good) == []
    assert any("first use of '掩码语言模型'" in p for p in translate.glossary_problems("x", "掩码语言模型是预训练任务。"))
    assert any("'权值衰减'" in p for p in translate.glossary_problems("x", "权值衰减（weight decay）"))
    rows = {row["english"]: row for row in translate.glossary()}
    assert rows["MLM"]["chinese"] == "掩码语言模型" and rows["MLM"]["bracket"] and len(rows) >= 40


def test_emphasis_that_would_show_as_asterisks_is_reported():
    assert translate.emphasis_problems("x", "c", "**时间：**约 25 分钟")
    assert translate.emphasis_problems("x", "c", "**时间：** 约 25 分钟，`a*b` 与 $x*y$") == []


@pytest.mark.parametrize("english, chinese", [("README.md", "README.zh-CN.md"),
                                              ("docs/TEACHING.md", "docs/TEACHING.zh-CN.md")])
def test_chinese_guides_carry_every_command_of_the_english_and_link_both_ways(english, chinese):
    import re

    en, zh = (ROOT / english).read_text(encoding="utf-8"), (ROOT / chinese).read_text(encoding="utf-8")
    blocks = re.findall(r"^```.*?^```", en, flags=re.S | re.M)
    assert blocks, english
    missing = [b.splitlines()[1] if len(b.splitlines()) > 1 else b for b in blocks if b not in zh]
    assert not missing, f"{chinese} lacks these command blocks of {english} (copy them unchanged): {missing}"
    assert Path(chinese).name in en or chinese == "docs/TEACHING.zh-CN.md" and "TEACHING.zh-CN.md" in \
        (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    assert Path(english).name in zh, f"{chinese} should link back to {english}"
    assert not translate.glossary_problems(chinese, zh)
