"""The Chinese edition is generated from the English notebooks and translations/zh-CN/ (tools/translate.py),
and must never drift: a stale or missing translation, a generated notebook that differs from the committed
one, a code cell whose "translation" changes code, or a glossary term used inconsistently fails here."""

from __future__ import annotations

import functools
import importlib
import re
import tokenize
from pathlib import Path

import pytest

pytest.importorskip("nbconvert", reason="the Chinese edition is checked in the course environment (.venv)")
import nbformat  # noqa: E402  (after the skip: .venv-hf4 has no notebook tools)

import course_lib.exercises as exercises  # noqa: E402
from helpers import STANDARD_ANSWERS  # noqa: E402
from tools import colab, translate  # noqa: E402  (after the skip)

ROOT = Path(__file__).resolve().parent.parent

CHAPTERS = translate.chapters()
# A checker's verdict as it prints it in English (in Chinese it reads "[PASS] 练习 2.1：...").
ENGLISH_VERDICT = re.compile(r"^\[(PASS|TRY AGAIN|NOT YET)\] Exercise \d+\.\d+: ", re.M)
# The one argument the Chinese set-up cell's call adds: `language="zh-CN"` (after a comma, if it is not alone).
LANGUAGE_ARGUMENT = [(tokenize.NAME, "language"), (tokenize.OP, "="), (tokenize.STRING, f'"{translate.LANGUAGE}"')]


def without_the_language_argument(tokens: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The set-up cell's tokens with its call's `language="zh-CN"` (and the comma before it) taken out; the
    tokens as they are where it has none (then the comparison with the English fails)."""
    for at in range(len(tokens) - len(LANGUAGE_ARGUMENT) + 1):
        if tokens[at: at + len(LANGUAGE_ARGUMENT)] == LANGUAGE_ARGUMENT:
            start = at - 1 if tokens[at - 1] == (tokenize.OP, ",") else at
            return tokens[:start] + tokens[at + len(LANGUAGE_ARGUMENT):]
    return tokens


def stream_lines(nb):
    """Every line the notebook's code cells printed (stream outputs)."""
    return [line for cell in nb.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
            if output.get("output_type") == "stream" for line in output.text.split("\n")]


def test_the_committed_chinese_edition_is_complete_and_in_sync():
    problems = translate.sync_problems()
    assert not problems, "\n".join(problems[:40]) + "\nrun: python -m tools.translate (after translating)"


def test_every_chapter_and_solutions_notebook_has_a_chinese_edition():
    chapters = sorted(p.name for p in (ROOT / translate.LANGUAGE / "notebooks").glob("*.ipynb"))
    solutions = sorted(p.name for p in (ROOT / translate.LANGUAGE / "solutions").glob("*.ipynb"))
    assert chapters == [p.name for p in CHAPTERS]
    assert solutions == sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
def test_chinese_notebooks_have_the_english_code_and_outputs(folder):
    """Only prose (and comments) differ, and two things the Chinese checkers need: the set-up cell's call passes
    `language="zh-CN"`, and the checkers' verdict lines read as they print them in Chinese (the English output
    through translate.translated_outputs, nothing else changed). So nbval's run of the English notebooks checks
    the Chinese ones too."""
    for zh_path in sorted((ROOT / translate.LANGUAGE / folder).glob("*.ipynb")):
        en = nbformat.read(ROOT / folder / zh_path.name, as_version=4)
        zh = nbformat.read(zh_path, as_version=4)
        assert [c.cell_type for c in zh.cells] == [c.cell_type for c in en.cells], zh_path.name
        setup = next(index for index, c in enumerate(en.cells) if c.cell_type == "code")
        for index, (a, b) in enumerate(zip(en.cells, zh.cells)):
            if a.cell_type != "code":
                continue
            assert b.outputs == translate.translated_outputs(a.outputs), \
                f"{zh_path.name} cell {index}: outputs differ from the English (verdict lines aside)"
            tokens = translate.code_tokens(b.source)
            if index == setup:
                assert LANGUAGE_ARGUMENT[0] not in translate.code_tokens(a.source), f"{zh_path.name}: English set-up"
                assert without_the_language_argument(tokens) != tokens, f"{zh_path.name}: no language= in the set-up"
                tokens = without_the_language_argument(tokens)
            assert tokens == translate.code_tokens(a.source), f"{zh_path.name} cell {index}"
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


# --- the set-up cell's language and the checkers' verdicts in the Chinese edition ---------------------------


@pytest.mark.parametrize("english, chinese", [
    ("setup_notebook()", 'setup_notebook(language="zh-CN")'),
    ("setup_notebook(threads=1)  # tiny models, one thread", 'setup_notebook(threads=1, language="zh-CN")  # tiny models, one thread'),
    ("setup_notebook(seed=3,)", 'setup_notebook(seed=3, language="zh-CN")'),
    ('setup_notebook(language="en")  # 中文', 'setup_notebook(language="zh-CN")  # 中文'),
])
def test_the_chinese_set_up_call_carries_its_language_once(english, chinese):
    assert colab.setup_call(english, "zh-CN") == chinese
    assert colab.setup_call(chinese, "zh-CN") == chinese  # stamping twice changes nothing
    assert colab.setup_call(english, "en") == english  # the English edition as it is
    with pytest.raises(ValueError, match="not one setup_notebook"):
        colab.setup_call("print('set up')", "zh-CN")


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
def test_every_committed_verdict_reads_in_chinese_in_the_chinese_edition(folder):
    """Each verdict line the English notebooks' outputs hold has a Chinese line (the checkers' own tables say
    it), and the Chinese edition holds no English verdict: a learner sees what the checker prints when they run
    the cell."""
    verdicts = 0
    for en_path in sorted((ROOT / folder).glob("[0-9][0-9]_*.ipynb")):
        english = [line for line in stream_lines(nbformat.read(en_path, as_version=4)) if ENGLISH_VERDICT.match(line)]
        for line in english:
            chinese = exercises.verdict_in_language(line, translate.LANGUAGE)
            assert chinese is not None and chinese != line, f"{en_path.name}: no Chinese for {line!r}"
            assert chinese.startswith(line[:line.index("]") + 1] + " 练习 "), chinese
        verdicts += len(english)
        zh = nbformat.read(ROOT / translate.LANGUAGE / folder / en_path.name, as_version=4)
        left = [line for line in stream_lines(zh) if ENGLISH_VERDICT.match(line)]
        assert not left, f"{translate.LANGUAGE}/{folder}/{en_path.name} shows English verdicts: {left}"
    assert verdicts >= len(CHAPTERS)  # the notebooks' template cells, the solutions' passes: some are there


def _recorded_checks(module) -> list:
    """Every Check a chapter's checkers build (run_check replaced by a recorder, as in test_checker_messages)."""
    built = []

    def record(fn, check, *, print_verdict=False):
        built.append(check)
        return exercises.Verdict(check.exercise, "try again", "recorded", reason="differs")

    def my_answer(*args, **kwargs):
        return 0

    original, module.run_check = module.run_check, record
    try:
        for name in [name for name in module.__all__ if name.startswith("check_")]:
            getattr(module, name)(my_answer, print_verdict=False)
    finally:
        module.run_check = original
    return built


@pytest.mark.parametrize("chapter", [f"ch{number:02d}" for number in range(len(CHAPTERS))])
def test_a_verdict_translates_to_what_the_checker_prints_in_chinese(chapter, monkeypatch):
    """verdict_in_language(English line) is, character for character, the line the checker prints under
    COURSE_LANGUAGE=zh-CN: for the standard answers (nothing, a value, the template, an exception, answers of
    the wrong kind, with the chapter hooks they reach) and for a pass (the reference itself)."""
    module = importlib.import_module(f"course_lib.exercises.{chapter}")


    def both(run) -> tuple[str, str]:
        monkeypatch.setenv("COURSE_LANGUAGE", "en")
        english = str(run())
        monkeypatch.setenv("COURSE_LANGUAGE", translate.LANGUAGE)
        return english, str(run())

    runs = [functools.partial(getattr(module, name), answer, print_verdict=False)
            for name in module.__all__ if name.startswith("check_")
            for answer in STANDARD_ANSWERS]
    runs += [functools.partial(exercises.run_check, check.reference, check) for check in _recorded_checks(module)]
    passes = 0
    for run in runs:
        english, chinese = both(run)
        assert exercises.verdict_in_language(english, translate.LANGUAGE) == chinese, english
        passes += english.startswith("[PASS]")
    assert passes, f"{chapter}: no pass was checked"


def test_other_lines_stay_and_an_unknown_verdict_is_reported(tmp_path):
    """Only verdict lines change; one no table says stays English, and the generated notebook names it."""
    unknown = "[PASS] Exercise 2.1: your answer is lovely."
    other = ["loss 0.6931", "[PASS] Exercise 2.1 was here", "Exercise 2.1: a note", ""]
    for line in other:
        assert exercises.verdict_in_language(line, translate.LANGUAGE) == line
    assert exercises.verdict_in_language(unknown, translate.LANGUAGE) is None
    known = "[NOT YET] Exercise 2.1: `my_mlm_loss` is still the empty template. Replace the `...` with your code and " \
            "run the cell again."
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("check(fn)", id="cccc3333")]
    text = "\n".join([other[0], known, unknown, ""])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=text),
                           nbformat.v4.new_output("execute_result", data={"text/plain": known}, execution_count=1)]
    outputs = translate.translated_outputs(nb.cells[0].outputs)
    assert outputs[0].text.split("\n") == [other[0], "[NOT YET] 练习 2.1：`my_mlm_loss` 还是空模板。把 `...` 换成你的代码，"
                                          "然后重新运行这个单元格。", unknown, ""]
    assert outputs[1] == nb.cells[0].outputs[1] and nb.cells[0].outputs[0].text == text  # the English kept
    nb.cells[0].outputs = outputs
    assert translate.english_verdicts(nb) == [f"cell cccc3333: {unknown}"]
