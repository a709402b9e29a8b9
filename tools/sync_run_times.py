"""One source for how long each chapter takes: ``docs/run_times.json``, copied everywhere a time is printed.

    python -m tools.sync_run_times            # rewrite every place below from docs/run_times.json
    python -m tools.sync_run_times --check    # exit 1, naming each place that disagrees with it

The file holds, per chapter, the minutes a learner needs to read it (and, where the chapter says so, to do its
exercises), set by hand, and the seconds the notebook takes to run from a fresh kernel, measured:
``python -m tools.run_notebooks --out build/course --record-times notebooks`` writes them (wall and kernel CPU
seconds, with the date, the machine's cores and its load). The places that print them:

- each notebook's ``**Time:**`` line (first cell) and its Chinese entry in ``translations/zh-CN/``;
- the chapter table of ``00_welcome`` (reading minutes), in both languages;
- the session plan of ``docs/TEACHING.md`` and ``docs/TEACHING.zh-CN.md`` (reading minutes, run seconds).

``tools/build_site.py`` reads the file itself for the site's index. A Chinese entry whose English cell this tool
rewrites gets the new English hash only if it was up to date before (a stale translation stays stale).
``--only 00,01`` limits the notebooks and translations rewritten to those chapters (the docs are always checked).
After a rewrite, run ``python -m tools.translate`` to regenerate ``zh-CN/``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TIMES = Path("docs/run_times.json")

HEADER = {"en": re.compile(r"^\*\*Time:\*\*.*$", re.M), "zh": re.compile(r"^\*\*时间：\*\*.*$", re.M)}
# A row of 00's chapter table: | 05 | sequence_classification | what you will do | 30 min |
TABLE_ROW = {"en": re.compile(r"^(\| (\d\d) \| \w+ \| .* \| )\d+ min \|$", re.M),
             "zh": re.compile(r"^(\| (\d\d) \| \w+ \| .* \| )\d+ 分钟 \|$", re.M)}
# A row of TEACHING's session plan: | 1 | 00 welcome, 01 bert_backbone | 15 + 40 min | 5 s + 10 s | in class |
PLAN_ROW = re.compile(r"^(\| \d+ \| )((?:\d\d \w+(?:, |、)?)+)( \| )[^|]+( \| )[^|]+( \| .*\|)$", re.M)
UNITS = {"en": ("min", "s"), "zh": ("分钟", "秒")}


def load(root: Path = ROOT) -> dict[str, dict]:
    """{chapter stem: entry} from docs/run_times.json, checked: a clear ValueError names what is wrong."""
    path = root / TIMES
    data = json.loads(path.read_text(encoding="utf-8"))
    chapters = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(chapters, dict) or not chapters:
        raise ValueError(f"{path}: expected {{'chapters': {{'NN_slug': {{...}}, ...}}}}")
    for name, entry in chapters.items():
        if not re.fullmatch(r"\d\d_\w+", name):
            raise ValueError(f"{path}: chapter {name!r} is not a notebook stem like '05_sequence_classification'")
        for key in ("reading_minutes", "run_seconds"):
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{path}: {name}.{key} must be a positive number, got {value!r}")
        exercises = entry.get("exercise_minutes")
        if exercises is not None and (isinstance(exercises, bool) or not isinstance(exercises, int) or exercises <= 0):
            raise ValueError(f"{path}: {name}.exercise_minutes must be a positive integer or null, got {exercises!r}")
    return chapters


def save_measurements(measured: dict[str, dict], root: Path = ROOT) -> None:
    """Write measured run times ({stem: {"run_seconds", "cpu_seconds", "measured"}}) into docs/run_times.json,
    keeping each chapter's reading and exercise minutes (a new chapter gets reading_minutes null: set it)."""
    path = root / TIMES
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"chapters": {}}
    for name, values in measured.items():
        entry = data["chapters"].setdefault(name, {"reading_minutes": None, "exercise_minutes": None})
        entry.update(values)
    data["chapters"] = dict(sorted(data["chapters"].items()))
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def shown_seconds(entry: dict) -> int:
    """The run time as printed: to the nearest 5 s, at least 5 s."""
    return max(5, 5 * round(entry["run_seconds"] / 5))


def time_text(entry: dict, language: str = "en") -> str:
    """What follows ``**Time:**`` in a chapter's first cell (also the site index's time line)."""
    minutes, exercises, seconds = entry["reading_minutes"], entry.get("exercise_minutes"), shown_seconds(entry)
    if language == "en":
        extra = f", plus {exercises} for the exercises" if exercises else ""
        return f"about {minutes} minutes{extra} (about {seconds} s to run on a 2-core laptop CPU)"
    extra = f"，练习另需 {exercises} 分钟" if exercises else ""
    return f"约 {minutes} 分钟{extra}（在 2 核普通电脑 CPU 上运行约 {seconds} 秒）"


def header_line(entry: dict, language: str) -> str:
    return ("**Time:** " if language == "en" else "**时间：** ") + time_text(entry, language)


def _line(pattern: re.Pattern, line: str, text: str) -> str:
    """``text`` with the first line that matches ``pattern`` replaced by ``line``."""
    return pattern.sub(lambda _: line, text, count=1)


def chapter_table(text: str, times: dict[str, dict], language: str) -> str:
    """00's chapter table with each row's minutes from ``times``."""
    by_number = {name[:2]: entry for name, entry in times.items()}
    unit = UNITS[language][0]

    def row(m: re.Match) -> str:
        entry = by_number.get(m.group(2))
        return m.group(0) if entry is None else f"{m.group(1)}{entry['reading_minutes']} {unit} |"

    return TABLE_ROW[language].sub(row, text)


def session_plan(text: str, times: dict[str, dict], language: str) -> str:
    """TEACHING's session plan with the reading and run columns from ``times``."""
    by_number = {name[:2]: entry for name, entry in times.items()}
    minute, second = UNITS[language]

    def row(m: re.Match) -> str:
        entries = [by_number.get(n) for n in re.findall(r"(\d\d) \w+", m.group(2))]
        if None in entries:
            return m.group(0)
        reading = " + ".join(str(e["reading_minutes"]) for e in entries) + f" {minute}"
        run = " + ".join(f"{shown_seconds(e)} {second}" for e in entries)
        return f"{m.group(1)}{m.group(2)}{m.group(3)}{reading}{m.group(4)}{run}{m.group(5)}"

    return PLAN_ROW.sub(row, text)


def _entry_span(text: str, cell_id: str) -> tuple[int, int, re.Match] | None:
    """Where a translation file's entry for ``cell_id`` lies: (start of body, end of body, its header match)."""
    heads = list(re.finditer(r"^<!-- cell (\S+) en ([0-9a-f]+) -->[ \t]*$", text, re.M))
    for head, nxt in zip(heads, heads[1:] + [None]):
        if head.group(1) == cell_id:
            return head.end(), nxt.start() if nxt else len(text), head
    return None


def _rewrite_translation(text: str, cell_id: str, old_en: str, new_en: str, rewrite) -> str:
    """Rewrite one entry's body with ``rewrite``; move its English hash along if it matched ``old_en``."""
    # imported here: translate pulls in colab, which reads course_lib's version, and build_site and run_notebooks
    # (which import this module for the times) must work in a folder without course_lib
    from tools.translate import english_hash

    span = _entry_span(text, cell_id)
    if span is None:
        return text
    start, end, head = span
    text = text[:start] + rewrite(text[start:end]) + text[end:]
    if head.group(2) == english_hash(old_en):
        text = text[:head.start(2)] + english_hash(new_en) + text[head.end(2):]
    return text


def planned_files(root: Path = ROOT, only: set[str] | None = None) -> dict[Path, str]:
    """{file: its text as it should be}, for every file whose text depends on docs/run_times.json."""
    times = load(root)
    files: dict[Path, str] = {}
    for name, entry in times.items():
        if only is not None and name[:2] not in only:
            continue
        notebook, translation = root / "notebooks" / f"{name}.ipynb", root / "translations" / "zh-CN" / f"{name}.md"
        if not notebook.exists():
            raise ValueError(f"docs/run_times.json names {name}, but {notebook.relative_to(root)} does not exist")
        nb = nbformat.read(notebook, as_version=4)
        if not HEADER["en"].search(nb.cells[0].source):
            raise ValueError(f"{notebook.relative_to(root)}: the first cell has no '**Time:**' line")
        zh = translation.read_text(encoding="utf-8") if translation.exists() else ""
        edits = [(nb.cells[0], lambda s, e=entry: _line(HEADER["en"], header_line(e, "en"), s),
                  lambda s, e=entry: _line(HEADER["zh"], header_line(e, "zh"), s))]
        if name.startswith("00_"):
            table = next(c for c in nb.cells if c.cell_type == "markdown" and TABLE_ROW["en"].search(c.source))
            edits.append((table, lambda s: chapter_table(s, times, "en"), lambda s: chapter_table(s, times, "zh")))
        for cell, english, chinese in edits:
            old = cell.source
            cell.source = english(old)
            zh = _rewrite_translation(zh, cell.id, old, cell.source, chinese)
        text = nbformat.writes(nb)
        files[notebook] = text if text.endswith("\n") else text + "\n"  # as nbformat.write saves it
        if translation.exists():
            files[translation] = zh
    for doc, language in (("TEACHING.md", "en"), ("TEACHING.zh-CN.md", "zh")):
        path = root / "docs" / doc
        files[path] = session_plan(path.read_text(encoding="utf-8"), times, language)
    return files


def differences(root: Path = ROOT, only: set[str] | None = None) -> list[str]:
    """The files whose text disagrees with docs/run_times.json, with the first line that differs."""
    found = []
    for path, wanted in planned_files(root, only).items():
        current = path.read_text(encoding="utf-8")
        if current != wanted:
            line = next((f"{a.strip()!r} should be {b.strip()!r}" for a, b in zip(current.splitlines(),
                         wanted.splitlines()) if a != b), "")
            found.append(f"{path.relative_to(root)}: {line}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a place disagrees")
    parser.add_argument("--only", help="comma-separated chapter numbers whose notebooks and translations to handle")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)  # a copy of the course, for tests
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    only = set(args.only.split(",")) if args.only else None
    if args.check:
        found = differences(root, only)
        for line in found:
            print(line)
        if found:
            print(f"{len(found)} file(s) disagree with {TIMES}: run python -m tools.sync_run_times")
        return 1 if found else 0
    changed = 0
    for path, wanted in planned_files(root, only).items():
        if path.read_text(encoding="utf-8") != wanted:
            path.write_text(wanted, encoding="utf-8")
            changed += 1
            print("rewrote", path.relative_to(root))
    print(f"{changed} file(s) rewritten from {TIMES}" + ("; now run python -m tools.translate" if changed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
