"""The HTML course in a real browser: build the site from the committed notebooks, serve it on 127.0.0.1,
open every page in headless Chromium (Debian's package, driven by Playwright: no browser download), and check
what a reader would see.

- every image decoded (``naturalWidth > 0``): embedded plots and the diagrams from ``pictures/``;
- every link to a page of the site answers 200, and every ``#anchor`` link names an element;
- the home page lists every notebook, and each chapter page carries its title and the course navigation;
- formulas are typeset (MathJax from the installed ``jupyter-server-mathjax``, copied into the site): no page
  shows raw TeX, and no page requests anything outside the local server (a CDN script fails the page).

Screenshots of every page go to ``build/screenshots/`` (git-ignored): look at them.

Chromium comes from apt (``tools/ensure_chromium.sh``, run here if the browser is missing). The test skips
only where apt cannot be used (no apt-get, or neither root nor sudo); where apt is usable, a failed install
is a test failure.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbconvert", reason="the site is built in the course environment (.venv), not in .venv-hf4")

from tools import site_check  # noqa: E402  (after the skip; Playwright is in the course environment)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))
ZH_PAGES = ["zh-CN/index.html"] + [f"zh-CN/{p.stem}.html" for p in sorted(ROOT.glob("zh-CN/notebooks/[0-9][0-9]_*.ipynb"))]
SCREENSHOTS = ROOT / "build" / "screenshots"


def _apt_usable() -> bool:
    if shutil.which("apt-get") is None:
        return False
    if os.geteuid() == 0:
        return True
    return shutil.which("sudo") is not None and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0


@pytest.fixture(scope="session")
def chromium() -> str:
    binary = site_check.find_chromium()
    if binary:
        return binary
    if not _apt_usable():
        pytest.skip("no chromium, and apt cannot be used here: run `apt-get install chromium` as root")
    result = subprocess.run(["bash", str(ROOT / "tools" / "ensure_chromium.sh")], capture_output=True, text=True,
                            timeout=900)
    binary = site_check.find_chromium()
    assert result.returncode == 0 and binary, f"installing chromium with apt failed:\n{result.stdout}\n{result.stderr}"
    return binary


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    result = subprocess.run([sys.executable, "-m", "tools.build_site", "--out", str(out)],
                            capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert result.returncode == 0, f"build_site.py failed:\n{result.stdout}\n{result.stderr[-4000:]}"
    return out


@pytest.fixture(scope="module")
def reports(site, chromium) -> dict:
    """Open the home page and every chapter once; the tests below read the reports."""
    pages = ["index.html"] + [p.stem + ".html" for p in NOTEBOOKS] + ZH_PAGES
    out = {}
    with site_check.serve(site) as base, site_check.Browser(chromium) as browser:
        for page in pages:
            out[page] = site_check.check_page(browser, base + page, SCREENSHOTS)
    return out


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", header[16:24])


def test_home_page_lists_every_chapter(reports):
    home = reports["index.html"]
    assert home.title == "BERT heads, losses and optimisers, hands-on"
    assert home.chapter_links == [p.stem + ".html" for p in NOTEBOOKS]
    if not home.ok:
        pytest.fail(home.summary(), pytrace=False)


@pytest.mark.parametrize("notebook", [p.stem for p in NOTEBOOKS])
def test_chapter_page_renders(reports, notebook):
    report = reports[notebook + ".html"]
    if not report.ok:
        pytest.fail(report.summary(), pytrace=False)
    # the first heading is the notebook's title, "NN · ..."
    assert report.headings and report.headings[0].startswith(notebook[:2] + " ·"), report.headings
    # the course navigation: back to the home page at least
    assert any(link.endswith("/index.html") for link in report.local_links), report.local_links


def test_images_decode_on_pages_with_pictures(reports):
    # Chapters 00 (the course map) and 01 (attention plots) must show real pictures, not alt text.
    for page, at_least in (("00_welcome.html", 1), ("01_bert_backbone.html", 2)):
        images = reports[page].images
        assert len(images) >= at_least, f"{page}: expected at least {at_least} images, found {len(images)}"
        if not all(img["width"] > 0 for img in images):
            pytest.fail(reports[page].summary(), pytrace=False)


def test_screenshots_are_saved(reports):
    for page in ("index.html", "00_welcome.html", "01_bert_backbone.html"):
        shots = reports[page].screenshots
        assert shots, f"no screenshot of {page}"
        width, height = _png_size(shots[0])
        assert width == 1280 and height > 300, (page, width, height)


def test_formulas_are_typeset_offline(reports):
    # Chapters 09 (AdamW) and 10 (schedules) are the ones with formulas; the home page has one in a goal.
    for page, at_least in (("09_adamw_vs_adam_l2.html", 20), ("10_lr_schedules_and_warmup.html", 20),
                           ("index.html", 1)):
        report = reports[page]
        assert report.formulas >= at_least, f"{page}: {report.formulas} typeset formulas, expected {at_least}+"
        assert not (report.raw_math or report.math_errors or report.external_requests), report.summary()


def test_checker_catches_raw_tex_and_outside_requests(tmp_path, chromium):
    """The check itself: a page whose formula stays TeX and which asks a CDN for a script and a picture must fail."""
    (tmp_path / "bad.html").write_text(
        '<!DOCTYPE html><html><head><title>bad</title>'
        '<script src="https://cdn.example.org/mathjax/MathJax.js"></script></head>'
        '<body><p>The decay is $\\theta \\leftarrow (1-\\eta\\lambda)\\theta$.</p>'
        '<img src="http://images.example.org/plot.png" alt="a plot from elsewhere">'
        '<pre>price = "$5 and $6"  # in code: not a formula</pre></body></html>', encoding="utf-8")
    with site_check.serve(tmp_path) as base, site_check.Browser(chromium) as browser:
        report = site_check.check_page(browser, base + "bad.html")
    assert not report.ok
    assert sorted(report.external_requests) == ["http://images.example.org/plot.png",
                                                "https://cdn.example.org/mathjax/MathJax.js"], report.summary()
    assert len(report.broken_images) == 1, report.summary()  # blocked, so it never decoded
    assert len(report.raw_math) == 1 and "\\leftarrow" in report.raw_math[0], report.summary()
    assert report.mathjax_problem, report.summary()


def test_every_chapter_has_a_chinese_page():
    assert ZH_PAGES[1:] == [f"zh-CN/{p.stem}.html" for p in NOTEBOOKS]


@pytest.mark.parametrize("page", ZH_PAGES)
def test_chinese_page_renders_chinese_glyphs(reports, page):
    """Chinese text drawn with a CJK font (not empty boxes: fonts-noto-cjk, tools/ensure_chromium.sh), the
    same checks as an English page, and a language switch back to the English page."""
    report = reports[page]
    if not report.ok:
        pytest.fail(report.summary(), pytrace=False)
    assert report.lang == "zh-CN" and report.cjk_chars > 200, (report.lang, report.cjk_chars)
    english = page.removeprefix("zh-CN/")
    assert any(link.endswith("/" + english) and "/zh-CN/" not in link for link in report.local_links), report.local_links
    if page != "zh-CN/index.html":
        assert report.headings and report.headings[0].startswith(english[:2] + " ·"), report.headings


def test_english_pages_switch_to_chinese(reports):
    for page in ["index.html"] + [p.stem + ".html" for p in NOTEBOOKS]:
        assert any(link.endswith("/zh-CN/" + page) for link in reports[page].local_links), page


def test_chinese_screenshots_are_saved(reports):
    for page in ("zh-CN/index.html", "zh-CN/04_weight_tying.html"):
        shots = reports[page].screenshots
        assert shots and shots[0].name.startswith("zh-CN_"), shots
        width, height = _png_size(shots[0])
        assert width == 1280 and height > 300, (page, width, height)
