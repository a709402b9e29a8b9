"""Colab support, stamped into every notebook from this one file.

Each notebook gets (1) an "Open in Colab" badge under its title and (2) a first code cell that
installs ``course_lib`` when it is missing (Colab, or a notebook copied on its own) and does
nothing where the course is installed. The install source is named here and only here:
change ``COURSE_REPOSITORY`` (or set ``COURSE_LIB_SOURCE`` in the environment) and re-run

    python tools/colab.py            # update every notebook and solutions notebook in place
    python tools/colab.py --check    # exit 1 if any notebook's badge or set-up cell is stale

The set-up cell's source changes, not its output (it prints nothing), so notebooks need no
re-execution after a change of address.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
# Where the course lives on GitHub. The one place to change it.
COURSE_REPOSITORY = "bert-heads-course/bert-heads-course"
BRANCH = "main"
INSTALL_SOURCE = f"course_lib[encoder] @ git+https://github.com/{COURSE_REPOSITORY}@{BRANCH}"

SETUP_CELL = f'''# Set-up. Where course_lib is missing (Colab, or this notebook copied on its own), install it first;
# where the course is installed (make lab, pip install -e .), this does nothing.
import importlib.util, os, subprocess, sys

if importlib.util.find_spec("course_lib") is None:
    source = os.environ.get("COURSE_LIB_SOURCE", "{INSTALL_SOURCE}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)

from course_lib.notebook import setup_notebook

{{setup_call}}'''

BADGE_RE = re.compile(r"^\[!\[Open In Colab\]\(.*\)\]\(.*\)$", re.M)


def badge(folder: str, name: str) -> str:
    url = f"https://colab.research.google.com/github/{COURSE_REPOSITORY}/blob/{BRANCH}/{folder}/{name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def stamped(nb, folder: str, name: str):
    """The notebook with the current badge and set-up cell (a new object is not made: edited in place)."""
    first = nb.cells[0]
    lines = [ln for ln in first.source.split("\n") if not BADGE_RE.match(ln)]
    title_at = next(i for i, ln in enumerate(lines) if ln.startswith("# "))
    lines.insert(title_at + 1, "")
    lines.insert(title_at + 2, badge(folder, name))
    text = "\n".join(lines)
    first.source = re.sub(r"\n{3,}", "\n\n", text)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    calls = [ln for ln in setup.source.splitlines() if ln.lstrip().startswith("setup_notebook(")]
    if not calls:
        raise ValueError(f"{folder}/{name}: the first code cell must be the set-up cell (setup_notebook())")
    # keep the notebook's own call (for example setup_notebook(threads=1) and its comment)
    setup.source = SETUP_CELL.replace("{setup_call}", calls[-1].strip())
    return nb


def notebooks() -> list[tuple[Path, str]]:
    found = [(p, "notebooks") for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    found += [(p, "solutions") for p in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))]
    return found


def stale() -> list[str]:
    problems = []
    for path, folder in notebooks():
        nb = nbformat.read(path, as_version=4)
        before = [(c.cell_type, c.source) for c in nb.cells]
        after = [(c.cell_type, c.source) for c in stamped(nb, folder, path.name).cells]
        if before != after:
            problems.append(f"{folder}/{path.name}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.check:
        problems = stale()
        for p in problems:
            print(f"{p}: Colab badge or set-up cell out of date")
        print("Colab cells in sync" if not problems else "run: python tools/colab.py")
        return 1 if problems else 0
    for path, folder in notebooks():
        nb = nbformat.read(path, as_version=4)
        before = [(c.cell_type, c.source) for c in nb.cells]
        stamped(nb, folder, path.name)
        if [(c.cell_type, c.source) for c in nb.cells] != before:
            nbformat.write(nb, path)
            print(f"updated {folder}/{path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
