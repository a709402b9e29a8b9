"""Execute notebooks in place from a fresh kernel, so the committed outputs are the real ones.

    python tools/run_notebooks.py notebooks                 # every notebook, in order
    python tools/run_notebooks.py notebooks/01_bert_backbone.ipynb

Each notebook runs in its own folder (relative paths work as in Jupyter), with the seeds and
offline settings of the Makefile. Prints the wall time of each notebook: the course budget is
60 s per notebook on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("TQDM_DISABLE", "1")  # committed pages carry numbers, not a frozen progress bar
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")


def notebook_paths(args: list[str]) -> list[Path]:
    paths: list[Path] = []
    for arg in args:
        p = Path(arg)
        paths.extend(sorted(p.glob("[0-9][0-9]_*.ipynb")) if p.is_dir() else [p])
    return paths


def execute(path: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        record_timing=False,  # no timestamps in the committed file: clean diffs
    )
    start = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - start
    nbformat.write(nb, path)
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    args = parser.parse_args()
    total = 0.0
    for path in notebook_paths(args.paths):
        print(f"executing {path} ...", flush=True)
        seconds = execute(path, args.timeout)
        total += seconds
        print(f"  done in {seconds:.1f} s", flush=True)
    print(f"all notebooks executed in {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
