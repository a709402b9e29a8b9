"""Render the executed notebooks into a small static website (``make course`` / ``make site``).

    python tools/build_site.py --out site

Writes ``site/index.html`` (the chapter list with each chapter's time and goals, read from the
notebook's first cell) and one HTML page per notebook with its outputs and pictures embedded, so
the folder can be opened from disk, copied to a USB stick or served as is.
"""

from __future__ import annotations

import argparse
import base64
import html
import mimetypes
import re
import shutil
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
COURSE_TITLE = "BERT heads, losses and optimisers, hands-on"


def chapter_info(path: Path) -> dict:
    """Title, time line and goal bullets from a notebook's first markdown cell."""
    nb = nbformat.read(path, as_version=4)
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    title = next((ln.lstrip("# ").strip() for ln in first.splitlines() if ln.startswith("# ")), path.stem)
    time_line = next((ln for ln in first.splitlines() if ln.strip().startswith("**Time")), "")
    time_text = re.sub(r"\*\*Time:?\*\*:?\s*", "", time_line).strip()
    goals, in_goals = [], False
    for line in first.splitlines():
        if line.lower().startswith("## what you will learn"):
            in_goals = True
            continue
        if in_goals and line.startswith("#"):
            break
        if in_goals and line.strip().startswith(("- ", "* ")):
            goals.append(line.strip()[2:].strip())
        elif in_goals and goals and line.strip():  # a goal that wraps onto the next line
            goals[-1] += " " + line.strip()
    return {"path": path, "title": title, "time": time_text, "goals": goals, "html": path.stem + ".html"}


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
        path = (NOTEBOOKS / html.unescape(match.group(2))).resolve()
        if pictures not in path.parents or not path.is_file():
            return match.group(0)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f'{match.group(1)}data:{mime};base64,{base64.b64encode(path.read_bytes()).decode("ascii")}"'

    return re.sub(r'(<img\b[^>]*?\ssrc=")(\.\./pictures/[^"]+)"', data_uri, body)


def render_notebook(path: Path, out_dir: Path, chapters: list[dict]) -> None:
    exporter = HTMLExporter(template_name="lab")
    exporter.embed_images = True  # markdown pictures (../pictures/x.png) go inside the page
    body, _ = exporter.from_filename(str(path), resources={"metadata": {"path": str(path.parent)}})
    body = embed_pictures(body)
    # The solutions notebooks are not part of the site: name the file instead of linking to a missing page.
    body = re.sub(r'<a href="\.\./solutions/([\w.-]+\.ipynb)"[^>]*>(.*?)</a>', r'\2 (in the course folder)', body)
    title = next(c["title"] for c in chapters if c["path"] == path)
    body = re.sub(r"<title>.*?</title>", f"<title>{html.escape(title)}</title>", body, count=1, flags=re.S)
    # The Colab badge is an image on colab.research.google.com: offline (a lab, a USB stick) it would
    # show as a broken image, so the site shows the same link as text.
    body = re.sub(r'<img[^>]*src="https://colab\.research\.google\.com/assets/colab-badge\.svg"[^>]*/?>',
                  "Open in Colab", body)
    # Links between notebooks point at the rendered pages instead.
    body = re.sub(r'href="(?:\./)?(\d\d_[\w-]+)\.ipynb', r'href="\1.html', body)
    index = [c["path"] for c in chapters].index(path)
    prev_link = f'<a href="{chapters[index - 1]["html"]}">&larr; {html.escape(chapters[index - 1]["title"])}</a>' if index else ""
    next_link = (
        f'<a href="{chapters[index + 1]["html"]}">{html.escape(chapters[index + 1]["title"])} &rarr;</a>'
        if index + 1 < len(chapters) else ""
    )
    nav = (
        '<nav class="course-nav" style="display:flex;justify-content:space-between;gap:1em;'
        'padding:0.6em 1.2em;background:#f3f6fa;border-bottom:1px solid #d0d7de;font-family:sans-serif">'
        f'<span>{prev_link}</span><a href="index.html">Course home</a><span>{next_link}</span></nav>'
    )
    body = body.replace("<body", "<body", 1)
    body = re.sub(r"(<body[^>]*>)", r"\1" + nav.replace("\\", "\\\\"), body, count=1)
    body = body.replace("</body>", nav + "</body>", 1)
    (out_dir / (path.stem + ".html")).write_text(body, encoding="utf-8")


def render_index(chapters: list[dict], out_dir: Path) -> None:
    items = []
    for c in chapters:
        goals = "".join(f"<li>{markdown_inline(g)}</li>" for g in c["goals"])
        items.append(
            f'<li class="chapter"><a href="{c["html"]}">{html.escape(c["title"])}</a>'
            f'<div class="time">{markdown_inline(c["time"])}</div><ul class="goals">{goals}</ul></li>'
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{COURSE_TITLE}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.45; color: #1f2328; }}
h1 {{ margin-bottom: 0.2em; }} .lead {{ color: #57606a; }}
ol.chapters {{ padding-left: 0; list-style: none; }} li.chapter {{ margin: 1.1em 0; }}
li.chapter > a {{ font-size: 1.15em; font-weight: 600; }}
.time {{ color: #57606a; font-size: 0.9em; }} ul.goals {{ margin: 0.3em 0; font-size: 0.95em; }}
code {{ background: #f3f6fa; padding: 0 0.2em; border-radius: 3px; }}
</style></head>
<body>
<h1>{COURSE_TITLE}</h1>
<p class="lead">How Hugging Face <code>transformers</code> turns a BERT encoder into task models: the
pre-training heads and their losses, the fine-tuning heads, weight tying, AdamW and learning-rate
schedules. Every chapter builds the idea from scratch in PyTorch (<code>course_lib</code>) and checks it
against the reference implementation: same weights, same inputs, same numbers.</p>
<p>{len(chapters)} chapters. Each page below is the executed notebook with its outputs; to run it
yourself, open <code>notebooks/</code> in Jupyter (<code>make lab</code>) or in Colab.</p>
<ol class="chapters" start="0">
{''.join(items)}
</ol>
</body></html>
"""
    (out_dir / "index.html").write_text(page, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="site", help="output folder (replaced)")
    args = parser.parse_args()
    out_dir = (ROOT / args.out) if not Path(args.out).is_absolute() else Path(args.out)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    chapters = [chapter_info(p) for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))]
    for chapter in chapters:
        render_notebook(chapter["path"], out_dir, chapters)
        print(f"rendered {chapter['html']}")
    render_index(chapters, out_dir)
    print(f"wrote {out_dir / 'index.html'} ({len(chapters)} chapters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
