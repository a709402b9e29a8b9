"""The exercise checkers speak every course language: each English sentence a learner may read has a
translation in that language's table (course_lib/exercises/messages_zh_CN.json), made from the current English.

The English sentences are found by walking the code, not listed here: the framework's ``MESSAGES``, each
chapter module's ``MESSAGES`` (what its hooks say about an answer), and the texts of every ``Check`` each
chapter's checkers build (what it names, its labels, its pass message, its hints: ``Check.texts()``), caught
by running each checker once with ``run_check`` replaced by a recorder. Then, for every language but English:

- every sentence has an entry, and the entry translates the English as it is now (its stored "en" is the
  English: an entry whose English changed is stale), with the same ``{placeholders}`` and the same `code`;
- no entry is left over (an orphan: its English is gone);
- the Chinese uses the glossary's terms (docs/glossary.zh-CN.md), and keeps no English sentence untranslated;
- with COURSE_LANGUAGE=zh-CN a wrong answer gets the Chinese hint under the English tag, and without it the
  English line is byte for byte what it was; every checker's standard answers (nothing, a value, the template,
  an exception, answers of the wrong kind) come out in Chinese, chapter hooks included.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import json
import os
import re
import string
import subprocess
import sys
from collections import Counter

import pytest
import torch.nn.functional as F

import course_lib.exercises as exercises
from course_lib.notebook.setup import LANGUAGES, course_language, setup_notebook
from helpers import STANDARD_ANSWERS

CHAPTERS = [f"ch{chapter:02d}" for chapter in range(12)]
MODULES = {chapter: importlib.import_module(f"course_lib.exercises.{chapter}") for chapter in CHAPTERS}
TRANSLATED = [language for language in LANGUAGES if language != "en"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def my_answer(*args, **kwargs):
    return 0  # not the template: the checker builds its Check and calls run_check with it


@functools.cache
def chapter_checks(chapter: str) -> tuple[exercises.Check, ...]:
    """Every Check the chapter's checkers build, caught by running each checker with run_check replaced."""
    module, built = MODULES[chapter], []

    def record(fn, check, *, print_verdict=False):
        built.append(check)
        return exercises.Verdict(check.exercise, "try again", "recorded", reason="differs")

    original = module.run_check
    module.run_check = record
    try:
        for name in module.__all__:
            if name.startswith("check_"):
                getattr(module, name)(my_answer, print_verdict=False)
    finally:
        module.run_check = original
    return tuple(built)


@functools.cache
def english() -> dict[str, dict[str, dict[str, str]]]:
    """{group: {"messages": {key: English}, "texts": {text_key: English}}}, from the code."""
    found = {exercises.FRAMEWORK: {"messages": dict(exercises.MESSAGES)}}
    for chapter in CHAPTERS:
        texts = [text for check in chapter_checks(chapter) for text in check.texts()]
        found[chapter] = {"messages": dict(getattr(MODULES[chapter], "MESSAGES", {})),
                          "texts": {exercises.text_key(text): text for text in texts}}
        assert len(found[chapter]["texts"]) == len(set(texts)), f"{chapter}: two texts share a key"
    return found


def placeholders(template: str) -> Counter:
    """The ``{field!conversion:spec}`` of a str.format template, counted."""
    return Counter((field, conversion, spec) for _, field, spec, conversion in string.Formatter().parse(template)
                   if field is not None)


def code_spans(text: str) -> Counter:
    return Counter(re.findall(r"`[^`]+`", text))


def table_entries(language: str):
    """(group, section, key, entry) for every entry of ``language``'s table, as stored on disk."""
    table = json.loads(exercises.table_path(language).read_text(encoding="utf-8"))
    assert table.get("language") == language
    for group, sections in table.items():
        if group in ("language", "about"):
            continue
        assert group in english(), f"{language}: group {group!r} is neither the framework nor a chapter"
        for section, entries in sections.items():
            assert section in ("messages", "texts"), f"{language}: {group} has a section {section!r}"
            for key, entry in entries.items():
                yield group, section, key, entry


def todo(language: str, group: str, section: str, key: str, text: str) -> str:
    """A missing or stale entry, as the JSON to paste into the table (and translate)."""
    return f'{group}/{section}: {json.dumps({key: {"en": text, language: ""}}, ensure_ascii=False)}'


def stale(language: str, entry: dict, group: str, section: str, key: str, text: str) -> str:
    return (f"stale (the English changed): {todo(language, group, section, key, text)}\n"
            f"    it was: {entry.get('en')!r}\n    translated: {entry.get(language)!r}")


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_english_sentence_has_a_translation_made_from_it(language):
    stored = {(group, section, key): entry for group, section, key, entry in table_entries(language)}
    problems = []
    for group, sections in english().items():
        for section, sentences in sections.items():
            # A text's key is its hash, so a changed text has a new key: its old entry is the closest orphan.
            orphans = {entry["en"]: entry for (g, s, k), entry in stored.items()
                       if (g, s) == (group, section) and k not in sentences and "en" in entry}
            for key, text in sentences.items():
                entry = stored.get((group, section, key))
                if entry is not None and entry.get(language) and entry.get("en") == text:
                    continue
                was = difflib.get_close_matches(text, orphans, n=1, cutoff=0.6) if entry is None else []
                if entry is not None and entry.get("en") != text:
                    problems.append(stale(language, entry, group, section, key, text))
                elif was:
                    problems.append(stale(language, orphans[was[0]], group, section, key, text))
                else:
                    problems.append("missing: " + todo(language, group, section, key, text))
    assert not problems, f"{len(problems)} sentences of the checkers lack a current {language} translation " \
                         f"({exercises.table_path(language).name}):\n" + "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_no_entry_is_left_over(language):
    orphans = [f"{group}/{section}/{key}: {entry.get('en')!r}" for group, section, key, entry in table_entries(language)
               if key not in english()[group].get(section, {})]
    assert not orphans, "entries whose English no longer exists in the code (delete them, or re-key them):\n" \
                        + "\n".join(orphans)


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_translation_keeps_the_placeholders_and_the_code(language):
    problems = []
    for group, section, key, entry in table_entries(language):
        english, translated = entry.get("en", ""), entry.get(language, "")
        if section == "messages" and placeholders(english) != placeholders(translated):
            problems.append(f"{group}/{key}: placeholders {sorted(placeholders(english))} became "
                            f"{sorted(placeholders(translated))}")
        if code_spans(english) != code_spans(translated):
            problems.append(f"{group}/{section}/{key}: `code` {sorted(code_spans(english))} became "
                            f"{sorted(code_spans(translated))}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_a_sentence_in_english_words_is_translated(language):
    """An entry may keep the English where there is nothing to translate ("B=4, T=12"), never a sentence."""
    prose = re.compile(r"\b(?:the|a|an|of|with|and|is|are|to|in|on|not|your|you|it|its|one|each)\b")
    copied = [f"{group}/{section}/{key}: {entry['en']!r}" for group, section, key, entry in table_entries(language)
              if not CJK.search(entry.get(language, "")) and prose.search(entry["en"])]
    assert not copied, "English left in place of a translation:\n" + "\n".join(copied)


def test_the_chinese_uses_the_glossary_terms():
    pytest.importorskip("nbformat", reason="tools.translate (the glossary reader) needs nbformat")
    from tools import translate

    found = []
    for group, section, key, entry in table_entries("zh-CN"):
        for row in translate.glossary():
            found += [f"{group}/{section}/{key}: {variant!r} (the glossary says {row['chinese']!r})"
                      for variant in row["avoid"] if variant in entry["zh-CN"]]
    assert not found, "\n".join(found)


def test_every_checker_builds_its_checks_and_every_chapter_has_texts():
    built = {chapter: [check.exercise for check in chapter_checks(chapter)] for chapter in CHAPTERS}
    checkers = {chapter: [getattr(MODULES[chapter], name).exercise for name in MODULES[chapter].__all__
                          if name.startswith("check_")] for chapter in CHAPTERS}
    assert built == checkers  # one Check per checker, so no checker's texts are missed
    assert sum(len(english()[chapter]["texts"]) for chapter in CHAPTERS) > 300


# --- choosing the language ----------------------------------------------------------------------


def test_the_language_comes_from_the_variable(monkeypatch):
    monkeypatch.delenv("COURSE_LANGUAGE", raising=False)
    assert exercises.current_language() == "en"
    for spelling in ("zh-CN", "zh_CN", "ZH-cn"):
        monkeypatch.setenv("COURSE_LANGUAGE", spelling)
        assert exercises.current_language() == "zh-CN"
    monkeypatch.setenv("COURSE_LANGUAGE", "en")
    assert exercises.current_language() == "en"


def test_the_chinese_set_up_cell_makes_the_checkers_answer_in_chinese():
    """The line the Chinese edition's set-up cell calls, in a fresh interpreter (setup_notebook also seeds, sets
    print options and the plot style: not in this test process)."""
    cell = ("from course_lib.notebook import setup_notebook\n"
            "setup_notebook(language='zh-CN')\n"
            "from course_lib.exercises.ch02 import check_mlm_loss\n"
            "check_mlm_loss(None)\n")
    environment = {name: value for name, value in os.environ.items() if name != "COURSE_LANGUAGE"}
    done = subprocess.run([sys.executable, "-c", cell], capture_output=True, text=True, env=environment, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[NOT YET] 练习 2.1：没有可检查的内容：请定义函数 `my_mlm_loss`，再把它传给检查函数。\n"


def test_an_unknown_language_is_refused_by_name(monkeypatch):
    monkeypatch.delenv("COURSE_LANGUAGE", raising=False)
    with pytest.raises(ValueError, match=r"language='klingon' is not a course language; the course speaks en, zh-CN"):
        setup_notebook(language="klingon")
    assert "COURSE_LANGUAGE" not in os.environ  # refused before anything was set
    monkeypatch.setenv("COURSE_LANGUAGE", "fr")
    with pytest.raises(ValueError, match="COURSE_LANGUAGE='fr'"):
        course_language()


def test_a_checker_under_an_unknown_language_warns_and_answers_in_english(monkeypatch):
    monkeypatch.setenv("COURSE_LANGUAGE", "fr")
    exercises._warn_unknown_language.cache_clear()
    with pytest.warns(UserWarning, match="COURSE_LANGUAGE='fr' is not a course language"):
        verdict = MODULES["ch02"].check_mlm_loss(None, print_verdict=False)
    assert str(verdict).startswith("[NOT YET] Exercise 2.1: nothing to check")


# --- what the learner sees ----------------------------------------------------------------------


def mean_over_all_positions(logits, labels):
    """Exercise 2.1's classic mistake: the -100 positions counted in the mean."""
    return F.cross_entropy(logits.transpose(1, 2), labels, reduction="none").mean()


ENGLISH_LINE = ("[TRY AGAIN] Exercise 2.1: your loss counts the -100 positions. Positions labelled -100 add nothing "
                "to the sum *and* must not be counted in the average: divide by the number of scored positions, not "
                "by all B x T positions (`F.cross_entropy(..., ignore_index=-100)` does exactly that).\n")


def test_a_wrong_answer_gets_the_english_line_by_default(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_LANGUAGE", raising=False)
    verdict = MODULES["ch02"].check_mlm_loss(mean_over_all_positions)
    assert capsys.readouterr().out == ENGLISH_LINE
    assert verdict.reason == "known mistake"


def test_a_wrong_answer_gets_the_chinese_hint_under_the_english_tag(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    verdict = MODULES["ch02"].check_mlm_loss(mean_over_all_positions)
    out = capsys.readouterr().out
    english_hint = MODULES["ch02"]._MLM_DIAGNOSES[0].hint  # "your loss counts the -100 positions. ..."
    hint = exercises.message_table("zh-CN")["ch02"]["texts"][exercises.text_key(english_hint)]["zh-CN"]
    assert out == f"[TRY AGAIN] 练习 2.1：{hint}\n"
    assert out.startswith("[TRY AGAIN] 练习 2.1：你的损失把 -100 的位置也算了进去。") and english_hint not in out
    assert "`F.cross_entropy(..., ignore_index=-100)`" in out  # code stays code
    assert verdict.status == "try again" and verdict.reason == "known mistake" and not verdict


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_in_chinese_no_checker_falls_back_to_english(chapter, monkeypatch):
    """The standard answers (nothing, a value, the template, an exception; None, a str, a 0-d tensor) and the
    chapter hooks they reach (an answer of the wrong form) all answer in Chinese, tags aside."""
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    english_run = re.compile(r"\b[a-z]{2,}(?: [a-z]{2,}){3,}\b")  # four English words in a row: a sentence


    module = MODULES[chapter]
    for name in [name for name in module.__all__ if name.startswith("check_")]:
        # (a 0-d tensor once reached len() in chapter 8's form check: a traceback instead of a verdict)
        for answer in STANDARD_ANSWERS:
            verdict = getattr(module, name)(answer, print_verdict=False)
            line = str(verdict)
            assert line.startswith(f"[{verdict.status.upper()}] 练习 {verdict.exercise}："), line
            assert CJK.search(verdict.message), line
            readable = re.sub(r"`[^`]*`|'[^']*'|\"[^\"]*\"|ZeroDivisionError: division by zero", "", verdict.message)
            assert not english_run.search(readable), f"English left in: {line}"


def test_a_stale_entry_is_never_shown(monkeypatch):
    """An entry made from other English (here: the hint changed after it was translated) gives the English."""
    monkeypatch.setenv("COURSE_LANGUAGE", "zh-CN")
    table = exercises.message_table("zh-CN")
    entry = table["ch02"]["texts"][exercises.text_key(MODULES["ch02"]._MLM_DIAGNOSES[0].hint)]
    monkeypatch.setitem(entry, "en", entry["en"] + " (an older wording)")
    verdict = MODULES["ch02"].check_mlm_loss(mean_over_all_positions, print_verdict=False)
    assert str(verdict) == "[TRY AGAIN] 练习 2.1：" + ENGLISH_LINE.split(": ", 1)[1].rstrip("\n")
