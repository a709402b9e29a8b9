"""Output folders that the course's tools may write into, and replace, without deleting anybody's work.

A tool that writes a folder (``build_site.py --out``, ``run_notebooks.py --out``, ``translate.py --out``) calls
:func:`prepare` first. It refuses, with a one-line error that names the folder and what to do instead:

- the checkout itself, or a folder that contains it (``--out .``, ``--out ..``, ``--out ~``);
- a folder that holds files git tracks (``--out notebooks``);
- a folder that holds anything the course's tools did not write there (a learner's notes, another project).

What the tools wrote is listed in a marker file, :data:`MARKER`, inside the folder: :func:`prepare` writes it
when it creates (or replaces) the folder, :func:`finish` lists every file there once the tool is done. A folder
with the marker and nothing unlisted is the tools' own, so ``make course`` and ``make site`` replace their
previous output as before. ``build/course`` and ``site`` from before the marker existed are recognised by their
contents (notebooks, pages and the formula fonts only).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MARKER = ".course-output"
HEADER = "# written by the course's tools (tools/output_folder.py); the files they wrote here:\n"


class OutputFolderError(SystemExit):
    """A folder a tool must not write into; the message is one line: the folder, the reason, what to do."""


def resolve(folder: str | os.PathLike, base: Path | None = None) -> Path:
    """``folder`` as an absolute path: ``~`` expanded, relative to ``base`` (default: the current folder)."""
    path = Path(os.path.expanduser(str(folder)))
    if not path.is_absolute():
        path = (base or Path.cwd()) / path
    return Path(os.path.abspath(path))


def _listed(folder: Path) -> set[str] | None:
    marker = folder / MARKER
    if not marker.is_file():
        return None
    lines = marker.read_text(encoding="utf-8").splitlines()
    return {line for line in lines if line and not line.startswith("#")}


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if not p.is_dir() and p.name != MARKER)


def _tracked(folder: Path, root: Path) -> list[str]:
    """Files git tracks under ``folder`` (inside the checkout ``root``); [] without git."""
    try:
        result = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--", str(folder)],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    return [name for name in result.stdout.split("\0") if name] if result.returncode == 0 else []


def problem(folder: Path, *, root: Path = ROOT, legacy=None, example: str = "build/site") -> str | None:
    """Why ``folder`` (absolute) is not a folder the tools may write into and replace; None when it is."""
    real, real_root = Path(os.path.realpath(folder)), Path(os.path.realpath(root))
    if real == real_root or real in real_root.parents:
        what = "is the course checkout" if real == real_root else f"contains the course checkout {real_root}"
        return f"{folder} {what}: give a new folder of its own, e.g. --out {example}"
    if real.exists() and not real.is_dir():
        return f"{folder} is a file, not a folder: give a new folder, e.g. --out {example}"
    if real_root in real.parents:
        tracked = _tracked(real, real_root)
        if tracked:
            return (f"{folder} holds files git tracks (e.g. {tracked[0]}): give a new folder of its own, "
                    f"e.g. --out {example}")
    if not real.is_dir():
        return None
    files = _files(real)
    listed = _listed(real)
    if listed is None:
        if not files and not any(real.iterdir()):
            return None
        if legacy is not None and files and all(legacy(name) for name in files):
            return None  # what an earlier version of the tool wrote there
        what = f"e.g. {files[0]}" if files else "folders"
        return (f"{folder} already holds files that the course's tools did not write ({what}): move them away, "
                "or give a new folder")
    unlisted = [name for name in files if name not in listed]
    if unlisted:
        return (f"{folder} holds files that the course's tools did not write there (e.g. {unlisted[0]}): move "
                "them away, or give a new folder")
    return None


def check(folder, tool: str, *, root: Path = ROOT, legacy=None, base: Path | None = None,
          example: str = "build/site") -> Path:
    """``folder`` resolved, or :class:`OutputFolderError` (``tool: ...``) when the tools must not write into it."""
    path = resolve(folder, base)
    reason = problem(path, root=root, legacy=legacy, example=example)
    if reason:
        raise OutputFolderError(f"{tool}: will not write into {reason}")
    return path


def prepare(folder, tool: str, *, replace: bool, root: Path = ROOT, legacy=None, base: Path | None = None,
            example: str = "build/site") -> Path:
    """Check ``folder`` (see :func:`check`), then empty it when ``replace``, create it, and mark it as ours."""
    path = check(folder, tool, root=root, legacy=legacy, base=base, example=example)
    if replace and path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    if replace or not (path / MARKER).exists():
        finish(path)
    return path


def finish(folder: Path) -> None:
    """List every file now in ``folder`` in its marker: all of them are the tools' (checked by :func:`prepare`)."""
    (folder / MARKER).write_text(HEADER + "".join(f"{name}\n" for name in _files(folder)), encoding="utf-8")


def read_notebook(path: Path, tool: str):
    """``nbformat.read`` with a one-line error for a file that is not a notebook (not JSON, cut short by an editor
    or a merge), instead of nbformat's traceback."""
    import nbformat

    try:
        return nbformat.read(path, as_version=4)
    except (nbformat.reader.NotJSONError, ValueError, KeyError, AttributeError, TypeError) as exc:
        first = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        raise SystemExit(f"{tool}: {path} is not a readable notebook ({first}): restore it (git checkout -- {path}, "
                         "or Jupyter's File > Revert) or leave it out") from None
