"""Execute the course notebooks, each from a fresh kernel, without touching the committed files.

    python -m tools.run_notebooks --out build/course notebooks    # what `make course` runs (site/ is built from it)
    python -m tools.run_notebooks --in-place notebooks/05_sequence_classification.ipynb   # authors only

Say where the executed notebooks go; there is no default, so a command cannot rewrite the committed files by
surprise. ``--out DIR`` writes no tracked file: each notebook is read, executed and saved as a copy at its path
inside the checkout under DIR (notebooks/05_x.ipynb -> build/course/notebooks/05_x.ipynb), so a learner's
`git status` stays clean and the next `git pull` meets no conflict. ``--in-place`` is the authors' way to
refresh the committed outputs (`make notebooks-in-place`); a notebook that fails is then left as it was.

The kernel runs in the notebook's own folder (relative paths work as in Jupyter and under nbval), with the
seeds and offline settings of the Makefile, and reaches us over IPC sockets in a private temporary folder
rather than TCP ports on 127.0.0.1: nothing listens on the network, and ipykernel has no reason to print its
"Kernel is running over TCP without encryption" warning. Stream outputs are merged per cell (stdout into one
block, stderr into another), as nbval compares them, so re-executing gives the same file whatever the timing
of the prints.

``--record-times`` writes each chapter's measured seconds (wall, and the kernel's CPU) into
``docs/run_times.json``, the one source of the run times printed in the course; ``tools/sync_run_times.py``
then copies them into the notebooks and the guides. Measure on an otherwise idle machine.

Prints one line per notebook: its name, the seconds it took and ``ok``, or ``FAILED`` followed by the
failing cell and its error; the run goes on with the next notebook and exits with 1 if any failed. The course
budget is 60 s per notebook on a quiet 2-core machine (notebook 11: 120 s).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tools import output_folder  # --out never lands on the checkout or on files it did not write
from tools.sync_run_times import TIMES, save_measurements

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("TQDM_DISABLE", "1")  # committed pages carry numbers, not a frozen progress bar
os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class Result:
    source: Path  # the notebook that was read
    written: Path | None  # where the executed notebook was saved (None: a failed in-place run saves nothing)
    seconds: float
    error: str = ""  # the failing cell and its traceback, empty when the notebook ran through
    interrupted: bool = False  # Ctrl-C or kill: the run stops here
    cpu_seconds: float = 0.0  # user + sys of the kernel (and anything it started), whatever the machine's load

    @property
    def ok(self) -> bool:
        return not self.error

    def line(self, width: int = 30) -> str:
        status = "INTERRUPTED" if self.interrupted else "ok" if self.ok else "FAILED"
        return f"{self.source.stem:<{width}} {self.seconds:6.1f} s  {status}"


def notebook_paths(args: list[str]) -> list[Path]:
    """The notebooks named, a folder standing for its NN_*.ipynb files in order. A missing path is an error."""
    paths: list[Path] = []
    for arg in args:
        p = Path(arg)
        if p.is_dir():
            found = sorted(p.glob("[0-9][0-9]_*.ipynb"))
            if not found:
                raise SystemExit(f"run_notebooks.py: no NN_*.ipynb notebooks in the folder {arg}")
            paths.extend(found)
        elif p.suffix == ".ipynb" and p.is_file():
            paths.append(p)
        else:
            raise SystemExit(f"run_notebooks.py: {arg} is neither a notebook (.ipynb) nor a folder of notebooks")
    return paths


def copy_path(path: Path, out_dir: Path) -> Path:
    """Where the executed copy of ``path`` goes: its path inside the checkout, under ``out_dir``."""
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(ROOT)
    except ValueError:  # a notebook from outside the checkout: by name
        relative = Path(resolved.name)
    return out_dir / relative


def execute(path: Path, timeout: int = 600, out_path: Path | None = None) -> Result:
    """Execute ``path`` from a fresh kernel; save it to ``out_path`` (``path`` itself for an in-place run).

    Failures do not raise: the result carries the failing cell and its error."""
    out_path = out_path or path
    in_place = out_path.resolve() == path.resolve()
    nb = nbformat.read(path, as_version=4)
    sockets = tempfile.mkdtemp(prefix="course-kernel-")
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        record_timing=False,  # no timestamps in the saved file: clean diffs
        coalesce_streams=True,  # one stdout block per cell, whatever the timing of the prints
    )
    client.km = client.kernel_manager_class(kernel_name="python3", transport="ipc",
                                            ip=os.path.join(sockets, "kernel"))
    running = {}  # the cell being executed, to name it when the kernel dies under it
    client.on_cell_start = lambda cell, cell_index: running.update(cell=cell, index=cell_index)
    error = ""
    start, cpu_start = time.perf_counter(), _children_cpu()
    try:
        client.execute()
    except CellExecutionError as exc:
        error = str(exc)
    except Exception as exc:  # a kernel that died, a cell that ran past the timeout
        error = f"{type(exc).__name__}: {exc}".rstrip(": ")
        if running and running["cell"].source not in error:
            error += f"\nwhile running cell {running['index']}:\n------------------\n{running['cell'].source}"
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    seconds = time.perf_counter() - start
    cpu_seconds = _children_cpu() - cpu_start  # the kernel has exited and been waited for by now
    # nbclient answers Ctrl-C (SIGINT) and SIGTERM by shutting the kernel down, and leaves this mark
    interrupted = getattr(client, "_async_cleanup_kernel_future", None) is not None
    if interrupted:
        error = error or "interrupted"
    written = None
    if not (error and in_place):
        out_path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out_path)
        written = out_path
    return Result(path, written, seconds, error.strip(), interrupted, cpu_seconds)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def record_times(results: list[Result]) -> None:
    """Write the measured run times of the notebooks that ran through into docs/run_times.json."""
    load = os.getloadavg()[0]
    when = f"{datetime.date.today()}, {os.cpu_count()} cores, load {load:.1f} at the end"
    measured = {r.source.stem: {"run_seconds": round(r.seconds, 1), "cpu_seconds": round(r.cpu_seconds, 1),
                                "measured": when}
                for r in results if r.ok and r.source.parent.name == "notebooks"}
    save_measurements(measured)
    print(f"recorded {len(measured)} run time(s) in {TIMES}; then: python -m tools.sync_run_times", flush=True)


def run(paths: list[Path], out_dir: Path | None, timeout: int = 600, stream=None) -> list[Result]:
    """Execute ``paths`` in order, into copies under ``out_dir`` (None: in place); one line each on ``stream``."""
    stream = stream or sys.stdout
    width = max([len(p.stem) for p in paths] + [10])
    results = []
    for path in paths:
        result = execute(path, timeout, None if out_dir is None else copy_path(path, out_dir))
        results.append(result)
        print(result.line(width), file=stream, flush=True)
        if result.interrupted:
            break
        if not result.ok:
            error = result.error if stream.isatty() else _ANSI.sub("", result.error)
            print("\n".join("    " + line for line in error.splitlines()), file=stream, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="notebooks or folders of notebooks")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--out", help="folder for the executed copies (the notebooks themselves stay as they are)")
    where.add_argument("--in-place", action="store_true",
                       help="rewrite the notebooks themselves (authors refreshing the committed outputs)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--record-times", action="store_true",
                        help="write each chapter's measured run time into docs/run_times.json (measure on an idle machine)")
    args = parser.parse_args(argv)
    if not (args.in_place or args.out):
        given = " ".join(args.paths)
        parser.error("say where the executed notebooks go: --in-place rewrites the notebooks themselves "
                     f"(authors: python -m tools.run_notebooks --in-place {given}), --out DIR writes copies there "
                     "(what make course does)")
    paths = notebook_paths(args.paths)
    for path in paths:
        output_folder.read_notebook(path, "run_notebooks.py")  # a broken notebook: one line, before any run
    out_dir = None
    if not args.in_place:
        earlier = output_folder.resolve(args.out) == ROOT / "build" / "course"  # make course's, from before the marker
        out_dir = output_folder.prepare(args.out, "run_notebooks.py", replace=False, example="build/course",
                                        legacy=(lambda name: name.endswith(".ipynb")) if earlier else None)
    results = run(paths, out_dir, args.timeout)
    if out_dir is not None:
        output_folder.finish(out_dir)
    if args.record_times:
        record_times(results)
    if results and results[-1].interrupted:
        print("stopped (interrupted)", flush=True)
        return 130
    failed = [r.source.stem for r in results if not r.ok]
    if failed:
        print(f"{len(failed)} of {len(results)} notebooks FAILED: {', '.join(failed)}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
