"""Open the built course site in headless Chromium and check it the way a reader would see it.

    python -m tools.build_site --out site
    python -m tools.site_check site                                   # the index and every chapter
    python -m tools.site_check site --pages index.html 01_bert_backbone.html --screenshots build/screenshots

The folder is served over http on 127.0.0.1 (a free port). For each page, Chromium loads it and waits for the
load event; then the check reads the live page: every ``<img>`` must have decoded (``naturalWidth > 0``; a
missing file or a corrupt embedded PNG gives 0), every link to a page of the site must answer 200, and every
``#anchor`` link must name an element of the page, no formula may be left as raw TeX (``$...$`` or a
``\\command`` in the visible text outside code, once MathJax has finished), a Chinese page must draw its
characters with a CJK font (not as empty boxes), and the page may request nothing outside the local server (a
script, font or picture from a CDN fails the page). A PNG screenshot of each page is saved.

The browser is Debian's ``chromium`` package (``tools/ensure_chromium.sh`` installs it), never a browser build
downloaded by a tool: Playwright drives it through ``executable_path`` (``playwright install`` is never run).
Every request the page makes goes through a Playwright route: one to the local server goes on, any other is
recorded and aborted, and every host name but 127.0.0.1 resolves to nothing as well, so no request leaves
the machine.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import os
import shutil
import sys
import threading
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Route, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
BROWSER_NAMES = ("chromium", "chromium-browser")


def find_chromium() -> str | None:
    """Path of the Chromium binary, or None. $CHROMIUM overrides the search."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A browser may drop a connection it no longer needs (a cancelled load): not a failure of the site.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` over http on 127.0.0.1 at a free port, in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Browser:
    """Debian's headless Chromium driven by Playwright, one page. ``outside`` lists the requests for anything but
    the local server since the last ``outside.clear()``: each was aborted before it left the machine."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900, timeout: float = 60.0):
        self.width = width
        self.outside: list[str] = []
        self._statuses: dict[str, int] = {}
        self._playwright = sync_playwright().start()
        try:
            # the resolver rule is a second guard, for requests no route sees (the browser's own, DNS prefetch)
            self._browser = self._playwright.chromium.launch(
                executable_path=binary, args=["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
        except Exception:
            self._playwright.stop()
            raise
        self.page = self._browser.new_page(viewport={"width": width, "height": height})
        self.page.set_default_timeout(timeout * 1000)
        self.page.route("**/*", self._local_only)

    def _local_only(self, route: Route) -> None:
        if urllib.parse.urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")

    def status(self, url: str) -> int:
        """The HTTP status of a GET of ``url``, asked once per run: the pages of a site share most links."""
        if url not in self._statuses:
            self._statuses[url] = self.page.request.get(url).status
        return self._statuses[url]

    def close(self) -> None:
        self._browser.close()
        self._playwright.stop()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# Runs in the page after the load event: what a reader sees. It first waits (at most 30 s) for MathJax, when
# the page has it, to finish typesetting, so raw TeX left on the page means a formula the reader sees as code.
_INSPECT = """
async () => {
  const mathjaxWanted = !!document.querySelector('script[src*="MathJax.js"]');
  let mathjaxDone = false;
  if (window.MathJax && window.MathJax.Hub) {
    mathjaxDone = await Promise.race([
      new Promise(resolve => window.MathJax.Hub.Queue(() => resolve(true))),
      new Promise(resolve => setTimeout(() => resolve(false), 30000)),
    ]);
  }
  const skip = "pre, code, script, style, textarea, kbd, samp, math, mjx-container, "
             + ".MathJax, .MathJax_Display, .MathJax_Preview, .MathJax_CHTML, .MathJax_SVG, .MJX_Assistive_MathML";
  const rawTex = /\\$[^$\\n]+?\\$|\\\\[A-Za-z]{2,}|\\\\[()\\[\\]]/;
  const rawMath = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip) || !el.getClientRects().length) continue;
    const match = node.textContent.match(rawTex);
    if (match && rawMath.length < 20) {
      const at = Math.max(0, match.index - 30);
      rawMath.push(node.textContent.slice(at, match.index + match[0].length + 30).replace(/\\s+/g, " ").trim());
    }
  }
  const formulas = document.querySelectorAll(".MathJax, .MathJax_Display, .MathJax_CHTML, .MathJax_SVG").length;
  const mathErrors = Array.from(document.querySelectorAll(".MathJax_Error, merror"))
    .map(e => e.textContent.slice(0, 80));
  const images = Array.from(document.images).map((img, i) => ({
    index: i, complete: img.complete, width: img.naturalWidth, height: img.naturalHeight,
    alt: img.alt || "", src: img.currentSrc.startsWith("data:") ? img.currentSrc.slice(0, 30) + "..." : img.currentSrc,
  }));
  const links = Array.from(document.querySelectorAll("a[href]")).map(a => ({
    text: a.textContent.trim().slice(0, 60), raw: a.getAttribute("href"), href: a.href,
  }));
  const anchors = links.filter(l => l.raw.startsWith("#") && l.raw.length > 1).map(l => {
    // As browsers do: the fragment as written first, then percent-decoded (nbconvert's heading ids
    // keep "%C2%B7" for a middle dot literally).
    const raw = l.raw.slice(1);
    let decoded = raw;
    try { decoded = decodeURIComponent(raw); } catch (e) {}
    const found = [raw, decoded].some(n => document.getElementById(n) || document.getElementsByName(n).length);
    return {href: l.raw, found};
  });
  // A Chinese page: do its glyphs really render? Without a CJK font every Chinese character is drawn as the
  // same empty box (or not at all). Draw two characters and an unassigned private-use one in the page's own
  // font: with a font, the two are inked, differ from each other and from the box.
  const lang = document.documentElement.lang || "";
  let cjk = null;
  if (lang.startsWith("zh")) {
    const font = getComputedStyle(document.body).fontFamily;
    const draw = ch => {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 40;
      const g = canvas.getContext("2d");
      g.font = "32px " + font;
      g.fillText(ch, 2, 32);
      return Array.from(g.getImageData(0, 0, 40, 40).data.filter((v, i) => i % 4 === 3)).join(",");
    };
    const zhong = draw("\u4e2d"), wen = draw("\u6587"), box = draw("\ue000");
    const chars = (document.body.innerText.match(/[\u4e00-\u9fff]/g) || []).length;
    cjk = {chars, inked: /[1-9]/.test(zhong), distinct: zhong !== wen && zhong !== box && wen !== box};
  }
  return {title: document.title, images, links, anchors, rawMath, formulas, mathErrors, mathjaxWanted, mathjaxDone, lang, cjk,
          headings: Array.from(document.querySelectorAll("h1")).map(h => h.textContent.replace("¶", "").trim()),
          chapterLinks: Array.from(document.querySelectorAll("li.chapter > a")).map(a => a.getAttribute("href"))};
}
"""


@dataclass
class PageReport:
    url: str
    title: str = ""
    headings: list = field(default_factory=list)
    chapter_links: list = field(default_factory=list)
    images: list = field(default_factory=list)
    broken_images: list = field(default_factory=list)
    local_links: list = field(default_factory=list)
    broken_links: list = field(default_factory=list)
    missing_anchors: list = field(default_factory=list)
    external_requests: list = field(default_factory=list)  # blocked: a page must carry everything it needs
    raw_math: list = field(default_factory=list)  # visible text that still looks like TeX
    math_errors: list = field(default_factory=list)  # MathJax's own "Math Processing Error" boxes
    formulas: int = 0  # formulas MathJax typeset
    mathjax_problem: str = ""  # the page asks for MathJax but it did not load or did not finish
    lang: str = ""  # the page's <html lang>
    cjk_chars: int = 0  # Chinese characters in the visible text (Chinese pages)
    cjk_problem: str = ""  # a Chinese page whose characters render as boxes
    screenshots: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.broken_images or self.broken_links or self.missing_anchors or self.external_requests
                    or self.raw_math or self.math_errors or self.mathjax_problem or self.cjk_problem)

    def summary(self) -> str:
        lines = [f"{self.url}: {'OK' if self.ok else 'PROBLEMS'} - {len(self.images)} images, "
                 f"{len(self.local_links)} local links, {self.formulas} formulas, title {self.title!r}"]
        lines += [f"  broken image: {i}" for i in self.broken_images]
        lines += [f"  broken link: {link}" for link in self.broken_links]
        lines += [f"  missing anchor: {a}" for a in self.missing_anchors]
        lines += [f"  outside request (blocked; the site must carry everything it needs): {u}"
                  for u in self.external_requests]
        lines += [f"  raw TeX shown to the reader: {t!r}" for t in self.raw_math]
        lines += [f"  MathJax error: {t!r}" for t in self.math_errors]
        lines += [f"  {self.mathjax_problem}"] if self.mathjax_problem else []
        lines += [f"  {self.cjk_problem}"] if self.cjk_problem else []
        lines += [f"  screenshot: {p}" for p in self.screenshots]
        return "\n".join(lines)


def check_page(browser: Browser, url: str, screenshot_dir: Path | None = None, stem: str | None = None) -> PageReport:
    """Load ``url`` and check images, links and anchors; save screenshots into ``screenshot_dir``."""
    browser.outside.clear()
    page = browser.page
    page.goto(url, wait_until="load")
    found = page.evaluate(_INSPECT)
    report = PageReport(url, found["title"], found["headings"], found["chapterLinks"], found["images"])
    report.broken_images = [img for img in found["images"] if not img["complete"] or img["width"] == 0]
    origin = urllib.parse.urlsplit(url)
    for link in found["links"]:
        target = urllib.parse.urlsplit(link["href"])
        if target.scheme not in ("http", "https") or target.netloc != origin.netloc:
            continue  # mailto:, outside sites: not ours to check here
        page_url = urllib.parse.urlunsplit((target.scheme, target.netloc, target.path, target.query, ""))
        if page_url in report.local_links:
            continue
        report.local_links.append(page_url)
        status = browser.status(page_url)
        if status != 200:
            report.broken_links.append(f"{link['raw']} -> {status}")
    report.missing_anchors = [a["href"] for a in found["anchors"] if not a["found"]]
    report.raw_math, report.math_errors, report.formulas = found["rawMath"], found["mathErrors"], found["formulas"]
    report.lang = found["lang"]
    if found["cjk"] is not None:
        report.cjk_chars = found["cjk"]["chars"]
        if not (found["cjk"]["inked"] and found["cjk"]["distinct"]):
            report.cjk_problem = ("Chinese characters render as boxes or not at all: no CJK font "
                                  "(tools/ensure_chromium.sh installs fonts-noto-cjk)")
    if found["mathjaxWanted"] and not found["mathjaxDone"]:
        report.mathjax_problem = "the page loads MathJax, but it did not load or did not finish within 30 s"
    report.external_requests = list(browser.outside)
    if screenshot_dir is not None:
        parent = Path(origin.path).parent.name  # "zh-CN" for the Chinese pages: their own file names
        stem = stem or ((f"{parent}_" if parent else "") + (Path(origin.path).stem or "index"))
        # the page as a reader scrolls it, down to 5000 pixels
        report.screenshots.append(_screenshot(page, screenshot_dir / f"{stem}.png",
                                              {"x": 0, "y": 0, "width": browser.width, "height": 5000}))
        # and a close-up of the first picture, to see that it really is a picture
        box = page.evaluate("""() => { const img = Array.from(document.images).find(i => i.naturalWidth > 0);
            if (!img) return null; const r = img.getBoundingClientRect();
            return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height}; }""")
        if box and box["width"] > 0 and box["height"] > 0:
            clip = {"x": max(0, box["x"] - 20), "y": max(0, box["y"] - 20),
                    "width": min(browser.width, box["width"] + 40), "height": box["height"] + 40}
            report.screenshots.append(_screenshot(page, screenshot_dir / f"{stem}-first-image.png", clip))
    return report


def _screenshot(page, path: Path, clip: dict) -> Path:
    """A PNG of the part ``clip`` of the whole page (cut to the page's size), not just of the window."""
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=True, clip=clip)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", help="the folder python -m tools.build_site wrote")
    parser.add_argument("--pages", nargs="*", help="pages to open (default: index.html and every chapter)")
    parser.add_argument("--screenshots", default=str(ROOT / "build" / "screenshots"), help="folder for the PNGs")
    args = parser.parse_args(argv)
    site = Path(args.site).resolve()
    pages = args.pages or ["index.html"] + sorted(p.name for p in site.glob("[0-9][0-9]_*.html"))
    if not args.pages and (site / "zh-CN" / "index.html").exists():  # the Chinese edition too
        pages += ["zh-CN/index.html"] + sorted(f"zh-CN/{p.name}" for p in (site / "zh-CN").glob("[0-9][0-9]_*.html"))
    binary = find_chromium()
    if binary is None:
        print("no chromium found: run tools/ensure_chromium.sh (apt-get install chromium)", file=sys.stderr)
        return 2
    failures = 0
    with serve(site) as base, Browser(binary) as browser:
        for page in pages:
            report = check_page(browser, base + page, Path(args.screenshots))
            print(report.summary())
            failures += not report.ok
    print(f"{len(pages) - failures} of {len(pages)} pages OK")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
