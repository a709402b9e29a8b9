"""Execute notebooks one by one, each ALONE in an empty folder, as a learner in Colab would.

Run by ``tools/colab_proof.sh`` (``make colab-proof``) inside a fresh virtual environment that holds only
what Colab preinstalls (torch, transformers, accelerate, numpy, pandas, matplotlib, tqdm, scikit-learn, a Jupyter kernel)
and nothing of the course. For each notebook:

1. copy the ``.ipynb`` file alone into an empty folder, with an empty data folder (``COURSE_DATA_DIR``);
2. make sure ``course_lib`` is NOT installed (uninstall it if an earlier notebook's set-up cell installed it),
   so every notebook's own set-up cell must install it (from ``COURSE_LIB_SOURCE``: a wheel built from the
   checkout) and fetch the data it reads;
3. execute it from a fresh kernel; pass = no cell error, every picture present (the markdown pictures travel
   inside the notebook as attachments or data URIs; the executed figures are as many as in the committed
   notebook), and no ``../`` path anywhere.

    python -m tools.colab_proof notebooks/*.ipynb
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tools.colab import DISTRIBUTION  # pip knows the course by this name (bert-heads-course), not course_lib

MARKDOWN_IMAGE = re.compile(r"!\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)")  # alt text may hold [CLS]
HTML_IMAGE = re.compile(r"<img[^>]+src=[\"']([^\"']+)")


def picture_problems(nb) -> list[str]:
    """Markdown pictures that would not show in a lone notebook: a path to a file (the course's own pictures
    must be attachments or data URIs; an https address, such as the Colab badge, is fetched by the browser)."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for target in MARKDOWN_IMAGE.findall(cell.source) + HTML_IMAGE.findall(cell.source):
            if target.startswith("attachment:"):
                name = target[len("attachment:"):]
                if name not in (cell.get("attachments") or {}):
                    problems.append(f"cell {index}: attachment {name} is missing")
            elif not target.startswith(("data:image/", "https://")):
                problems.append(f"cell {index}: picture {target} is a file beside the notebook, not inside it")
    return problems


def relative_paths(nb) -> list[str]:
    return [f"cell {i}" for i, cell in enumerate(nb.cells) if "../" in cell.source]


def figures(nb) -> int:
    return sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))


def course_lib_installed() -> bool:
    # -I: only what is installed counts, not a course_lib folder in the current directory (the checkout, where
    # `python -m tools.colab_proof` runs)
    done = subprocess.run([sys.executable, "-I", "-c", "import importlib.util, sys; "
                           "sys.exit(importlib.util.find_spec('course_lib') is None)"])
    return done.returncode == 0


def prove(path: Path, work: Path, timeout: int) -> tuple[bool, str]:
    committed = nbformat.read(path, as_version=4)
    problems = picture_problems(committed) + [f"{c}: contains ../" for c in relative_paths(committed)]
    if course_lib_installed():
        subprocess.run([sys.executable, "-I", "-m", "pip", "uninstall", "--quiet", "--yes", DISTRIBUTION], check=True)
    folder = work / path.stem
    folder.mkdir()
    shutil.copy(path, folder / path.name)
    os.environ["COURSE_DATA_DIR"] = str(folder / "data")  # empty: the set-up cell must fetch what it needs
    nb = nbformat.read(folder / path.name, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    # the kernel talks over IPC sockets in the work folder, as tools/run_notebooks.py does (no TCP warning)
    client.km = client.kernel_manager_class(kernel_name="python3", transport="ipc", ip=str(folder / "kernel"))
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "error":
                problems.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}"[:300])
    if not course_lib_installed():
        problems.append("course_lib is not installed afterwards: the set-up cell did not install it")
    if figures(nb) != figures(committed):
        problems.append(f"{figures(nb)} figures drawn, the committed notebook has {figures(committed)}")
    verdict = "ok" if not problems else "FAILED"
    return not problems, f"{path.name:<45} {seconds:6.1f} s  {verdict}" + "".join(f"\n    {p}" for p in problems)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    if "COURSE_LIB_SOURCE" not in os.environ:
        parser.error("set COURSE_LIB_SOURCE to the course_lib wheel to install (tools/colab_proof.sh does)")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in args.notebooks:
            ok, line = prove(path.resolve(), Path(tmp), args.timeout)
            print(line, flush=True)
            results.append(ok)
    print(f"colab proof: {sum(results)} of {len(results)} notebooks ran alone without error, every picture present")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
