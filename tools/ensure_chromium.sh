#!/usr/bin/env bash
# Make sure Debian's headless-capable Chromium is installed, for tests/test_site_browser.py.
# It is the distribution's package (apt), never a browser build downloaded by a tool.
# Prints the path of the browser. Safe to run again: does nothing when chromium is already there.
set -euo pipefail
# The Chinese pages need a CJK font, or Chinese text renders as empty boxes: fonts-noto-cjk (Noto Sans/Serif CJK).
have_cjk_font() { fc-list :lang=zh-cn family 2>/dev/null | grep -qi "CJK"; }
for candidate in chromium chromium-browser; do
    if command -v "$candidate" >/dev/null 2>&1 && have_cjk_font; then
        command -v "$candidate"
        exit 0
    fi
done
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: no chromium and no apt-get on this machine; install Chromium by hand" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
        echo "ensure_chromium: not root and no sudo: run 'apt-get install -y chromium' as root" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# fonts-dejavu-core: a font for the page text (chromium's own dependencies bring most others);
# fonts-noto-cjk: the Chinese edition's glyphs; fontconfig: fc-list, to see that it is there
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core fonts-noto-cjk fontconfig >/dev/null
if ! have_cjk_font; then
    echo "ensure_chromium: fonts-noto-cjk installed, but fontconfig lists no CJK font" >&2
    exit 1
fi
command -v chromium
