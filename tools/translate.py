"""The Chinese edition, generated from the English notebooks plus one translation file per chapter.

The English notebooks are the one source of truth. ``translations/zh-CN/NN_slug.md`` holds the
Simplified Chinese text of every markdown cell of ``notebooks/NN_slug.ipynb`` (and, where a code comment
teaches, of a code cell), one entry per cell:

    <!-- cell 1bad0e63 en 3f09c2d1a4 -->
    ## 1. 一个矩阵，两个名字
    ...

``1bad0e63`` is the English cell's id and ``3f09c2d1a4`` the start of the sha256 of its English source (with
the Colab badge and the course base address taken out, so a change of repository leaves the hashes alone).
When an English cell changes, its hash changes and the entry is *stale*: ``--check`` fails and names it.

The generated notebooks (``zh-CN/notebooks/`` and ``zh-CN/solutions/``) have the English notebook's code
cells, outputs and metadata as they are, and the translated prose: nbval needs no second run, and the
site shows the same numbers in both languages. A translated code cell may differ from the English one in its
comments only (checked token by token). The badge and set-up cell are stamped by ``tools/colab.py`` (whose
set-up call passes ``language="zh-CN"``, so the exercise checkers answer in Chinese); so the one change to the
outputs is the checkers' verdict lines, as the checker prints them in Chinese (``translated_text``: the
checkers' own tables, course_lib/exercises/messages_zh_CN.json; a verdict they cannot say fails ``--check``).

    python -m tools.translate                 # write zh-CN/ from notebooks/, solutions/ and translations/
    python -m tools.translate --check         # exit 1 if a translation is missing or stale, or zh-CN/ differs
    python -m tools.translate --todo NN       # print the English cells of chapter NN still to translate
    python -m tools.translate --todo NN --with-code   # ... and its code cells with comments
    python -m tools.translate --skeleton NN   # start translations/zh-CN/NN_*.md with the English text to replace
    python -m tools.translate --from DIR --out DIR2   # translate executed copies (make course)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import sys
import tokenize
from pathlib import Path

import nbformat

from tools import (
    colab,  # the badge, the set-up cell, pictures and course links
    make_solutions,  # the solutions notebooks' header cell
    output_folder,  # an --out folder other than the checkout must be the tools' own
)

ROOT = Path(__file__).resolve().parent.parent
LANGUAGE = "zh-CN"
TRANSLATIONS = ROOT / "translations" / LANGUAGE
EDITION = ROOT / LANGUAGE  # zh-CN/notebooks, zh-CN/solutions
HASH_LENGTH = 10
ENTRY_RE = re.compile(r"^<!-- cell (\S+) en ([0-9a-f]+) -->[ \t]*$", re.M)
# The solutions notebook's generated first cell, in Chinese (make_solutions.py writes the English one).
SOLUTIONS_HEADER = (
    "# {title} · 参考答案\n\n"
    "[{stem}](../notebooks/{name}) 各练习的参考答案。请先自己动手做每道练习：检查函数会告诉你哪里不对，"
    "所以参考答案最有用的时候是在你尝试之后。\n\n"
    "本笔记本由 `tools/make_solutions.py` 和 `tools/translate.py` 从章节笔记本和 `classroom/answers/{stem}.py` "
    "生成；请修改它们，不要修改这个文件。"
)


GLOSSARY = ROOT / "docs" / f"glossary.{LANGUAGE}.md"
# How far after a term's first use its English may open in brackets ("词元分类（token classification）" for 词元).
BRACKET_WITHIN = 12


class TranslationError(ValueError):
    """A translation file that cannot be used as it is (the message names the file and the cell)."""


def english_key(source: str) -> str:
    """The part of an English cell that its translation depends on: without the Colab badge line and
    with every course address written the same way, so re-stamping the English leaves the hash alone."""
    lines = [ln for ln in source.split("\n") if not colab.BADGE_RE.match(ln)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return colab.COURSE_LINK_RE.sub(lambda m: f"](COURSE/{m.group(1)}/", text)


def course_links(text: str) -> str:
    """A translation may keep a course link as --todo prints it, `](COURSE/notebooks/...)`: make it a link
    that stamping turns into the course address of the translated edition."""
    return text.replace("](COURSE/", "](../")


def english_hash(source: str) -> str:
    return hashlib.sha256(english_key(source).encode("utf-8")).hexdigest()[:HASH_LENGTH]


def translation_file(chapter: Path) -> Path:
    return TRANSLATIONS / f"{chapter.stem}.md"


def read_translations(path: Path) -> dict[str, tuple[str, str]]:
    """{cell id: (English hash, translated source)} from one translation file."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8")
    heads = list(ENTRY_RE.finditer(text))
    if text[: heads[0].start() if heads else len(text)].strip():
        raise TranslationError(f"{path.name}: text before the first '<!-- cell ID en HASH -->' line")
    entries = {}
    for head, nxt in zip(heads, heads[1:] + [None]):
        body = text[head.end(): nxt.start() if nxt else len(text)].strip("\n").rstrip()
        cell_id = head.group(1)
        if cell_id in entries:
            raise TranslationError(f"{path.name}: cell {cell_id} is translated twice")
        entries[cell_id] = (head.group(2), body)
    return entries


def code_tokens(source: str) -> list[tuple[int, str]]:
    """The code of a cell without its comments (and without the blank lines they may leave), to check that
    a translated code cell changes comments only. Cells tokenize as Python (IPython magics: compared by line)."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        skip = (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
        return [(t.type, t.string) for t in tokens if t.type not in skip]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        stripped = (re.sub(r"\s+#.*$|^\s*#.*$", "", ln) for ln in source.splitlines())
        return [(0, ln) for ln in stripped if ln.strip()]


def has_comments(source: str) -> bool:
    """Whether a code cell has a comment to translate (a "#" inside a string, like a colour, is not one)."""
    try:
        return any(t.type == tokenize.COMMENT for t in tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "#" in source


def problems_for(chapter: Path) -> list[str]:
    """What keeps one chapter's translation from being complete and current."""
    nb = nbformat.read(chapter, as_version=4)
    path = translation_file(chapter)
    try:
        entries = read_translations(path)
    except TranslationError as error:
        return [str(error)]
    found = []
    ids = {c.id for c in nb.cells}
    for cell in nb.cells:
        entry = entries.get(cell.id)
        if cell.cell_type == "markdown" and entry is None:
            found.append(f"{path.name}: cell {cell.id} is not translated (python -m tools.translate --todo {chapter.stem[:2]})")
            continue
        if entry is None:
            continue
        if entry[0] != english_hash(cell.source):
            found.append(f"{path.name}: cell {cell.id} is stale: its English changed since it was translated "
                         f"(hash {entry[0]} -> {english_hash(cell.source)}); update the text and the hash")
        elif cell.cell_type == "markdown" and entry[1].strip() == english_key(cell.source):
            found.append(f"{path.name}: cell {cell.id} still holds the English text")
        elif cell.cell_type == "markdown":
            found += emphasis_problems(path.name, cell.id, entry[1])
        elif cell.cell_type == "code" and code_tokens(entry[1]) != code_tokens(cell.source):
            found.append(f"{path.name}: cell {cell.id} is a code cell whose translation changes code, not only comments")
    if entries:  # the glossary applies to what has been translated
        found += glossary_problems(path.name, "\n\n".join(text for _, text in entries.values()))
    for cell_id in entries:
        if cell_id not in ids:
            found.append(f"{path.name}: cell {cell_id} no longer exists in {chapter.name}: remove its entry")
    return found


def _verdict_in_chinese(line: str) -> str | None:
    """The checkers' own tables (course_lib/exercises), imported on first use: they import torch, which the tools
    that only read or check notebooks (and their argument errors) should not wait for."""
    from course_lib.exercises import verdict_in_language

    return verdict_in_language(line, LANGUAGE)


def translated_text(text: str) -> str:
    """Printed output as the Chinese edition shows it: each exercise checker's verdict line as the checker prints
    it in Chinese (the edition's set-up cell calls setup_notebook(language="zh-CN")), every other line as it is.
    A verdict line the checkers' tables cannot say stays English, and --check names it (english_verdicts)."""
    return "\n".join(_verdict_in_chinese(line) or line for line in text.split("\n"))


def translated_outputs(outputs: list) -> list:
    """A code cell's outputs in the Chinese edition: the English ones, their stream text through
    :func:`translated_text` (a checker prints its verdict to stdout); every other output as it is."""
    found = []
    for output in outputs:
        output = nbformat.from_dict(output)  # a copy: the English notebook keeps its own
        if output.get("output_type") == "stream":
            output.text = translated_text(output.text)
        found.append(output)
    return found


def english_verdicts(nb) -> list[str]:
    """The checkers' verdict lines in a generated notebook's outputs that stay English (no table translates
    them: course_lib/exercises/messages_zh_CN.json lacks the sentence, or its entry is stale)."""
    return [f"cell {cell.id}: {line}" for cell in nb.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if output.get("output_type") == "stream"
            for line in output.text.split("\n") if _verdict_in_chinese(line) is None]


def translated_chapter(english, entries: dict[str, tuple[str, str]], name: str):
    """The Chinese chapter: the English notebook with its prose replaced, stamped for zh-CN/notebooks."""
    nb = nbformat.from_dict(english)  # a copy: same cells, ids, outputs and metadata
    for cell in nb.cells:
        entry = entries.get(cell.id)
        if entry is not None:
            cell.source = course_links(entry[1])
        if cell.cell_type == "code":
            cell.outputs = translated_outputs(cell.outputs)
    nb.metadata["course"] = {"language": LANGUAGE, "translated_from": f"notebooks/{name}"}
    return colab.stamped(nb, f"{LANGUAGE}/notebooks", name, language=LANGUAGE)


def translated_solutions(english_solutions, zh_chapter, chapter: Path, by_hash: dict[str, str]):
    """The Chinese solutions notebook: the English one (its code and outputs) with its statements translated
    (looked up by their English source: they are copies of chapter cells) and a Chinese header cell."""
    nb = nbformat.from_dict(english_solutions)
    title = next(ln for ln in zh_chapter.cells[0].source.splitlines() if ln.startswith("# ")).lstrip("# ").strip()
    for index, cell in enumerate(nb.cells):
        if index == 0:
            cell.source = SOLUTIONS_HEADER.format(title=title, stem=chapter.stem, name=chapter.name)
        elif cell.cell_type == "markdown":
            key = english_hash(cell.source)
            if key not in by_hash:
                raise TranslationError(f"{make_solutions.target(chapter).name}: a statement cell has no translation "
                                       f"in {translation_file(chapter).name} (English hash {key})")
            cell.source = course_links(by_hash[key])
        elif cell.cell_type == "code":
            cell.outputs = translated_outputs(cell.outputs)
    nb.metadata["course"] = {"language": LANGUAGE, "translated_from": f"solutions/{make_solutions.target(chapter).name}"}
    return colab.stamped(nb, f"{LANGUAGE}/solutions", make_solutions.target(chapter).name, language=LANGUAGE)


def glossary() -> list[dict]:
    """The rows of docs/glossary.zh-CN.md: English, Chinese, bracket at first use (bool), variants to avoid."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("English", "") or set(cells[0]) <= set("-: "):
            continue
        avoid = [v.strip() for v in cells[3].split("/") if v.strip()]
        rows.append({"english": cells[0], "chinese": cells[1], "bracket": cells[2] == "yes", "avoid": avoid})
    return rows


def glossary_problems(name: str, text: str) -> list[str]:
    """One chapter's translated prose against the glossary: no avoided variant anywhere, and the English term
    in brackets at the first use of every bracketed term."""
    found = []
    for row in glossary():
        for variant in row["avoid"]:
            if variant in text:
                found.append(f"{name}: uses {variant!r}; the glossary's term for {row['english']!r} is {row['chinese']!r}")
        at = text.find(row["chinese"])
        if not row["bracket"] or at < 0:
            continue
        after = text[at + len(row["chinese"]):]
        opening = re.search(r"[（(]", after[:BRACKET_WITHIN])
        inside = re.match(r"[^）)]*", after[opening.end():]).group(0) if opening else ""
        if row["english"].lower() not in inside.lower():
            context = text[max(0, at - 10): at + len(row["chinese"]) + 20].replace("\n", " ")
            found.append(f"{name}: first use of {row['chinese']!r} needs ({row['english']}) in brackets after it: ...{context}...")
    return found


def emphasis_problems(name: str, cell_id: str, text: str) -> list[str]:
    """Bold or italic markers that a Markdown renderer leaves as literal asterisks. Chinese text trips a
    CommonMark rule: a closing ``**`` right after punctuation must be followed by a space or punctuation, so
    ``**时间：**约`` shows its asterisks (write ``**时间：** 约`` or ``**时间**：约``). Rendered the way the site
    and nbconvert render (mistune), code left out."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    html = markdown2html_mistune(text.replace("](attachment:", "](attachment-"))
    html = re.sub(r"<pre.*?</pre>|<code>.*?</code>|<span class=\"math\">.*?</span>|\$\$.*?\$\$|\$[^$]*\$", "", html,
                  flags=re.S)
    found = []
    for match in re.finditer(r"\*\*|(?<![\w*\\])\*(?=[^\s*])", html):
        context = re.sub(r"<[^>]+>", "", html[max(0, match.start() - 25): match.end() + 25]).replace("\n", " ")
        found.append(f"{name}: cell {cell_id}: an asterisk is shown as text, not as bold/italic: ...{context}...")
        break
    return found


def chapters() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def generate(source_dir: Path | None = None) -> dict[Path, object]:
    """{relative output path: notebook} for every chapter (and its solutions) whose translation is complete.

    ``source_dir`` holds executed English copies (``notebooks/`` and ``solutions/`` inside), by default the
    committed ones; translations are always checked against the committed English cells."""
    out = {}
    for chapter in chapters():
        if problems_for(chapter):
            continue
        entries = read_translations(translation_file(chapter))
        base = source_dir if source_dir is not None else ROOT
        english = nbformat.read(base / "notebooks" / chapter.name, as_version=4)
        zh = translated_chapter(english, entries, chapter.name)
        out[Path(LANGUAGE) / "notebooks" / chapter.name] = zh
        solutions_path = base / "solutions" / make_solutions.target(chapter).name
        if solutions_path.exists():
            source_by_id = {c.id: c.source for c in nbformat.read(chapter, as_version=4).cells}
            by_hash = {english_hash(source_by_id[i]): text for i, (h, text) in entries.items() if i in source_by_id}
            sol = translated_solutions(nbformat.read(solutions_path, as_version=4), zh, chapter, by_hash)
            out[Path(LANGUAGE) / "solutions" / solutions_path.name] = sol
    return out


def sync_problems() -> list[str]:
    """Everything that keeps the committed Chinese edition from being complete and generated from the current
    English: missing or stale translations, glossary and Markdown problems, and zh-CN/ files that differ from
    what would be generated (or that nothing generates)."""
    problems = [p for chapter in chapters() for p in problems_for(chapter)]
    generated = generate()
    for rel, nb in generated.items():
        path = ROOT / rel
        if not path.exists():
            problems.append(f"{rel}: not generated yet (python -m tools.translate)")
        elif path.read_text(encoding="utf-8") != nbformat.writes(nb) + "\n":
            problems.append(f"{rel}: differs from what python -m tools.translate generates (run it)")
        problems += [f"{rel}: a checker's verdict stays English (its sentence has no current translation in "
                     f"course_lib/exercises/messages_zh_CN.json): {where}" for where in english_verdicts(nb)]
    expected = {ROOT / rel for rel in generated}
    for path in sorted(EDITION.glob("*/*.ipynb")):
        if path not in expected:
            problems.append(f"{path.relative_to(ROOT)}: no complete translation generates it")
    return problems


def todo(number: str, with_code: bool = False) -> str:
    chapter = next((c for c in chapters() if c.name.startswith(number)), None)
    if chapter is None:
        raise SystemExit(f"translate.py: no chapter notebook starts with {number!r}")
    entries = read_translations(translation_file(chapter))
    parts = []
    nb = nbformat.read(chapter, as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")  # the set-up cell: stamped, not translated
    for cell in nb.cells:
        entry = entries.get(cell.id)
        wanted = cell.cell_type == "markdown" or (with_code and has_comments(cell.source) and cell is not first_code)
        if wanted and (entry is None or entry[0] != english_hash(cell.source)):
            parts.append(f"<!-- cell {cell.id} en {english_hash(cell.source)} -->\n{english_key(cell.source)}\n")
    return "\n".join(parts)


def skeleton(number: str) -> Path:
    chapter = next((c for c in chapters() if c.name.startswith(number)), None)
    if chapter is None:
        raise SystemExit(f"translate.py: no chapter notebook starts with {number!r} (the chapters: "
                         f"{', '.join(c.name[:2] for c in chapters())})")
    path = translation_file(chapter)
    if path.exists():
        raise SystemExit(f"translate.py: {path} exists; use --todo {number} for what is left")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(todo(number), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--todo", metavar="NN")
    parser.add_argument("--with-code", action="store_true", help="with --todo: also the code cells with comments")
    parser.add_argument("--skeleton", metavar="NN")
    parser.add_argument("--from", dest="source", type=Path, help="folder with executed notebooks/ and solutions/")
    parser.add_argument("--out", type=Path, default=ROOT, help="where zh-CN/ is written (default: the checkout)")
    parser.add_argument("--quiet", action="store_true", help="write without listing the chapters left out")
    args = parser.parse_args()
    if args.todo:
        print(todo(args.todo, args.with_code), end="")
        return 0
    if args.skeleton:
        print(f"wrote {skeleton(args.skeleton)}: replace each English text under its line with the Chinese")
        return 0
    if args.check:
        problems = sync_problems()
        for p in problems:
            print(p)
        print("Chinese edition in sync" if not problems else f"{len(problems)} problem(s)")
        return 1 if problems else 0
    for chapter in chapters():
        output_folder.read_notebook(chapter, "translate.py")  # a broken notebook: one line, not a traceback
    out = output_folder.resolve(args.out)
    checkout = out == ROOT  # the committed zh-CN/ (the default): this tool's own files
    if not checkout:
        out = output_folder.prepare(out, "translate.py", replace=False, example="build/course")
    for p in [] if args.quiet else [p for chapter in chapters() for p in problems_for(chapter)]:
        print(p, file=sys.stderr)  # a chapter with a problem is left out (--check fails on it)
    for rel, nb in generate(args.source).items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = nbformat.writes(nb) + "\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            if not args.quiet:
                print(f"wrote {path}")
    if not checkout:
        output_folder.finish(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
