"""Open the built course site in headless Chromium and check it the way a reader would see it.

    python tools/build_site.py --out site
    python tools/site_check.py site                                   # the index and every chapter
    python tools/site_check.py site --pages index.html 01_bert_backbone.html --screenshots build/screenshots

The folder is served over http on 127.0.0.1 (a free port). For each page, Chromium loads it and waits for the
load event; then the check reads the live page: every ``<img>`` must have decoded (``naturalWidth > 0``; a
missing file or a corrupt embedded PNG gives 0), every link to a page of the site must answer 200, and every
``#anchor`` link must name an element of the page, no formula may be left as raw TeX (``$...$`` or a
``\\command`` in the visible text outside code, once MathJax has finished), and the page may request nothing
outside the local server (a script, font or picture from a CDN fails the page). A PNG screenshot of each page
is saved.

The browser is Debian's ``chromium`` package (``tools/ensure_chromium.sh`` installs it), never a browser build
downloaded by a tool. It is driven through the DevTools protocol over a pipe (``--remote-debugging-pipe``:
JSON messages separated by NUL bytes on file descriptors 3 and 4), so this needs nothing beyond the standard
library. Every host name except 127.0.0.1 resolves to nothing, so a page that tries to load something from the
internet fails fast and the attempt is reported, and no request leaves the machine.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

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


# --------------------------------------------------------------------------------------------
# A static file server on 127.0.0.1
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Chromium over the DevTools protocol
# --------------------------------------------------------------------------------------------


class BrowserError(RuntimeError):
    pass


class Browser:
    """Headless Chromium driven over ``--remote-debugging-pipe``. One tab (a DevTools "session")."""

    def __init__(self, binary: str, width: int = 1280, height: int = 900, timeout: float = 60.0):
        self.timeout = timeout
        self.width, self.height = width, height
        self._profile = tempfile.TemporaryDirectory(prefix="course-chromium-")
        to_browser_r, self._to_browser = os.pipe()  # we write, the browser reads on its fd 3
        self._from_browser, from_browser_w = os.pipe()  # the browser writes on its fd 4, we read

        def wire_pipes():  # runs in the child, before exec: put the pipe ends at fds 3 and 4
            os.dup2(to_browser_r, 3)
            os.dup2(from_browser_w, 4)

        command = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-quic",
            "--metrics-recording-only", "--mute-audio", "--hide-scrollbars",
            # no request may leave the machine: every host but 127.0.0.1 fails to resolve, at once
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--user-data-dir={self._profile.name}", f"--window-size={width},{height}",
            "--remote-debugging-pipe", "about:blank",
        ]
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self._stderr, pass_fds=(3, 4), preexec_fn=wire_pipes)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._lock = threading.Condition()
        self._responses: dict[int, dict] = {}
        self._events: list[dict] = []
        self._closed = False
        self._reader = threading.Thread(target=self._read_loop, name="chromium-reader", daemon=True)
        self._reader.start()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page.enable", "Network.enable", "Runtime.enable"):
            self.send(domain, session=self.session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}, session=self.session)

    # -- transport ----------------------------------------------------------------------------
    def _read_loop(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._lock:
                    self._closed = True
                    self._lock.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._lock:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._responses[message["id"]] = message
                    else:
                        self._events.append(message)
                self._lock.notify_all()

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one DevTools command and wait for its result."""
        with self._lock:
            self._next_id += 1
            message_id = self._next_id
        message = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        with self._lock:
            while message_id not in self._responses:
                if self._closed:
                    raise BrowserError(f"Chromium exited while waiting for {method}: {self.stderr_tail()}")
                if not self._lock.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise BrowserError(f"no answer to {method} within {self.timeout:.0f} s")
            response = self._responses.pop(message_id)
        if "error" in response:
            raise BrowserError(f"{method} failed: {response['error']}")
        return response.get("result", {})

    def wait_event(self, method: str, after: int = 0, timeout: float | None = None) -> dict:
        """Wait for an event named ``method`` among the events from index ``after`` on."""
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._lock:
            while True:
                for event in self._events[after:]:
                    if event.get("method") == method and event.get("sessionId") == self.session:
                        return event
                if self._closed:
                    raise BrowserError(f"Chromium exited while waiting for {method}: {self.stderr_tail()}")
                if not self._lock.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise BrowserError(f"no {method} within {timeout or self.timeout:.0f} s")

    def events_since(self, index: int) -> list[dict]:
        with self._lock:
            return list(self._events[index:])

    def event_count(self) -> int:
        with self._lock:
            return len(self._events)

    def stderr_tail(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-2000:]

    # -- page actions -------------------------------------------------------------------------
    def navigate(self, url: str) -> list[dict]:
        """Load ``url``, wait for its load event, return the events the load produced."""
        start = self.event_count()
        result = self.send("Page.navigate", {"url": url}, session=self.session)
        if result.get("errorText"):
            raise BrowserError(f"cannot load {url}: {result['errorText']}")
        self.wait_event("Page.loadEventFired", after=start)
        return self.events_since(start)

    def evaluate(self, expression: str):
        """Evaluate JavaScript in the page and return its (JSON-able) value."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise BrowserError(f"JavaScript failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, path: Path, max_height: int = 5000, clip: dict | None = None) -> Path:
        """Save a PNG of the page: the whole page (up to ``max_height`` pixels tall), or ``clip``."""
        if clip is None:
            size = self.send("Page.getLayoutMetrics", session=self.session)["cssContentSize"]
            clip = {"x": 0, "y": 0, "width": self.width, "height": min(max_height, max(1, int(size["height"])))}
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                    "clip": {**clip, "scale": 1}}, session=self.session)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(Exception):
                os.write(self._to_browser, json.dumps({"id": 10**9, "method": "Browser.close"}).encode() + b"\0")
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        with contextlib.suppress(OSError):
            os.close(self._to_browser)
        self._reader.join(timeout=5)
        with contextlib.suppress(OSError):
            os.close(self._from_browser)
        self._stderr.close()
        self._profile.cleanup()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------------------------

# Runs in the page after the load event: what a reader sees. It first waits (at most 30 s) for MathJax, when
# the page has it, to finish typesetting, so raw TeX left on the page means a formula the reader sees as code.
_INSPECT = """
(async () => {
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
})()
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
    external_requests: list = field(default_factory=list)
    failed_requests: list = field(default_factory=list)
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


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="GET"), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def check_page(browser: Browser, url: str, screenshot_dir: Path | None = None, stem: str | None = None) -> PageReport:
    """Load ``url`` and check images, links and anchors; save screenshots into ``screenshot_dir``."""
    events = browser.navigate(url)
    page = browser.evaluate(_INSPECT)
    report = PageReport(url, page["title"], page["headings"], page["chapterLinks"], page["images"])
    report.broken_images = [img for img in page["images"] if not img["complete"] or img["width"] == 0]
    origin = urllib.parse.urlsplit(url)
    seen = set()
    for link in page["links"]:
        target = urllib.parse.urlsplit(link["href"])
        if target.scheme not in ("http", "https") or target.netloc != origin.netloc:
            continue  # mailto:, outside sites: not ours to check here
        page_url = urllib.parse.urlunsplit((target.scheme, target.netloc, target.path, target.query, ""))
        if page_url in seen:
            continue
        seen.add(page_url)
        report.local_links.append(page_url)
        status = _status(page_url)
        if status != 200:
            report.broken_links.append(f"{link['raw']} -> {status}")
    report.missing_anchors = [a["href"] for a in page["anchors"] if not a["found"]]
    report.raw_math, report.math_errors, report.formulas = page["rawMath"], page["mathErrors"], page["formulas"]
    report.lang = page["lang"]
    if page["cjk"] is not None:
        report.cjk_chars = page["cjk"]["chars"]
        if not (page["cjk"]["inked"] and page["cjk"]["distinct"]):
            report.cjk_problem = ("Chinese characters render as boxes or not at all: no CJK font "
                                  "(tools/ensure_chromium.sh installs fonts-noto-cjk)")
    if page["mathjaxWanted"] and not page["mathjaxDone"]:
        report.mathjax_problem = "the page loads MathJax, but it did not load or did not finish within 30 s"
    for event in events:
        if event.get("method") == "Network.requestWillBeSent":
            request_url = event["params"]["request"]["url"]
            if not request_url.startswith((f"{origin.scheme}://{origin.netloc}", "data:", "about:")):
                report.external_requests.append(request_url)
    if screenshot_dir is not None:
        parent = Path(origin.path).parent.name  # "zh-CN" for the Chinese pages: their own file names
        stem = stem or ((f"{parent}_" if parent else "") + (Path(origin.path).stem or "index"))
        report.screenshots.append(browser.screenshot(screenshot_dir / f"{stem}.png"))
        # and a close-up of the first picture, to see that it really is a picture
        box = browser.evaluate("""(() => { const img = Array.from(document.images).find(i => i.naturalWidth > 0);
            if (!img) return null; img.scrollIntoView(); const r = img.getBoundingClientRect();
            return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height}; })()""")
        if box and box["width"] > 0 and box["height"] > 0:
            clip = {"x": max(0, box["x"] - 20), "y": max(0, box["y"] - 20),
                    "width": min(browser.width, box["width"] + 40), "height": box["height"] + 40}
            report.screenshots.append(browser.screenshot(screenshot_dir / f"{stem}-first-image.png", clip=clip))
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", help="the folder tools/build_site.py wrote")
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
