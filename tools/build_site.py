"""Render the executed notebooks into a small static website (``make course`` / ``make site``).

    python -m tools.build_site --out site

    python -m tools.build_site --out site --notebooks build/course/notebooks   # executed copies (make course)

Writes ``site/index.html`` (the chapter list with each chapter's goals, read from the notebook's
first cell, and its time, from ``docs/run_times.json`` like every notebook's time line) and one HTML
page per notebook with its outputs and pictures embedded, so the folder can be opened from disk, copied to a USB stick or served as is.

Nothing on a page comes from the internet: formulas are typeset by the MathJax copy that the Python
package ``jupyter-server-mathjax`` installs with the course (copied into ``site/mathjax/``), and the
CDN scripts of nbconvert's page template (require.js, the widget manager) are left out: no chapter
has a widget or JavaScript output. ``tools/site_check.py`` checks both in a real browser.
"""

from __future__ import annotations

import argparse
import base64
import html
import importlib.util
import mimetypes
import os
import re
import shutil
from pathlib import Path

import nbformat
from jinja2 import DictLoader
from nbconvert import HTMLExporter

from tools import (
    output_folder,  # an --out folder is replaced only when the tools made it
    sync_run_times,  # the chapters' times, from docs/run_times.json
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
COURSE_TITLE = "BERT heads, losses and optimisers, hands-on"

# The two editions. The Chinese pages live in site/zh-CN/ and are rendered from the notebooks that
# tools/translate.py generates (same code and outputs, translated prose); every page links to its counterpart.
EDITIONS = {
    "en": {
        "folder": "", "html_lang": "en", "title": COURSE_TITLE, "home": "Course home", "switch_label": "English",
        "time": r"\*\*Time:?\*\*:?\s*", "goals": "## what you will learn",
        "lead": """How Hugging Face <code>transformers</code> turns a BERT encoder into task models: the
pre-training heads and their losses, the fine-tuning heads, weight tying, AdamW and learning-rate
schedules. Every chapter builds the idea from scratch in PyTorch (<code>course_lib</code>) and checks it
against the reference implementation: same weights, same inputs, same numbers.""",
        "count": """{n} chapters. Each page below is the executed notebook with its outputs; to run it
yourself, open <code>notebooks/</code> in Jupyter (<code>make lab</code>) or in Colab.""",
    },
    "zh-CN": {
        "folder": "zh-CN", "html_lang": "zh-CN", "title": "BERT 任务头、损失与优化器：动手实践", "home": "课程首页",
        "switch_label": "中文", "time": r"\*\*时间[:：]?\*\*[:：]?\s*", "goals": "## 你将学到",
        "lead": """Hugging Face <code>transformers</code> 如何把一个 BERT 编码器变成各种任务模型：预训练任务头及其损失、
微调任务头、权重绑定、AdamW 与学习率调度。每一章都先用 PyTorch 从零实现（<code>course_lib</code>），再与参考实现逐一核对：
相同的权重、相同的输入、相同的数字。""",
        "count": """共 {n} 章。下面每一页都是执行过的笔记本，带着它的输出；想自己运行，请在 Jupyter
（<code>make lab</code>）或 Colab 中打开 <code>zh-CN/notebooks/</code>。代码和输出保持英文。""",
    },
}

# MathJax 2.7 from the jupyter-server-mathjax package, copied to site/mathjax/ (a relative address, so the
# folder works from a web server and from disk). The combined configuration file it ships, plus "Safe"
# (no JavaScript or links hidden in a formula), as nbconvert's CDN default does.
MATHJAX_DIR = "mathjax"
MATHJAX_URL = f"{MATHJAX_DIR}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"

# The package ships one font, STIX-Web (not MathJax's default TeX web font): without this, MathJax looks for
# fonts that are not there and draws roots and hats from whatever the system has, out of place. The same
# settings as Jupyter's classic notebook, which serves these files.
MATHJAX_FONTS = """<script type="text/x-mathjax-config">
MathJax.Hub.Config({
    "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null},
    SVG: {font: "STIX-Web"}
});
</script>"""

# nbconvert's "lab" page, with the blocks that would load scripts from a CDN taken out. MathJax keeps
# nbconvert's own configuration ($...$ and $$...$$, AMS numbering); its address and its font change.
PAGE_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{% block jupyter_widgets %}{% endblock jupyter_widgets %}
{%- block html_head_js_mathjax -%}
{{ super() }}
""" + MATHJAX_FONTS + """
{%- endblock html_head_js_mathjax -%}
"""


def mathjax_source() -> Path:
    """The MathJax files of the installed ``jupyter-server-mathjax`` package (a clear error if it is missing)."""
    spec = importlib.util.find_spec("jupyter_server_mathjax")
    static = Path(spec.origin).parent / "static" if spec and spec.origin else None
    if static is None or not (static / "MathJax.js").is_file():
        raise SystemExit(
            "build_site.py: the formulas need MathJax from the package jupyter-server-mathjax, which is not "
            "installed in this environment: pip install -c constraints.txt jupyter-server-mathjax "
            "(make setup installs it with the course)"
        )
    return static


def mathjax_head(url: str = MATHJAX_URL) -> str:
    """The MathJax script tags nbconvert puts in a chapter page, for pages we write ourselves (the index)."""
    # nbconvert's own macro, rendered by the Jinja environment of the chapter pages: one configuration
    exporter = make_exporter()
    macro = "{% from 'mathjax.html.j2' import mathjax %}{{ mathjax(url) }}"
    return exporter.environment.from_string(macro).render(url=url) + "\n" + MATHJAX_FONTS


def make_exporter() -> HTMLExporter:
    exporter = HTMLExporter(template_name="lab", extra_loaders=[DictLoader({"course_page.html.j2": PAGE_TEMPLATE})])
    exporter.template_file = "course_page.html.j2"
    exporter.mathjax_url = MATHJAX_URL
    exporter.embed_images = True  # markdown pictures (../pictures/x.png) go inside the page
    return exporter


def chapter_info(path: Path, edition: dict = EDITIONS["en"]) -> dict:
    """Title, time line and goal bullets from a notebook's first markdown cell."""
    nb = nbformat.read(path, as_version=4)
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    title = next((ln.lstrip("# ").strip() for ln in first.splitlines() if ln.startswith("# ")), path.stem)
    time_line = next((ln for ln in first.splitlines() if re.match(edition["time"], ln.strip())), "")
    time_text = re.sub(edition["time"], "", time_line.strip()).strip()
    goals, in_goals = [], False
    for line in first.splitlines():
        if line.lower().startswith(edition["goals"]):
            in_goals = True
            continue
        if in_goals and line.startswith("#"):
            break
        if in_goals and line.strip().startswith(("- ", "* ")):
            goals.append(line.strip()[2:].strip())
        elif in_goals and goals and line.strip():  # a goal that wraps onto the next line
            goals[-1] += " " + line.strip()
    time_text = run_time_text(path.stem, edition) or time_text
    return {"path": path, "title": title, "time": time_text, "goals": goals, "html": path.stem + ".html"}


def run_time_text(chapter: str, edition: dict) -> str | None:
    """A chapter's time line from docs/run_times.json, the one source of the times printed in the course (each
    notebook's header line is a copy of it); None where the file or the chapter is missing."""
    if not (ROOT / "docs" / "run_times.json").exists():
        return None
    entry = sync_run_times.load(ROOT).get(chapter)
    return entry and sync_run_times.time_text(entry, "en" if edition["html_lang"] == "en" else "zh")


def markdown_inline(text: str) -> str:
    """Just enough Markdown for the index: escape, then `code`, **bold** and *italic*."""
    text = html.escape(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)


def embed_pictures(body: str) -> str:
    """Embed the course diagrams (``../pictures/*.png`` in the notebooks' markdown) as data URIs.

    nbconvert >= 7.17 embeds only images inside the notebook's own folder (a path-traversal guard), so
    ``../pictures/...`` would stay a relative link: broken once the site is served or copied elsewhere."""
    pictures = (ROOT / "pictures").resolve()

    def data_uri(match: re.Match) -> str:
        # relative to the committed notebooks' folder, also when the pages come from executed copies elsewhere
        path = (NOTEBOOKS / html.unescape(match.group(2))).resolve()
        if pictures not in path.parents or not path.is_file():
            return match.group(0)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f'{match.group(1)}data:{mime};base64,{base64.b64encode(path.read_bytes()).decode("ascii")}"'

    return re.sub(r'(<img\b[^>]*?\ssrc=")(\.\./pictures/[^"]+)"', data_uri, body)


def language_switch(edition: dict, page: str, other_pages: set[str]) -> str:
    """A link to the same page in the other edition (where it exists), labelled in that edition's language."""
    if edition["folder"]:
        return f'<a class="language-switch" href="../{page}" lang="en" hreflang="en">{EDITIONS["en"]["switch_label"]}</a>' \
            if page in other_pages else ""
    zh = EDITIONS["zh-CN"]
    return (f'<a class="language-switch" href="{zh["folder"]}/{page}" lang="{zh["html_lang"]}" '
            f'hreflang="{zh["html_lang"]}">{zh["switch_label"]}</a>') if page in other_pages else ""


def render_notebook(path: Path, out_dir: Path, chapters: list[dict], edition: dict = EDITIONS["en"],
                    other_pages: set[str] = frozenset()) -> None:
    exporter = make_exporter()
    if edition["folder"]:
        exporter.mathjax_url = "../" + MATHJAX_URL  # the pages sit one folder down
    body, _ = exporter.from_filename(str(path), resources={"metadata": {"path": str(path.parent)}})
    body = embed_pictures(body)
    body = re.sub(r"<html[^>]*>", f'<html lang="{edition["html_lang"]}">', body, count=1)
    # The solutions notebooks are not part of the site: name the file instead of linking to a missing page.
    body = re.sub(r'<a href="\.\./solutions/([\w.-]+\.ipynb)"[^>]*>(.*?)</a>', r'\2 (in the course folder)', body)
    title = next(c["title"] for c in chapters if c["path"] == path)
    plain_title = title.replace("`", "")  # a browser tab shows text, not Markdown
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(plain_title)}</title>", body, count=1, flags=re.S)
    # The Colab badge is an image on colab.research.google.com: offline (a lab, a USB stick) it would
    # show as a broken image, so the site shows the same link as text.
    body = re.sub(r'<img[^>]*src="https://colab\.research\.google\.com/assets/colab-badge\.svg"[^>]*/?>',
                  "Open in Colab", body)
    # Links between notebooks point at the rendered pages instead.
    body = re.sub(r'href="(?:\./)?(\d\d_[\w-]+)\.ipynb', r'href="\1.html', body)
    index = [c["path"] for c in chapters].index(path)
    prev_link = f'<a href="{chapters[index - 1]["html"]}">&larr; {markdown_inline(chapters[index - 1]["title"])}</a>' if index else ""
    next_link = (
        f'<a href="{chapters[index + 1]["html"]}">{markdown_inline(chapters[index + 1]["title"])} &rarr;</a>'
        if index + 1 < len(chapters) else ""
    )
    nav = (
        '<nav class="course-nav" style="display:flex;justify-content:space-between;gap:1em;'
        'padding:0.6em 1.2em;background:#f3f6fa;border-bottom:1px solid #d0d7de;font-family:sans-serif">'
        f'<span>{prev_link}</span><span><a href="index.html">{edition["home"]}</a> '
        f'{language_switch(edition, path.stem + ".html", other_pages)}</span><span>{next_link}</span></nav>'
    )
    body = re.sub(r"(<body[^>]*>)", r"\1" + nav.replace("\\", "\\\\"), body, count=1)
    body = body.replace("</body>", nav + "</body>", 1)
    (out_dir / (path.stem + ".html")).write_text(body, encoding="utf-8")


def render_index(chapters: list[dict], out_dir: Path, edition: dict = EDITIONS["en"],
                 other_pages: set[str] = frozenset()) -> None:
    items = []
    for c in chapters:
        goals = "".join(f"<li>{markdown_inline(g)}</li>" for g in c["goals"])
        items.append(
            f'<li class="chapter"><a href="{c["html"]}">{markdown_inline(c["title"])}</a>'
            f'<div class="time">{markdown_inline(c["time"])}</div><ul class="goals">{goals}</ul></li>'
        )
    mathjax_url = ("../" if edition["folder"] else "") + MATHJAX_URL
    page = f"""<!DOCTYPE html>
<html lang="{edition['html_lang']}"><head><meta charset="utf-8"><title>{edition['title']}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
{mathjax_head(mathjax_url)}
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.45; color: #1f2328; }}
h1 {{ margin-bottom: 0.2em; }} .lead {{ color: #57606a; }}
ol.chapters {{ padding-left: 0; list-style: none; }} li.chapter {{ margin: 1.1em 0; }}
li.chapter > a {{ font-size: 1.15em; font-weight: 600; }}
.time {{ color: #57606a; font-size: 0.9em; }} ul.goals {{ margin: 0.3em 0; font-size: 0.95em; }}
code {{ background: #f3f6fa; padding: 0 0.2em; border-radius: 3px; }}
p.languages {{ text-align: right; margin: 0; }}
</style></head>
<body>
<p class="languages">{language_switch(edition, "index.html", other_pages)}</p>
<h1>{edition['title']}</h1>
<p class="lead">{edition['lead']}</p>
<p>{edition['count'].format(n=len(chapters))}</p>
<ol class="chapters" start="0">
{''.join(items)}
</ol>
</body></html>
"""
    (out_dir / "index.html").write_text(page, encoding="utf-8")


def render_edition(paths: list[Path], out_dir: Path, edition: dict, other_pages: set[str], quiet: bool) -> set[str]:
    out_dir.mkdir(parents=True, exist_ok=True)
    chapters = [chapter_info(p, edition) for p in paths]
    for chapter in chapters:
        render_notebook(chapter["path"], out_dir, chapters, edition, other_pages)
        if not quiet:
            print(f"rendered {out_dir.name}/{chapter['html']}")
    render_index(chapters, out_dir, edition, other_pages)
    return {c["html"] for c in chapters}


def pages_of(paths: list[Path]) -> set[str]:
    return {p.stem + ".html" for p in paths} | ({"index.html"} if paths else set())


def _earlier_site(name: str) -> bool:
    """A file that build_site.py wrote before its folders carried output_folder's marker."""
    return name.endswith(".html") or name.startswith(MATHJAX_DIR + "/")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="site",
                        help="output folder, replaced: a new folder, or one this tool wrote (never the checkout)")
    parser.add_argument("--notebooks", default=str(NOTEBOOKS),
                        help="folder of executed notebooks to render (default: the committed notebooks/)")
    parser.add_argument("--zh-notebooks", default=str(ROOT / "zh-CN" / "notebooks"),
                        help="folder of the Chinese notebooks (default: the committed zh-CN/notebooks/)")
    parser.add_argument("--quiet", action="store_true", help="print nothing unless something fails")
    args = parser.parse_args()
    out_dir = output_folder.resolve(args.out, ROOT)  # a relative --out is inside the checkout, ~ expanded

    def notebooks_in(folder: str) -> list[Path]:
        source = Path(folder)
        source = source if source.is_absolute() else Path.cwd() / source
        return sorted(source.glob("[0-9][0-9]_*.ipynb"))

    paths, zh_paths = notebooks_in(args.notebooks), notebooks_in(args.zh_notebooks)
    if not paths:
        raise SystemExit(f"build_site.py: no NN_*.ipynb notebooks in {args.notebooks}")
    mathjax = mathjax_source()
    where = dict(replace=True, example="site", legacy=_earlier_site if out_dir == ROOT / "site" else None)
    output_folder.check(out_dir, "build_site.py", example=where["example"], legacy=where["legacy"])
    for path in paths + zh_paths:
        output_folder.read_notebook(path, "build_site.py")  # a broken notebook: one line, before anything is written
        if Path(os.path.realpath(out_dir)) in Path(os.path.realpath(path)).parents:
            raise SystemExit(f"build_site.py: will not write into {out_dir}: it holds the notebooks to render "
                             f"({path.name}); give another --out")
    out_dir = output_folder.prepare(out_dir, "build_site.py", **where)
    shutil.copytree(mathjax, out_dir / MATHJAX_DIR)
    render_edition(paths, out_dir, EDITIONS["en"], pages_of(zh_paths), args.quiet)
    if zh_paths:
        zh = EDITIONS["zh-CN"]
        render_edition(zh_paths, out_dir / zh["folder"], zh, pages_of(paths), args.quiet)
    output_folder.finish(out_dir)
    if not args.quiet:
        print(f"wrote {out_dir / 'index.html'} ({len(paths)} chapters; {len(zh_paths)} in Chinese, "
              f"{out_dir / 'zh-CN' / 'index.html'}; formulas by {out_dir / MATHJAX_DIR})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
